// Group normalisation, as torch.nn.GroupNorm.
import { Tensor, ones, zeros } from '../../torch';
import { Module } from '../module';
import { groupNorm } from '../functional/normalization';
import { nonNegativeNumber, positiveInt } from '../../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../../torch/option-table';
import { pyBool, pyFloat } from './repr';

/** Options of `GroupNorm`, as torch.nn.GroupNorm's keyword arguments. */
export interface GroupNormOptions {
  /** Added to the variance for numerical stability. Default 1e-5. */
  eps?: number;
  /** Learn a per-channel scale (`weight`) and shift (`bias`). Default true. */
  affine?: boolean;
}

const GROUP_NORM_OPTIONS = defineOptions({ eps: option(1e-5, nonNegativeNumber), affine: option(true, is.boolean) });

/**
 * Splits the C channels of (N, C, *) input into `numGroups` groups and
 * normalises each group of each sample over its channels and positions, as
 * `torch.nn.GroupNorm` (Wu & He 2018). Independent of the batch size, unlike
 * batch norm. Keys: `weight`, `bias` (numChannels).
 *
 * @example
 * const gn = new nn.GroupNorm(8, 64);
 * gn.forward(torch.randn([2, 64, 16, 16]));
 */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    super();
    this.numGroups = positiveInt(numGroups, 'numGroups');
    this.numChannels = positiveInt(numChannels, 'numChannels');
    if (this.numChannels % this.numGroups !== 0) {
      throw new RangeError(`Expected numChannels (${this.numChannels}) divisible by numGroups (${this.numGroups})`);
    }
    const o = GROUP_NORM_OPTIONS.resolve(options, optionsKey);
    this.eps = o.eps;
    this.affine = o.affine;
    this.weight = this.registerParameter('weight', this.affine ? ones([this.numChannels]) : null);
    this.bias = this.registerParameter('bias', this.affine ? zeros([this.numChannels]) : null);
  }

  forward(x: Tensor): Tensor {
    return groupNorm(x, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}
