// Matrix products.
import { Tensor } from '../tensor';
import { h, op } from '../op';

declare module '../tensor' {
  interface Tensor {
    /**
     * Matrix product with broadcasting over batch dimensions (1-D operands act as vectors), as `tensor.matmul`.
     * @example q.matmul(k.transpose(-2, -1)) // (B, heads, T, T)
     */
    matmul(other: Tensor): Tensor;
    /** Product of two matrices (n, m) x (m, p), without broadcasting. @example z1.mm(z2.t()) */
    mm(mat2: Tensor): Tensor;
    /** Batched matrix product (b, n, m) x (b, m, p). @example a.bmm(b) */
    bmm(mat2: Tensor): Tensor;
    /** Inner product of two 1-D tensors. @example u.dot(v) */
    dot(other: Tensor): Tensor;
    /** Outer product of two 1-D tensors (n) x (m) -> (n, m). @example u.outer(v) */
    outer(vec2: Tensor): Tensor;
    /**
     * `beta * this + alpha * (mat1 @ mat2)`, as `tensor.addmm` (the fused bias + matmul of a linear layer).
     * @example bias.addmm(x, w.t())
     */
    addmm(mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }): Tensor;
  }
}

const ops = {
  matmul: op('matmul'), mm: op('mm'), bmm: op('bmm'), dot: op('dot'), outer: op('outer'), addmm: op('addmm'),
};

Tensor.prototype.matmul = function (this: Tensor, other: Tensor) { return ops.matmul.tensor(this._h, h(other)); };
Tensor.prototype.mm = function (this: Tensor, mat2: Tensor) { return ops.mm.tensor(this._h, h(mat2)); };
Tensor.prototype.bmm = function (this: Tensor, mat2: Tensor) { return ops.bmm.tensor(this._h, h(mat2)); };
Tensor.prototype.dot = function (this: Tensor, other: Tensor) { return ops.dot.tensor(this._h, h(other)); };
Tensor.prototype.outer = function (this: Tensor, vec2: Tensor) { return ops.outer.tensor(this._h, h(vec2)); };
Tensor.prototype.addmm = function (this: Tensor, mat1: Tensor, mat2: Tensor, options?: { beta?: number; alpha?: number }) {
  return options === undefined ? ops.addmm.tensor(this._h, h(mat1), h(mat2))
    : ops.addmm.tensor(this._h, h(mat1), h(mat2), options.beta, options.alpha);
};
