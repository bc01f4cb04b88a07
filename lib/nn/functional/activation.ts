// Activation functions, pointwise and along a dimension (softmax family).
import { Tensor } from '../../torch/tensor';
import { checkDtype, DType } from '../../torch/dtype';
import { Op, op } from '../../torch/op';
import { checkInt, checkNumber, checkTensor } from '../../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../../torch/option-table';

/** The `inplace` option of activations that can overwrite their input. */
export interface InplaceOptions {
  /** Overwrite the input and return it. Default false. */
  inplace?: boolean;
}

const ops = {
  relu: op('relu'), relu_: op('relu_'), relu6: op('relu6'), relu6_: op('relu6_'),
  leakyRelu: op('leaky_relu'), leakyRelu_: op('leaky_relu_'), elu: op('elu'), elu_: op('elu_'),
  selu: op('selu'), selu_: op('selu_'), celu: op('celu'), celu_: op('celu_'),
  gelu: op('gelu'), silu: op('silu'), silu_: op('silu_'), mish: op('mish'), mish_: op('mish_'),
  hardswish: op('hardswish'), hardswish_: op('hardswish_'), hardsigmoid: op('hardsigmoid'),
  hardsigmoid_: op('hardsigmoid_'), hardtanh: op('hardtanh'), hardtanh_: op('hardtanh_'),
  threshold: op('threshold'), threshold_: op('threshold_'),
  sigmoid: op('sigmoid'), tanh: op('tanh'), logSigmoid: op('log_sigmoid'), softplus: op('softplus'),
  hardshrink: op('hardshrink'), softshrink: op('softshrink'),
  softmax: op('softmax', 'int'), logSoftmax: op('log_softmax', 'int'), neg: op('neg'),
  glu: op('glu'), prelu: op('prelu'), abs: op('abs'), addScalar: op('add', 'Scalar'), div: op('div', 'Tensor'),
  sub: op('sub', 'Tensor'),
};

// The activations' defaults, as PyTorch's keyword arguments, each stated once.
const INPLACE_OPTIONS = defineOptions({ inplace: option(false, is.boolean) });
const LEAKY_RELU_OPTIONS = defineOptions({ negativeSlope: option(0.01, is.number()) });
const ALPHA_OPTIONS = defineOptions({ alpha: option(1, is.number()) });
const GELU_OPTIONS = defineOptions({ approximate: option<'none' | 'tanh'>('none', is.oneOf(['none', 'tanh'] as const)) });
const HARDTANH_OPTIONS = defineOptions({ minVal: option(-1, is.number()), maxVal: option(1, is.number()) });
const SOFTPLUS_OPTIONS = defineOptions({ beta: option(1, is.number()), threshold: option(20, is.number()) });

/** Runs `outOfPlace` or, with `options.inplace`, `inplace` on the input and returns the input. */
function pointwise(input: Tensor, options: InplaceOptions, outOfPlace: Op, inplace: Op, ...args: unknown[]): Tensor {
  const x = checkTensor(input, 'input');
  if (INPLACE_OPTIONS.resolve(options, optionsKey).inplace) {
    inplace.raw(x._h, ...args);
    return x;
  }
  return outOfPlace.tensor(x._h, ...args);
}

function dtypeOption(dtype: DType | undefined): DType | null {
  return dtype === undefined ? null : checkDtype(dtype, 'options.dtype');
}

/**
 * `max(0, x)`, as `torch.nn.functional.relu`. Default inplace false.
 * @example F.relu(torch.tensor([-1, 2])); // [0, 2]
 */
export function relu(input: Tensor, options: InplaceOptions = {}): Tensor {
  return pointwise(input, options, ops.relu, ops.relu_);
}

/**
 * `min(max(0, x), 6)`, as `torch.nn.functional.relu6`. Default inplace false.
 * @example F.relu6(torch.tensor([-1, 3, 9])); // [0, 3, 6]
 */
export function relu6(input: Tensor, options: InplaceOptions = {}): Tensor {
  return pointwise(input, options, ops.relu6, ops.relu6_);
}

/**
 * `x` where positive, else `negativeSlope * x`, as `torch.nn.functional.leaky_relu`.
 * Defaults as PyTorch: negativeSlope 0.01, inplace false.
 * @example F.leakyRelu(torch.tensor([-10, 1]), { negativeSlope: 0.1 }); // [-1, 1]
 */
export function leakyRelu(input: Tensor, options: InplaceOptions & { negativeSlope?: number } = {}): Tensor {
  return pointwise(input, options, ops.leakyRelu, ops.leakyRelu_,
    LEAKY_RELU_OPTIONS.resolve(options, optionsKey).negativeSlope);
}

/**
 * `x` where positive, else `alpha * (exp(x) - 1)`, as `torch.nn.functional.elu`.
 * Defaults as PyTorch: alpha 1, inplace false.
 * @example F.elu(torch.tensor([-1, 1])); // [-0.632, 1]
 */
export function elu(input: Tensor, options: InplaceOptions & { alpha?: number } = {}): Tensor {
  return pointwise(input, options, ops.elu, ops.elu_, ALPHA_OPTIONS.resolve(options, optionsKey).alpha);
}

/**
 * Scaled ELU with the self-normalising constants (alpha 1.6733, scale 1.0507),
 * as `torch.nn.functional.selu`. Default inplace false.
 * @example F.selu(torch.tensor([1])); // [1.0507]
 */
export function selu(input: Tensor, options: InplaceOptions = {}): Tensor {
  return pointwise(input, options, ops.selu, ops.selu_);
}

/**
 * `max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`, as `torch.nn.functional.celu`.
 * Defaults as PyTorch: alpha 1, inplace false.
 * @example F.celu(torch.tensor([-1, 1]), { alpha: 2 });
 */
export function celu(input: Tensor, options: InplaceOptions & { alpha?: number } = {}): Tensor {
  return pointwise(input, options, ops.celu, ops.celu_, ALPHA_OPTIONS.resolve(options, optionsKey).alpha);
}

/**
 * Gaussian error linear unit `x * Phi(x)`, exact or with the tanh
 * approximation, as `torch.nn.functional.gelu`. Default approximate 'none'.
 * @example F.gelu(x); F.gelu(x, { approximate: 'tanh' });
 */
export function gelu(input: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  const x = checkTensor(input, 'input');
  return ops.gelu.tensor(x._h, GELU_OPTIONS.resolve(options, optionsKey).approximate);
}

/**
 * `x * sigmoid(x)` (swish), as `torch.nn.functional.silu`. Default inplace false.
 * @example F.silu(torch.tensor([0])); // [0]
 */
export function silu(input: Tensor, options: InplaceOptions = {}): Tensor {
  return pointwise(input, options, ops.silu, ops.silu_);
}

/**
 * `x * tanh(softplus(x))`, as `torch.nn.functional.mish`. Default inplace false.
 * @example F.mish(torch.tensor([0])); // [0]
 */
export function mish(input: Tensor, options: InplaceOptions = {}): Tensor {
  return pointwise(input, options, ops.mish, ops.mish_);
}

/**
 * `x * relu6(x + 3) / 6`, as `torch.nn.functional.hardswish`. Default inplace false.
 * @example F.hardswish(torch.tensor([-4, 0, 4])); // [0, 0, 4]
 */
export function hardswish(input: Tensor, options: InplaceOptions = {}): Tensor {
  return pointwise(input, options, ops.hardswish, ops.hardswish_);
}

/**
 * `relu6(x + 3) / 6`, as `torch.nn.functional.hardsigmoid`. Default inplace false.
 * @example F.hardsigmoid(torch.tensor([-4, 0, 4])); // [0, 0.5, 1]
 */
export function hardsigmoid(input: Tensor, options: InplaceOptions = {}): Tensor {
  return pointwise(input, options, ops.hardsigmoid, ops.hardsigmoid_);
}

/**
 * `x` clamped to [minVal, maxVal], as `torch.nn.functional.hardtanh`.
 * Defaults as PyTorch: minVal -1, maxVal 1, inplace false.
 * @example F.hardtanh(torch.tensor([-3, 0.5, 3])); // [-1, 0.5, 1]
 */
export function hardtanh(input: Tensor, options: InplaceOptions & { minVal?: number; maxVal?: number } = {}): Tensor {
  const { minVal, maxVal } = HARDTANH_OPTIONS.resolve(options, optionsKey);
  if (maxVal <= minVal) {
    throw new RangeError(`Expected options.maxVal (${maxVal}) to be greater than options.minVal (${minVal})`);
  }
  return pointwise(input, options, ops.hardtanh, ops.hardtanh_, minVal, maxVal);
}

/**
 * `x` where `x > threshold`, else `value`, as `torch.nn.functional.threshold`. Default inplace false.
 * @example F.threshold(torch.tensor([0.5, 2]), 1, -1); // [-1, 2]
 */
export function threshold(input: Tensor, threshold: number, value: number, options: InplaceOptions = {}): Tensor {
  return pointwise(input, options, ops.threshold, ops.threshold_, checkNumber(threshold, 'threshold'),
    checkNumber(value, 'value'));
}

/**
 * `1 / (1 + exp(-x))`, as `torch.nn.functional.sigmoid`.
 * @example F.sigmoid(torch.tensor([0])); // [0.5]
 */
export function sigmoid(input: Tensor): Tensor {
  return ops.sigmoid.tensor(checkTensor(input, 'input')._h);
}

/**
 * Hyperbolic tangent, as `torch.nn.functional.tanh`.
 * @example F.tanh(torch.tensor([0])); // [0]
 */
export function tanh(input: Tensor): Tensor {
  return ops.tanh.tensor(checkTensor(input, 'input')._h);
}

/**
 * `log(sigmoid(x))`, computed stably, as `torch.nn.functional.logsigmoid`.
 * @example F.logsigmoid(torch.tensor([0])); // [-0.693]
 */
export function logsigmoid(input: Tensor): Tensor {
  return ops.logSigmoid.tensor(checkTensor(input, 'input')._h);
}

/**
 * `log(1 + exp(beta * x)) / beta`, linear above `threshold / beta`, as
 * `torch.nn.functional.softplus`. Defaults as PyTorch: beta 1, threshold 20.
 * @example F.softplus(torch.tensor([0])); // [0.693]
 */
export function softplus(input: Tensor, options: { beta?: number; threshold?: number } = {}): Tensor {
  const x = checkTensor(input, 'input');
  const o = SOFTPLUS_OPTIONS.resolve(options, optionsKey);
  return ops.softplus.tensor(x._h, o.beta, o.threshold);
}

/**
 * `x / (1 + |x|)`, as `torch.nn.functional.softsign`.
 * @example F.softsign(torch.tensor([1, -3])); // [0.5, -0.75]
 */
export function softsign(input: Tensor): Tensor {
  const x = checkTensor(input, 'input');
  const a = ops.abs.tensor(x._h);
  const denom = ops.addScalar.tensor(a._h, 1);
  a.dispose();
  const out = ops.div.tensor(x._h, denom._h);
  denom.dispose();
  return out;
}

/**
 * `x - tanh(x)`, as `torch.nn.functional.tanhshrink`.
 * @example F.tanhshrink(torch.tensor([0])); // [0]
 */
export function tanhshrink(input: Tensor): Tensor {
  const x = checkTensor(input, 'input');
  const t = ops.tanh.tensor(x._h);
  const out = ops.sub.tensor(x._h, t._h);
  t.dispose();
  return out;
}

/**
 * `x` where `|x| > lambd`, else 0, as `torch.nn.functional.hardshrink`. Default lambd 0.5.
 * @example F.hardshrink(torch.tensor([0.3, -2])); // [0, -2]
 */
export function hardshrink(input: Tensor, lambd = 0.5): Tensor {
  return ops.hardshrink.tensor(checkTensor(input, 'input')._h, checkNumber(lambd, 'lambd', 0));
}

/**
 * `x - lambd * sign(x)` where `|x| > lambd`, else 0, as `torch.nn.functional.softshrink`. Default lambd 0.5.
 * @example F.softshrink(torch.tensor([0.3, -2])); // [0, -1.5]
 */
export function softshrink(input: Tensor, lambd = 0.5): Tensor {
  return ops.softshrink.tensor(checkTensor(input, 'input')._h, checkNumber(lambd, 'lambd', 0));
}

/**
 * `exp(x) / sum(exp(x))` along `dim`, as `torch.nn.functional.softmax`
 * (`dim` is required: PyTorch's implicit choice is deprecated). `dtype` casts
 * the input first (e.g. 'float32' for half-precision logits).
 * @example F.softmax(torch.tensor([[1, 1]]), 1); // [[0.5, 0.5]]
 */
export function softmax(input: Tensor, dim: number, options: { dtype?: DType } = {}): Tensor {
  return ops.softmax.tensor(checkTensor(input, 'input')._h, checkInt(dim, 'dim'), dtypeOption(options.dtype));
}

/**
 * `log(softmax(x))` along `dim`, computed stably, as `torch.nn.functional.log_softmax`.
 * @example F.logSoftmax(logits, 1);
 */
export function logSoftmax(input: Tensor, dim: number, options: { dtype?: DType } = {}): Tensor {
  return ops.logSoftmax.tensor(checkTensor(input, 'input')._h, checkInt(dim, 'dim'), dtypeOption(options.dtype));
}

/**
 * `softmax(-x)` along `dim`, as `torch.nn.functional.softmin`.
 * @example F.softmin(torch.tensor([0, Math.log(3)]), 0); // [0.75, 0.25]
 */
export function softmin(input: Tensor, dim: number, options: { dtype?: DType } = {}): Tensor {
  const negated = ops.neg.tensor(checkTensor(input, 'input')._h);
  const out = ops.softmax.tensor(negated._h, checkInt(dim, 'dim'), dtypeOption(options.dtype));
  negated.dispose();
  return out;
}

/**
 * Gated linear unit: splits `input` in halves a, b along `dim` and returns
 * `a * sigmoid(b)`, as `torch.nn.functional.glu`. Default dim -1.
 * @example F.glu(torch.randn([4, 10])); // (4, 5)
 */
export function glu(input: Tensor, dim = -1): Tensor {
  return ops.glu.tensor(checkTensor(input, 'input')._h, checkInt(dim, 'dim'));
}

/**
 * `x` where positive, else `weight * x` with a learnt slope per channel (or
 * one shared), as `torch.nn.functional.prelu`.
 * @example F.prelu(torch.tensor([-2, 2]), torch.tensor([0.25])); // [-0.5, 2]
 */
export function prelu(input: Tensor, weight: Tensor): Tensor {
  return ops.prelu.tensor(checkTensor(input, 'input')._h, checkTensor(weight, 'weight')._h);
}
