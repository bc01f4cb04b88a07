// Checks of what a method is given, shared by the methods: unknown option keys
// (a typo must not silently fall back to a default), recipe overrides, views;
// and how a method's config() writes those options back.
import { Tensor } from '../torch';
import { describe, sameShape } from '../torch/arguments';
import { OptimizerRecipe } from './method';
import { EncoderSpec, encoderConfig } from './encoder-spec';

const RECIPE_KEYS: readonly (keyof OptimizerRecipe)[] = [
  'optimizer', 'lr', 'lrScaling', 'finalLrRatio', 'weightDecay', 'weightDecayEnd', 'momentum', 'betas',
  'warmupEpochs', 'clipGrad',
];

/**
 * Throws unless `options` is an object whose keys are all in `allowed`,
 * naming the unknown keys and listing the valid ones.
 *
 * @example checkOptionKeys(options, ['encoder', 'temperature'], 'SimCLR');
 */
export function checkOptionKeys(options: unknown, allowed: readonly string[], method: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`Expected an options object for ${method} but received ${describe(options)}`);
  }
  const unknown = Object.keys(options).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new TypeError(`Unknown option(s) ${unknown.map((k) => `'${k}'`).join(', ')} for ${method}; ` +
      `expected some of ${allowed.join(', ')}`);
  }
}

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

/**
 * The two views of a two-view method, checked: exactly two 4-D tensors of the
 * same shape (as the method's `augmentation` gives).
 *
 * @example const [x1, x2] = checkTwoViews(views, 'SimCLR');
 */
export function checkTwoViews(views: readonly Tensor[], method: string): [Tensor, Tensor] {
  if (!Array.isArray(views) || views.length !== 2 || !views.every((v) => v instanceof Tensor)) {
    const got = Array.isArray(views) ? `${views.length} item(s)` : describe(views);
    throw new TypeError(`${method} expects two views [x1, x2] (as its augmentation() gives) but received ${got}`);
  }
  const [x1, x2] = views;
  if (x1.dim() !== 4 || !sameShape(x1.shape, x2.shape)) {
    throw new RangeError(`${method} expects two (B, C, H, W) views of the same shape but received ` +
      `[${x1.shape.join(', ')}] and [${x2.shape.join(', ')}]`);
  }
  return [x1, x2];
}

/** The options every method takes: which encoder to train and overrides of the paper's recipe. */
export interface CommonMethodOptions {
  encoder: EncoderSpec;
  encoderOptions?: Record<string, unknown>;
  recipe?: Partial<OptimizerRecipe>;
}

/**
 * A method's `config()`: the encoder spec first (`encoder: 'custom'` for a
 * factory or instance, which JSON cannot hold), then the method's own
 * resolved options, then the recipe overrides when there are any, so that
 * `ssl.create(name, config)` rebuilds the method.
 *
 * @example methodConfig({ encoder: 'small_cnn' }, { temperature: 0.5 }); // { encoder: 'small_cnn', temperature: 0.5 }
 */
export function methodConfig(options: CommonMethodOptions, own: Record<string, unknown>): Record<string, unknown> {
  return {
    ...encoderConfig(options.encoder, options.encoderOptions),
    ...own,
    ...(options.recipe === undefined ? {} : { recipe: { ...options.recipe } }),
  };
}
