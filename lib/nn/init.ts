// nn.init: in-place parameter initialisation, as torch.nn.init. Every function
// runs without recording gradients and draws from the same random stream as
// PyTorch's, so after the same `manualSeed` the values equal PyTorch's.
import { Tensor, Generator, config, emptyLike, noGrad, ops, scope, where } from '../torch';
import { checkFinite, checkTensor } from '../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../torch/option-table';

/** The nonlinearities `calculateGain` knows, as `torch.nn.init.calculate_gain`. */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** Which fan `kaimingUniform_`/`kaimingNormal_` preserve: the forward pass's variance or the backward pass's. */
export type FanMode = 'fan_in' | 'fan_out';

/** A seeded generator to draw from instead of the global one (an extension of PyTorch 1.13's init). */
export interface GeneratorOption {
  generator?: Generator;
}

/**
 * The recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`:
 * 1 for linear layers and sigmoid, 5/3 for tanh, sqrt(2) for ReLU,
 * sqrt(2 / (1 + slope^2)) for leaky ReLU (slope `param`, default 0.01), 3/4 for SELU.
 * @example nn.init.calculateGain('leaky_relu', 0.2) // 1.3867...
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d': case 'sigmoid':
      return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.sqrt(2);
    case 'leaky_relu': {
      const slope = param === undefined ? 0.01 : checkFinite(param, 'param');
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu': return 3 / 4;
    default:
      throw new TypeError(`Expected a known nonlinearity (linear, conv2d, sigmoid, tanh, relu, leaky_relu, selu, ...) ` +
        `for nonlinearity but received '${String(nonlinearity)}'`);
  }
}

/**
 * Fan-in and fan-out of a weight of at least 2 dimensions, as PyTorch's
 * `_calculate_fan_in_and_fan_out`: dimension 1 (resp. 0) times the product of
 * the remaining (receptive field) dimensions.
 * @example nn.init.calculateFanInAndFanOut(torch.empty([64, 3, 7, 7])) // { fanIn: 147, fanOut: 3136 }
 */
export function calculateFanInAndFanOut(tensor: Tensor): { fanIn: number; fanOut: number } {
  const t = checkTensor(tensor, 'tensor');
  if (t.dim() < 2) {
    throw new RangeError(`Expected a tensor with at least 2 dimensions to compute fan in and fan out but received ` +
      `shape [${t.shape.join(', ')}]`);
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

/**
 * Fills `tensor` with samples from U[a, b), in place, as `torch.nn.init.uniform_`.
 * @example nn.init.uniform_(w, -0.1, 0.1)
 */
export function uniform_(tensor: Tensor, a = 0, b = 1, options: GeneratorOption = {}): Tensor {
  const t = checkTensor(tensor, 'tensor');
  noGrad(() => t.uniform_(checkFinite(a, 'a'), checkFinite(b, 'b'), options));
  return t;
}

/**
 * Fills `tensor` with samples from N(mean, std^2), in place, as `torch.nn.init.normal_`.
 * @example nn.init.normal_(embedding.weight, 0, 0.02)
 */
export function normal_(tensor: Tensor, mean = 0, std = 1, options: GeneratorOption = {}): Tensor {
  const t = checkTensor(tensor, 'tensor');
  noGrad(() => t.normal_(checkFinite(mean, 'mean'), checkFinite(std, 'std'), options));
  return t;
}

/**
 * Fills `tensor` with `value`, in place, as `torch.nn.init.constant_`.
 * @example nn.init.constant_(bn.weight, 0.5)
 */
export function constant_(tensor: Tensor, value: number): Tensor {
  const t = checkTensor(tensor, 'tensor');
  noGrad(() => t.fill_(checkFinite(value, 'value')));
  return t;
}

/**
 * Fills `tensor` with zeros, in place, as `torch.nn.init.zeros_`.
 * @example nn.init.zeros_(linear.bias!)
 */
export function zeros_(tensor: Tensor): Tensor {
  const t = checkTensor(tensor, 'tensor');
  noGrad(() => t.zero_());
  return t;
}

/**
 * Fills `tensor` with ones, in place, as `torch.nn.init.ones_`.
 * @example nn.init.ones_(norm.weight!)
 */
export function ones_(tensor: Tensor): Tensor {
  return constant_(tensor, 1);
}

/** Options of `truncNormal_`, as `torch.nn.init.trunc_normal_`'s arguments. */
export interface TruncNormalOptions extends GeneratorOption {
  /** Mean of the normal distribution. Default 0. */
  mean?: number;
  /** Standard deviation of the normal distribution. Default 1. */
  std?: number;
  /** Lower cut-off (absolute, not in standard deviations). Default -2. */
  a?: number;
  /** Upper cut-off. Default 2. */
  b?: number;
  /**
   * How to draw, as the `torch.nn.init.trunc_normal_` of a libtorch version: 'inverse-cdf' (up to 2.11: a
   * uniform draw through erfinv, then a clamp) or 'rejection' (2.12 on, PyTorch PR #174997: normal draws redrawn
   * until inside [a, b], or, when [a, b] holds at most 0.3 of the mass, uniform draws in [a, b] accepted by the
   * density). Default: that of the loaded libtorch, so the values equal its Python's after the same seed.
   */
  sampler?: TruncNormalSampler;
}

/** The two algorithms of `torch.nn.init.trunc_normal_` (see `TruncNormalOptions.sampler`). */
export type TruncNormalSampler = 'inverse-cdf' | 'rejection';

// Double-precision erf: the Maclaurin series where it converges quickly, the
// continued fraction of erfc further out (JS has no Math.erf).
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  if (ax < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2) / sqrt(pi) * 1 / (x + 1/2 / (x + 1 / (x + 3/2 / (x + ...))))
  let frac = ax;
  for (let n = 60; n >= 1; n--) frac = ax + n / 2 / frac;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / frac;
  return Math.sign(x) * (1 - erfc);
}

// The defaults of TruncNormalOptions, as PyTorch's arguments.
const TRUNC_NORMAL_OPTIONS = defineOptions({
  mean: option(0, checkFinite), std: option(1, checkFinite), a: option(-2, checkFinite), b: option(2, checkFinite),
  sampler: option<TruncNormalSampler | undefined>(undefined, (v, what) => {
    if (v === undefined || v === 'inverse-cdf' || v === 'rejection') return v;
    throw new TypeError(`Expected 'inverse-cdf' or 'rejection' for ${what} but received '${String(v)}'`);
  }),
});

/**
 * The sampler of the loaded libtorch's `trunc_normal_`: 'rejection' from 2.12 (checked against 2.14's Python),
 * 'inverse-cdf' before (checked against 1.13 and 2.6).
 */
export function defaultTruncNormalSampler(torchVersion = config().torchVersion): TruncNormalSampler {
  const m = /^(\d+)\.(\d+)/.exec(torchVersion);
  if (!m) return 'inverse-cdf';
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 2 || (major === 2 && minor >= 12) ? 'rejection' : 'inverse-cdf';
}

// PyTorch 2.12's sampler (torch/nn/init.py, _no_grad_trunc_normal_), with the same draws in the same order.
function truncNormalRejection(t: Tensor, mean: number, std: number, a: number, b: number, mass: number,
  generator: Generator | undefined): void {
  const g = { generator };
  if (mass > 0.3) {
    // Normal draws; the out-of-range ones redrawn (the comparison in t's dtype, as the bounds cast to it).
    let result = t.normal_(mean, std, g);
    for (;;) {
      const outside = result.lt(a).logicalOr(result.gt(b));
      if (!outside.any().item()) break;
      result = where(outside, emptyLike(result).normal_(mean, std, g), result);
    }
    if (result !== t) t.copy_(result);
    return;
  }
  // Uniform draws in [a, b], accepted with probability pdf(x) / pdf(mode): log(u) <= log pdf(x) - log pdf(mode).
  const mode = Math.max(a, Math.min(mean, b));
  const logPeak = -0.5 * ((mode - mean) / std) ** 2;
  const candidates = emptyLike(t);
  const acceptBuf = emptyLike(t);
  const logDensity = (c: Tensor): Tensor => c.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(logPeak);
  const rejected = (c: Tensor): Tensor => ops.aten.log_(acceptBuf.uniform_(0, 1, g)).gt(c);
  t.uniform_(a, b, g);
  candidates.copy_(t);
  let pending = rejected(logDensity(candidates));
  if (!pending.any().item()) return;
  let result: Tensor = t;
  for (;;) {
    candidates.uniform_(a, b, g);
    result = where(pending, candidates, result);
    pending = where(pending, rejected(logDensity(candidates)), pending);
    if (!pending.any().item()) break;
  }
  t.copy_(result);
}

/**
 * Fills `tensor` with samples from N(mean, std^2) truncated to [a, b], in
 * place, as `torch.nn.init.trunc_normal_` (and timm's) of the loaded libtorch:
 * up to 2.11 inverse-CDF sampling of a uniform draw, then a clamp; from 2.12
 * rejection sampling (`options.sampler` picks either). Defaults as PyTorch:
 * mean 0, std 1, a -2, b 2.
 *
 * NOTE: `a` and `b` are absolute bounds, not multiples of `std`: timm and
 * DINO call `truncNormal_(w, { std: 0.02 })`, whose bounds are +-2 (no truncation in practice).
 * @example nn.init.truncNormal_(vit.posEmbed, { std: 0.02 })
 */
export function truncNormal_(tensor: Tensor, options: TruncNormalOptions = {}): Tensor {
  const t = checkTensor(tensor, 'tensor');
  const { mean, std, a, b, sampler } = TRUNC_NORMAL_OPTIONS.resolve(options, optionsKey);
  if (!(std > 0)) throw new RangeError(`Expected a positive number for options.std but received ${std}`);
  if (!(a < b)) throw new RangeError(`Expected options.a < options.b but received a ${a}, b ${b}`);
  const cdf = (x: number): number => (1 + erf(x / Math.SQRT2)) / 2;
  const l = cdf((a - mean) / std);
  const u = cdf((b - mean) / std);
  if ((sampler ?? defaultTruncNormalSampler()) === 'rejection') {
    // In a scope: the masks, redraws and buffers go at its end (the step-leak checks count them).
    noGrad(() => scope(() => truncNormalRejection(t, mean, std, a, b, u - l, options.generator)));
    return t;
  }
  noGrad(() => {
    t.uniform_(2 * l - 1, 2 * u - 1, { generator: options.generator });
    ops.aten.erfinv_(t);
    t.mul_(std * Math.SQRT2);
    t.add_(mean);
    t.clamp_(a, b);
  });
  return t;
}

/** Options of the Kaiming (He) initialisers, as `torch.nn.init.kaiming_*_`'s arguments. */
export interface KaimingOptions extends GeneratorOption {
  /** Negative slope of the leaky ReLU that follows (only for 'leaky_relu'). Default 0. */
  a?: number;
  /** 'fan_in' keeps the forward variance, 'fan_out' the backward one. Default 'fan_in'. */
  mode?: FanMode;
  /** The nonlinearity that follows. Default 'leaky_relu' (with a = 0, the ReLU gain sqrt(2)). */
  nonlinearity?: Nonlinearity;
}

// The defaults of KaimingOptions, as PyTorch's arguments; `a` and `nonlinearity`
// are checked by calculateGain, which reads `a` for 'leaky_relu' only.
const KAIMING_OPTIONS = defineOptions({
  a: option(0, is.checkedLater<number>()),
  mode: option<FanMode>('fan_in', (v, what) => {
    if (v === 'fan_in' || v === 'fan_out') return v;
    throw new TypeError(`Expected 'fan_in' or 'fan_out' for ${what} but received '${String(v)}'`);
  }),
  nonlinearity: option<Nonlinearity>('leaky_relu', is.checkedLater<Nonlinearity>()),
});

function kaimingStd(t: Tensor, options: KaimingOptions): number {
  const { a, mode, nonlinearity } = KAIMING_OPTIONS.resolve(options, optionsKey);
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  const fan = mode === 'fan_in' ? fanIn : fanOut;
  const gain = calculateGain(nonlinearity, a);
  return gain / Math.sqrt(fan);
}

/**
 * Fills `tensor` from U(-bound, bound), bound = gain * sqrt(3 / fan), in
 * place, as `torch.nn.init.kaiming_uniform_` (He et al. 2015).
 * Defaults as PyTorch: a 0, mode 'fan_in', nonlinearity 'leaky_relu'.
 * @example nn.init.kaimingUniform_(linear.weight, { a: Math.sqrt(5) }) // Linear's default init
 */
export function kaimingUniform_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const t = checkTensor(tensor, 'tensor');
  if (t.numel() === 0) return t;
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  noGrad(() => t.uniform_(-bound, bound, { generator: options.generator }));
  return t;
}

/**
 * Fills `tensor` from N(0, std^2), std = gain / sqrt(fan), in place, as
 * `torch.nn.init.kaiming_normal_`. torchvision's ResNet uses
 * `{ mode: 'fan_out', nonlinearity: 'relu' }` for its convolutions.
 * @example nn.init.kaimingNormal_(conv.weight, { mode: 'fan_out', nonlinearity: 'relu' })
 */
export function kaimingNormal_(tensor: Tensor, options: KaimingOptions = {}): Tensor {
  const t = checkTensor(tensor, 'tensor');
  if (t.numel() === 0) return t;
  const std = kaimingStd(t, options);
  noGrad(() => t.normal_(0, std, { generator: options.generator }));
  return t;
}

/** Options of the Xavier (Glorot) initialisers. */
export interface XavierOptions extends GeneratorOption {
  /** Scaling factor. Default 1. */
  gain?: number;
}

const XAVIER_OPTIONS = defineOptions({ gain: option(1, checkFinite) });

function xavierStd(t: Tensor, options: XavierOptions): number {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t);
  return XAVIER_OPTIONS.resolve(options, optionsKey).gain * Math.sqrt(2 / (fanIn + fanOut));
}

/**
 * Fills `tensor` from U(-a, a), a = gain * sqrt(6 / (fanIn + fanOut)), in
 * place, as `torch.nn.init.xavier_uniform_` (Glorot & Bengio 2010). timm's
 * ViT initialises its Linear layers this way.
 * @example nn.init.xavierUniform_(linear.weight)
 */
export function xavierUniform_(tensor: Tensor, options: XavierOptions = {}): Tensor {
  const t = checkTensor(tensor, 'tensor');
  const a = Math.sqrt(3) * xavierStd(t, options);
  noGrad(() => t.uniform_(-a, a, { generator: options.generator }));
  return t;
}

/**
 * Fills `tensor` from N(0, std^2), std = gain * sqrt(2 / (fanIn + fanOut)),
 * in place, as `torch.nn.init.xavier_normal_`.
 * @example nn.init.xavierNormal_(linear.weight, { gain: nn.init.calculateGain('tanh') })
 */
export function xavierNormal_(tensor: Tensor, options: XavierOptions = {}): Tensor {
  const t = checkTensor(tensor, 'tensor');
  const std = xavierStd(t, options);
  noGrad(() => t.normal_(0, std, { generator: options.generator }));
  return t;
}
