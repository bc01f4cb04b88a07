// Loads the native addon and describes its functions. Nothing outside
// lib/torch should need this file, except `selfsup info` (lib/cli/info.ts),
// which reports which binary was loaded and from where.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { defaultThreads, recordThreads, recordWaitPolicy, waitPolicyFor } from './threads';
import { MallocAnswer, appliedHostMalloc, hostMallocFor, recordHostMalloc } from './host-malloc';

/** An opaque native handle: a number for tensors (see native/handle.h), an N-API External for operators and generators. */
export type Handle = { readonly __handle: unique symbol };

export interface OpInfo {
  name: string;
  overload: string;
  schema: string;
  args: { name: string; type: string; kwargOnly: boolean; hasDefault: boolean; default?: string; writes: boolean }[];
  returns: { name: string; type: string; aliasesArg: number }[];
}

export interface NativeConfig {
  torchVersion: string;
  builtWithCuda: boolean;
  hasCuda: boolean;
  cudaRuntimeVersion: number;
  cudnnVersion: number;
  cxx11Abi: boolean;
  buildConfig: string;
  parallelInfo: string;
  /** Intra-op threads (at::get_num_threads). */
  numThreads: number;
  /** Inter-op threads (at::get_num_interop_threads). */
  numInteropThreads: number;
}

/** A visible GPU, as torch.cuda.get_device_properties(index). */
export interface CudaDeviceProperties {
  index: number;
  name: string;
  /** Bytes of device memory. */
  totalMemory: number;
  major: number;
  minor: number;
  multiProcessorCount: number;
}

/** libtorch's math-mode switches (native/backends.cc). */
export interface BackendFlags {
  matmulAllowTF32: boolean;
  cudnnAllowTF32: boolean;
  cudnnBenchmark: boolean;
  cudnnDeterministic: boolean;
  float32MatmulPrecision: 'highest' | 'high' | 'medium';
}

/** A warning libtorch raised (TORCH_WARN), as native/warnings.cc buffers it. */
export interface NativeWarning {
  message: string;
  file: string;
  function: string;
  line: number;
}

export interface NativeAddon {
  lookupOp(name: string, overload?: string): Handle;
  lookupOverloads(name: string): Handle[];
  call(op: Handle, ...args: unknown[]): unknown;
  callAny(ops: Handle[], ...args: unknown[]): [number, unknown];
  opInfo(op: Handle): OpInfo;
  listOps(): string[];

  fromBuffer(data: ArrayBufferView, shape: readonly number[], dtype: string): Handle;
  toBuffer(t: Handle): ArrayBuffer;
  toBufferAsync(t: Handle): Promise<ArrayBuffer>;
  viewBuffer(t: Handle): ArrayBuffer;
  dispose(t: Handle): void;
  /** Disposes the first `count` tensor handles (numbers) in `handles`. */
  disposeAll(handles: Float64Array, count: number): void;
  /**
   * Reports the CPU bytes of the first `count` tensor handles in `handles` to V8 as external memory (the
   * tensors the garbage collector now frees). Missing in addons built before it: those report every tensor.
   */
  watchBytes?(handles: Float64Array, count: number): void;
  isDisposed(t: Handle): boolean;
  shape(t: Handle): number[];
  strides(t: Handle): number[];
  dtype(t: Handle): string;
  device(t: Handle): string;
  numel(t: Handle): number;
  dim(t: Handle): number;
  isContiguous(t: Handle): boolean;

  // createGraph and allowUnused are false when not a boolean, retainGraph is createGraph (native/autograd.cc).
  backward(outputs: Handle[], grads: (Handle | null)[] | undefined, retainGraph: boolean | undefined,
    createGraph: boolean | undefined, inputs: Handle[] | undefined): void;
  grad(outputs: Handle[], inputs: Handle[], gradOutputs: (Handle | null)[] | undefined,
    retainGraph: boolean | undefined, createGraph: boolean | undefined, allowUnused: boolean | undefined): (Handle | null)[];
  getGrad(t: Handle): Handle | undefined;
  setGrad(t: Handle, g: Handle | undefined): void;
  requiresGrad(t: Handle): boolean;
  setData(t: Handle, value: Handle): void;
  setRequiresGrad(t: Handle, value: boolean): void;
  isLeaf(t: Handle): boolean;
  retainGrad(t: Handle): void;
  gradFnName(t: Handle): string | null;
  isGradEnabled(): boolean;
  setGradEnabled(enabled: boolean): void;

  manualSeed(seed: number | bigint): void;
  newGenerator(seed: number | bigint | undefined, device: string): Handle;
  generatorSeed(g: Handle, seed: number | bigint): void;
  generatorInitialSeed(g: Handle): bigint;
  generatorGetState(g: Handle | number | null): Handle;
  generatorSetState(g: Handle | number | null, state: Handle): void;

  autocastState(deviceType: string): { enabled: boolean; dtype: string };
  setAutocast(deviceType: string, enabled: boolean, dtype: string): void;
  autocastIncrementNesting(): number;
  autocastDecrementNesting(): number;
  clearAutocastCache(): void;
  autocastCacheEnabled(): boolean;
  setAutocastCacheEnabled(enabled: boolean): void;
  cudaGraphCreate(): unknown;
  cudaGraphCapture(graph: unknown, fn: () => void): void;
  cudaGraphReplay(graph: unknown): void;
  cudaGraphReset(graph: unknown): void;
  cudaOnSideStream(fn: () => unknown): unknown;
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  cudaSynchronize(index?: number): void;
  cudaMemoryStats(index?: number): Record<string, number>;
  cudaDevices(): CudaDeviceProperties[];
  cudaEmptyCache(): void;
  cudaResetPeakMemoryStats(device?: number): void;
  backendsGet(): BackendFlags;
  backendsSet(name: keyof BackendFlags, value: boolean | string): void;
  installWarningHandler(onWarning: () => void): void;
  takeWarnings(): NativeWarning[];
  getNumThreads(): number;
  setNumThreads(n: number): void;
  config(): NativeConfig;
  /**
   * glibc's M_MMAP_THRESHOLD and M_TRIM_THRESHOLD for the whole process (lib/torch/host-malloc.ts). Missing in
   * addons built before it.
   */
  setMallocThresholds?(mmapBytes: number, trimBytes: number): MallocAnswer;
  memoryCounters(): { tensors: number; peakTensors: number; cpuBytes: number };
  profilerStart(): void;
  profilerStop(): NativeProfile;
  profilerActive(): boolean;
  recordFunctionCallbacks(): boolean;
  rangePush(name: string): number;
  rangePop(): number;
}

/** What native/profiler.cc recorded: one entry per event in each column, names interned in `names`. */
export interface NativeProfile {
  names: string[];
  name: Uint32Array;
  parent: Int32Array;
  depth: Int32Array;
  scope: Int32Array;
  thread: Int32Array;
  syncCopy: Uint8Array;
  onDevice: Uint8Array;
  startNs: Float64Array;
  durationNs: Float64Array;
  selfNs: Float64Array;
  allocs: Float64Array;
  allocBytes: Float64Array;
  shapes: string[];
  memory: { allocs: number; allocBytes: number; frees: number; freeBytes: number };
  wallNs: number;
}

/**
 * How the addon was chosen: `SELFSUP_ADDON` (the environment variable),
 * `prebuilt` (a binary shipped in prebuilds/ that `npm install` tested and
 * recorded), `built` (compiled from source by `npm install`, recorded),
 * `build-folder` (build/Release/selfsup.node found without a record), or
 * `adopted` (npm did not run the install script: this load chose the prebuilt
 * binary of the machine's libtorch, tested it and recorded it; scripts/adopt-prebuilt.js).
 */
export type AddonSource = 'SELFSUP_ADDON' | 'prebuilt' | 'built' | 'build-folder' | 'adopted';

/** Which addon binary this process loaded, and why. */
export interface AddonOrigin {
  source: AddonSource;
  /** Absolute path of the loaded .node file. */
  path: string;
  /** The libtorch flavour the binary was built for (`torch-1.13.cpu.cxx11abi1`), when recorded. */
  flavour: string | null;
  /** The install record that named it (native-addon.json), when one did. */
  record: string | null;
}

/** The record scripts/install.js writes at the package root. */
interface InstallRecord {
  kind: 'prebuilt' | 'built';
  path: string;
  flavour?: string;
}

/** Where the addon was loaded from. */
export let addonPath = '';

/** Which addon was loaded, from where, and why (see `selfsup info`). */
export let addonOrigin: AddonOrigin = { source: 'build-folder', path: '', flavour: null, record: null };

/** The package root: three levels above dist/lib/torch/native.js. */
function packageRoot(): string {
  return path.resolve(__dirname, '..', '..', '..');
}

function readRecord(file: string): InstallRecord | null {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null) return null;
  const r = data as Partial<InstallRecord>;
  if ((r.kind !== 'prebuilt' && r.kind !== 'built') || typeof r.path !== 'string') return null;
  return { kind: r.kind, path: r.path, flavour: typeof r.flavour === 'string' ? r.flavour : undefined };
}

/** The addons to try, in order: SELFSUP_ADDON, the install's record, build/Release. */
function candidates(): AddonOrigin[] {
  const root = packageRoot();
  const list: AddonOrigin[] = [];
  if (process.env.SELFSUP_ADDON) {
    list.push({ source: 'SELFSUP_ADDON', path: path.resolve(process.env.SELFSUP_ADDON), flavour: null, record: null });
  }
  const recordFile = path.join(root, 'native-addon.json');
  const rec = readRecord(recordFile);
  if (rec) {
    list.push({ source: rec.kind, path: path.resolve(root, rec.path), flavour: rec.flavour ?? null, record: recordFile });
  }
  list.push({ source: 'build-folder', path: path.join(root, 'build', 'Release', 'selfsup.node'), flavour: null, record: null });
  return list;
}

/**
 * Loads the addon (and with it libtorch's OpenMP runtime, which reads its
 * environment once, at load) with selfsup's OpenMP wait policy in the
 * environment, then puts the environment back so child processes do not
 * inherit it (lib/torch/threads.ts says why).
 */
function withWaitPolicy<T>(loadAddon: () => T): T {
  const policy = waitPolicyFor(process.env);
  recordWaitPolicy(policy);
  if (!policy.setBySelfsup) return loadAddon();
  process.env.OMP_WAIT_POLICY = policy.value;
  try {
    return loadAddon();
  } finally {
    delete process.env.OMP_WAIT_POLICY;
  }
}

/** scripts/adopt-prebuilt.js (plain JavaScript shipped with the package). */
type AdoptResult = { ok: true; addon: string; flavour: string; record: string | null } | { ok: false; reason: string };
interface AdoptScript { adoptPrebuilt(): AdoptResult; REMEDY: string }

/**
 * When npm did not run the install script (no record, no build): the prebuilt binary of this machine's
 * libtorch, tested in a child process and recorded, or why there is none.
 */
function adopt(): { origin: AddonOrigin } | { reason: string; remedy: string } {
  const script = path.join(packageRoot(), 'scripts', 'adopt-prebuilt.js');
  if (!fs.existsSync(script)) return { reason: `${script} is missing`, remedy: '' };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { adoptPrebuilt, REMEDY } = require(script) as AdoptScript;
  const r = adoptPrebuilt();
  if (!r.ok) return { reason: r.reason, remedy: REMEDY };
  return { origin: { source: 'adopted', path: r.addon, flavour: r.flavour, record: r.record } };
}

/** scripts/native-hash.js (plain JavaScript shipped with the package; install.js uses it too). */
interface NativeHashScript { staleReason(binary: string, root: string): string | null }

/**
 * Why a prebuilt binary must not be loaded with this package's JavaScript
 * (it was built from other native sources), or null.
 */
function prebuiltStaleReason(binary: string): string | null {
  const script = path.join(packageRoot(), 'scripts', 'native-hash.js');
  if (!fs.existsSync(script)) return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require(script) as NativeHashScript).staleReason(binary, packageRoot());
}

/**
 * Loads `origin`'s binary with selfsup's OpenMP wait policy and makes it this process's addon (addonPath,
 * addonOrigin); a binary that exists but does not load is an error.
 */
function loadFrom(origin: AddonOrigin): NativeAddon {
  try {
    const addon = withWaitPolicy(() => require(origin.path) as NativeAddon);
    addonPath = origin.path;
    addonOrigin = origin;
    return addon;
  } catch (err) {
    // A binary that exists but does not load is reported, not skipped: a
    // silent fallback to another binary would hide a broken install.
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `selfsup: the native addon ${origin.path} (${origin.source}) does not load: ${why}\n` +
        'If libtorch changed since selfsup was installed, reinstall the addon: `npm rebuild selfsup` ' +
        '(add SELFSUP_BUILD_FROM_SOURCE=1 to compile it). `LIBTORCH=<folder>` picks another libtorch.',
    );
  }
}

function load(): NativeAddon {
  const tried: string[] = [];
  let recorded = false;
  for (const origin of candidates()) {
    if (origin.record !== null) recorded = true;
    if (!fs.existsSync(origin.path)) {
      // An explicit choice that names nothing is a mistake to report, not to route around.
      if (origin.source === 'SELFSUP_ADDON') {
        throw new Error(`selfsup: SELFSUP_ADDON names ${origin.path}, which does not exist; ` +
          'point it at a built selfsup.node or unset it to use the installed addon');
      }
      tried.push(`${origin.path} (${origin.source}, missing)`);
      continue;
    }
    const stale = origin.source === 'prebuilt' ? prebuiltStaleReason(origin.path) : null;
    if (stale !== null) {
      // Refused, not loaded: its C++ would not match this package's JavaScript.
      process.emitWarning(`selfsup: the prebuilt addon ${origin.path} is not loaded: ${stale}. ` +
        'Run `npm rebuild selfsup` to build the addon from source', { type: 'SelfsupWarning' });
      tried.push(`${origin.path} (prebuilt, refused: ${stale})`);
      continue;
    }
    return loadFrom(origin);
  }
  // No install record: npm did not run the install script (npm 12's allowScripts, --ignore-scripts).
  let remedy = '';
  if (!recorded) {
    const adopted = adopt();
    if ('origin' in adopted) return loadFrom(adopted.origin);
    tried.push(`a prebuilt binary for this libtorch (none adopted: ${adopted.reason})`);
    remedy = adopted.remedy;
  }
  throw new Error(
    'selfsup: no usable native addon is installed. ' +
      (remedy ? `${remedy}. ` : 'Run `npm rebuild selfsup` (or `npm run build:native` in a clone). ') +
      `(looked for: ${tried.join(', ')})`,
  );
}

/** The native addon. */
export const native: NativeAddon = load();

/**
 * Starts libtorch with selfsup's default thread count (every available core,
 * or OMP_NUM_THREADS; lib/torch/threads.ts). Only the main thread does: a
 * worker that loads this module must not undo a count the program set.
 */
function startThreads(): void {
  if (!isMainThread) {
    const count = native.getNumThreads();
    recordThreads({ count, source: 'main thread', detail: `${count}, set by the main thread` });
    return;
  }
  const setting = defaultThreads();
  native.setNumThreads(setting.count);
  recordThreads(setting);
}

startThreads();

/**
 * Keeps freed CPU memory in the process unless the user chose the allocator's thresholds
 * (lib/torch/host-malloc.ts). Process-wide, and the same decision from the same environment in a
 * worker that loads this module again.
 */
function startHostMalloc(): void {
  const planned = hostMallocFor(process.env);
  const answer = planned.apply && native.setMallocThresholds !== undefined
    ? native.setMallocThresholds(planned.setting.mmapThreshold!, planned.setting.trimThreshold!) : undefined;
  recordHostMalloc(appliedHostMalloc(planned, answer));
}

startHostMalloc();
