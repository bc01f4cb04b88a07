// Times N training steps of one workload in one configuration on one device:
// images per second and TFLOP/s, the Node side of the GPU speed comparison
// (scripts/bench-gpu.ts) and of `selfsup bench`.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Method, TrainProgress } from '../ssl/method';
import { Optimizer, BaseOptions } from '../optim/optimizer';
import { StepEngine } from '../train/step-engine';
import { Workload, WorkloadName, Scale } from './workloads';
import { buildMethod, buildOptimizer, makeViews } from './workload-setup';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';

/**
 * How a step runs:
 * - 'eager': operator by operator, NCHW tensors;
 * - 'eager+channels-last': weights and views in channels-last (NHWC) layout (convolutional workloads);
 * - 'graph': the whole step (forward, backward, clipping, optimiser, EMA) captured once in a
 *   CUDA graph and replayed (ViT workloads);
 * - 'graph+channels-last': both (convolutional workloads).
 * On CUDA the forward runs under bfloat16 autocast in every configuration; on the CPU in float32.
 */
export type BenchConfig = 'eager' | 'eager+channels-last' | 'graph' | 'graph+channels-last';

/** One timed configuration. */
export interface BenchResult {
  workload: WorkloadName;
  scale: Scale;
  config: BenchConfig;
  device: string;
  /** 'skipped' when the configuration cannot run here (`reason` says why). */
  status: 'ok' | 'skipped';
  reason?: string;
  /** Images per step (the batch size). */
  batch: number;
  steps: number;
  warmup: number;
  secondsPerStep?: number;
  imagesPerSecond?: number;
  /** FLOPs per step used for `tflops` (flops.ts convention), when given. */
  flopsPerStep?: number;
  tflops?: number;
  /** The loss of the last timed step, read after the clock stopped: a check that real work ran. */
  loss?: number;
}

/** Options of `runBench`. */
export interface RunOptions extends GivenOptions<typeof RUN_BENCH_OPTIONS.specs> {
  device: 'cpu' | 'cuda';
  /** Timed steps (>= 1). */
  steps: number;
  /** Untimed steps first (>= 1 for graph configurations: the optimiser state must exist before capture). */
  warmup: number;
  /** FLOPs per step (`workloadFlops(w).total`), for TFLOP/s. */
  flopsPerStep?: number;
}

/** `runBench`'s switches: defaults and checks. */
export const RUN_BENCH_OPTIONS = defineOptions({
  /**
   * Without CUDA, run the graph configurations as `GraphedStep`'s rehearsal
   * (the same warm-up, static inputs and `prepareStep` calls, each step run
   * eagerly with the capture rules checked) instead of skipping them: a test
   * of the graph path on the CPU, not a speed number. Default false.
   */
  rehearse: option(false, is.boolean),
});

/** `benchConfigs`'s switches: both kinds of configuration by default. */
export const BENCH_CONFIG_OPTIONS = defineOptions({
  /** Include the CUDA-graph configuration. Default true. */
  graph: option(true, is.boolean),
  /** Include the channels-last configurations (convolutional encoders only). Default true. */
  channelsLast: option(true, is.boolean),
});

/** What `benchPlan` fills in on each device: the scale and the step counts of `selfsup bench` and scripts/bench-gpu.ts. */
export const BENCH_PLAN_DEFAULTS = Object.freeze({
  cuda: Object.freeze({ scale: 'full', steps: 20, warmup: 5 } as const),
  cpu: Object.freeze({ scale: 'small', steps: 3, warmup: 1 } as const),
});

/**
 * The configurations that apply to `w`: eager, eager+channels-last and
 * graph+channels-last for convolutional encoders; eager and graph for ViTs.
 * `graph: false` or `channelsLast: false` leave those out.
 *
 * @example benchConfigs(workload('mae', 'small')) // ['eager', 'graph']
 */
export function benchConfigs(w: Workload, options: GivenOptions<typeof BENCH_CONFIG_OPTIONS.specs> = {}): BenchConfig[] {
  const o = BENCH_CONFIG_OPTIONS.resolve(options, (k) => `options.${k}`);
  const graph = o.graph;
  const channelsLast = o.channelsLast && w.convolutional;
  const out: BenchConfig[] = ['eager'];
  if (channelsLast) out.push('eager+channels-last');
  if (graph) out.push(channelsLast ? 'graph+channels-last' : 'graph');
  return out;
}

/** What a benchmark run uses: the device, the workload scale and the step counts. */
export interface BenchPlan {
  device: 'cpu' | 'cuda';
  scale: Scale;
  steps: number;
  warmup: number;
}

/**
 * `given` with the defaults of `selfsup bench` and scripts/bench-gpu.ts
 * filled in: CUDA when this libtorch sees a GPU, then the full scale and 20
 * timed steps after 5 warm-up steps on CUDA, the small scale and 3 after 1
 * on the CPU.
 *
 * @example benchPlan({ device: 'cpu' }) // { device: 'cpu', scale: 'small', steps: 3, warmup: 1 }
 */
export function benchPlan(given: { device?: 'cpu' | 'cuda'; scale?: Scale | 'auto'; steps?: number; warmup?: number }): BenchPlan {
  const device = given.device ?? (torch.cuda.isAvailable() ? 'cuda' : 'cpu');
  const defaults = BENCH_PLAN_DEFAULTS[device];
  return {
    device,
    scale: given.scale === undefined || given.scale === 'auto' ? defaults.scale : given.scale,
    steps: given.steps ?? defaults.steps,
    warmup: given.warmup ?? defaults.warmup,
  };
}

/**
 * Why `config` cannot run on `device`, or undefined when it can.
 * @example skipReason('graph', 'cpu') // 'CUDA graphs need a CUDA device (running on cpu)'
 */
export function skipReason(config: BenchConfig, device: 'cpu' | 'cuda', rehearse = false): string | undefined {
  if (config.startsWith('graph') && device !== 'cuda' && !rehearse) return `CUDA graphs need a CUDA device (running on ${device})`;
  return undefined;
}

/** A step far from the ends of every schedule; `step` advances so EMA momenta follow their schedule. */
export const progressAt = (step: number): TrainProgress => ({ step, totalSteps: 1_000_000, epoch: 0, stepsPerEpoch: 1_000_000 });

/** Waits for the device so that the clock measures finished work. */
function sync(device: 'cpu' | 'cuda'): void {
  if (device === 'cuda') torch.cuda.synchronize();
}

/**
 * Runs `warmup` untimed then `steps` timed training steps of `w` in `config`
 * on `device` and returns images per second (batch / seconds per step) and
 * TFLOP/s. The method, optimiser and views are built fresh (seed 0) and freed
 * afterwards. A configuration that cannot run here comes back 'skipped' with
 * the reason; it never throws for that. No value is read back inside the
 * timed loop; on CUDA the device is synchronised before each clock reading.
 *
 * @example
 * const r = runBench(workload('simclr', 'small'), 'eager', { device: 'cpu', steps: 2, warmup: 1 });
 * r.imagesPerSecond; // e.g. 20
 */
export function runBench(w: Workload, config: BenchConfig, options: RunOptions): BenchResult {
  const { device } = options;
  const steps = Math.trunc(options.steps);
  const warmup = Math.trunc(options.warmup);
  if (!(steps >= 1)) throw new RangeError(`Expected an integer >= 1 for steps but received ${options.steps}`);
  if (!(warmup >= 0)) throw new RangeError(`Expected an integer >= 0 for warmup but received ${options.warmup}`);
  const base: BenchResult = { workload: w.name, scale: w.scale, config, device, status: 'ok', batch: w.batch, steps,
    warmup, flopsPerStep: options.flopsPerStep };
  const reason = skipReason(config, device, RUN_BENCH_OPTIONS.resolve(options, (k) => `options.${k}`).rehearse);
  if (reason !== undefined) return { ...base, status: 'skipped', reason };
  if (device === 'cuda' && !torch.cuda.isAvailable()) {
    throw new Error('Expected a CUDA device for --device cuda but this libtorch sees none (selfsup info shows why)');
  }
  const channelsLast = config.endsWith('channels-last');
  torch.manualSeed(0);
  const method: Method = buildMethod(w);
  method.to(channelsLast ? { device, memoryFormat: 'channels_last' } : { device });
  const graph = config.startsWith('graph');
  // As the Trainer: a graphed step reads the learning rate and weight decay from device scalars.
  const optimizer: Optimizer<BaseOptions> = buildOptimizer(method, w, device, { capturable: graph });
  const views = makeViews(w, device, channelsLast);
  // The Trainer's step engine; the views are already channels-last where asked.
  const engine = new StepEngine(method, {
    optimizer, device, bf16: device === 'cuda', clipGrad: w.optimizer.clipGrad, channelsLast: false, embStd: false,
    graph: graph ? { warmupSteps: Math.max(1, warmup), mode: device === 'cuda' ? 'cuda' : 'rehearse' } : undefined,
  });
  let step = 0;
  // One training step as the Trainer takes it; the loss stays on the device.
  const run = (): Tensor => {
    const progress = progressAt(step++);
    if (!engine.isGraphed) return torch.scope(() => engine.stepTensors(views, progress).loss);
    return engine.stepTensors(views, progress).loss;
  };
  // Eager losses are ours to free; a GraphedStep owns its outputs.
  const owned = !engine.isGraphed;
  let last: Tensor | undefined;
  try {
    // A graphed step warms up eagerly, then captures on its next run: both before the clock starts.
    const untimed = owned ? warmup : Math.max(1, warmup) + 1;
    for (let i = 0; i < untimed; i++) {
      const loss = run();
      if (owned) loss.dispose();
    }
    sync(device);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < steps; i++) {
      if (owned) last?.dispose();
      last = run();
    }
    sync(device);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9 / steps;
    const final = last!;
    const loss = torch.scope(() => Number(final.float().item()));
    return {
      ...base, secondsPerStep: seconds, imagesPerSecond: w.batch / seconds, loss,
      tflops: options.flopsPerStep === undefined ? undefined : options.flopsPerStep / seconds / 1e12,
    };
  } finally {
    if (owned) last?.dispose();
    engine.dispose();
    views.forEach((v) => v.dispose());
    method.dispose();
    releaseCache(device);
  }
}

/**
 * Returns the allocator's cached blocks to the driver once a configuration's
 * tensors are freed: the next configuration (and a CUDA graph's private pool,
 * which cannot reuse blocks cached for the ordinary pool) starts from the
 * same reserved memory. All four workloads ran out of memory in one process
 * without it.
 */
function releaseCache(device: 'cpu' | 'cuda'): void {
  if (device !== 'cuda') return;
  torch.cuda.synchronize();
  torch.cuda.emptyCache();
}

/**
 * The CUDA caching allocator's reserved bytes now (0 without CUDA): what
 * scripts/bench-gpu.ts compares before and after each workload.
 * @example const start = reservedBytes('cuda');
 */
export function reservedBytes(device: 'cpu' | 'cuda'): number {
  if (device !== 'cuda') return 0;
  return torch.cuda.memoryStats().reservedBytes ?? 0;
}

/**
 * Starts the CUDA caching allocator's peak counters again (nothing without
 * CUDA), so that `peakReservedBytes` reads the peak of what runs after.
 * @example resetPeakReserved('cuda'); runBench(...); peakReservedBytes('cuda');
 */
export function resetPeakReserved(device: 'cpu' | 'cuda'): void {
  if (device === 'cuda') torch.cuda.resetPeakMemoryStats();
}

/** The CUDA caching allocator's peak reserved bytes since `resetPeakReserved` (0 without CUDA). @example peakReservedBytes('cuda') */
export function peakReservedBytes(device: 'cpu' | 'cuda'): number {
  if (device !== 'cuda') return 0;
  return torch.cuda.memoryStats().peakReservedBytes ?? 0;
}
