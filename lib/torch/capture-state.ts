// Whether a CUDA graph is being captured (or a capture is being rehearsed),
// and the checks that turn an uncapturable call into a clear error before it
// reaches CUDA. Kept free of imports: tensor.ts and the conversions read it.

let capturing: string | null = null;

/**
 * The name of the capture in progress ('CUDA graph capture' or
 * 'checkCapturable'), or null outside one.
 * @example if (captureInProgress() !== null) throw ...
 */
export function captureInProgress(): string | null {
  return capturing;
}

/**
 * Runs `fn` with the capture checks on; `what` names the capture in messages.
 * Nested calls keep the outer name.
 * @example withCaptureChecks('CUDA graph capture', () => step());
 */
export function withCaptureChecks<T>(what: string, fn: () => T): T {
  const previous = capturing;
  capturing ??= what;
  try {
    return fn();
  } finally {
    capturing = previous;
  }
}

/** Told about each host read while a profile runs (profiler.ts sets it); null otherwise, so reads pay one check. */
export interface HostReadObserver {
  begin(call: string): void;
  end(): void;
}
let readObserver: HostReadObserver | null = null;

/**
 * Sets (or clears, with null) the observer of host reads; returns the
 * previous one. The profiler's host-sync detector uses it.
 * @example const previous = observeHostReads({ begin: (c) => calls.push(c), end: () => {} });
 */
export function observeHostReads(observer: HostReadObserver | null): HostReadObserver | null {
  const previous = readObserver;
  readObserver = observer;
  return previous;
}

/**
 * Runs `read`, a read of tensor data back to the host named `call`
 * (`item()`, `toTypedArray()`): refused during a capture (`checkHostRead`),
 * seen by the host-read observer while a profile runs.
 * @example return hostRead('item()', () => callOp('item', '', h));
 */
export function hostRead<T>(call: string, read: () => T): T {
  checkHostRead(call);
  return hostSync(call, read);
}

/**
 * Runs `wait`, a call that makes the host wait for the device
 * (`torch.cuda.synchronize()`), seen by the host-read observer while a
 * profile runs.
 * @example hostSync('torch.cuda.synchronize()', () => native.cudaSynchronize());
 */
export function hostSync<T>(call: string, wait: () => T): T {
  const observer = readObserver;
  if (observer === null) return wait();
  observer.begin(call);
  try {
    return wait();
  } finally {
    observer.end();
  }
}

/**
 * Throws when a capture is in progress: `call` reads a tensor back to the
 * host (`item()`, `toArray()`, printing), which a CUDA graph cannot record.
 * @example checkHostRead('item()');
 */
export function checkHostRead(call: string): void {
  if (capturing === null) return;
  throw new Error(`${call} reads a tensor back to the host during ${capturing}: a CUDA graph cannot capture a host ` +
    'synchronisation. Read values after replay (keep the tensor as a step output), or train without CUDA graphs ' +
    '(cudaGraph: false)');
}

/**
 * Throws when a capture is in progress and `call` copies a CPU tensor to the
 * GPU: the graph would replay the copy from memory that JS may have changed.
 * @example checkHostCopy('to(cuda)');
 */
export function checkHostCopy(call: string): void {
  if (capturing === null) return;
  throw new Error(`${call} copies a CPU tensor to the GPU during ${capturing}: a CUDA graph cannot capture it. ` +
    'Create the tensor on the GPU once before capture (a static buffer) and copy_ into it, or train without CUDA ' +
    'graphs (cudaGraph: false)');
}

/**
 * Operators whose output shape (or value) depends on the data, so that CUDA
 * reads it back to the host: a capture cannot record them.
 */
const HOST_SYNC_OPS = new Set(['nonzero', 'nonzero_numpy', 'argwhere', 'masked_select', 'unique', '_unique', '_unique2',
  'unique_dim', 'unique_consecutive', 'unique_dim_consecutive', 'bincount', 'is_nonzero', 'equal', 'allclose',
  '_local_scalar_dense']);

/**
 * Whether `name` (an ATen operator, with or without `aten::`) synchronises
 * with the host; looked up once per operator handle, not per call.
 * @example isHostSyncOp('aten::nonzero') // true
 */
export function isHostSyncOp(name: string): boolean {
  return HOST_SYNC_OPS.has(name.startsWith('aten::') ? name.slice(6) : name);
}

/**
 * Throws when a capture is in progress: operator `name` has a data-dependent
 * output (see `isHostSyncOp`). Called only for those operators.
 * @example checkSyncOp('nonzero');
 */
export function checkSyncOp(name: string): void {
  if (capturing === null) return;
  const op = name.startsWith('aten::') ? name.slice(6) : name;
  throw new Error(`${op}() has an output whose shape or value depends on the data, so CUDA reads it back to the host, ` +
    `during ${capturing}: a CUDA graph cannot capture it. Use a fixed-shape form (torch.where, multiplying by a mask, ` +
    'topk) or train without CUDA graphs (cudaGraph: false)');
}
