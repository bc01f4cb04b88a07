// Dropout: zeroing random elements (or whole channels) during training.
import { Tensor } from '../../torch/tensor';
import { op } from '../../torch/op';
import { checkTensor } from '../../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../../torch/option-table';

/** Options of the dropout functions, as PyTorch's keyword arguments. */
export interface DropoutOptions {
  /** Probability of zeroing an element. Default 0.5. */
  p?: number;
  /** Apply dropout; when false the input is returned unchanged. Default true. */
  training?: boolean;
  /** Modify the input in place and return it. Default false. */
  inplace?: boolean;
}

const ops = {
  dropout: op('dropout'), dropout_: op('dropout_'),
  featureDropout: op('feature_dropout'), featureDropout_: op('feature_dropout_'),
};

function probability(p: unknown): number {
  if (typeof p === 'number' && p >= 0 && p <= 1) return p;
  throw new RangeError(`Expected dropout probability p in [0, 1] but received ${String(p)}`);
}

// The defaults of DropoutOptions, as PyTorch's keyword arguments.
const DROPOUT_OPTIONS = defineOptions({
  p: option(0.5, probability), training: option(true, is.boolean), inplace: option(false, is.boolean),
});

/**
 * Zeroes each element with probability `p` and scales the rest by
 * `1 / (1 - p)`, as `torch.nn.functional.dropout`; the identity when
 * `training` is false. Defaults as PyTorch: p 0.5, training true, inplace false.
 *
 * @example
 * const y = F.dropout(x, { p: 0.1, training: model.training });
 */
export function dropout(input: Tensor, options: DropoutOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  const { p, training, inplace } = DROPOUT_OPTIONS.resolve(options, optionsKey);
  if (inplace) {
    ops.dropout_.raw(x._h, p, training);
    return x;
  }
  return ops.dropout.tensor(x._h, p, training);
}

/**
 * Zeroes whole channels (dimension 1) of (N, C, H, W) input with probability
 * `p` and scales the rest by `1 / (1 - p)`, as `torch.nn.functional.dropout2d`.
 * Defaults as PyTorch: p 0.5, training true, inplace false.
 *
 * NOTE: like PyTorch 1.13 to 2.x, a 3-D input is read as (N, C, L), not as an
 * unbatched (C, H, W) image: add the batch dimension yourself for the latter.
 *
 * @example
 * const y = F.dropout2d(torch.randn([8, 64, 16, 16]), { p: 0.2 });
 */
export function dropout2d(input: Tensor, options: DropoutOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  const { p, training, inplace } = DROPOUT_OPTIONS.resolve(options, optionsKey);
  if (x.dim() < 2) {
    throw new RangeError(`Expected an input with a channel dimension, (N, C, H, W), for dropout2d but received ` +
      `shape [${x.shape.join(', ')}]`);
  }
  if (inplace) {
    ops.featureDropout_.raw(x._h, p, training);
    return x;
  }
  return ops.featureDropout.tensor(x._h, p, training);
}
