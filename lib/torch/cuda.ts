// CUDA devices, as torch.cuda.
import { native } from './native';
import { Tensor } from './tensor';

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
