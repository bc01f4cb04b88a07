// Indexing: slices, selection by index tensors and masks, scatter/gather,
// and advanced indexing (`x[idx]`, `x[idx] = v`) as explicit methods.
import { Tensor } from '../tensor';
import { h, hs, op, wrap } from '../op';

/** How `scatter` combines values that land on the same place: replace (default), add or multiply. */
export type ScatterReduce = 'add' | 'multiply';

declare module '../tensor' {
  interface Tensor {
    /**
     * Elements `start, start + step, ...` before `end` along `dim` (a view), as `x[start:end:step]` on that dimension.
     * Omitted or null bounds mean the ends; negative bounds count from the end.
     * @example x.slice(1, 0, 3) // x[:, 0:3]; x.slice(0, null, null, 2) // x[::2]
     */
    slice(dim: number, start?: number | null, end?: number | null, step?: number): Tensor;
    /** The entries at the int64 positions `index` along `dim`, as `tensor.index_select`. @example x.indexSelect(0, perm) */
    indexSelect(dim: number, index: Tensor): Tensor;
    /**
     * `out[i][j] = this[index[i][j]][j]` for dim 0 (and so on), as `tensor.gather`.
     * @example logp.gather(1, labels.unsqueeze(1)) // the log-probability of each label
     */
    gather(dim: number, index: Tensor): Tensor;
    /**
     * A copy with `src` (a Tensor, or one number) written at the positions `index` along `dim`, as `tensor.scatter`.
     * @example torch.zeros([2, 3]).scatter(1, labels.unsqueeze(1), 1) // one-hot rows
     */
    scatter(dim: number, index: Tensor, src: Tensor | number, options?: { reduce?: ScatterReduce }): Tensor;
    /** In-place `scatter`. @example onehot.scatter_(1, labels.unsqueeze(1), 1) */
    scatter_(dim: number, index: Tensor, src: Tensor | number, options?: { reduce?: ScatterReduce }): this;
    /** A copy with `src` added at the positions `index` along `dim`, as `tensor.scatter_add`. @example counts.scatterAdd(0, ids, ones) */
    scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor;
    /** In-place `scatterAdd`. @example sums.scatterAdd_(0, ids, values) */
    scatterAdd_(dim: number, index: Tensor, src: Tensor): this;
    /** A copy with `value` where `mask` (bool, broadcast) is true, as `tensor.masked_fill`. @example sim.maskedFill(eye, -Infinity) */
    maskedFill(mask: Tensor, value: Tensor | number | boolean): Tensor;
    /** In-place `maskedFill`. @example sim.maskedFill_(diag, -1e9) */
    maskedFill_(mask: Tensor, value: Tensor | number | boolean): this;
    /** The elements where `mask` is true, as a 1-D tensor. @example x.maskedSelect(x.gt(0)) */
    maskedSelect(mask: Tensor): Tensor;
    /**
     * Advanced indexing, as `x[i0, i1, ...]` with index tensors (int64 or bool) per dimension; null takes the
     * whole dimension (`:`).
     * @example x.index([rows, cols]); x.index([null, idx]) // x[:, idx]
     */
    index(indices: readonly (Tensor | null)[]): Tensor;
    /**
     * `x[i0, i1, ...] = values` in place (added when `accumulate`), as `tensor.index_put_`.
     * @example x.indexPut_([mask], 0); counts.indexPut_([ids], ones, true)
     */
    indexPut_(indices: readonly (Tensor | null)[], values: Tensor | number, accumulate?: boolean): this;
    /** Out-of-place `indexPut_`. @example y = x.indexPut([idx], v) */
    indexPut(indices: readonly (Tensor | null)[], values: Tensor | number, accumulate?: boolean): Tensor;
    /** The positions of nonzero elements, one row per element (N, dim), as `tensor.nonzero`. @example mask.nonzero() */
    nonzero(): Tensor;
    /** This where `condition` is true, else `other`, as `tensor.where(condition, other)`. @example x.where(x.gt(0), 0) */
    where(condition: Tensor, other: Tensor | number): Tensor;
  }
}

const ops = {
  slice: op('slice', 'Tensor'), indexSelect: op('index_select'), gather: op('gather'),
  scatter: op('scatter', 'src'), scatterV: op('scatter', 'value'),
  scatterR: op('scatter', 'reduce'), scatterVR: op('scatter', 'value_reduce'),
  scatter_: op('scatter_', 'src'), scatterV_: op('scatter_', 'value'),
  scatterR_: op('scatter_', 'reduce'), scatterVR_: op('scatter_', 'value_reduce'),
  scatterAdd: op('scatter_add'), scatterAdd_: op('scatter_add_'),
  maskedFill: op('masked_fill', 'Tensor'), maskedFillS: op('masked_fill', 'Scalar'),
  maskedFill_: op('masked_fill_', 'Tensor'), maskedFillS_: op('masked_fill_', 'Scalar'),
  maskedSelect: op('masked_select'), index: op('index', 'Tensor'),
  indexPut_: op('index_put_'), indexPut: op('index_put'), scalarTensor: op('scalar_tensor'),
  nonzero: op('nonzero'), where: op('where', 'self'), whereS: op('where', 'ScalarOther'),
};

Tensor.prototype.slice = function (this: Tensor, dim: number, start?: number | null, end?: number | null, step?: number) {
  return ops.slice.tensor(this._h, dim, start, end, step);
};
Tensor.prototype.indexSelect = function (this: Tensor, dim: number, index: Tensor) {
  return ops.indexSelect.tensor(this._h, dim, h(index));
};
Tensor.prototype.gather = function (this: Tensor, dim: number, index: Tensor) {
  return ops.gather.tensor(this._h, dim, h(index));
};
Tensor.prototype.scatter = function (this: Tensor, dim: number, index: Tensor, src: Tensor | number,
  options?: { reduce?: ScatterReduce }) {
  const reduce = options === undefined ? undefined : options.reduce;
  if (typeof src === 'number') {
    return reduce === undefined ? ops.scatterV.tensor(this._h, dim, h(index), src)
      : ops.scatterVR.tensor(this._h, dim, h(index), src, reduce);
  }
  return reduce === undefined ? ops.scatter.tensor(this._h, dim, h(index), h(src))
    : ops.scatterR.tensor(this._h, dim, h(index), h(src), reduce);
};
Tensor.prototype.scatter_ = function <T extends Tensor>(this: T, dim: number, index: Tensor, src: Tensor | number,
  options?: { reduce?: ScatterReduce }): T {
  const reduce = options === undefined ? undefined : options.reduce;
  if (typeof src === 'number') {
    if (reduce === undefined) ops.scatterV_.raw(this._h, dim, h(index), src);
    else ops.scatterVR_.raw(this._h, dim, h(index), src, reduce);
  } else if (reduce === undefined) ops.scatter_.raw(this._h, dim, h(index), h(src));
  else ops.scatterR_.raw(this._h, dim, h(index), h(src), reduce);
  return this;
};
Tensor.prototype.scatterAdd = function (this: Tensor, dim: number, index: Tensor, src: Tensor) {
  return ops.scatterAdd.tensor(this._h, dim, h(index), h(src));
};
Tensor.prototype.scatterAdd_ = function <T extends Tensor>(this: T, dim: number, index: Tensor, src: Tensor): T {
  ops.scatterAdd_.raw(this._h, dim, h(index), h(src));
  return this;
};
Tensor.prototype.maskedFill = function (this: Tensor, mask: Tensor, value: Tensor | number | boolean) {
  return typeof value === 'number' || typeof value === 'boolean' ? ops.maskedFillS.tensor(this._h, h(mask), value)
    : ops.maskedFill.tensor(this._h, h(mask), h(value));
};
Tensor.prototype.maskedFill_ = function <T extends Tensor>(this: T, mask: Tensor, value: Tensor | number | boolean): T {
  if (typeof value === 'number' || typeof value === 'boolean') ops.maskedFillS_.raw(this._h, h(mask), value);
  else ops.maskedFill_.raw(this._h, h(mask), h(value));
  return this;
};
Tensor.prototype.maskedSelect = function (this: Tensor, mask: Tensor) {
  return ops.maskedSelect.tensor(this._h, h(mask));
};
Tensor.prototype.index = function (this: Tensor, indices: readonly (Tensor | null)[]) {
  return ops.index.tensor(this._h, hs(indices));
};

/** Calls an index_put overload; a number for `values` travels as a 0-D tensor of this tensor's dtype and device. */
function indexPut(put: typeof ops.indexPut, self: Tensor, indices: readonly (Tensor | null)[], values: Tensor | number,
  accumulate: boolean | undefined): unknown {
  if (typeof values !== 'number') return put.raw(self._h, hs(indices), h(values), accumulate);
  const value = ops.scalarTensor.tensor(values, self.dtype, undefined, self.device);
  try {
    return put.raw(self._h, hs(indices), value._h, accumulate);
  } finally {
    value.dispose();
  }
}

Tensor.prototype.indexPut_ = function <T extends Tensor>(this: T, indices: readonly (Tensor | null)[],
  values: Tensor | number, accumulate?: boolean): T {
  indexPut(ops.indexPut_, this, indices, values, accumulate);
  return this;
};
Tensor.prototype.indexPut = function (this: Tensor, indices: readonly (Tensor | null)[], values: Tensor | number,
  accumulate?: boolean) {
  return wrap(indexPut(ops.indexPut, this, indices, values, accumulate));
};
Tensor.prototype.nonzero = function (this: Tensor) { return ops.nonzero.tensor(this._h); };
Tensor.prototype.where = function (this: Tensor, condition: Tensor, other: Tensor | number) {
  return typeof other === 'number' ? ops.whereS.tensor(h(condition), this._h, other)
    : ops.where.tensor(h(condition), this._h, h(other));
};
