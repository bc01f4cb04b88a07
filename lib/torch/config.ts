// The libtorch this process runs on, and its thread pool.
import { native, NativeConfig, addonPath } from './native';

export interface Config extends NativeConfig {
  /** Path of the loaded native addon. */
  addon: string;
}

/** Versions and build facts of the loaded libtorch and addon. @example torch.config().torchVersion */
export function config(): Config {
  return { ...native.config(), addon: addonPath };
}

/** Threads libtorch uses for intra-op parallelism, as `torch.get_num_threads()`. */
export function getNumThreads(): number {
  return native.getNumThreads();
}

/** Sets the intra-op thread count, as `torch.set_num_threads(n)`. */
export function setNumThreads(n: number): void {
  native.setNumThreads(n);
}
