// Normalisation layers as functions: batch, instance, layer, group and Lp normalisation.
import { Tensor } from '../../torch/tensor';
import { op } from '../../torch/op';
import { checkInt, checkTensor, optionalTensor } from '../../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../../torch/option-table';

/** The affine parameters and epsilon shared by the normalisation functions. */
export interface AffineNormOptions {
  /** Per-channel (or per-element for layerNorm) scale; none by default. */
  weight?: Tensor | null;
  /** Per-channel (or per-element) shift; none by default. */
  bias?: Tensor | null;
  /** Added to the variance for numerical stability. Default 1e-5. */
  eps?: number;
}

/** Options of `batchNorm`, as PyTorch's keyword arguments. */
export interface BatchNormOptions extends AffineNormOptions {
  /** Normalise with the batch's statistics and update the running ones. Default false. */
  training?: boolean;
  /** Weight of the new batch statistics in the running averages. Default 0.1. */
  momentum?: number;
}

/** Options of `instanceNorm`, as PyTorch's keyword arguments. */
export interface InstanceNormOptions extends AffineNormOptions {
  /** Normalise with each instance's statistics rather than the running ones. Default true. */
  useInputStats?: boolean;
  /** Weight of the new statistics in the running averages. Default 0.1. */
  momentum?: number;
}

/** Options of `normalize`, as PyTorch's keyword arguments. */
export interface NormalizeOptions {
  /** Exponent of the norm. Default 2. */
  p?: number;
  /** Dimension to normalise over. Default 1. */
  dim?: number;
  /** Lower bound of the norm, to avoid dividing by zero. Default 1e-12. */
  eps?: number;
}

const ops = {
  batchNorm: op('batch_norm'),
  instanceNorm: op('instance_norm'),
  layerNorm: op('layer_norm'),
  groupNorm: op('group_norm'),
  norm: op('norm', 'ScalarOpt_dim'),
  clampMin: op('clamp_min'),
  expandAs: op('expand_as'),
  div: op('div', 'Tensor'),
};

// NOTE: PyTorch passes `torch.backends.cudnn.enabled` (true unless a user turns it off).
const CUDNN_ENABLED = true;

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** PyTorch's `_verify_batch_size`: one value per channel cannot be normalised. */
function verifyBatchSize(size: readonly number[], inputShape: readonly number[]): void {
  let n = size[0];
  for (let i = 2; i < size.length; i++) n *= size[i];
  if (n === 1) {
    throw new RangeError(`Expected more than 1 value per channel when training, got input size ${shapeText(inputShape)}`);
  }
}

// The defaults of the option interfaces above, as PyTorch's keyword arguments, each stated once.
const epsOption = option(1e-5, is.number(0));
const momentumOption = option(0.1, is.number());
const AFFINE_NORM_OPTIONS = defineOptions({ eps: epsOption });
const BATCH_NORM_OPTIONS = defineOptions({ training: option(false, is.boolean), momentum: momentumOption, eps: epsOption });
const INSTANCE_NORM_OPTIONS = defineOptions({
  useInputStats: option(true, is.boolean), momentum: momentumOption, eps: epsOption,
});
const NORMALIZE_OPTIONS = defineOptions({ p: option(2, is.number()), dim: option(1, is.int()), eps: option(1e-12, is.number(0)) });

/**
 * Batch normalisation over the channel dimension (1) of (N, C, *) input, as
 * `torch.nn.functional.batch_norm`. In training it normalises with the batch
 * statistics and updates `runningMean`/`runningVar` in place (when given);
 * in evaluation it uses them.
 * Defaults as PyTorch: training false, momentum 0.1, eps 1e-5, no weight or bias.
 *
 * @example
 * const mean = torch.zeros([16]), variance = torch.ones([16]);
 * const y = F.batchNorm(x, mean, variance, { weight: gamma, bias: beta, training: true });
 */
export function batchNorm(input: Tensor, runningMean?: Tensor | null, runningVar?: Tensor | null,
  options: BatchNormOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  const o = BATCH_NORM_OPTIONS.resolve(options, optionsKey);
  if (o.training) verifyBatchSize(x.shape, x.shape);
  return ops.batchNorm.tensor(x._h, optionalTensor(options.weight, 'options.weight'),
    optionalTensor(options.bias, 'options.bias'), optionalTensor(runningMean, 'runningMean'),
    optionalTensor(runningVar, 'runningVar'), o.training, o.momentum, o.eps, CUDNN_ENABLED);
}

/**
 * Instance normalisation: each channel of each sample of (N, C, *) input is
 * normalised on its own, as `torch.nn.functional.instance_norm`.
 * Defaults as PyTorch: no running statistics, useInputStats true, momentum 0.1, eps 1e-5.
 *
 * @example
 * const y = F.instanceNorm(torch.randn([2, 3, 8, 8])); // each (n, c) plane has mean 0, variance 1
 */
export function instanceNorm(input: Tensor, runningMean?: Tensor | null, runningVar?: Tensor | null,
  options: InstanceNormOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  const o = INSTANCE_NORM_OPTIONS.resolve(options, optionsKey);
  if (o.useInputStats) {
    const shape = x.shape;
    if (shape.slice(2).reduce((a, b) => a * b, 1) === 1) {
      throw new RangeError(`Expected more than 1 spatial element when training, got input size ${shapeText(shape)}`);
    }
  }
  return ops.instanceNorm.tensor(x._h, optionalTensor(options.weight, 'options.weight'),
    optionalTensor(options.bias, 'options.bias'), optionalTensor(runningMean, 'runningMean'),
    optionalTensor(runningVar, 'runningVar'), o.useInputStats, o.momentum, o.eps, CUDNN_ENABLED);
}

/**
 * Layer normalisation over the last dimensions, given by `normalizedShape`,
 * as `torch.nn.functional.layer_norm`. `weight` and `bias` have shape
 * `normalizedShape`. Defaults as PyTorch: no weight or bias, eps 1e-5.
 *
 * @example
 * const y = F.layerNorm(torch.randn([8, 197, 384]), [384], { weight: gamma, bias: beta, eps: 1e-6 });
 */
export function layerNorm(input: Tensor, normalizedShape: number | readonly number[],
  options: AffineNormOptions = {}): Tensor {
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new TypeError(`Expected a positive integer or a non-empty array of them for normalizedShape but received ` +
      JSON.stringify(normalizedShape));
  }
  const dims = shape.map((d, i) => checkInt(d, `normalizedShape[${i}]`, 1));
  return ops.layerNorm.tensor(checkTensor(input, 'input')._h, dims, optionalTensor(options.weight, 'options.weight'),
    optionalTensor(options.bias, 'options.bias'), AFFINE_NORM_OPTIONS.resolve(options, optionsKey).eps, CUDNN_ENABLED);
}

/**
 * Group normalisation: the C channels of (N, C, *) input are split into
 * `numGroups` groups, each normalised over its channels and spatial
 * positions, as `torch.nn.functional.group_norm`. `weight` and `bias` have C
 * entries. Defaults as PyTorch: no weight or bias, eps 1e-5.
 *
 * @example
 * const y = F.groupNorm(torch.randn([2, 32, 8, 8]), 8, { weight: gamma, bias: beta });
 */
export function groupNorm(input: Tensor, numGroups: number, options: AffineNormOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  const groups = checkInt(numGroups, 'numGroups', 1);
  const shape = x.shape;
  if (shape.length < 2) {
    throw new RangeError(`Expected input of shape (N, C, *) for groupNorm but received shape ${shapeText(shape)}`);
  }
  if (shape[1] % groups !== 0) {
    throw new RangeError(`Expected the number of channels in input (${shape[1]}) to be divisible by numGroups ` +
      `(${groups})`);
  }
  verifyBatchSize([(shape[0] * shape[1]) / groups, groups, ...shape.slice(2)], shape);
  return ops.groupNorm.tensor(x._h, groups, optionalTensor(options.weight, 'options.weight'),
    optionalTensor(options.bias, 'options.bias'), AFFINE_NORM_OPTIONS.resolve(options, optionsKey).eps, CUDNN_ENABLED);
}

/**
 * Lp-normalises `input` along `dim`: `x / max(||x||_p, eps)`, as
 * `torch.nn.functional.normalize`. Defaults as PyTorch: p 2, dim 1, eps 1e-12.
 *
 * @example
 * const z = F.normalize(torch.randn([256, 128]), { dim: 1 }); // each row has unit L2 norm
 */
export function normalize(input: Tensor, options: NormalizeOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  const { p, dim, eps: floor } = NORMALIZE_OPTIONS.resolve(options, optionsKey);
  const norm = ops.norm.tensor(x._h, p, [dim], true);
  const clamped = ops.clampMin.tensor(norm._h, floor);
  norm.dispose();
  const denom = ops.expandAs.tensor(clamped._h, x._h);
  clamped.dispose();
  const out = ops.div.tensor(x._h, denom._h);
  denom.dispose();
  return out;
}
