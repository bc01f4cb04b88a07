// Loads the native addon and describes its functions. Nothing outside
// lib/torch should need this file.
import * as fs from 'node:fs';
import * as path from 'node:path';

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
  isDisposed(t: Handle): boolean;
  shape(t: Handle): number[];
  strides(t: Handle): number[];
  dtype(t: Handle): string;
  device(t: Handle): string;
  numel(t: Handle): number;
  dim(t: Handle): number;
  isContiguous(t: Handle): boolean;

  backward(outputs: Handle[], grads: (Handle | null)[] | undefined, retainGraph: boolean | undefined,
    createGraph: boolean, inputs: Handle[] | undefined): void;
  grad(outputs: Handle[], inputs: Handle[], gradOutputs: (Handle | null)[] | undefined,
    retainGraph: boolean | undefined, createGraph: boolean, allowUnused: boolean): (Handle | null)[];
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

  autocastState(deviceType: string): { enabled: boolean; dtype: string };
  setAutocast(deviceType: string, enabled: boolean, dtype: string): void;
  autocastIncrementNesting(): number;
  autocastDecrementNesting(): number;
  clearAutocastCache(): void;
  cudaIsAvailable(): boolean;
  cudaDeviceCount(): number;
  cudaSynchronize(index?: number): void;
  cudaMemoryStats(index?: number): Record<string, number>;
  getNumThreads(): number;
  setNumThreads(n: number): void;
  config(): NativeConfig;
  memoryCounters(): { tensors: number; peakTensors: number; cpuBytes: number };
}

/** Where the addon was loaded from. */
export let addonPath = '';

function candidates(): string[] {
  const root = path.resolve(__dirname, '..', '..', '..');
  const list: string[] = [];
  if (process.env.SELFSUP_ADDON) list.push(path.resolve(process.env.SELFSUP_ADDON));
  list.push(path.join(root, 'build', 'Release', 'selfsup.node'));
  return list;
}

function load(): NativeAddon {
  const tried: string[] = [];
  for (const file of candidates()) {
    if (!fs.existsSync(file)) {
      tried.push(`${file} (missing)`);
      continue;
    }
    addonPath = file;
    return require(file) as NativeAddon;
  }
  throw new Error(
    'selfsup: the native addon is not built. Run `npm run build:native` in the selfsup package ' +
      `(looked for: ${tried.join(', ')})`,
  );
}

/** The native addon. */
export const native: NativeAddon = load();
