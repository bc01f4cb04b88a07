// CUDA devices, as torch.cuda.
import { native } from './native';

export { CUDAGraph, onSideStream, checkCapturable, isCapturing } from './cuda-graph';

/** Whether a CUDA GPU can be used (a CUDA build of libtorch and a visible GPU). @example torch.cuda.isAvailable() */
export function isAvailable(): boolean {
  return native.cudaIsAvailable();
}

/** Number of visible GPUs (0 on a CPU build). */
export function deviceCount(): number {
  return native.cudaDeviceCount();
}

/** Waits for all work queued on the device to finish. Throws on a CPU build. */
export function synchronize(device?: number): void {
  native.cudaSynchronize(device);
}

/** The caching allocator's statistics for a device (bytes allocated and reserved, current and peak). */
export function memoryStats(device?: number): Record<string, number> {
  return native.cudaMemoryStats(device);
}
