// One eager training step of a workload under the operator profiler: what
// scripts/profile-step.ts compares with the PyTorch reference
// (scripts/profile_step.py). The step is the bench's (lib/bench/runner.ts):
// the Trainer's step engine on random views, constant learning rate, nothing
// read back.
import * as fs from 'node:fs';
import * as torch from '../torch';
import { ProfilerEvent, MemoryTotals, eventsFromColumns, mergeNestedDuplicates, EventColumns } from '../torch/profiler';
import { StepEngine } from '../train/step-engine';
import { Workload, WorkloadName } from './workloads';
import { buildMethod, buildOptimizer, makeViews } from './workload-setup';
import { progressAt } from './runner';

/** One side's profile of one step, and the host time of unprofiled steps. */
export interface StepProfile {
  side: 'node' | 'pytorch';
  workload: WorkloadName;
  device: 'cpu' | 'cuda';
  status: 'ok' | 'error';
  reason?: string;
  events: ProfilerEvent[];
  memory: MemoryTotals;
  /** Per unprofiled step: microseconds until the step returned to the caller (host time). */
  hostUs: number[];
  /** Per unprofiled step: microseconds until the device finished too (the same as hostUs on the CPU). */
  wallUs: number[];
  /**
   * Per unprofiled step: microseconds of CPU time the whole process used (user + system, all threads:
   * Node's `process.cpuUsage`, Python's `time.process_time`). On a shared machine the host time also
   * counts the time the process waited for a core; this does not.
   */
  cpuUs: number[];
  /**
   * Per unprofiled step: microseconds of CPU time of the thread that ran the step (Linux
   * `/proc/self/task/<tid>/schedstat` on both sides; empty elsewhere). `cpuUs` minus this is the work of
   * other threads: OpenMP's and BLAS's workers, the garbage collector.
   */
  mainCpuUs: number[];
  /**
   * Per unprofiled step: minor page faults of the process (getrusage's ru_minflt on both sides): memory the
   * kernel had to map in, e.g. after the C allocator gave a large block back to the system.
   */
  pageFaults: number[];
  /** PyTorch on CUDA: the synchronising CUDA calls torch.cuda.set_sync_debug_mode('warn') reported. */
  cudaSyncWarnings?: number | null;
}

/** Options of `profileNodeStep`. */
export interface ProfileStepOptions {
  device: 'cpu' | 'cuda';
  /** Unprofiled steps first (the optimiser state, autograd's buffers and cuDNN's choices exist by then). */
  warmup: number;
  /** Unprofiled, timed steps after the profiled one. */
  steps: number;
}

/**
 * Builds `w` (seed 0), runs `warmup` steps, profiles one step, then times
 * `steps` more, and frees everything.
 *
 * @example
 * const p = profileNodeStep(workload('mae', 'small'), { device: 'cpu', warmup: 1, steps: 3 });
 * p.events.filter((e) => e.name === 'aten::addmm').length;
 */
export function profileNodeStep(w: Workload, o: ProfileStepOptions): StepProfile {
  if (!(Number.isInteger(o.warmup) && o.warmup >= 1)) throw new RangeError(`Expected an integer >= 1 for warmup but received ${o.warmup}`);
  if (!(Number.isInteger(o.steps) && o.steps >= 1)) throw new RangeError(`Expected an integer >= 1 for steps but received ${o.steps}`);
  torch.manualSeed(0);
  const method = buildMethod(w);
  method.to({ device: o.device });
  const optimizer = buildOptimizer(method, w, o.device);
  const views = makeViews(w, o.device);
  const engine = new StepEngine(method, {
    optimizer, device: o.device, bf16: o.device === 'cuda', clipGrad: w.optimizer.clipGrad, channelsLast: false, embStd: false,
  });
  let n = 0;
  // As the bench's eager step: the loss stays on the device and is freed with the step's scope.
  const step = (): void => torch.scope(() => {
    engine.stepTensors(views, progressAt(n++));
  });
  const sync = (): void => {
    if (o.device === 'cuda') torch.cuda.synchronize();
  };
  try {
    for (let i = 0; i < o.warmup; i++) step();
    sync();
    const prof = torch.profiler.profile(step);
    const hostUs: number[] = [];
    const wallUs: number[] = [];
    const cpuUs: number[] = [];
    const mainCpuUs: number[] = [];
    const pageFaults: number[] = [];
    for (let i = 0; i < o.steps; i++) {
      sync();
      const f0 = process.resourceUsage().minorPageFault;
      const m0 = mainThreadCpuUs();
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      step();
      const t1 = process.hrtime.bigint();
      const c1 = process.cpuUsage(c0);
      const m1 = mainThreadCpuUs();
      const f1 = process.resourceUsage().minorPageFault;
      sync();
      hostUs.push(Number(t1 - t0) / 1e3);
      wallUs.push(Number(process.hrtime.bigint() - t0) / 1e3);
      cpuUs.push(c1.user + c1.system);
      if (m0 !== null && m1 !== null) mainCpuUs.push(m1 - m0);
      pageFaults.push(f1 - f0);
    }
    return { side: 'node', workload: w.name, device: o.device, status: 'ok', events: [...prof.events], memory: prof.memory,
      hostUs, wallUs, cpuUs, mainCpuUs, pageFaults };
  } finally {
    engine.dispose();
    views.forEach((v) => v.dispose());
    method.dispose();
    if (o.device === 'cuda') torch.cuda.emptyCache();
  }
}

/**
 * CPU time of this process's main thread so far, microseconds: the first field of
 * `/proc/self/task/<pid>/schedstat` (nanoseconds on a CPU, the scheduler's own count, as precise as
 * `process.cpuUsage`); null where there is no such file (not Linux). profile_step.py reads the same file
 * for its thread, so both sides' split between the calling thread and the others comes from one source.
 *
 * @example const t0 = mainThreadCpuUs(); work(); const used = mainThreadCpuUs()! - t0!;
 */
export function mainThreadCpuUs(): number | null {
  try {
    return Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e3;
  } catch {
    return null;
  }
}

/** What scripts/profile_step.py prints for one workload. */
export interface PythonStepProfile {
  kind: 'profile';
  workload: WorkloadName;
  device?: 'cpu' | 'cuda';
  status?: 'error';
  reason?: string;
  columns?: EventColumns & { memory: MemoryTotals };
  cudaSyncWarnings?: number | null;
  hostUs?: number[];
  wallUs?: number[];
  cpuUs?: number[];
  mainCpuUs?: number[];
  pageFaults?: number[];
}

/**
 * The PyTorch reference's profile of one workload as a `StepProfile`.
 * @example const py = fromPython(JSON.parse(line) as PythonStepProfile, 'cpu');
 */
export function fromPython(p: PythonStepProfile, device: 'cpu' | 'cuda'): StepProfile {
  const empty = { allocs: 0, allocBytes: 0, frees: 0, freeBytes: 0 };
  if (p.status === 'error' || p.columns === undefined) {
    return { side: 'pytorch', workload: p.workload, device, status: 'error', reason: p.reason ?? 'no events', events: [],
      memory: empty, hostUs: [], wallUs: [], cpuUs: [], mainCpuUs: [], pageFaults: [] };
  }
  return { side: 'pytorch', workload: p.workload, device, status: 'ok', events: mergeNestedDuplicates(eventsFromColumns(p.columns)),
    memory: p.columns.memory, hostUs: p.hostUs ?? [], wallUs: p.wallUs ?? [], cpuUs: p.cpuUs ?? [], mainCpuUs: p.mainCpuUs ?? [], pageFaults: p.pageFaults ?? [], cudaSyncWarnings: p.cudaSyncWarnings };
}
