// Activation functions and (log-)softmax, as tensor methods.
import { Tensor } from '../tensor';
import { op } from '../op';
import { DtypeOption } from './reduction';

declare module '../tensor' {
  interface Tensor {
    /** `max(this, 0)`. @example x.relu() */
    relu(): Tensor;
    /** In-place `relu`. @example x.relu_() */
    relu_(): this;
    /** `this` where positive, else `negativeSlope * this`, as `F.leaky_relu`. @example x.leakyRelu(0.2) */
    leakyRelu(negativeSlope?: number): Tensor;
    /**
     * Gaussian error linear unit, exact (`'none'`) or with the tanh approximation, as `F.gelu`.
     * @example x.gelu(); x.gelu('tanh')
     */
    gelu(approximate?: 'none' | 'tanh'): Tensor;
    /** `this * sigmoid(this)` (swish). @example x.silu() */
    silu(): Tensor;
    /** `log(1 + exp(beta * this)) / beta`, linear above `threshold`, as `F.softplus`. @example x.softplus() */
    softplus(beta?: number, threshold?: number): Tensor;
    /** `this` where positive, else `alpha * (exp(this) - 1)`, as `F.elu`. @example x.elu() */
    elu(alpha?: number): Tensor;
    /** Clamps to [minVal, maxVal] (default [-1, 1]), as `F.hardtanh`. @example x.hardtanh(0, 6) // relu6 */
    hardtanh(minVal?: number, maxVal?: number): Tensor;
    /**
     * `exp(this) / sum(exp(this))` along `dim`, as `tensor.softmax` (computed in `dtype` when given).
     * @example logits.softmax(-1); logits.softmax(1, { dtype: 'float32' })
     */
    softmax(dim: number, options?: DtypeOption): Tensor;
    /** `log(softmax(this))` along `dim`, computed stably. @example logits.logSoftmax(1) */
    logSoftmax(dim: number, options?: DtypeOption): Tensor;
  }
}

const ops = {
  relu: op('relu'), relu_: op('relu_'), leakyRelu: op('leaky_relu'), gelu: op('gelu'), silu: op('silu'),
  softplus: op('softplus'), elu: op('elu'), hardtanh: op('hardtanh'),
  softmax: op('softmax', 'int'), logSoftmax: op('log_softmax', 'int'),
};

Tensor.prototype.relu = function (this: Tensor) { return ops.relu.tensor(this._h); };
Tensor.prototype.relu_ = function <T extends Tensor>(this: T): T { ops.relu_.raw(this._h); return this; };
Tensor.prototype.leakyRelu = function (this: Tensor, negativeSlope?: number) {
  return ops.leakyRelu.tensor(this._h, negativeSlope);
};
Tensor.prototype.gelu = function (this: Tensor, approximate?: 'none' | 'tanh') {
  return ops.gelu.tensor(this._h, approximate);
};
Tensor.prototype.silu = function (this: Tensor) { return ops.silu.tensor(this._h); };
Tensor.prototype.softplus = function (this: Tensor, beta?: number, threshold?: number) {
  return ops.softplus.tensor(this._h, beta, threshold);
};
Tensor.prototype.elu = function (this: Tensor, alpha?: number) { return ops.elu.tensor(this._h, alpha); };
Tensor.prototype.hardtanh = function (this: Tensor, minVal?: number, maxVal?: number) {
  return ops.hardtanh.tensor(this._h, minVal, maxVal);
};
Tensor.prototype.softmax = function (this: Tensor, dim: number, options?: DtypeOption) {
  return ops.softmax.tensor(this._h, dim, options === undefined ? undefined : options.dtype);
};
Tensor.prototype.logSoftmax = function (this: Tensor, dim: number, options?: DtypeOption) {
  return ops.logSoftmax.tensor(this._h, dim, options === undefined ? undefined : options.dtype);
};
