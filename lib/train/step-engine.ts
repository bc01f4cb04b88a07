// The step engine: a method, its optimizer and the step settings, run one
// step at a time eagerly or as a CUDA graph. The Trainer and the benchmark
// runner (lib/bench/runner.ts) both step through it, so the two cannot drift
// apart in what a step does or in which order.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Method, TrainProgress } from '../ssl/method';
import { Encoder } from '../models/encoder';
import { Optimizer, BaseOptions } from '../optim/optimizer';
import { GradSync, StepTensors, optimizationStep, prepareStep } from './optimization-step';
import { GraphedStep } from './graphed-step';

/** How a `StepEngine` steps. */
export interface StepEngineOptions {
  optimizer: Optimizer<BaseOptions>;
  device: torch.Device;
  /** Run the forward pass under bfloat16 autocast. */
  bf16: boolean;
  /** Clip the global gradient norm to this (omitted or 0: no clipping). */
  clipGrad?: number;
  /** Convert 4-D views to channels-last before the step (the method's weights must be channels-last too). */
  channelsLast: boolean;
  /** Capture the step into a CUDA graph ('cuda'), rehearse the graph path eagerly ('rehearse'), or neither. */
  graph?: { mode: 'cuda' | 'rehearse'; warmupSteps?: number };
  /**
   * Compute the embedding spread (the collapse monitor) when logs are read,
   * and in every graphed step (default true; the benchmarks say false, as the
   * PyTorch reference step they are compared with has none).
   */
  embStd?: boolean;
  /** Average the gradients over data-parallel ranks in backward (eager steps only). */
  gradSync?: GradSync;
}

/** What a step is asked to read back to the host (and what its NaN message names). */
export interface StepRequest {
  /** Read the loss (on the eager path: before backward, so that a NaN stops the run before the weights change). */
  readLoss: boolean;
  /** Read the monitored scalars: the embedding spread and the method's logs. */
  readLogs: boolean;
  /** The step's learning rate, for the message when the loss is not finite. */
  lr?: number;
}

/** A step's host-side results. */
export interface StepReads {
  /** The loss (NaN when not read). */
  loss: number;
  /** The embedding spread (null when not read or when the method has no embedding). */
  embStd: number | null;
  logs?: Record<string, number>;
}

/**
 * The channels-last choice for an encoder on `device`: channels-last on CUDA
 * unless the encoder says it does not profit from it (`prefersChannelsLast`
 * false: a ViT, whose only convolution is the patch embedding).
 *
 * @example autoChannelsLast(method.encoder, 'cuda') // true for a ResNet
 */
export function autoChannelsLast(encoder: Encoder, device: torch.Device): boolean {
  return device !== 'cpu' && encoder.prefersChannelsLast !== false;
}

/**
 * Steps a method: `prepareStep` (when graphed) -> the optimisation step
 * (eagerly, or captured once and replayed) -> the host reads that were asked.
 *
 * @example
 * const engine = new StepEngine(method, { optimizer, device: 'cpu', bf16: false, channelsLast: false });
 * const reads = torch.scope(() => engine.step(views, progress, { readLoss: true, readLogs: false }));
 * engine.dispose();
 */
export class StepEngine {
  private readonly graphed: GraphedStep<Record<string, Tensor>> | undefined;
  private readonly params: Tensor[];
  // The progress of the step being taken, for the graphed body (warm-up steps
  // run it eagerly; a replay runs what the capture step recorded).
  private current: TrainProgress | undefined;
  // Logs a method returns as plain numbers cannot live in a graph's outputs;
  // the body records them here when it runs.
  private numberLogs: Record<string, number> | undefined;

  constructor(readonly method: Method, readonly options: StepEngineOptions) {
    this.params = options.optimizer.paramGroups.flatMap((g) => g.params);
    const graph = options.graph;
    if (graph !== undefined && options.gradSync !== undefined) {
      throw new Error('StepEngine: a data-parallel step (gradSync) cannot be captured into a CUDA graph (its collectives ' +
        'block on the host): use graph undefined');
    }
    this.graphed = graph === undefined ? undefined
      : new GraphedStep((views) => this.graphBody(views), { mode: graph.mode, warmupSteps: graph.warmupSteps });
  }

  /** Whether steps run through a CUDA graph (or its rehearsal). */
  get isGraphed(): boolean {
    return this.graphed !== undefined;
  }

  /**
   * Runs one step and returns its tensors on the device: the loss, the
   * embedding spread and the logs (with `readLogs`). Eager results belong to
   * the caller's scope; a graphed step's belong to the engine (valid until the
   * next step). `request.readLoss` on the eager path reads the loss before
   * backward and throws there when it is not finite.
   */
  stepTensors(views: Tensor[], progress: TrainProgress, request?: StepRequest): StepTensors & { hostLoss?: number } {
    const input = this.options.channelsLast ? views.map((v) => (v.dim() === 4 ? v.contiguous('channels_last') : v)) : views;
    if (this.graphed !== undefined) {
      prepareStep(this.method, this.options.optimizer, progress);
      this.current = progress;
      const out = this.graphed.run(input);
      const logs: Record<string, Tensor | number> = { ...this.numberLogs };
      for (const [k, v] of Object.entries(out)) if (k.startsWith('log.')) logs[k.slice(4)] = v;
      return { loss: out.loss, embStd: out.embStd, logs: Object.keys(logs).length > 0 ? logs : undefined };
    }
    let hostLoss: number | undefined;
    const settings = { ...this.settings(), embStd: request?.readLogs === true && this.options.embStd !== false };
    const r = optimizationStep(this.method, input, progress, settings, (out) => {
      if (request?.readLoss === true) hostLoss = checkLoss(out.loss, progress, request.lr);
    });
    return { ...r, hostLoss };
  }

  /**
   * Runs one step (inside the caller's scope) and reads back to the host what
   * `request` asks; nothing else is read, so a step need not wait for the device.
   *
   * @example const { loss } = torch.scope(() => engine.step(views, progress, { readLoss: true, readLogs: true }));
   */
  step(views: Tensor[], progress: TrainProgress, request: StepRequest): StepReads {
    const out = this.stepTensors(views, progress, request);
    const loss = !request.readLoss ? NaN : out.hostLoss ?? checkLoss(out.loss, progress, request.lr);
    if (!request.readLogs) return { loss, embStd: null };
    return { loss, embStd: out.embStd === undefined ? null : Number(out.embStd.item()), logs: readLogs(out.logs) };
  }

  /** Frees the graph, the gradients and the optimizer's state (the method's weights stay). */
  dispose(): void {
    this.graphed?.dispose();
    this.options.optimizer.zeroGrad();
    this.options.optimizer.dispose();
  }

  private settings(): Parameters<typeof optimizationStep>[3] {
    const o = this.options;
    return {
      optimizer: o.optimizer, bf16: o.bf16, deviceType: o.device === 'cpu' ? 'cpu' : 'cuda', clipGrad: o.clipGrad,
      params: this.params, embStd: o.embStd !== false, gradSync: o.gradSync,
    };
  }

  /** The captured body: tensors only, number logs set aside. */
  private graphBody(views: Tensor[]): Record<string, Tensor> {
    const r = optimizationStep(this.method, views, this.current!, this.settings());
    this.numberLogs = undefined;
    const out: Record<string, Tensor> = { loss: r.loss };
    if (r.embStd !== undefined) out.embStd = r.embStd;
    for (const [k, v] of Object.entries(r.logs ?? {})) {
      if (typeof v === 'number') (this.numberLogs ??= {})[k] = v;
      else out[`log.${k}`] = v.detach().float();
    }
    return out;
  }
}

/** The loss on the host; throws with advice when it is not finite. */
function checkLoss(t: Tensor, p: TrainProgress, lr: number | undefined): number {
  const loss = Number(t.item());
  if (!Number.isFinite(loss)) {
    const now = lr === undefined ? '' : `, now ${lr.toPrecision(3)}`;
    throw new Error(`Loss is ${loss} at step ${p.step} (epoch ${p.epoch}): training diverged. Lower the learning ` +
      `rate (--lr${now}), check the input normalisation (mean/std of the ` +
      'data), or enable gradient clipping (--clip-grad 3)');
  }
  return loss;
}

function readLogs(logs: StepTensors['logs']): Record<string, number> | undefined {
  if (logs === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(logs)) out[k] = typeof v === 'number' ? v : Number(v.detach().float().item());
  return out;
}
