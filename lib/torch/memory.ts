// What is alive now: tensors, bytes, and the CUDA allocator.
import { native } from './native';

export interface MemoryReport {
  /** Tensor handles not yet disposed or collected. */
  tensors: number;
  /** Highest `tensors` seen in this process. */
  peakTensors: number;
  /** CPU bytes owned by live handles (as reported to V8 for GC pressure). */
  cpuBytes: number;
  /** CUDA caching allocator statistics of the current device, when CUDA is available. */
  cuda?: Record<string, number>;
}

/**
 * Live tensors and bytes, as a leak check: a training loop should keep `tensors` flat.
 * @example const before = torch.memory().tensors;
 */
export function memory(): MemoryReport {
  const report: MemoryReport = native.memoryCounters();
  if (native.cudaIsAvailable()) report.cuda = native.cudaMemoryStats();
  return report;
}
