// Checks of what a method is given, shared by the methods: unknown option keys
// (a typo must not silently fall back to a default), recipe overrides, views;
// the options type a method's option table gives, and how config() writes them back.
import { Tensor } from '../torch';
import { describe, sameShape } from '../torch/arguments';
import { checkOptionKeys, GivenOptions } from '../torch/option-table';
import { OptimizerRecipe, resolveRecipe } from './recipe';
import { EncoderSpec, encoderConfig } from './encoder-spec';

export { checkOptionKeys, resolveRecipe };

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
export interface CommonMethodOptions<E = EncoderSpec> {
  /** A registry name ('resnet18', 'small_cnn', ...), a factory `() => Encoder`, or an Encoder instance (where the method takes one). */
  encoder: E;
  /** Options for `models.create` when `encoder` is a name (`numClasses` defaults to 0). */
  encoderOptions?: Record<string, unknown>;
  /** Overrides of the method's optimisation recipe (`<METHOD>_RECIPE`). */
  recipe?: Partial<OptimizerRecipe>;
}

/**
 * A method's options type, derived from its option table: the common ones
 * (`encoder`, `encoderOptions`, `recipe`) and its own, each optional.
 * `E` narrows the encoder spec (a method that builds two copies needs a name or a factory).
 *
 * @example export type SimCLROptions = MethodOptions<typeof SIMCLR_OPTIONS>;
 */
export type MethodOptions<T extends { readonly specs: object }, E = EncoderSpec> =
  CommonMethodOptions<E> & GivenOptions<T['specs']>;

/**
 * The keys a method accepts: the common ones around the table's, in the
 * order the unknown-key message lists them.
 * @example methodKeys(SIMCLR_OPTIONS); // ['encoder', 'encoderOptions', 'hiddenDim', ..., 'recipe']
 */
export function methodKeys(table: { readonly keys: readonly string[] }): string[] {
  return ['encoder', 'encoderOptions', ...table.keys, 'recipe'];
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
    ...(options.recipe !== undefined ? { recipe: { ...options.recipe } } : {}),
  };
}
