// One optimisation step of a self-supervised method, as device work only:
// the body the Trainer runs eagerly and captures into a CUDA graph, and the
// host part that must run before each step (schedule values into device scalars).
import * as torch from '../torch';
import { Tensor } from '../torch';
import { normalize } from '../nn/functional';
import { Method, StepOutput, TrainProgress } from '../ssl/method';
import { Optimizer, BaseOptions } from '../optim/optimizer';
import { clipGradNorm_ } from '../optim/clip';

/** How `optimizationStep` runs. */
export interface StepSettings {
  optimizer: Optimizer<BaseOptions>;
  /** Run the forward pass under bfloat16 autocast. */
  bf16: boolean;
  deviceType: 'cpu' | 'cuda';
  /** Clip the global gradient norm of `params` to this (omitted or 0: no clipping). */
  clipGrad?: number;
  /** The optimised parameters (for clipping). */
  params: Tensor[];
  /** Also return the embedding spread (the collapse monitor) as a 0-d tensor. */
  embStd: boolean;
  /** Data-parallel gradient averaging around the forward (the Trainer's `DataParallel`); omitted: one process. */
  gradSync?: GradSync;
}

/**
 * What a data-parallel step does around the forward: arm the gradient
 * all-reduce before it, and hand over its output after it, so that backward
 * averages the gradients over the ranks (c10d's Reducer: `prepare_for_forward`,
 * `prepare_for_backward`).
 */
export interface GradSync {
  beforeForward(): void;
  afterForward(out: StepOutput): void;
}

/** What a step leaves on the device: the loss and the monitored scalars, none read back. */
export interface StepTensors {
  loss: Tensor;
  /** Mean per-dimension std of the L2-normalised embeddings (with `embStd` and a method that returns an embedding). */
  embStd?: Tensor;
  /** The method's own scalars. */
  logs?: Record<string, Tensor | number>;
}

/**
 * zeroGrad -> `trainingStep` (under autocast when asked) -> backward ->
 * `beforeOptimizerStep` -> clipping -> `optimizer.step()` ->
 * `afterOptimizerStep`, without reading anything back to the host, so that
 * the same body runs eagerly or inside a CUDA graph capture. `afterForward`
 * sees the forward's output before backward (the Trainer's eager path reads
 * the loss there to stop on NaN before the weights change).
 *
 * @example
 * const { loss } = torch.scope(() => optimizationStep(method, views, progress, { optimizer, bf16: false,
 *   deviceType: 'cpu', params, embStd: false }));
 */
export function optimizationStep(method: Method, views: Tensor[], progress: TrainProgress, s: StepSettings,
  afterForward?: (out: StepOutput) => void): StepTensors {
  method.train();
  s.optimizer.zeroGrad();
  s.gradSync?.beforeForward();
  const out = s.bf16 ? torch.autocast(s.deviceType, 'bfloat16', () => method.trainingStep(views, progress))
    : method.trainingStep(views, progress);
  s.gradSync?.afterForward(out);
  afterForward?.(out);
  let embStd: Tensor | undefined;
  if (s.embStd && out.embedding !== undefined) {
    // NOTE: std over the batch of L2-normalised rows, averaged over the
    // dimensions: about 1/sqrt(D) when the embeddings spread, 0 when all
    // rows collapse to one point (SimSiam's collapse monitor).
    embStd = torch.noGrad(() => normalize(out.embedding!.detach().float(), { dim: 1 }).std(0).mean());
  }
  out.loss.backward();
  method.beforeOptimizerStep(progress);
  if (s.clipGrad !== undefined && s.clipGrad > 0) clipGradNorm_(s.params, s.clipGrad);
  s.optimizer.step();
  method.afterOptimizerStep(progress);
  const loss = out.loss.detach();
  return { loss, embStd, logs: out.logs };
}

/**
 * The host part of a step, run before it (and before every replay of a
 * captured step): the optimizer's scheduled learning rate and weight decay,
 * and the method's per-step values (EMA momentum, temperatures), written
 * into the device scalars the step reads.
 *
 * @example
 * prepareStep(method, optimizer, progress); graphed.run([view1, view2]);
 */
export function prepareStep(method: Method, optimizer: Optimizer<BaseOptions>, progress: TrainProgress): void {
  optimizer.prepareStep();
  method.prepareStep(progress);
}
