// The optimizer and its schedules from a method's recipe: learning-rate
// scaling with the batch size, warmup in epochs turned into steps, a cosine
// to `finalLrRatio`, and a cosine weight decay (DINO's 0.04 -> 0.4).
import { OptimizerRecipe, Method } from '../ssl/method';
import { Optimizer, BaseOptions, ParamGroup } from '../optim/optimizer';
import { SGD } from '../optim/sgd';
import { AdamW } from '../optim/adamw';
import { LARS } from '../optim/lars';
import { LAMB } from '../optim/lamb';
import { OptionScheduler } from '../optim/option-scheduler';
import { hasOp } from '../torch/foreach';
import { cosineSchedule } from '../optim/schedule';
import { checkNumber, checkOneOf } from '../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';

/** What an OptimizerRecipe's optional fields mean when left out (lib/ssl/recipe.ts documents them). */
export const RECIPE_FALLBACKS = defineOptions({
  /** SGD/LARS momentum. Default 0.9. */
  momentum: option(0.9, is.number(0)),
  /** AdamW/LAMB betas. Default [0.9, 0.999] (PyTorch's). */
  betas: option<[number, number]>([0.9, 0.999], (v, what) => {
    if (!Array.isArray(v) || v.length !== 2 || !v.every((b) => typeof b === 'number')) {
      throw new TypeError(`Expected [beta1, beta2] for ${what} but received ${JSON.stringify(v)}`);
    }
    return [v[0], v[1]];
  }),
  /** The final learning rate of the cosine, as a fraction of the peak. Default 0. */
  finalLrRatio: option(0, is.number(0)),
});

/** `makeOptimizer`'s switches: defaults and checks. */
export const MAKE_OPTIMIZER_OPTIONS = defineOptions({
  /** Learning rate and weight decay as device scalars (a CUDA-graph step). Default false. */
  capturable: option(false, is.boolean),
  /** Use libtorch's fused kernel (AdamW, SGD) where this libtorch has it and the parameters are on CUDA. Default false. */
  fused: option(false, is.boolean),
});

/** Names a recipe field in messages. */
const recipeField = (k: string): string => `optimizer.${k}`;

/** What `setupOptimizer` built. */
export interface OptimizerSetup {
  optimizer: Optimizer<BaseOptions>;
  /** Sets each group's learning rate every step. */
  lrScheduler: OptionScheduler;
  /** Sets the decayed group's weight decay every step (only with `weightDecayEnd`). */
  wdScheduler?: OptionScheduler;
  /** The recipe after overrides. */
  recipe: OptimizerRecipe;
  /** The peak learning rate after scaling. */
  peakLr: number;
  warmupSteps: number;
  /**
   * Set when the recipe's warm-up was not shorter than the run and was cut:
   * the steps it asked for (the Trainer prints a warning naming both).
   */
  warmupCutFrom?: number;
}

/**
 * What a warm-up that is not shorter than the run is cut to, as a fraction of
 * the run: a tenth, the ratio of the SimCLR and DINO recipes (10 of 100
 * epochs), so the learning rate reaches its peak and the cosine still has
 * most of the run to decay over.
 */
export const WARMUP_CUT_FRACTION = 0.1;

/**
 * The recipe with `overrides` applied field by field, checked.
 * @example mergeRecipe(method.recipe, { optimizer: 'adamw', lr: 1e-3 })
 */
export function mergeRecipe(recipe: OptimizerRecipe, overrides: Partial<OptimizerRecipe> = {}): OptimizerRecipe {
  const merged: OptimizerRecipe = { ...recipe };
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (merged as unknown as Record<string, unknown>)[k] = v;
  }
  checkOneOf(merged.optimizer, ['sgd', 'lars', 'adamw', 'lamb'], 'optimizer.optimizer');
  checkOneOf(merged.lrScaling, ['linear', 'sqrt', 'none'], 'optimizer.lrScaling');
  checkNumber(merged.lr, 'optimizer.lr', 0);
  checkNumber(merged.weightDecay, 'optimizer.weightDecay', 0);
  checkNumber(merged.warmupEpochs, 'optimizer.warmupEpochs', 0);
  if (merged.finalLrRatio !== undefined) checkNumber(merged.finalLrRatio, 'optimizer.finalLrRatio', 0);
  if (merged.weightDecayEnd !== undefined) checkNumber(merged.weightDecayEnd, 'optimizer.weightDecayEnd', 0);
  if (merged.clipGrad !== undefined) checkNumber(merged.clipGrad, 'optimizer.clipGrad', 0);
  return merged;
}

/**
 * The peak learning rate: `lr * batchSize / 256` ('linear', Goyal et al.),
 * `lr * sqrt(batchSize)` ('sqrt', SimCLR's LARS rule) or `lr` ('none').
 * @example scaledLr({ ...recipe, lr: 0.3, lrScaling: 'linear' }, 512) // 0.6
 */
export function scaledLr(recipe: OptimizerRecipe, batchSize: number): number {
  if (recipe.lrScaling === 'linear') return (recipe.lr * batchSize) / 256;
  if (recipe.lrScaling === 'sqrt') return recipe.lr * Math.sqrt(batchSize);
  return recipe.lr;
}

/**
 * The optimizer `recipe` names over `groups` (AdamW, LAMB, LARS or SGD with the
 * recipe's weight decay, momentum and betas) at learning rate `lr`.
 * `capturable` reads lr and weight decay from device scalars (a CUDA-graph
 * step); `fused` uses libtorch's fused kernel where this libtorch has it: with
 * `capturable`, its tensor-lr overload (libtorch >= 2.2 for AdamW), and for
 * SGD not under a scheduled weight decay (the kernel takes it as a number).
 *
 * @example const opt = makeOptimizer(method.recipe, method.parameterGroups(0.05), { lr: 1e-3, fused: true });
 */
export function makeOptimizer(
  recipe: Pick<OptimizerRecipe, 'optimizer' | 'weightDecay' | 'weightDecayEnd' | 'momentum' | 'betas'>, groups: ParamGroup[],
  options: GivenOptions<typeof MAKE_OPTIMIZER_OPTIONS.specs> & { lr: number },
): Optimizer<BaseOptions> {
  const { capturable, fused: useFused } = MAKE_OPTIMIZER_OPTIONS.resolve(options, (k) => `options.${k}`);
  const { momentum, betas } = RECIPE_FALLBACKS.resolve(recipe, recipeField);
  const base = { lr: options.lr, weightDecay: recipe.weightDecay, capturable };
  const fused = (op: string): boolean => useFused && hasOp(capturable ? `${op}.tensor_lr` : op);
  if (recipe.optimizer === 'adamw') {
    return new AdamW(groups, { ...base, betas, fused: fused('aten::_fused_adamw_') }) as
      unknown as Optimizer<BaseOptions>;
  }
  if (recipe.optimizer === 'lamb') {
    return new LAMB(groups, { ...base, betas }) as unknown as Optimizer<BaseOptions>;
  }
  if (recipe.optimizer === 'lars') return new LARS(groups, { ...base, momentum }) as unknown as Optimizer<BaseOptions>;
  const fusedSgd = fused('aten::_fused_sgd_') && !(capturable && recipe.weightDecayEnd !== undefined);
  return new SGD(groups, { ...base, momentum, fused: fusedSgd }) as unknown as Optimizer<BaseOptions>;
}

/**
 * Builds the optimizer over `method.parameterGroups(weightDecay)` and the
 * per-step schedules for a run of `totalSteps` steps.
 *
 * @example
 * const { optimizer, lrScheduler } = setupOptimizer(method, { batchSize: 256, stepsPerEpoch: 234, totalSteps: 2340 });
 */
export function setupOptimizer(method: Method, options: GivenOptions<typeof MAKE_OPTIMIZER_OPTIONS.specs> & {
  batchSize: number; stepsPerEpoch: number; totalSteps: number; overrides?: Partial<OptimizerRecipe>; lr?: number;
}): OptimizerSetup {
  const recipe = mergeRecipe(method.recipe, options.overrides);
  const peakLr = options.lr ?? scaledLr(recipe, options.batchSize);
  const { totalSteps } = options;
  // NOTE: fractional warmup epochs round to whole steps. A warmup as long as the
  // run or longer (MAE's 40 epochs in a 10-epoch run, a 1-epoch smoke test of a
  // 10-epoch recipe) would never reach the peak: it is cut to a tenth of the run.
  const asked = Math.round(recipe.warmupEpochs * options.stepsPerEpoch);
  const cut = asked > 0 && asked >= totalSteps;
  const warmupSteps = cut ? Math.round(totalSteps * WARMUP_CUT_FRACTION) : asked;
  const groups = method.parameterGroups(recipe.weightDecay).filter((g) => g.params.length > 0);
  if (groups.length === 0) {
    throw new RangeError(`Method '${method.name}' has no parameters that require grad: nothing to train`);
  }
  const optimizer = makeOptimizer(recipe, groups, { lr: peakLr, capturable: options.capturable, fused: options.fused });
  const lrScheduler = new OptionScheduler(optimizer, cosineSchedule({
    base: peakLr, final: peakLr * RECIPE_FALLBACKS.resolve(recipe, recipeField).finalLrRatio, totalSteps, warmupSteps,
  }));
  // NOTE: the decayed groups are those the method decays at a non-zero weight decay, not those whose decay is
  // non-zero now: a schedule that starts at 0 would otherwise find every group at 0 and decay none.
  const applies = recipe.weightDecayEnd === undefined ? undefined
    : method.parameterGroups(1).filter((g) => g.params.length > 0).map((g) => (g.weightDecay ?? 1) !== 0);
  const wdScheduler = recipe.weightDecayEnd === undefined ? undefined : new OptionScheduler(optimizer,
    cosineSchedule({ base: recipe.weightDecay, final: recipe.weightDecayEnd, totalSteps }), { option: 'weightDecay', applies });
  return { optimizer, lrScheduler, wdScheduler, recipe, peakLr, warmupSteps, ...(cut ? { warmupCutFrom: asked } : {}) };
}
