// Pointwise arithmetic and math: binary operators (Tensor or number operand),
// unary functions, clamping, and their in-place forms.
import { Tensor } from '../tensor';
import { Generator } from '../random';
import { h, op } from '../op';

/** How `div` rounds its quotient: toward zero ('trunc') or toward negative infinity ('floor'). */
export type RoundingMode = 'trunc' | 'floor';

declare module '../tensor' {
  interface Tensor {
    /** `this + alpha * other` (broadcasting), as `tensor.add`. @example x.add(y); x.add(1); x.add(y, { alpha: -0.5 }) */
    add(other: Tensor | number, options?: { alpha?: number }): Tensor;
    /** `this - alpha * other`, as `tensor.sub`. @example x.sub(y); x.sub(1, { alpha: 2 }) */
    sub(other: Tensor | number, options?: { alpha?: number }): Tensor;
    /** Elementwise product, as `tensor.mul`. @example x.mul(y); x.mul(0.5) */
    mul(other: Tensor | number): Tensor;
    /**
     * Elementwise quotient (true division unless `roundingMode` is given), as `tensor.div`.
     * @example x.div(y); x.div(2); x.div(3, { roundingMode: 'floor' })
     */
    div(other: Tensor | number, options?: { roundingMode?: RoundingMode }): Tensor;
    /** `this ** exponent`, as `tensor.pow`. @example x.pow(2); x.pow(y) */
    pow(exponent: Tensor | number): Tensor;
    /** `-this`. @example x.neg() */
    neg(): Tensor;
    /** `|this|`. @example x.abs() */
    abs(): Tensor;
    /** `e ** this`. @example x.exp() */
    exp(): Tensor;
    /** Natural logarithm. @example x.log() */
    log(): Tensor;
    /** `log(1 + this)`, accurate for small values. @example x.log1p() */
    log1p(): Tensor;
    /** `exp(this) - 1`, accurate for small values. @example x.expm1() */
    expm1(): Tensor;
    /** Square root. @example x.sqrt() */
    sqrt(): Tensor;
    /** `1 / sqrt(this)`. @example x.rsqrt() */
    rsqrt(): Tensor;
    /** `this * this`. @example x.square() */
    square(): Tensor;
    /** Sine. @example x.sin() */
    sin(): Tensor;
    /** Cosine. @example x.cos() */
    cos(): Tensor;
    /** Hyperbolic tangent. @example x.tanh() */
    tanh(): Tensor;
    /** Logistic sigmoid `1 / (1 + exp(-this))`. @example logits.sigmoid() */
    sigmoid(): Tensor;
    /**
     * Limits values to [min, max] (either bound may be a number, a Tensor, or null for none), as `tensor.clamp`.
     * @example x.clamp(0, 1); x.clamp(null, 6); x.clamp(lo, hi)
     */
    clamp(min?: Tensor | number | null, max?: Tensor | number | null): Tensor;
    /** `max(this, min)`, as `tensor.clamp_min`. @example x.clampMin(1e-12) */
    clampMin(min: Tensor | number): Tensor;
    /** `min(this, max)`, as `tensor.clamp_max`. @example x.clampMax(1) */
    clampMax(max: Tensor | number): Tensor;
    /** Rounds down. @example x.floor() */
    floor(): Tensor;
    /** Rounds up. @example x.ceil() */
    ceil(): Tensor;
    /** Rounds half to even (or to `decimals` places), as `tensor.round`. @example x.round(); x.round({ decimals: 2 }) */
    round(options?: { decimals?: number }): Tensor;
    /** -1, 0 or 1 by sign. @example x.sign() */
    sign(): Tensor;
    /** `1 / this`. @example x.reciprocal() */
    reciprocal(): Tensor;
    /** Python-style modulus (the result has the divisor's sign), as `tensor.remainder`. @example x.remainder(3) */
    remainder(other: Tensor | number): Tensor;
    /** C-style modulus (the result has the dividend's sign), as `tensor.fmod`. @example x.fmod(3) */
    fmod(other: Tensor | number): Tensor;
    /** Elementwise maximum of two tensors (NaN propagates). @example x.maximum(y) */
    maximum(other: Tensor): Tensor;
    /** Elementwise minimum of two tensors (NaN propagates). @example x.minimum(y) */
    minimum(other: Tensor): Tensor;
    /** `this + value * tensor1 * tensor2`, as `tensor.addcmul`. @example m.addcmul(g, g, { value: 0.001 }) */
    addcmul(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): Tensor;
    /** `this + value * tensor1 / tensor2`, as `tensor.addcdiv`. @example p.addcdiv(m, v.sqrt().add(1e-8), { value: -lr }) */
    addcdiv(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): Tensor;
    /** `this + weight * (end - this)`, as `tensor.lerp`. @example ema.lerp(w, 0.004) */
    lerp(end: Tensor, weight: Tensor | number): Tensor;
    /** Gauss error function. @example x.erf() */
    erf(): Tensor;

    /** In-place `add`. @example x.add_(y); x.add_(g, { alpha: -lr }) */
    add_(other: Tensor | number, options?: { alpha?: number }): this;
    /** In-place `sub`. @example x.sub_(1) */
    sub_(other: Tensor | number, options?: { alpha?: number }): this;
    /** In-place `mul`. @example x.mul_(0.9) */
    mul_(other: Tensor | number): this;
    /** In-place `div`. @example x.div_(norm) */
    div_(other: Tensor | number, options?: { roundingMode?: RoundingMode }): this;
    /** In-place `pow`. @example x.pow_(2) */
    pow_(exponent: Tensor | number): this;
    /** In-place `neg`. @example x.neg_() */
    neg_(): this;
    /** In-place `exp`. @example x.exp_() */
    exp_(): this;
    /** In-place `sqrt`. @example v.sqrt_() */
    sqrt_(): this;
    /** In-place `clamp`. @example x.clamp_(0, 1) */
    clamp_(min?: Tensor | number | null, max?: Tensor | number | null): this;
    /** In-place `clampMin`. @example x.clampMin_(0) */
    clampMin_(min: Tensor | number): this;
    /** In-place `clampMax`. @example x.clampMax_(1) */
    clampMax_(max: Tensor | number): this;
    /** Sets every element to zero. @example p.grad?.zero_() */
    zero_(): this;
    /** Sets every element to `value` (a number, boolean or one-element Tensor). @example x.fill_(1) */
    fill_(value: Tensor | number | boolean): this;
    /** Fills with samples from U[from, to). @example w.uniform_(-0.1, 0.1) */
    uniform_(from?: number, to?: number, options?: { generator?: Generator }): this;
    /** Fills with samples from N(mean, std^2). @example w.normal_(0, 0.02) */
    normal_(mean?: number, std?: number, options?: { generator?: Generator }): this;
    /** In-place `addcmul`. @example v.addcmul_(g, g, { value: 1 - beta2 }) */
    addcmul_(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): this;
    /** In-place `addcdiv`. @example p.addcdiv_(m, denom, { value: -lr }) */
    addcdiv_(tensor1: Tensor, tensor2: Tensor, options?: { value?: number }): this;
    /** In-place `lerp`. @example teacher.lerp_(student, 1 - momentum) */
    lerp_(end: Tensor, weight: Tensor | number): this;
  }
}

const ops = {
  add: op('add', 'Tensor'), addS: op('add', 'Scalar'), add_: op('add_', 'Tensor'), addS_: op('add_', 'Scalar'),
  sub: op('sub', 'Tensor'), subS: op('sub', 'Scalar'), sub_: op('sub_', 'Tensor'), subS_: op('sub_', 'Scalar'),
  mul: op('mul', 'Tensor'), mulS: op('mul', 'Scalar'), mul_: op('mul_', 'Tensor'), mulS_: op('mul_', 'Scalar'),
  div: op('div', 'Tensor'), divS: op('div', 'Scalar'), divM: op('div', 'Tensor_mode'), divSM: op('div', 'Scalar_mode'),
  div_: op('div_', 'Tensor'), divS_: op('div_', 'Scalar'),
  divM_: op('div_', 'Tensor_mode'), divSM_: op('div_', 'Scalar_mode'),
  pow: op('pow', 'Tensor_Tensor'), powS: op('pow', 'Tensor_Scalar'),
  pow_: op('pow_', 'Tensor'), powS_: op('pow_', 'Scalar'),
  neg: op('neg'), abs: op('abs'), exp: op('exp'), log: op('log'), log1p: op('log1p'), expm1: op('expm1'),
  sqrt: op('sqrt'), rsqrt: op('rsqrt'), square: op('square'), sin: op('sin'), cos: op('cos'), tanh: op('tanh'),
  sigmoid: op('sigmoid'), floor: op('floor'), ceil: op('ceil'), round: op('round'), roundD: op('round', 'decimals'),
  sign: op('sign'), reciprocal: op('reciprocal'), erf: op('erf'),
  neg_: op('neg_'), exp_: op('exp_'), sqrt_: op('sqrt_'),
  clamp: op('clamp'), clampT: op('clamp', 'Tensor'), clamp_: op('clamp_'), clampT_: op('clamp_', 'Tensor'),
  clampMin: op('clamp_min'), clampMinT: op('clamp_min', 'Tensor'),
  clampMax: op('clamp_max'), clampMaxT: op('clamp_max', 'Tensor'),
  clampMin_: op('clamp_min_'), clampMinT_: op('clamp_min_', 'Tensor'),
  clampMax_: op('clamp_max_'), clampMaxT_: op('clamp_max_', 'Tensor'),
  remainder: op('remainder', 'Tensor'), remainderS: op('remainder', 'Scalar'),
  fmod: op('fmod', 'Tensor'), fmodS: op('fmod', 'Scalar'),
  maximum: op('maximum'), minimum: op('minimum'),
  addcmul: op('addcmul'), addcdiv: op('addcdiv'), addcmul_: op('addcmul_'), addcdiv_: op('addcdiv_'),
  lerp: op('lerp', 'Tensor'), lerpS: op('lerp', 'Scalar'), lerp_: op('lerp_', 'Tensor'), lerpS_: op('lerp_', 'Scalar'),
  zero_: op('zero_'), fill_: op('fill_', 'Tensor'), fillS_: op('fill_', 'Scalar'),
  uniform_: op('uniform_'), normal_: op('normal_'),
};

Tensor.prototype.add = function (this: Tensor, other: Tensor | number, options?: { alpha?: number }) {
  const alpha = options === undefined ? undefined : options.alpha;
  return typeof other === 'number' ? ops.addS.tensor(this._h, other, alpha) : ops.add.tensor(this._h, h(other), alpha);
};
Tensor.prototype.sub = function (this: Tensor, other: Tensor | number, options?: { alpha?: number }) {
  const alpha = options === undefined ? undefined : options.alpha;
  return typeof other === 'number' ? ops.subS.tensor(this._h, other, alpha) : ops.sub.tensor(this._h, h(other), alpha);
};
Tensor.prototype.mul = function (this: Tensor, other: Tensor | number) {
  return typeof other === 'number' ? ops.mulS.tensor(this._h, other) : ops.mul.tensor(this._h, h(other));
};
Tensor.prototype.div = function (this: Tensor, other: Tensor | number, options?: { roundingMode?: RoundingMode }) {
  const mode = options === undefined ? undefined : options.roundingMode;
  if (mode === undefined) {
    return typeof other === 'number' ? ops.divS.tensor(this._h, other) : ops.div.tensor(this._h, h(other));
  }
  return typeof other === 'number' ? ops.divSM.tensor(this._h, other, mode) : ops.divM.tensor(this._h, h(other), mode);
};
Tensor.prototype.pow = function (this: Tensor, exponent: Tensor | number) {
  return typeof exponent === 'number' ? ops.powS.tensor(this._h, exponent) : ops.pow.tensor(this._h, h(exponent));
};
Tensor.prototype.neg = function (this: Tensor) { return ops.neg.tensor(this._h); };
Tensor.prototype.abs = function (this: Tensor) { return ops.abs.tensor(this._h); };
Tensor.prototype.exp = function (this: Tensor) { return ops.exp.tensor(this._h); };
Tensor.prototype.log = function (this: Tensor) { return ops.log.tensor(this._h); };
Tensor.prototype.log1p = function (this: Tensor) { return ops.log1p.tensor(this._h); };
Tensor.prototype.expm1 = function (this: Tensor) { return ops.expm1.tensor(this._h); };
Tensor.prototype.sqrt = function (this: Tensor) { return ops.sqrt.tensor(this._h); };
Tensor.prototype.rsqrt = function (this: Tensor) { return ops.rsqrt.tensor(this._h); };
Tensor.prototype.square = function (this: Tensor) { return ops.square.tensor(this._h); };
Tensor.prototype.sin = function (this: Tensor) { return ops.sin.tensor(this._h); };
Tensor.prototype.cos = function (this: Tensor) { return ops.cos.tensor(this._h); };
Tensor.prototype.tanh = function (this: Tensor) { return ops.tanh.tensor(this._h); };
Tensor.prototype.sigmoid = function (this: Tensor) { return ops.sigmoid.tensor(this._h); };
Tensor.prototype.floor = function (this: Tensor) { return ops.floor.tensor(this._h); };
Tensor.prototype.ceil = function (this: Tensor) { return ops.ceil.tensor(this._h); };
Tensor.prototype.round = function (this: Tensor, options?: { decimals?: number }) {
  const decimals = options === undefined ? undefined : options.decimals;
  return decimals === undefined ? ops.round.tensor(this._h) : ops.roundD.tensor(this._h, decimals);
};
Tensor.prototype.sign = function (this: Tensor) { return ops.sign.tensor(this._h); };
Tensor.prototype.reciprocal = function (this: Tensor) { return ops.reciprocal.tensor(this._h); };
Tensor.prototype.erf = function (this: Tensor) { return ops.erf.tensor(this._h); };

/** True when a clamp bound is a Tensor (anything else — number, null, undefined — goes to the Scalar overload). */
function isBoundTensor(bound: Tensor | number | null | undefined): boolean {
  return bound !== null && bound !== undefined && typeof bound !== 'number';
}

Tensor.prototype.clamp = function (this: Tensor, min?: Tensor | number | null, max?: Tensor | number | null): Tensor {
  const tMin = isBoundTensor(min);
  const tMax = isBoundTensor(max);
  if (!tMin && !tMax) return ops.clamp.tensor(this._h, min, max);
  if ((tMin || min == null) && (tMax || max == null)) return ops.clampT.tensor(this._h, h(min), h(max));
  // NOTE: one Tensor bound and one number bound has no single overload; clamp_min then clamp_max
  // gives the same result as clamp, including `max` winning when min > max.
  const low = this.clampMin(min as Tensor | number);
  try {
    return low.clampMax(max as Tensor | number);
  } finally {
    low.dispose();
  }
};
Tensor.prototype.clampMin = function (this: Tensor, min: Tensor | number) {
  return typeof min === 'number' ? ops.clampMin.tensor(this._h, min) : ops.clampMinT.tensor(this._h, h(min));
};
Tensor.prototype.clampMax = function (this: Tensor, max: Tensor | number) {
  return typeof max === 'number' ? ops.clampMax.tensor(this._h, max) : ops.clampMaxT.tensor(this._h, h(max));
};
Tensor.prototype.remainder = function (this: Tensor, other: Tensor | number) {
  return typeof other === 'number' ? ops.remainderS.tensor(this._h, other) : ops.remainder.tensor(this._h, h(other));
};
Tensor.prototype.fmod = function (this: Tensor, other: Tensor | number) {
  return typeof other === 'number' ? ops.fmodS.tensor(this._h, other) : ops.fmod.tensor(this._h, h(other));
};
Tensor.prototype.maximum = function (this: Tensor, other: Tensor) { return ops.maximum.tensor(this._h, h(other)); };
Tensor.prototype.minimum = function (this: Tensor, other: Tensor) { return ops.minimum.tensor(this._h, h(other)); };
Tensor.prototype.addcmul = function (this: Tensor, tensor1: Tensor, tensor2: Tensor, options?: { value?: number }) {
  return ops.addcmul.tensor(this._h, h(tensor1), h(tensor2), options === undefined ? undefined : options.value);
};
Tensor.prototype.addcdiv = function (this: Tensor, tensor1: Tensor, tensor2: Tensor, options?: { value?: number }) {
  return ops.addcdiv.tensor(this._h, h(tensor1), h(tensor2), options === undefined ? undefined : options.value);
};
Tensor.prototype.lerp = function (this: Tensor, end: Tensor, weight: Tensor | number) {
  return typeof weight === 'number' ? ops.lerpS.tensor(this._h, h(end), weight)
    : ops.lerp.tensor(this._h, h(end), h(weight));
};

// In place: the native call writes into this tensor; its result is this tensor's own handle.

Tensor.prototype.add_ = function <T extends Tensor>(this: T, other: Tensor | number, options?: { alpha?: number }): T {
  const alpha = options === undefined ? undefined : options.alpha;
  if (typeof other === 'number') ops.addS_.raw(this._h, other, alpha);
  else ops.add_.raw(this._h, h(other), alpha);
  return this;
};
Tensor.prototype.sub_ = function <T extends Tensor>(this: T, other: Tensor | number, options?: { alpha?: number }): T {
  const alpha = options === undefined ? undefined : options.alpha;
  if (typeof other === 'number') ops.subS_.raw(this._h, other, alpha);
  else ops.sub_.raw(this._h, h(other), alpha);
  return this;
};
Tensor.prototype.mul_ = function <T extends Tensor>(this: T, other: Tensor | number): T {
  if (typeof other === 'number') ops.mulS_.raw(this._h, other);
  else ops.mul_.raw(this._h, h(other));
  return this;
};
Tensor.prototype.div_ = function <T extends Tensor>(this: T, other: Tensor | number,
  options?: { roundingMode?: RoundingMode }): T {
  const mode = options === undefined ? undefined : options.roundingMode;
  if (mode === undefined) {
    if (typeof other === 'number') ops.divS_.raw(this._h, other);
    else ops.div_.raw(this._h, h(other));
  } else if (typeof other === 'number') ops.divSM_.raw(this._h, other, mode);
  else ops.divM_.raw(this._h, h(other), mode);
  return this;
};
Tensor.prototype.pow_ = function <T extends Tensor>(this: T, exponent: Tensor | number): T {
  if (typeof exponent === 'number') ops.powS_.raw(this._h, exponent);
  else ops.pow_.raw(this._h, h(exponent));
  return this;
};
Tensor.prototype.neg_ = function <T extends Tensor>(this: T): T { ops.neg_.raw(this._h); return this; };
Tensor.prototype.exp_ = function <T extends Tensor>(this: T): T { ops.exp_.raw(this._h); return this; };
Tensor.prototype.sqrt_ = function <T extends Tensor>(this: T): T { ops.sqrt_.raw(this._h); return this; };
Tensor.prototype.clamp_ = function <T extends Tensor>(this: T, min?: Tensor | number | null,
  max?: Tensor | number | null): T {
  const tMin = isBoundTensor(min);
  const tMax = isBoundTensor(max);
  if (!tMin && !tMax) ops.clamp_.raw(this._h, min, max);
  else if ((tMin || min == null) && (tMax || max == null)) ops.clampT_.raw(this._h, h(min), h(max));
  else this.clampMin_(min as Tensor | number).clampMax_(max as Tensor | number);
  return this;
};
Tensor.prototype.clampMin_ = function <T extends Tensor>(this: T, min: Tensor | number): T {
  if (typeof min === 'number') ops.clampMin_.raw(this._h, min);
  else ops.clampMinT_.raw(this._h, h(min));
  return this;
};
Tensor.prototype.clampMax_ = function <T extends Tensor>(this: T, max: Tensor | number): T {
  if (typeof max === 'number') ops.clampMax_.raw(this._h, max);
  else ops.clampMaxT_.raw(this._h, h(max));
  return this;
};
Tensor.prototype.zero_ = function <T extends Tensor>(this: T): T { ops.zero_.raw(this._h); return this; };
Tensor.prototype.fill_ = function <T extends Tensor>(this: T, value: Tensor | number | boolean): T {
  if (typeof value === 'number' || typeof value === 'boolean') ops.fillS_.raw(this._h, value);
  else ops.fill_.raw(this._h, h(value));
  return this;
};
Tensor.prototype.uniform_ = function <T extends Tensor>(this: T, from?: number, to?: number,
  options?: { generator?: Generator }): T {
  ops.uniform_.raw(this._h, from, to, options === undefined ? undefined : options.generator);
  return this;
};
Tensor.prototype.normal_ = function <T extends Tensor>(this: T, mean?: number, std?: number,
  options?: { generator?: Generator }): T {
  ops.normal_.raw(this._h, mean, std, options === undefined ? undefined : options.generator);
  return this;
};
Tensor.prototype.addcmul_ = function <T extends Tensor>(this: T, tensor1: Tensor, tensor2: Tensor,
  options?: { value?: number }): T {
  ops.addcmul_.raw(this._h, h(tensor1), h(tensor2), options === undefined ? undefined : options.value);
  return this;
};
Tensor.prototype.addcdiv_ = function <T extends Tensor>(this: T, tensor1: Tensor, tensor2: Tensor,
  options?: { value?: number }): T {
  ops.addcdiv_.raw(this._h, h(tensor1), h(tensor2), options === undefined ? undefined : options.value);
  return this;
};
Tensor.prototype.lerp_ = function <T extends Tensor>(this: T, end: Tensor, weight: Tensor | number): T {
  if (typeof weight === 'number') ops.lerpS_.raw(this._h, h(end), weight);
  else ops.lerp_.raw(this._h, h(end), h(weight));
  return this;
};
