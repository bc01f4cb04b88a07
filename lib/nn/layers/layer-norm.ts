// Layer normalisation over the trailing dimensions, as torch.nn.LayerNorm.
import { Tensor, ones, zeros } from '../../torch';
import { Module } from '../module';
import { layerNorm } from '../functional/normalization';
import { nonNegativeNumber, positiveInt } from '../../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../../torch/option-table';
import { pyBool, pyFloat } from './repr';

/** Options of `LayerNorm`, as torch.nn.LayerNorm's keyword arguments. */
export interface LayerNormOptions {
  /** Added to the variance for numerical stability. Default 1e-5 (timm's ViT uses 1e-6). */
  eps?: number;
  /** Learn a scale (`weight`, ones at first) and shift (`bias`, zeros at first). Default true. */
  elementwiseAffine?: boolean;
}

const LAYER_NORM_OPTIONS = defineOptions({
  eps: option(1e-5, nonNegativeNumber), elementwiseAffine: option(true, is.boolean),
});

/**
 * Normalises each sample over its last `normalizedShape.length` dimensions
 * (mean 0, variance 1), then scales and shifts, as `torch.nn.LayerNorm`.
 * Keys: `weight`, `bias` (normalizedShape).
 *
 * @example
 * const norm = new nn.LayerNorm(384, { eps: 1e-6 });
 * norm.forward(torch.randn([8, 197, 384])); // (8, 197, 384)
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const dims = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    if (!Array.isArray(dims) || dims.length === 0) {
      throw new RangeError(`Expected a positive integer or a non-empty array of them for normalizedShape but ` +
        `received ${JSON.stringify(normalizedShape)}`);
    }
    this.normalizedShape = dims.map((d, i) => positiveInt(d, `normalizedShape[${i}]`));
    const o = LAYER_NORM_OPTIONS.resolve(options, optionsKey);
    this.eps = o.eps;
    this.elementwiseAffine = o.elementwiseAffine;
    this.weight = this.registerParameter('weight', this.elementwiseAffine ? ones(this.normalizedShape) : null);
    this.bias = this.registerParameter('bias', this.elementwiseAffine ? zeros(this.normalizedShape) : null);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    const shape = this.normalizedShape.length === 1 ? `(${this.normalizedShape[0]},)` : `(${this.normalizedShape.join(', ')})`;
    return `${shape}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}
