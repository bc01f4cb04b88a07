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
