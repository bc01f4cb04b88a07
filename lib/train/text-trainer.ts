// A short training loop for the text and image-text methods (BERT, ALBERT,
// CLIP), whose batches are not image views: AdamW or LAMB (the recipe's, or
// `options.optimizer`) over the method's parameter groups, linear warmup then cosine decay, gradient clipping, each
// step inside one memory scope, the loss parts logged every few steps.
// A run can stop after any step (Ctrl-C) and continue from a checkpoint
// (`resume`) with the same losses: the schedule is a function of the step,
// and the caller's checkpoint holds the optimizer, the generators and the data.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { checkInt, checkNumber, checkOneOf } from '../torch/arguments';
import { AdamW } from '../optim/adamw';
import { LAMB } from '../optim/lamb';
import { clipGradNorm_ } from '../optim/clip';
import { BaseOptions, Optimizer, OptimizerStateDict, ParamGroup } from '../optim/optimizer';
import { cosineSchedule } from '../optim/schedule';
import { OptimizerRecipe } from '../ssl/method';
import { defineOptions, GivenOptions, is, option, optionsKey } from '../torch/option-table';
import { RECIPE_FALLBACKS } from './optimizer-setup';

/** What `trainSteps` needs of a method. */
export interface StepMethod<B> {
  readonly recipe: OptimizerRecipe;
  trainingStep(batch: B): { loss: Tensor; logs: Record<string, Tensor> };
  parameterGroups(weightDecay: number): ParamGroup[];
  parameters(): Tensor[];
  train(mode?: boolean): unknown;
  /** After the optimizer step (CLIP clamps its temperature). */
  afterOptimizerStep?(): void;
}

/**
 * `trainSteps`'s defaults and checks. `clipGrad` is layered: the option, else
 * the recipe's, else this default; lr, optimizer, weightDecay and warmupSteps
 * come from the recipe or the step count, so they are not here.
 */
export const TRAIN_STEPS_OPTIONS = defineOptions({
  /** Clip the gradient norm to this; 0 = off. Default: the recipe's clipGrad, else 0. */
  clipGrad: option(0, is.number(0)),
  /** Log a line every this many steps (and at the last). Default 50. */
  logEvery: option(50, is.int(1)),
  /** Calls `onCheckpoint` after every this many steps (0: never). Default 0. */
  checkpointEvery: option(0, is.int(0)),
});

/** Options of `trainSteps` (clipGrad, logEvery, checkpointEvery: TRAIN_STEPS_OPTIONS). */
export interface TrainStepsOptions extends GivenOptions<typeof TRAIN_STEPS_OPTIONS.specs> {
  /** Optimizer steps. */
  steps: number;
  /** 'adamw' or 'lamb'. Default: the method's recipe (ALBERT's is LAMB, as the paper). */
  optimizer?: TextOptimizer;
  /** Peak learning rate. Default: the method's recipe. */
  lr?: number;
  /** Default: the recipe's. */
  weightDecay?: number;
  /** Steps of linear warmup. Default: 10% of steps. */
  warmupSteps?: number;
  /** Receives the log lines. Default: nothing. */
  log?: (line: string) => void;
  /** Saves a checkpoint (every `checkpointEvery` steps, and when stopped early); see lib/train/text-checkpoint.ts. */
  onCheckpoint?: (progress: StepsProgress) => void;
  /** Checked after each step: true stops the loop there, after `onCheckpoint` (Ctrl-C). */
  stopRequested?: () => boolean;
  /** Continue a run from a checkpoint's record and optimizer state (the weights, generators and data are the caller's). */
  resume?: { progress: Omit<StepsProgress, 'optimizer'>; optimizer: OptimizerStateDict };
}

/** Where a run stands after `step` steps: what a checkpoint stores besides weights, generators and data. */
export interface StepsProgress {
  /** Optimizer steps completed. */
  step: number;
  /** The loss of every step so far. */
  losses: number[];
  history: TrainStepsResult['history'];
  /** The logged parts of the steps since the last log line. */
  window: Record<string, number[]>;
  /** Seconds of training so far, across resumes. */
  seconds: number;
  optimizer: Optimizer<BaseOptions>;
}

/** The optimisers of the text loop. */
export type TextOptimizer = 'adamw' | 'lamb';

/** What `trainSteps` returns. */
export interface TrainStepsResult {
  /** The loss of every step. */
  losses: number[];
  /** The logged parts, averaged over each logging window. */
  history: { step: number; loss: number; [name: string]: number }[];
  seconds: number;
  /** The optimiser that ran. */
  optimizer: TextOptimizer;
  /** Steps completed (fewer than `steps` when stopped). */
  steps: number;
  /** Whether `stopRequested` ended the run early. */
  interrupted: boolean;
}

/**
 * The text loop's optimiser over `groups`: AdamW or LAMB with the recipe's betas.
 * @example const opt = textOptimizer('lamb', method.parameterGroups(0.01), 1.76e-3, [0.9, 0.999]);
 */
export function textOptimizer(kind: TextOptimizer, groups: ParamGroup[], lr: number, betas?: [number, number]): Optimizer<BaseOptions> {
  checkOneOf(kind, ['adamw', 'lamb'], 'optimizer (text methods)');
  return kind === 'lamb'
    ? new LAMB(groups, { lr, betas }) as unknown as Optimizer<BaseOptions>
    : new AdamW(groups, { lr, betas }) as unknown as Optimizer<BaseOptions>;
}

/**
 * Trains `method` for `steps` steps on `nextBatch(step)`.
 * @example
 * const result = trainSteps(method, (s) => batches[s % batches.length], { steps: 200, log: console.log });
 */
export function trainSteps<B>(method: StepMethod<B>, nextBatch: (step: number) => B, options: TrainStepsOptions): TrainStepsResult {
  const steps = checkInt(options.steps, 'options.steps', 1);
  const r = method.recipe;
  const lr = checkNumber(options.lr ?? r.lr, 'options.lr', 0);
  const { clipGrad: clip, logEvery, checkpointEvery } = TRAIN_STEPS_OPTIONS.resolve(
    { ...options, clipGrad: options.clipGrad ?? r.clipGrad }, optionsKey);
  const { finalLrRatio } = RECIPE_FALLBACKS.resolve(r, (k) => `optimizer.${k}`);
  const warmupSteps = checkInt(options.warmupSteps ?? Math.floor(steps / 10), 'options.warmupSteps', 0);
  const saved = options.resume?.progress;
  const first = saved?.step ?? 0;
  if (first > steps) throw new RangeError(`Cannot resume after step ${first}: the run has only ${steps} steps`);
  const kind = (options.optimizer ?? r.optimizer) as TextOptimizer;
  const opt = textOptimizer(kind, method.parameterGroups(options.weightDecay ?? r.weightDecay), lr, r.betas);
  const schedule = cosineSchedule({ base: lr, final: lr * finalLrRatio, totalSteps: steps, warmupSteps });
  const params = method.parameters().filter((p) => p.requiresGrad);
  const result: TrainStepsResult = { losses: [...(saved?.losses ?? [])], history: [...(saved?.history ?? [])], seconds: 0,
    optimizer: kind, steps: first, interrupted: false };
  let window: Record<string, number[]> = structuredClone(saved?.window ?? {});
  const before = saved?.seconds ?? 0;
  const start = Date.now();
  const progress = (step: number): StepsProgress => ({ step, losses: result.losses, history: result.history, window,
    seconds: before + (Date.now() - start) / 1000, optimizer: opt });
  method.train(true);
  try {
    if (options.resume !== undefined) opt.loadStateDict(options.resume.optimizer);
    for (let step = first; step < steps; step++) {
      for (const g of opt.paramGroups) g.lr = schedule(step);
      const parts = torch.scope(() => {
        opt.zeroGrad();
        const { loss, logs } = method.trainingStep(nextBatch(step));
        loss.backward();
        if (clip > 0) clipGradNorm_(params, clip);
        opt.step();
        method.afterOptimizerStep?.();
        const out: Record<string, number> = { loss: Number(loss.item()) };
        for (const [k, v] of Object.entries(logs)) out[k] = Number(v.item());
        return out;
      });
      if (!Number.isFinite(parts.loss)) {
        throw new Error(`Loss is ${parts.loss} at step ${step}: training diverged; lower the learning rate (now ${schedule(step).toPrecision(3)})`);
      }
      result.losses.push(parts.loss);
      result.steps = step + 1;
      for (const [k, v] of Object.entries(parts)) (window[k] ??= []).push(v);
      if ((step + 1) % logEvery === 0 || step === steps - 1) {
        const mean = Object.fromEntries(Object.entries(window).map(([k, v]) => [k, v.reduce((a, b) => a + b, 0) / v.length]));
        result.history.push({ step: step + 1, ...mean } as TrainStepsResult['history'][number]);
        const secs = before + (Date.now() - start) / 1000;
        options.log?.(`step ${step + 1}/${steps}  ${Object.entries(mean).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ')}  ` +
          `lr ${schedule(step).toExponential(2)}  ${secs.toFixed(0)} s`);
        window = {};
      }
      const stop = step + 1 < steps && (options.stopRequested?.() ?? false);
      if (stop || (checkpointEvery > 0 && (step + 1) % checkpointEvery === 0)) options.onCheckpoint?.(progress(step + 1));
      if (stop) {
        result.interrupted = true;
        break;
      }
    }
  } finally {
    opt.dispose();
  }
  result.seconds = before + (Date.now() - start) / 1000;
  return result;
}
