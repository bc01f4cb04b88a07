// CUDA devices, as torch.cuda.
import { native } from './native';
import { Tensor } from './tensor';
import { hostSync } from './capture-state';

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
  hostSync('torch.cuda.synchronize()', () => native.cudaSynchronize(device));
}

/** The caching allocator's statistics for a device (bytes allocated and reserved, current and peak). */
export function memoryStats(device?: number): Record<string, number> {
  return native.cudaMemoryStats(device);
}

/**
 * Returns the memory the caching allocator holds but no tensor uses to the
 * driver, as torch.cuda.empty_cache(): after a workload is freed, its blocks
 * stop counting as reserved, and a CUDA graph's private pool can get fresh
 * memory. A no-op without CUDA.
 * @example model.dispose(); torch.cuda.emptyCache(); torch.cuda.memoryStats().reservedBytes;
 */
export function emptyCache(): void {
  native.cudaEmptyCache();
}

/**
 * Starts the peak counters of `memoryStats` (peakAllocatedBytes,
 * peakReservedBytes) again from the current values, as
 * torch.cuda.reset_peak_memory_stats(): the peaks read later are those since
 * this call. Throws without a GPU, as `memoryStats`.
 * @example torch.cuda.resetPeakMemoryStats(); runWorkload(); torch.cuda.memoryStats().peakReservedBytes;
 */
export function resetPeakMemoryStats(device?: number): void {
  native.cudaResetPeakMemoryStats(device);
}

/**
 * The state of a GPU's default random generator (device 0 by default)
 * as a uint8 CPU tensor, as torch.cuda.get_rng_state: checkpoints save it so
 * that a run drawing random numbers on the GPU (MAE's masks) resumes exactly.
 * Throws without CUDA.
 * @example const s = torch.cuda.getRngState(); torch.rand([4], { device: 'cuda' }); torch.cuda.setRngState(s);
 */
export function getRngState(device = 0): Tensor {
  return new Tensor(native.generatorGetState(device));
}

/**
 * Restores a GPU's default generator from `getRngState`'s tensor, as torch.cuda.set_rng_state.
 * @example torch.cuda.setRngState(saved);
 */
export function setRngState(state: Tensor, device = 0): void {
  native.generatorSetState(device, state._h);
}
