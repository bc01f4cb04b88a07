// Dropout: zeroing random elements (or whole channels) during training.
import { Tensor } from '../../torch/tensor';
import { op } from '../../torch/op';
import { checkBoolean, checkTensor } from './arguments';

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
  const p = probability(options.p ?? 0.5);
  const training = checkBoolean(options.training ?? true, 'options.training');
  if (checkBoolean(options.inplace ?? false, 'options.inplace')) {
    ops.dropout_.raw(x._h, p, training);
    return x;
  }
  return ops.dropout.tensor(x._h, p, training);
}

/**
 * Zeroes whole channels of (N, C, H, W) or (C, H, W) input with probability
 * `p` and scales the rest by `1 / (1 - p)`, as `torch.nn.functional.dropout2d`.
 * Defaults as PyTorch: p 0.5, training true, inplace false.
 *
 * @example
 * const y = F.dropout2d(torch.randn([8, 64, 16, 16]), { p: 0.2 });
 */
export function dropout2d(input: Tensor, options: DropoutOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  const p = probability(options.p ?? 0.5);
  const training = checkBoolean(options.training ?? true, 'options.training');
  const d = x.dim();
  if (d !== 3 && d !== 4) {
    throw new RangeError(`Expected a 3-D (C, H, W) or 4-D (N, C, H, W) input for dropout2d but received shape ` +
      `[${x.shape.join(', ')}]`);
  }
  // NOTE: feature_dropout drops along dimension 1, so an unbatched input gets a batch dimension of 1.
  const batched = d === 3 ? ops.unsqueeze.tensor(x._h, 0) : x;
  const inplace = checkBoolean(options.inplace ?? false, 'options.inplace');
  let out: Tensor;
  if (inplace) {
    ops.featureDropout_.raw(batched._h, p, training);
    out = x;
  } else {
    out = ops.featureDropout.tensor(batched._h, p, training);
    if (d === 3) {
      const squeezed = ops.squeeze.tensor(out._h, 0);
      out.dispose();
      out = squeezed;
    }
  }
  if (batched !== x) batched.dispose();
  return out;
}
