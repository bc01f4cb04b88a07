// Linear: the fully connected layer y = x W^T + b, as torch.nn.Linear.
import { Tensor, empty } from '../../torch';
import { Module } from '../module';
import { linear } from '../functional/linear';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from '../init';
import { positiveInt } from '../../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../../torch/option-table';
import { pyBool } from './repr';

/** Options of `Linear`, as torch.nn.Linear's keyword arguments. */
export interface LinearOptions {
  /** Learn an additive bias. Default true. */
  bias?: boolean;
}

/**
 * Initialises a weight and optional bias as PyTorch's Linear and ConvNd do:
 * kaiming_uniform_(a=sqrt(5)) for the weight, then U(-1/sqrt(fanIn), 1/sqrt(fanIn))
 * for the bias, drawn in this order so that the same seed gives the same values.
 * @internal
 */
export function resetLinearLike(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias === null) return;
  const { fanIn } = calculateFanInAndFanOut(weight);
  const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
  uniform_(bias, -bound, bound);
}

const LINEAR_OPTIONS = defineOptions({ bias: option(true, is.boolean) });

/**
 * Applies `y = x W^T + b` to (*, inFeatures) input, giving (*, outFeatures),
 * as `torch.nn.Linear`. Keys: `weight` (outFeatures, inFeatures), `bias` (outFeatures).
 * Initialised as PyTorch (the same values after the same `torch.manualSeed`).
 *
 * @example
 * const fc = new nn.Linear(512, 10);
 * const logits = fc.forward(torch.randn([8, 512])); // (8, 10)
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** (outFeatures, inFeatures). */
  readonly weight: Tensor;
  /** (outFeatures), or null without bias. */
  readonly bias: Tensor | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    this.inFeatures = positiveInt(inFeatures, 'inFeatures');
    this.outFeatures = positiveInt(outFeatures, 'outFeatures');
    const hasBias = LINEAR_OPTIONS.resolve(options, optionsKey).bias;
    this.weight = this.registerParameter('weight', empty([this.outFeatures, this.inFeatures]));
    this.bias = this.registerParameter('bias', hasBias ? empty([this.outFeatures]) : null);
    this.resetParameters();
  }

  /** Re-draws weight and bias as the constructor does, as `reset_parameters()`. */
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${pyBool(this.bias !== null)}`;
  }
}
