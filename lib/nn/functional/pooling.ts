// Pooling: max, average and adaptive (fixed output size) over 1 or 2 spatial dimensions.
import { Tensor } from '../../torch/tensor';
import { op } from '../../torch/op';
import { checkDims, checkInt, checkTensor, intTuple } from '../../torch/arguments';
import { defineOptions, is, option, OPTIONAL, optionsKey } from '../../torch/option-table';

/** Options of `maxPool1d`/`maxPool2d`, as PyTorch's keyword arguments. */
export interface MaxPoolOptions {
  /** Step between windows. Default: the kernel size. */
  stride?: number | readonly number[];
  /** Implicit -inf padding on both sides (at most half the kernel). Default 0. */
  padding?: number | readonly number[];
  /** Spacing between window elements. Default 1. */
  dilation?: number | readonly number[];
  /** Use ceil instead of floor for the output size. Default false. */
  ceilMode?: boolean;
}

/** Options of `avgPool1d`/`avgPool2d`, as PyTorch's keyword arguments. */
export interface AvgPoolOptions {
  /** Step between windows. Default: the kernel size. */
  stride?: number | readonly number[];
  /** Implicit zero padding on both sides (at most half the kernel). Default 0. */
  padding?: number | readonly number[];
  /** Use ceil instead of floor for the output size. Default false. */
  ceilMode?: boolean;
  /** Count the zero padding in the averaging denominator. Default true. */
  countIncludePad?: boolean;
}

/** Options of `avgPool2d`. */
export interface AvgPool2dOptions extends AvgPoolOptions {
  /** Divide by this instead of the window size. Default: none. */
  divisorOverride?: number;
}

const ops = {
  maxPool1d: op('max_pool1d'), maxPool2d: op('max_pool2d'), maxPool2dWithIndices: op('max_pool2d_with_indices'),
  avgPool1d: op('avg_pool1d'), avgPool2d: op('avg_pool2d'),
  adaptiveAvgPool1d: op('adaptive_avg_pool1d'), adaptiveAvgPool2d: op('adaptive_avg_pool2d'),
  adaptiveMaxPool1d: op('adaptive_max_pool1d'), adaptiveMaxPool2d: op('adaptive_max_pool2d'),
};

// The defaults of MaxPoolOptions and AvgPoolOptions, as PyTorch's keyword arguments;
// one table per number of spatial dimensions (1, 2), since the checks know it. The
// stride has no default of its own: it is the kernel size, as in PyTorch.
const MAX_POOL_OPTIONS = ([1, 2] as const).map((nd) => defineOptions({
  stride: option(OPTIONAL, is.intTuple(nd, 1)), padding: option(0, is.intTuple(nd, 0)),
  dilation: option(1, is.intTuple(nd, 1)), ceilMode: option(false, is.boolean),
}));
const AVG_POOL_OPTIONS = ([1, 2] as const).map((nd) => defineOptions({
  stride: option(OPTIONAL, is.intTuple(nd, 1)), padding: option(0, is.intTuple(nd, 0)),
  ceilMode: option(false, is.boolean), countIncludePad: option(true, is.boolean),
}));

function maxPoolArgs(nd: 1 | 2, kernelSize: number | readonly number[], options: MaxPoolOptions): unknown[] {
  const kernel = intTuple(kernelSize, nd, 'kernelSize', 1);
  const o = MAX_POOL_OPTIONS[nd - 1].resolve(options, optionsKey);
  return [kernel, o.stride ?? kernel, o.padding, o.dilation, o.ceilMode];
}

function avgPoolArgs(nd: 1 | 2, kernelSize: number | readonly number[], options: AvgPoolOptions): unknown[] {
  const kernel = intTuple(kernelSize, nd, 'kernelSize', 1);
  const o = AVG_POOL_OPTIONS[nd - 1].resolve(options, optionsKey);
  return [kernel, o.stride ?? kernel, o.padding, o.ceilMode, o.countIncludePad];
}

/** Output sizes of an adaptive pool; null keeps the input's size in that dimension. */
function adaptiveSize(input: Tensor, outputSize: number | readonly (number | null)[], nd: number): number[] {
  const shape = input.shape;
  const sizes = typeof outputSize === 'number' ? new Array<number>(nd).fill(outputSize) : outputSize;
  if (!Array.isArray(sizes) || sizes.length !== nd) {
    throw new TypeError(`Expected a number or an array of ${nd} numbers for outputSize but received ` +
      JSON.stringify(outputSize));
  }
  return sizes.map((s, i) => (s === null ? shape[shape.length - nd + i] : checkInt(s, `outputSize[${i}]`, 0)));
}

/**
 * Max over sliding windows of (N, C, L) or (C, L) input, as `torch.nn.functional.max_pool1d`.
 * Defaults as PyTorch: stride = kernelSize, padding 0, dilation 1, ceilMode false.
 *
 * @example
 * F.maxPool1d(torch.tensor([[[1, 3, 2, 4]]]), 2); // [[[3, 4]]]
 */
export function maxPool1d(input: Tensor, kernelSize: number | readonly number[], options: MaxPoolOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  checkDims(x, [2, 3], 'input', '(N, C, L) for maxPool1d');
  return ops.maxPool1d.tensor(x._h, ...maxPoolArgs(1, kernelSize, options));
}

/**
 * Max over sliding windows of (N, C, H, W) or (C, H, W) input, as `torch.nn.functional.max_pool2d`.
 * Defaults as PyTorch: stride = kernelSize, padding 0, dilation 1, ceilMode false.
 *
 * @example
 * const y = F.maxPool2d(torch.randn([8, 64, 32, 32]), 3, { stride: 2, padding: 1 }); // (8, 64, 16, 16)
 */
export function maxPool2d(input: Tensor, kernelSize: number | readonly number[], options: MaxPoolOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  checkDims(x, [3, 4], 'input', '(N, C, H, W) for maxPool2d');
  return ops.maxPool2d.tensor(x._h, ...maxPoolArgs(2, kernelSize, options));
}

/**
 * `maxPool2d` that also returns, for each output, the flat index (h * W + w)
 * of the chosen input element, as `max_pool2d(..., return_indices=True)`.
 *
 * @example
 * const [values, indices] = F.maxPool2dWithIndices(x, 2); // indices: int64, same shape as values
 */
export function maxPool2dWithIndices(input: Tensor, kernelSize: number | readonly number[],
  options: MaxPoolOptions = {}): [Tensor, Tensor] {
  const x = checkTensor(input, 'input');
  checkDims(x, [3, 4], 'input', '(N, C, H, W) for maxPool2dWithIndices');
  const [values, indices] = ops.maxPool2dWithIndices.tensors(x._h, ...maxPoolArgs(2, kernelSize, options));
  return [values, indices];
}

/**
 * Average over sliding windows of (N, C, L) or (C, L) input, as `torch.nn.functional.avg_pool1d`.
 * Defaults as PyTorch: stride = kernelSize, padding 0, ceilMode false, countIncludePad true.
 *
 * @example
 * F.avgPool1d(torch.tensor([[[1, 3, 2, 4]]]), 2); // [[[2, 3]]]
 */
export function avgPool1d(input: Tensor, kernelSize: number | readonly number[], options: AvgPoolOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  checkDims(x, [2, 3], 'input', '(N, C, L) for avgPool1d');
  return ops.avgPool1d.tensor(x._h, ...avgPoolArgs(1, kernelSize, options));
}

/**
 * Average over sliding windows of (N, C, H, W) or (C, H, W) input, as `torch.nn.functional.avg_pool2d`.
 * Defaults as PyTorch: stride = kernelSize, padding 0, ceilMode false,
 * countIncludePad true, no divisorOverride.
 *
 * @example
 * const y = F.avgPool2d(torch.randn([8, 64, 32, 32]), 2); // (8, 64, 16, 16)
 */
export function avgPool2d(input: Tensor, kernelSize: number | readonly number[],
  options: AvgPool2dOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  checkDims(x, [3, 4], 'input', '(N, C, H, W) for avgPool2d');
  const divisor = options.divisorOverride === undefined ? null
    : checkInt(options.divisorOverride, 'options.divisorOverride', 1);
  return ops.avgPool2d.tensor(x._h, ...avgPoolArgs(2, kernelSize, options), divisor);
}

/**
 * Average pooling to a fixed output length, as `torch.nn.functional.adaptive_avg_pool1d`.
 *
 * @example
 * const y = F.adaptiveAvgPool1d(torch.randn([2, 8, 50]), 1); // (2, 8, 1)
 */
export function adaptiveAvgPool1d(input: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  const x = checkTensor(input, 'input');
  checkDims(x, [2, 3], 'input', '(N, C, L) for adaptiveAvgPool1d');
  return ops.adaptiveAvgPool1d.tensor(x._h, adaptiveSize(x, outputSize, 1));
}

/**
 * Average pooling to a fixed output size (H_out, W_out), as
 * `torch.nn.functional.adaptive_avg_pool2d`; a null entry keeps the input's size.
 *
 * @example
 * const pooled = F.adaptiveAvgPool2d(torch.randn([8, 512, 7, 7]), 1); // (8, 512, 1, 1): global average pooling
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  const x = checkTensor(input, 'input');
  checkDims(x, [3, 4], 'input', '(N, C, H, W) for adaptiveAvgPool2d');
  return ops.adaptiveAvgPool2d.tensor(x._h, adaptiveSize(x, outputSize, 2));
}

/**
 * Max pooling to a fixed output length, as `torch.nn.functional.adaptive_max_pool1d`.
 *
 * @example
 * const y = F.adaptiveMaxPool1d(torch.randn([2, 8, 50]), 1); // (2, 8, 1)
 */
export function adaptiveMaxPool1d(input: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  const x = checkTensor(input, 'input');
  checkDims(x, [2, 3], 'input', '(N, C, L) for adaptiveMaxPool1d');
  const [values, indices] = ops.adaptiveMaxPool1d.tensors(x._h, adaptiveSize(x, outputSize, 1));
  indices.dispose();
  return values;
}

/**
 * Max pooling to a fixed output size (H_out, W_out), as
 * `torch.nn.functional.adaptive_max_pool2d`; a null entry keeps the input's size.
 *
 * @example
 * const y = F.adaptiveMaxPool2d(torch.randn([8, 512, 7, 7]), [1, 1]); // (8, 512, 1, 1)
 */
export function adaptiveMaxPool2d(input: Tensor, outputSize: number | readonly (number | null)[]): Tensor {
  const x = checkTensor(input, 'input');
  checkDims(x, [3, 4], 'input', '(N, C, H, W) for adaptiveMaxPool2d');
  const [values, indices] = ops.adaptiveMaxPool2d.tensors(x._h, adaptiveSize(x, outputSize, 2));
  indices.dispose();
  return values;
}
