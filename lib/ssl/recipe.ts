// A method's optimisation recipe (its paper's optimizer, learning rate and
// schedule: the Trainer's defaults) and the overrides a user gives on top.
import { checkOptionKeys } from '../torch/option-table';

/** The optimisation recipe of a method's paper; the Trainer's defaults. Every field can be overridden. */
export interface OptimizerRecipe {
  optimizer: 'sgd' | 'lars' | 'adamw' | 'lamb';
  /**
   * Base learning rate. With `lrScaling: 'linear'` the rate used is
   * `lr * batchSize / 256`; with 'sqrt' it is `lr * sqrt(batchSize)` (SimCLR's
   * LARS rule, 0.075 * sqrt(B)); with 'none' it is used as given.
   */
  lr: number;
  lrScaling: 'linear' | 'sqrt' | 'none';
  /** The final learning rate of the cosine, as a fraction of the peak (default 0). */
  finalLrRatio?: number;
  /** Weight decay at the start of training. */
  weightDecay: number;
  /** Weight decay at the end (cosine from `weightDecay`); omitted = constant. DINO: 0.04 -> 0.4. */
  weightDecayEnd?: number;
  /** SGD/LARS momentum (default 0.9). */
  momentum?: number;
  /** AdamW betas (default [0.9, 0.999]; MAE uses [0.9, 0.95]). */
  betas?: [number, number];
  /** Epochs of linear learning-rate warmup (fraction allowed). */
  warmupEpochs: number;
  /** Clip the global gradient norm to this value (DINO: 3.0); omitted = no clipping. */
  clipGrad?: number;
}

const RECIPE_KEYS: readonly (keyof OptimizerRecipe)[] = [
  'optimizer', 'lr', 'lrScaling', 'finalLrRatio', 'weightDecay', 'weightDecayEnd', 'momentum', 'betas',
  'warmupEpochs', 'clipGrad',
];

/**
 * The paper's recipe with the user's overrides on top; an override with an
 * unknown field throws (the Trainer validates the values themselves).
 *
 * @example resolveRecipe(SIMCLR_RECIPE, { lr: 0.5 }, 'SimCLR'); // { ...SIMCLR_RECIPE, lr: 0.5 }
 */
export function resolveRecipe(
  defaults: OptimizerRecipe, overrides: Partial<OptimizerRecipe> | undefined, method: string,
): OptimizerRecipe {
  if (overrides === undefined) return { ...defaults };
  checkOptionKeys(overrides, RECIPE_KEYS, `${method} option recipe`);
  const out: OptimizerRecipe = { ...defaults };
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}
