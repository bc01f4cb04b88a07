// Regularisers active only in training: Dropout (elements) and DropPath
// (whole samples' residual branches, "stochastic depth").
import { Tensor, empty, ops } from '../../torch';
import { Module } from '../module';
import { dropout } from '../functional/dropout';
import { probability } from '../../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../../torch/option-table';
import { pyBool, pyFloat } from './repr';

const DROPOUT_OPTIONS = defineOptions({ inplace: option(false, is.boolean) });

/**
 * Zeroes each element with probability `p` and scales the rest by
 * `1 / (1 - p)` in training; the identity in evaluation. As `torch.nn.Dropout`.
 * @example
 * const drop = new nn.Dropout(0.1);
 * drop.forward(x); // random in training, x itself after drop.eval()
 */
export class Dropout extends Module {
  readonly p: number;
  readonly inplace: boolean;

  constructor(p = 0.5, options: { inplace?: boolean } = {}) {
    super();
    this.p = probability(p, 'p');
    this.inplace = DROPOUT_OPTIONS.resolve(options, optionsKey).inplace;
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropout(x, { p: this.p, training: true, inplace: this.inplace });
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=${pyBool(this.inplace)}`;
  }
}

/**
 * Drops the whole input of a sample (a residual branch) with probability `p`
 * in training and scales kept samples by `1 / (1 - p)`, as timm's `drop_path`
 * with `scale_by_keep=True` (stochastic depth, Huang et al. 2016). The mask is
 * drawn per sample along dimension 0. The identity in evaluation or when p is 0.
 *
 * @example
 * const dropPath = new nn.DropPath(0.1);
 * x = x.add(dropPath.forward(attn.forward(norm.forward(x))));
 */
export function dropPath(x: Tensor, p = 0, training = false): Tensor {
  if (p === 0 || !training) return x;
  const keep = 1 - p;
  const maskShape = [x.shape[0], ...x.shape.slice(1).map(() => 1)];
  const mask = empty(maskShape, { dtype: x.dtype, device: x.device });       // (B, 1, ..., 1)
  ops.aten.bernoulli_(mask, keep);
  if (keep > 0) mask.div_(keep);
  const out = x.mul(mask);
  mask.dispose();
  return out;
}

/**
 * Stochastic depth as a layer: `dropPath(x, p, this.training)`, as timm's `DropPath`.
 * @example new nn.DropPath(0.1).forward(branch)
 */
export class DropPath extends Module {
  readonly p: number;

  constructor(p = 0) {
    super();
    this.p = probability(p, 'p');
  }

  forward(x: Tensor): Tensor {
    return dropPath(x, this.p, this.training);
  }

  override extraRepr(): string {
    return `drop_prob=${this.p.toFixed(3)}`;
  }
}
