// Convolutions and transposed convolutions over 1, 2 and 3 spatial dimensions.
import { Tensor } from '../../torch/tensor';
import { op } from '../../torch/op';
import { checkOneOf, checkTensor, intTuple, optionalTensor } from '../../torch/arguments';
import { defineOptions, is, option, OptionCheck, optionsKey } from '../../torch/option-table';

/** Options of `conv1d`/`conv2d`/`conv3d`, as PyTorch's keyword arguments. */
export interface ConvOptions {
  /** Step between windows, one number or one per spatial dimension. Default 1. */
  stride?: number | readonly number[];
  /**
   * Zeros added on both sides of each spatial dimension, or 'valid' (none) or
   * 'same' (output as large as the input; stride 1 only). Default 0.
   */
  padding?: number | readonly number[] | 'same' | 'valid';
  /** Spacing between kernel elements. Default 1. */
  dilation?: number | readonly number[];
  /** Blocked connections from input channels to output channels. Default 1. */
  groups?: number;
}

/** Options of `convTranspose1d`/`convTranspose2d`/`convTranspose3d`, as PyTorch's keyword arguments. */
export interface ConvTransposeOptions {
  /** Step between windows. Default 1. */
  stride?: number | readonly number[];
  /** `dilation * (kernelSize - 1) - padding` zeros are added on both sides of the input. Default 0. */
  padding?: number | readonly number[];
  /** Extra size added to one side of each output dimension. Default 0. */
  outputPadding?: number | readonly number[];
  /** Blocked connections from input channels to output channels. Default 1. */
  groups?: number;
  /** Spacing between kernel elements. Default 1. */
  dilation?: number | readonly number[];
}

const ops = {
  conv: [op('conv1d'), op('conv2d'), op('conv3d')],
  convPadding: [op('conv1d', 'padding'), op('conv2d', 'padding'), op('conv3d', 'padding')],
  convTranspose: [op('conv_transpose1d'), op('conv_transpose2d', 'input'), op('conv_transpose3d', 'input')],
};

/** Zeros per spatial dimension, or 'same' / 'valid'. */
function convPadding(nd: number): OptionCheck<number | readonly number[] | 'same' | 'valid'> {
  return (v, what) => (typeof v === 'string' ? checkOneOf(v, ['same', 'valid'] as const, what)
    : intTuple(v as number | readonly number[], nd, what, 0));
}

// The defaults of ConvOptions and ConvTransposeOptions, as PyTorch's keyword
// arguments; one table per number of spatial dimensions, since the checks know it.
const CONV_OPTIONS = ([1, 2, 3] as const).map((nd) => defineOptions({
  stride: option(1, is.intTuple(nd, 1)), dilation: option(1, is.intTuple(nd, 1)), groups: option(1, is.int(1)),
  padding: option(0, convPadding(nd)),
}));
const CONV_TRANSPOSE_OPTIONS = ([1, 2, 3] as const).map((nd) => defineOptions({
  stride: option(1, is.intTuple(nd, 1)), padding: option(0, is.intTuple(nd, 0)),
  outputPadding: option(0, is.intTuple(nd, 0)), groups: option(1, is.int(1)), dilation: option(1, is.intTuple(nd, 1)),
}));

function convNd(nd: 1 | 2 | 3, input: Tensor, weight: Tensor, bias: Tensor | null | undefined,
  options: ConvOptions): Tensor {
  const x = checkTensor(input, 'input');
  const w = checkTensor(weight, 'weight');
  const b = optionalTensor(bias, 'bias');
  const { stride, dilation, groups, padding } = CONV_OPTIONS[nd - 1].resolve(options, optionsKey);
  if (typeof padding === 'string') {
    return ops.convPadding[nd - 1].tensor(x._h, w._h, b, stride, padding, dilation, groups);
  }
  return ops.conv[nd - 1].tensor(x._h, w._h, b, stride, padding, dilation, groups);
}

function convTransposeNd(nd: 1 | 2 | 3, input: Tensor, weight: Tensor, bias: Tensor | null | undefined,
  options: ConvTransposeOptions): Tensor {
  const x = checkTensor(input, 'input');
  const w = checkTensor(weight, 'weight');
  const b = optionalTensor(bias, 'bias');
  const o = CONV_TRANSPOSE_OPTIONS[nd - 1].resolve(options, optionsKey);
  return ops.convTranspose[nd - 1].tensor(x._h, w._h, b, o.stride, o.padding, o.outputPadding, o.groups, o.dilation);
}

/**
 * 1-D convolution over (N, Cin, L) or unbatched (Cin, L) input with a
 * (Cout, Cin / groups, K) weight, as `torch.nn.functional.conv1d`.
 * Defaults as PyTorch: no bias, stride 1, padding 0, dilation 1, groups 1.
 *
 * @example
 * const y = F.conv1d(torch.randn([2, 3, 16]), torch.randn([8, 3, 5]), null, { padding: 'same' }); // (2, 8, 16)
 */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return convNd(1, input, weight, bias, options);
}

/**
 * 2-D convolution over (N, Cin, H, W) or unbatched (Cin, H, W) input with a
 * (Cout, Cin / groups, kH, kW) weight, as `torch.nn.functional.conv2d`.
 * Defaults as PyTorch: no bias, stride 1, padding 0, dilation 1, groups 1.
 *
 * @example
 * const w = torch.randn([64, 3, 3, 3]);
 * const y = F.conv2d(torch.randn([8, 3, 32, 32]), w, null, { stride: 1, padding: 1 }); // (8, 64, 32, 32)
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return convNd(2, input, weight, bias, options);
}

/**
 * 3-D convolution over (N, Cin, D, H, W) or unbatched (Cin, D, H, W) input with a
 * (Cout, Cin / groups, kD, kH, kW) weight, as `torch.nn.functional.conv3d`.
 * Defaults as PyTorch: no bias, stride 1, padding 0, dilation 1, groups 1.
 *
 * @example
 * const y = F.conv3d(torch.randn([1, 2, 4, 8, 8]), torch.randn([4, 2, 3, 3, 3]), null, { padding: 1 }); // (1, 4, 4, 8, 8)
 */
export function conv3d(input: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  return convNd(3, input, weight, bias, options);
}

/**
 * 1-D transposed convolution ("deconvolution") with a (Cin, Cout / groups, K)
 * weight, as `torch.nn.functional.conv_transpose1d`. Output length is
 * `(L - 1) * stride - 2 * padding + dilation * (K - 1) + outputPadding + 1`.
 * Defaults as PyTorch: no bias, stride 1, padding 0, outputPadding 0, groups 1, dilation 1.
 *
 * @example
 * const y = F.convTranspose1d(torch.randn([2, 4, 8]), torch.randn([4, 3, 2]), null, { stride: 2 }); // (2, 3, 16)
 */
export function convTranspose1d(input: Tensor, weight: Tensor, bias?: Tensor | null,
  options: ConvTransposeOptions = {}): Tensor {
  return convTransposeNd(1, input, weight, bias, options);
}

/**
 * 2-D transposed convolution with a (Cin, Cout / groups, kH, kW) weight, as
 * `torch.nn.functional.conv_transpose2d`. Each output size is
 * `(in - 1) * stride - 2 * padding + dilation * (k - 1) + outputPadding + 1`.
 * Defaults as PyTorch: no bias, stride 1, padding 0, outputPadding 0, groups 1, dilation 1.
 *
 * @example
 * const y = F.convTranspose2d(torch.randn([1, 16, 8, 8]), torch.randn([16, 8, 2, 2]), null, { stride: 2 }); // (1, 8, 16, 16)
 */
export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null,
  options: ConvTransposeOptions = {}): Tensor {
  return convTransposeNd(2, input, weight, bias, options);
}

/**
 * 3-D transposed convolution with a (Cin, Cout / groups, kD, kH, kW) weight,
 * as `torch.nn.functional.conv_transpose3d`.
 * Defaults as PyTorch: no bias, stride 1, padding 0, outputPadding 0, groups 1, dilation 1.
 *
 * @example
 * const y = F.convTranspose3d(torch.randn([1, 4, 2, 4, 4]), torch.randn([4, 2, 2, 2, 2]), null, { stride: 2 }); // (1, 2, 4, 8, 8)
 */
export function convTranspose3d(input: Tensor, weight: Tensor, bias?: Tensor | null,
  options: ConvTransposeOptions = {}): Tensor {
  return convTransposeNd(3, input, weight, bias, options);
}
