// Reductions over all elements or over some dimensions (PyTorch argument order:
// dim, keepdim, then keyword options), and cumulative scans.
import { Tensor } from '../tensor';
import { DType } from '../dtype';
import { h, op, wrap } from '../op';

/** One dimension or several (negative counts from the end). */
export type Dims = number | readonly number[];

/** The result of a reduction that also reports where each value came from (`max(dim)`, `sort`, `topk`). */
export interface ValuesIndices {
  values: Tensor;
  /** int64 positions along the reduced dimension. */
  indices: Tensor;
}

/** The `dtype` keyword of sum, mean, prod, cumsum, softmax...: the input is cast to it before the operation. */
export interface DtypeOption {
  dtype?: DType;
}

declare module '../tensor' {
  interface Tensor {
    /**
     * Sum of all elements, or over `dim` (kept as size 1 when `keepdim`), as `tensor.sum`.
     * @example torch.tensor([[1, 2], [3, 4]]).sum(1) // [3, 7]
     */
    sum(dim?: Dims | null, keepdim?: boolean, options?: DtypeOption): Tensor;
    /** Mean of all elements or over `dim`, as `tensor.mean`. @example x.mean([2, 3], true) */
    mean(dim?: Dims | null, keepdim?: boolean, options?: DtypeOption): Tensor;
    /** Product of all elements or along one dimension (`keepdim` applies with `dim`). @example x.prod(1) */
    prod(dim?: number, keepdim?: boolean, options?: DtypeOption): Tensor;
    /**
     * Standard deviation (Bessel-corrected unless `unbiased` is false; `correction` overrides it), as `tensor.std`.
     * @example x.std(); x.std(0, false, true); x.std(0, true, false, { correction: 0 })
     */
    std(dim?: Dims | null, unbiased?: boolean, keepdim?: boolean, options?: { correction?: number }): Tensor;
    /** Variance, with the arguments of `std`. @example z.var(0) */
    var(dim?: Dims | null, unbiased?: boolean, keepdim?: boolean, options?: { correction?: number }): Tensor;
    /**
     * Vector p-norm of all elements or over `dim` (`'fro'` is the 2-norm), as `tensor.norm`.
     * @example z.norm(2, 1, true); x.norm()
     */
    norm(p?: number | 'fro', dim?: Dims | null, keepdim?: boolean, options?: DtypeOption): Tensor;
    /** `log(sum(exp(this)))` over `dim`, computed stably. @example logits.logsumexp(1) */
    logsumexp(dim: Dims, keepdim?: boolean): Tensor;
    /** Maximum over `dim` (all dimensions when omitted or []), values only. @example x.amax(-1, true) */
    amax(dim?: Dims, keepdim?: boolean): Tensor;
    /** Minimum over `dim` (all dimensions when omitted or []), values only. @example x.amin(0) */
    amin(dim?: Dims, keepdim?: boolean): Tensor;
    /** Largest element. @example x.max() */
    max(): Tensor;
    /** Largest elements along `dim` and their positions. @example const { values, indices } = x.max(1) */
    max(dim: number, keepdim?: boolean): ValuesIndices;
    /** Elementwise maximum with `other`, as `tensor.max(other)`. @example x.max(y) */
    max(other: Tensor): Tensor;
    /** Smallest element. @example x.min() */
    min(): Tensor;
    /** Smallest elements along `dim` and their positions. @example const { values, indices } = d.min(1) */
    min(dim: number, keepdim?: boolean): ValuesIndices;
    /** Elementwise minimum with `other`, as `tensor.min(other)`. @example x.min(y) */
    min(other: Tensor): Tensor;
    /** Index of the largest element (in the flattened tensor when `dim` is omitted). @example logits.argmax(1) */
    argmax(dim?: number | null, keepdim?: boolean): Tensor;
    /** Index of the smallest element (in the flattened tensor when `dim` is omitted). @example d.argmin(1) */
    argmin(dim?: number | null, keepdim?: boolean): Tensor;
    /** Whether every element is nonzero, overall or along `dim` (bool tensor). @example x.isfinite().all() */
    all(dim?: number, keepdim?: boolean): Tensor;
    /** Whether any element is nonzero, overall or along `dim` (bool tensor). @example x.isnan().any() */
    any(dim?: number, keepdim?: boolean): Tensor;
    /** Running sum along `dim`. @example torch.tensor([1, 2, 3]).cumsum(0) // [1, 3, 6] */
    cumsum(dim: number, options?: DtypeOption): Tensor;
    /** Running product along `dim`. @example torch.tensor([1, 2, 3]).cumprod(0) // [1, 2, 6] */
    cumprod(dim: number, options?: DtypeOption): Tensor;
  }
}

const ops = {
  sum: op('sum'), sumDim: op('sum', 'dim_IntList'), mean: op('mean'), meanDim: op('mean', 'dim'),
  prod: op('prod'), prodDim: op('prod', 'dim_int'),
  std: op('std'), stdDim: op('std', 'dim'), stdC: op('std', 'correction'),
  var: op('var'), varDim: op('var', 'dim'), varC: op('var', 'correction'),
  norm: op('norm', 'Scalar'), normDtype: op('norm', 'ScalarOpt_dtype'),
  normDim: op('norm', 'ScalarOpt_dim'), normDimDtype: op('norm', 'ScalarOpt_dim_dtype'),
  logsumexp: op('logsumexp'), amax: op('amax'), amin: op('amin'),
  max: op('max'), maxDim: op('max', 'dim'), maxOther: op('max', 'other'),
  min: op('min'), minDim: op('min', 'dim'), minOther: op('min', 'other'),
  argmax: op('argmax'), argmin: op('argmin'),
  all: op('all'), allDim: op('all', 'dim'), any: op('any'), anyDim: op('any', 'dim'),
  cumsum: op('cumsum'), cumprod: op('cumprod'),
};

Tensor.prototype.sum = function (this: Tensor, dim?: Dims | null, keepdim = false, options?: DtypeOption) {
  const dtype = options === undefined ? undefined : options.dtype;
  if (dim == null && !keepdim) return ops.sum.tensor(this._h, dtype);
  return ops.sumDim.tensor(this._h, dim === undefined ? null : dim, keepdim, dtype);
};
Tensor.prototype.mean = function (this: Tensor, dim?: Dims | null, keepdim = false, options?: DtypeOption) {
  const dtype = options === undefined ? undefined : options.dtype;
  if (dim == null && !keepdim) return ops.mean.tensor(this._h, dtype);
  return ops.meanDim.tensor(this._h, dim === undefined ? null : dim, keepdim, dtype);
};
Tensor.prototype.prod = function (this: Tensor, dim?: number, keepdim = false, options?: DtypeOption) {
  const dtype = options === undefined ? undefined : options.dtype;
  return dim === undefined ? ops.prod.tensor(this._h, dtype) : ops.prodDim.tensor(this._h, dim, keepdim, dtype);
};

/** Shared by std and var: the plain, dim or correction overload. */
function spread(plain: typeof ops.std, byDim: typeof ops.std, byCorrection: typeof ops.std, self: Tensor,
  dim: Dims | null | undefined, unbiased: boolean, keepdim: boolean, options?: { correction?: number }): Tensor {
  const correction = options === undefined ? undefined : options.correction;
  if (correction !== undefined) return byCorrection.tensor(self._h, dim === undefined ? null : dim, correction, keepdim);
  if (dim == null && !keepdim) return plain.tensor(self._h, unbiased);
  return byDim.tensor(self._h, dim === undefined ? null : dim, unbiased, keepdim);
}

Tensor.prototype.std = function (this: Tensor, dim?: Dims | null, unbiased = true, keepdim = false,
  options?: { correction?: number }) {
  return spread(ops.std, ops.stdDim, ops.stdC, this, dim, unbiased, keepdim, options);
};
Tensor.prototype.var = function (this: Tensor, dim?: Dims | null, unbiased = true, keepdim = false,
  options?: { correction?: number }) {
  return spread(ops.var, ops.varDim, ops.varC, this, dim, unbiased, keepdim, options);
};
Tensor.prototype.norm = function (this: Tensor, p: number | 'fro' = 2, dim?: Dims | null, keepdim = false,
  options?: DtypeOption) {
  // NOTE: the Frobenius norm over one or two dimensions is the vector 2-norm of those elements.
  const order = p === 'fro' ? 2 : p;
  const dtype = options === undefined ? undefined : options.dtype;
  if (dim == null && !keepdim) {
    return dtype === undefined ? ops.norm.tensor(this._h, order) : ops.normDtype.tensor(this._h, order, dtype);
  }
  // An empty dim list reduces every dimension.
  const dims = dim == null ? [] : dim;
  return dtype === undefined ? ops.normDim.tensor(this._h, order, dims, keepdim)
    : ops.normDimDtype.tensor(this._h, order, dims, keepdim, dtype);
};
Tensor.prototype.logsumexp = function (this: Tensor, dim: Dims, keepdim = false) {
  return ops.logsumexp.tensor(this._h, dim, keepdim);
};
Tensor.prototype.amax = function (this: Tensor, dim?: Dims, keepdim = false) {
  return ops.amax.tensor(this._h, dim, keepdim);
};
Tensor.prototype.amin = function (this: Tensor, dim?: Dims, keepdim = false) {
  return ops.amin.tensor(this._h, dim, keepdim);
};

/** @internal A native (values, indices) pair as a ValuesIndices object. */
export function valuesIndices(raw: unknown): ValuesIndices {
  const pair = raw as unknown[];
  return { values: wrap(pair[0]), indices: wrap(pair[1]) };
}

Tensor.prototype.max = function (this: Tensor, dim?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
  if (dim === undefined) return ops.max.tensor(this._h);
  if (typeof dim === 'number') return valuesIndices(ops.maxDim.raw(this._h, dim, keepdim));
  return ops.maxOther.tensor(this._h, h(dim));
} as Tensor['max'];
Tensor.prototype.min = function (this: Tensor, dim?: number | Tensor, keepdim = false): Tensor | ValuesIndices {
  if (dim === undefined) return ops.min.tensor(this._h);
  if (typeof dim === 'number') return valuesIndices(ops.minDim.raw(this._h, dim, keepdim));
  return ops.minOther.tensor(this._h, h(dim));
} as Tensor['min'];
Tensor.prototype.argmax = function (this: Tensor, dim?: number | null, keepdim = false) {
  return ops.argmax.tensor(this._h, dim, keepdim);
};
Tensor.prototype.argmin = function (this: Tensor, dim?: number | null, keepdim = false) {
  return ops.argmin.tensor(this._h, dim, keepdim);
};
Tensor.prototype.all = function (this: Tensor, dim?: number, keepdim = false) {
  return dim === undefined ? ops.all.tensor(this._h) : ops.allDim.tensor(this._h, dim, keepdim);
};
Tensor.prototype.any = function (this: Tensor, dim?: number, keepdim = false) {
  return dim === undefined ? ops.any.tensor(this._h) : ops.anyDim.tensor(this._h, dim, keepdim);
};
Tensor.prototype.cumsum = function (this: Tensor, dim: number, options?: DtypeOption) {
  return ops.cumsum.tensor(this._h, dim, options === undefined ? undefined : options.dtype);
};
Tensor.prototype.cumprod = function (this: Tensor, dim: number, options?: DtypeOption) {
  return ops.cumprod.tensor(this._h, dim, options === undefined ? undefined : options.dtype);
};
