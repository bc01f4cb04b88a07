// Comparisons and logical operators: elementwise results are bool tensors;
// allclose and equal answer with one JS boolean.
import { Tensor } from '../tensor';
import { h, op } from '../op';

/** Tolerances of `allclose` and `isclose`: |a - b| <= atol + rtol * |b|. */
export interface CloseOptions {
  /** Relative tolerance (1e-5). */
  rtol?: number;
  /** Absolute tolerance (1e-8). */
  atol?: number;
  /** Count NaN as equal to NaN (false). */
  equalNan?: boolean;
}

declare module '../tensor' {
  interface Tensor {
    /** `this == other` elementwise (broadcasting), as `tensor.eq`. @example labels.eq(preds).float().mean() */
    eq(other: Tensor | number | boolean): Tensor;
    /** `this != other` elementwise. @example x.ne(0) */
    ne(other: Tensor | number | boolean): Tensor;
    /** `this < other` elementwise. @example x.lt(0.5) */
    lt(other: Tensor | number): Tensor;
    /** `this <= other` elementwise. @example x.le(y) */
    le(other: Tensor | number): Tensor;
    /** `this > other` elementwise. @example x.gt(0) */
    gt(other: Tensor | number): Tensor;
    /** `this >= other` elementwise. @example x.ge(threshold) */
    ge(other: Tensor | number): Tensor;
    /** True where an element is NaN. @example loss.isnan().any().item() */
    isnan(): Tensor;
    /** True where an element is +/-Infinity. @example x.isinf() */
    isinf(): Tensor;
    /** True where an element is neither NaN nor infinite. @example x.isfinite().all() */
    isfinite(): Tensor;
    /** Elementwise NOT (nonzero counts as true). @example mask.logicalNot() */
    logicalNot(): Tensor;
    /** Elementwise AND. @example a.logicalAnd(b) */
    logicalAnd(other: Tensor): Tensor;
    /** Elementwise OR. @example a.logicalOr(b) */
    logicalOr(other: Tensor): Tensor;
    /** Elementwise XOR. @example a.logicalXor(b) */
    logicalXor(other: Tensor): Tensor;
    /** Elementwise `|this - other| <= atol + rtol * |other|`, as `tensor.isclose`. @example a.isclose(b, { atol: 1e-6 }) */
    isclose(other: Tensor, options?: CloseOptions): Tensor;
    /** Whether every element is close to `other`'s (broadcasting), as `tensor.allclose`. @example a.allclose(b, { rtol: 1e-4 }) */
    allclose(other: Tensor, options?: CloseOptions): boolean;
    /** Whether both tensors have the same shape and elements, as `torch.equal`. @example a.equal(b) */
    equal(other: Tensor): boolean;
  }
}

const ops = {
  eq: op('eq', 'Tensor'), eqS: op('eq', 'Scalar'), ne: op('ne', 'Tensor'), neS: op('ne', 'Scalar'),
  lt: op('lt', 'Tensor'), ltS: op('lt', 'Scalar'), le: op('le', 'Tensor'), leS: op('le', 'Scalar'),
  gt: op('gt', 'Tensor'), gtS: op('gt', 'Scalar'), ge: op('ge', 'Tensor'), geS: op('ge', 'Scalar'),
  isnan: op('isnan'), isinf: op('isinf'), isfinite: op('isfinite'),
  logicalNot: op('logical_not'), logicalAnd: op('logical_and'), logicalOr: op('logical_or'),
  logicalXor: op('logical_xor'), isclose: op('isclose'), allclose: op('allclose'), equal: op('equal'),
};

Tensor.prototype.eq = function (this: Tensor, other: Tensor | number | boolean) {
  return typeof other === 'number' || typeof other === 'boolean' ? ops.eqS.tensor(this._h, other)
    : ops.eq.tensor(this._h, h(other));
};
Tensor.prototype.ne = function (this: Tensor, other: Tensor | number | boolean) {
  return typeof other === 'number' || typeof other === 'boolean' ? ops.neS.tensor(this._h, other)
    : ops.ne.tensor(this._h, h(other));
};
Tensor.prototype.lt = function (this: Tensor, other: Tensor | number) {
  return typeof other === 'number' ? ops.ltS.tensor(this._h, other) : ops.lt.tensor(this._h, h(other));
};
Tensor.prototype.le = function (this: Tensor, other: Tensor | number) {
  return typeof other === 'number' ? ops.leS.tensor(this._h, other) : ops.le.tensor(this._h, h(other));
};
Tensor.prototype.gt = function (this: Tensor, other: Tensor | number) {
  return typeof other === 'number' ? ops.gtS.tensor(this._h, other) : ops.gt.tensor(this._h, h(other));
};
Tensor.prototype.ge = function (this: Tensor, other: Tensor | number) {
  return typeof other === 'number' ? ops.geS.tensor(this._h, other) : ops.ge.tensor(this._h, h(other));
};
Tensor.prototype.isnan = function (this: Tensor) { return ops.isnan.tensor(this._h); };
Tensor.prototype.isinf = function (this: Tensor) { return ops.isinf.tensor(this._h); };
Tensor.prototype.isfinite = function (this: Tensor) { return ops.isfinite.tensor(this._h); };
Tensor.prototype.logicalNot = function (this: Tensor) { return ops.logicalNot.tensor(this._h); };
Tensor.prototype.logicalAnd = function (this: Tensor, other: Tensor) { return ops.logicalAnd.tensor(this._h, h(other)); };
Tensor.prototype.logicalOr = function (this: Tensor, other: Tensor) { return ops.logicalOr.tensor(this._h, h(other)); };
Tensor.prototype.logicalXor = function (this: Tensor, other: Tensor) { return ops.logicalXor.tensor(this._h, h(other)); };
Tensor.prototype.isclose = function (this: Tensor, other: Tensor, options?: CloseOptions) {
  return options === undefined ? ops.isclose.tensor(this._h, h(other))
    : ops.isclose.tensor(this._h, h(other), options.rtol, options.atol, options.equalNan);
};
Tensor.prototype.allclose = function (this: Tensor, other: Tensor, options?: CloseOptions) {
  return (options === undefined ? ops.allclose.raw(this._h, h(other))
    : ops.allclose.raw(this._h, h(other), options.rtol, options.atol, options.equalNan)) as boolean;
};
Tensor.prototype.equal = function (this: Tensor, other: Tensor) { return ops.equal.raw(this._h, h(other)) as boolean; };
