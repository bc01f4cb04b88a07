// torch.* functions: operators over several tensors (cat, stack, einsum,
// where) and thin function forms of the common Tensor methods.
import { Tensor } from './tensor';
import { h, hs, op } from './op';
import './methods';
import { CloseOptions } from './methods/comparison';
import { Dims, DtypeOption, ValuesIndices } from './methods/reduction';

export { Dims, DtypeOption, ValuesIndices, CloseOptions };
export { RoundingMode } from './methods/arithmetic';
export { ScatterReduce } from './methods/indexing';

const ops = {
  cat: op('cat'), stack: op('stack'), einsum: op('einsum'), powScalar: op('pow', 'Scalar'),
  where: op('where', 'self'), whereSelf: op('where', 'ScalarSelf'), whereOther: op('where', 'ScalarOther'),
  whereScalar: op('where', 'Scalar'),
};

/** Joins tensors along an existing dimension `dim`, as `torch.cat`. @example torch.cat([z1, z2]) // (2B, D) */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return ops.cat.tensor(hs(tensors), dim);
}

/** Joins same-shaped tensors along a new dimension `dim`, as `torch.stack`. @example torch.stack([a, b], 1) */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return ops.stack.tensor(hs(tensors), dim);
}

/**
 * Sums products of operands' elements over the indices an Einstein-notation equation names, as `torch.einsum`.
 * Operands may be listed or given as one array.
 * @example torch.einsum('nc,mc->nm', q, k); torch.einsum('bij,bjk->bik', [a, b])
 */
export function einsum(equation: string, ...operands: Tensor[]): Tensor;
export function einsum(equation: string, operands: readonly Tensor[]): Tensor;
export function einsum(equation: string, first: Tensor | readonly Tensor[]): Tensor {
  if (arguments.length === 2 && Array.isArray(first)) return ops.einsum.tensor(equation, hs(first));
  const tensors = new Array<unknown>(arguments.length - 1);
  for (let i = 1; i < arguments.length; i++) tensors[i - 1] = h(arguments[i]);
  return ops.einsum.tensor(equation, tensors);
}

/**
 * `input` where `condition` is true, else `other` (each a Tensor or a number; broadcasting), as `torch.where`.
 * @example torch.where(x.gt(0), x, 0); torch.where(mask, 1, -1)
 */
export function where(condition: Tensor, input: Tensor | number, other: Tensor | number): Tensor {
  if (typeof input === 'number') {
    return typeof other === 'number' ? ops.whereScalar.tensor(h(condition), input, other)
      : ops.whereSelf.tensor(h(condition), input, h(other));
  }
  return typeof other === 'number' ? ops.whereOther.tensor(h(condition), h(input), other)
    : ops.where.tensor(h(condition), h(input), h(other));
}

/** Pieces of `splitSize` (or of the listed sizes) along `dim`, as `torch.split`. @example torch.split(x, 2) */
export function split(input: Tensor, splitSize: number | readonly number[], dim = 0): Tensor[] {
  return input.split(splitSize, dim);
}
/** `chunks` pieces of (nearly) equal size along `dim`, as `torch.chunk`. @example torch.chunk(z, 2) */
export function chunk(input: Tensor, chunks: number, dim = 0): Tensor[] { return input.chunk(chunks, dim); }
/** The slices along `dim`, as `torch.unbind`. @example torch.unbind(pair, 0) */
export function unbind(input: Tensor, dim = 0): Tensor[] { return input.unbind(dim); }
/** Merges dimensions startDim..endDim, as `torch.flatten`. @example torch.flatten(x, 1) */
export function flatten(input: Tensor, startDim = 0, endDim = -1): Tensor { return input.flatten(startDim, endDim); }

/** `input + alpha * other`, as `torch.add`. @example torch.add(x, y) */
export function add(input: Tensor, other: Tensor | number, options?: { alpha?: number }): Tensor {
  return input.add(other, options);
}
/** `input - alpha * other`, as `torch.sub`. @example torch.sub(x, 1) */
export function sub(input: Tensor, other: Tensor | number, options?: { alpha?: number }): Tensor {
  return input.sub(other, options);
}
/** Elementwise product, as `torch.mul`. @example torch.mul(x, 2) */
export function mul(input: Tensor, other: Tensor | number): Tensor { return input.mul(other); }
/** Elementwise quotient, as `torch.div`. @example torch.div(x, y, { roundingMode: 'floor' }) */
export function div(input: Tensor, other: Tensor | number, options?: { roundingMode?: 'trunc' | 'floor' }): Tensor {
  return input.div(other, options);
}
/** `input ** exponent`; `input` may be a number, as `torch.pow`. @example torch.pow(x, 2); torch.pow(2, x) */
export function pow(input: Tensor | number, exponent: Tensor | number): Tensor {
  return typeof input === 'number' ? ops.powScalar.tensor(input, h(exponent)) : input.pow(exponent);
}
/** Elementwise maximum, as `torch.maximum`. @example torch.maximum(a, b) */
export function maximum(input: Tensor, other: Tensor): Tensor { return input.maximum(other); }
/** Elementwise minimum, as `torch.minimum`. @example torch.minimum(a, b) */
export function minimum(input: Tensor, other: Tensor): Tensor { return input.minimum(other); }
/** Limits values to [min, max], as `torch.clamp`. @example torch.clamp(x, 0, 1) */
export function clamp(input: Tensor, min?: Tensor | number | null, max?: Tensor | number | null): Tensor {
  return input.clamp(min, max);
}
/** `e ** input`, as `torch.exp`. @example torch.exp(x) */
export function exp(input: Tensor): Tensor { return input.exp(); }
/** Natural logarithm, as `torch.log`. @example torch.log(p) */
export function log(input: Tensor): Tensor { return input.log(); }
/** Absolute value, as `torch.abs`. @example torch.abs(x) */
export function abs(input: Tensor): Tensor { return input.abs(); }
/** Square root, as `torch.sqrt`. @example torch.sqrt(v) */
export function sqrt(input: Tensor): Tensor { return input.sqrt(); }
/** `max(input, 0)`, as `torch.relu`. @example torch.relu(x) */
export function relu(input: Tensor): Tensor { return input.relu(); }
/** Logistic sigmoid, as `torch.sigmoid`. @example torch.sigmoid(logits) */
export function sigmoid(input: Tensor): Tensor { return input.sigmoid(); }
/** Hyperbolic tangent, as `torch.tanh`. @example torch.tanh(x) */
export function tanh(input: Tensor): Tensor { return input.tanh(); }
/** Softmax along `dim`, as `torch.softmax`. @example torch.softmax(logits, -1) */
export function softmax(input: Tensor, dim: number, options?: DtypeOption): Tensor { return input.softmax(dim, options); }
/** Log-softmax along `dim`, as `torch.log_softmax`. @example torch.logSoftmax(logits, 1) */
export function logSoftmax(input: Tensor, dim: number, options?: DtypeOption): Tensor {
  return input.logSoftmax(dim, options);
}

/** Sum of all elements or over `dim`, as `torch.sum`. @example torch.sum(x, 1, true) */
export function sum(input: Tensor, dim?: Dims | null, keepdim = false, options?: DtypeOption): Tensor {
  return input.sum(dim, keepdim, options);
}
/** Mean of all elements or over `dim`, as `torch.mean`. @example torch.mean(x, [2, 3]) */
export function mean(input: Tensor, dim?: Dims | null, keepdim = false, options?: DtypeOption): Tensor {
  return input.mean(dim, keepdim, options);
}
/** `log(sum(exp(input)))` over `dim`, as `torch.logsumexp`. @example torch.logsumexp(logits, 1) */
export function logsumexp(input: Tensor, dim: Dims, keepdim = false): Tensor { return input.logsumexp(dim, keepdim); }
/** Largest element, as `torch.max(input)`. @example torch.max(x) */
export function max(input: Tensor): Tensor;
/** Largest elements along `dim` and their positions, as `torch.max(input, dim)`. @example torch.max(x, 1).indices */
export function max(input: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function max(input: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? input.max() : input.max(dim, keepdim);
}
/** Smallest element, as `torch.min(input)`. @example torch.min(x) */
export function min(input: Tensor): Tensor;
/** Smallest elements along `dim` and their positions, as `torch.min(input, dim)`. @example torch.min(d, 1).values */
export function min(input: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function min(input: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  return dim === undefined ? input.min() : input.min(dim, keepdim);
}
/** Index of the largest element, as `torch.argmax`. @example torch.argmax(logits, 1) */
export function argmax(input: Tensor, dim?: number | null, keepdim = false): Tensor { return input.argmax(dim, keepdim); }
/** Index of the smallest element, as `torch.argmin`. @example torch.argmin(d, 1) */
export function argmin(input: Tensor, dim?: number | null, keepdim = false): Tensor { return input.argmin(dim, keepdim); }
/** Sorted values and their positions, as `torch.sort`. @example torch.sort(x, 0, true) */
export function sort(input: Tensor, dim = -1, descending = false): ValuesIndices { return input.sort(dim, descending); }
/** The `k` largest values and their positions, as `torch.topk`. @example torch.topk(sim, 5, 1) */
export function topk(input: Tensor, k: number, dim = -1, largest = true, sorted = true): ValuesIndices {
  return input.topk(k, dim, largest, sorted);
}

/** Matrix product with broadcasting, as `torch.matmul`. @example torch.matmul(a, b) */
export function matmul(input: Tensor, other: Tensor): Tensor { return input.matmul(other); }
/** Product of two matrices, as `torch.mm`. @example torch.mm(z1, z2.t()) */
export function mm(input: Tensor, mat2: Tensor): Tensor { return input.mm(mat2); }
/** Batched matrix product, as `torch.bmm`. @example torch.bmm(a, b) */
export function bmm(input: Tensor, mat2: Tensor): Tensor { return input.bmm(mat2); }
/** Inner product of two 1-D tensors, as `torch.dot`. @example torch.dot(u, v) */
export function dot(input: Tensor, other: Tensor): Tensor { return input.dot(other); }
/** Outer product of two 1-D tensors, as `torch.outer`. @example torch.outer(u, v) */
export function outer(input: Tensor, vec2: Tensor): Tensor { return input.outer(vec2); }

/** Gathers values along `dim` at `index`, as `torch.gather`. @example torch.gather(logp, 1, y.unsqueeze(1)) */
export function gather(input: Tensor, dim: number, index: Tensor): Tensor { return input.gather(dim, index); }
/** Whether every element of `input` is close to `other`'s, as `torch.allclose`. @example torch.allclose(a, b) */
export function allclose(input: Tensor, other: Tensor, options?: CloseOptions): boolean {
  return input.allclose(other, options);
}
/** Elementwise closeness, as `torch.isclose`. @example torch.isclose(a, b, { atol: 1e-6 }) */
export function isclose(input: Tensor, other: Tensor, options?: CloseOptions): Tensor { return input.isclose(other, options); }
/** Whether two tensors have the same shape and elements, as `torch.equal`. @example torch.equal(a, b) */
export function equal(input: Tensor, other: Tensor): boolean { return input.equal(other); }
