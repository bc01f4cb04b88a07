// The libtorch this process runs on, and its thread pool.
import { native, NativeConfig, addonPath } from './native';
import { recordThreads, ThreadSource } from './threads';

export interface Config extends NativeConfig {
  /** Path of the loaded native addon. */
  addon: string;
}

/** Versions and build facts of the loaded libtorch and addon. @example torch.config().torchVersion */
export function config(): Config {
  return { ...native.config(), addon: addonPath };
}

/**
 * Threads libtorch uses for intra-op parallelism, as `torch.get_num_threads()`.
 * selfsup starts with every available core (or OMP_NUM_THREADS); `torch.threadSetting()` says which.
 *
 * @example torch.getNumThreads() // 2 on a 2-core machine
 */
export function getNumThreads(): number {
  return native.getNumThreads();
}

/**
 * Sets the intra-op thread count, as `torch.set_num_threads(n)`; overrides the default and OMP_NUM_THREADS.
 * `source` is what `selfsup info` reports as its origin (a command's `--threads` flag passes its own).
 *
 * @example torch.setNumThreads(1) // one core, e.g. for a reproducible summation order
 */
export function setNumThreads(n: number, source: Extract<ThreadSource, 'torch.setNumThreads' | '--threads'> =
'torch.setNumThreads'): void {
  native.setNumThreads(n);
  recordThreads({ count: n, source, detail: source === '--threads' ? `--threads ${n}` : `torch.setNumThreads(${n})` });
}
