// 2-D convolutions: Conv2d and ConvTranspose2d, as torch.nn.Conv2d / ConvTranspose2d.
import { Tensor, empty } from '../../torch';
import { Module } from '../module';
import { conv2d, convTranspose2d } from '../functional/conv';
import { resetLinearLike } from './linear';
import { expectDims, pair, positiveInt } from '../../torch/arguments';
import { defineOptions, is, option, OptionCheck, optionsKey } from '../../torch/option-table';

/** Options of `Conv2d`, as torch.nn.Conv2d's keyword arguments. */
export interface Conv2dOptions {
  /** Step between windows. Default 1. */
  stride?: number | readonly [number, number];
  /** Zeros added on each side, or 'same' / 'valid'. Default 0. */
  padding?: number | readonly [number, number] | 'same' | 'valid';
  /** Spacing between kernel elements. Default 1. */
  dilation?: number | readonly [number, number];
  /** Blocked connections: both channel counts must be divisible by it. Default 1. */
  groups?: number;
  /** Learn an additive bias. Default true. */
  bias?: boolean;
}

/** Options of `ConvTranspose2d`, as torch.nn.ConvTranspose2d's keyword arguments. */
export interface ConvTranspose2dOptions {
  /** Step between windows (the upsampling factor). Default 1. */
  stride?: number | readonly [number, number];
  /** `dilation * (kernelSize - 1) - padding` zeros are added on each side of the input. Default 0. */
  padding?: number | readonly [number, number];
  /** Extra size added to one side of each output dimension. Default 0. */
  outputPadding?: number | readonly [number, number];
  /** Blocked connections. Default 1. */
  groups?: number;
  /** Learn an additive bias. Default true. */
  bias?: boolean;
  /** Spacing between kernel elements. Default 1. */
  dilation?: number | readonly [number, number];
}

const tuple = (p: readonly number[]): string => `(${p.join(', ')})`;

/** A number or a pair of integers >= min, as a pair. */
const pairOf = (min: number): OptionCheck<[number, number]> => (v, what) => pair(v, what, min);

// The defaults of Conv2dOptions and ConvTranspose2dOptions, as torch.nn's keyword arguments.
const CONV2D_OPTIONS = defineOptions({
  stride: option<[number, number]>([1, 1], pairOf(1)),
  padding: option<[number, number] | 'same' | 'valid'>([0, 0],
    (v, what) => (v === 'same' || v === 'valid' ? v : pair(v, what, 0))),
  dilation: option<[number, number]>([1, 1], pairOf(1)),
  groups: option(1, positiveInt),
  bias: option(true, is.boolean),
});
const CONV_TRANSPOSE2D_OPTIONS = defineOptions({
  stride: option<[number, number]>([1, 1], pairOf(1)),
  padding: option<[number, number]>([0, 0], pairOf(0)),
  outputPadding: option<[number, number]>([0, 0], pairOf(0)),
  dilation: option<[number, number]>([1, 1], pairOf(1)),
  groups: option(1, positiveInt),
  bias: option(true, is.boolean),
});

function checkGroups(inChannels: number, outChannels: number, groups: number): void {
  if (inChannels % groups !== 0) {
    throw new RangeError(`Expected inChannels (${inChannels}) divisible by groups (${groups})`);
  }
  if (outChannels % groups !== 0) {
    throw new RangeError(`Expected outChannels (${outChannels}) divisible by groups (${groups})`);
  }
}

/**
 * 2-D convolution over (N, Cin, H, W) or (Cin, H, W) input, as
 * `torch.nn.Conv2d`. Keys: `weight` (outChannels, inChannels / groups, kH, kW),
 * `bias` (outChannels). Initialised as PyTorch (kaiming_uniform_ with a = sqrt(5)).
 *
 * @example
 * const stem = new nn.Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });
 * stem.forward(torch.randn([8, 3, 224, 224])); // (8, 64, 112, 112)
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same' | 'valid';
  readonly dilation: [number, number];
  readonly groups: number;
  /** (outChannels, inChannels / groups, kH, kW). */
  readonly weight: Tensor;
  /** (outChannels), or null without bias. */
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number, number],
    options: Conv2dOptions = {}) {
    super();
    this.inChannels = positiveInt(inChannels, 'inChannels');
    this.outChannels = positiveInt(outChannels, 'outChannels');
    this.kernelSize = pair(kernelSize, 'kernelSize', 1);
    const o = CONV2D_OPTIONS.resolve(options, optionsKey);
    this.stride = o.stride;
    if (o.padding === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) {
      throw new RangeError(`Expected stride 1 with padding 'same' but received stride ${tuple(this.stride)}`);
    }
    this.padding = o.padding;
    this.dilation = o.dilation;
    this.groups = o.groups;
    checkGroups(this.inChannels, this.outChannels, this.groups);
    const hasBias = o.bias;
    this.weight = this.registerParameter('weight',
      empty([this.outChannels, this.inChannels / this.groups, ...this.kernelSize]));
    this.bias = this.registerParameter('bias', hasBias ? empty([this.outChannels]) : null);
    this.resetParameters();
  }

  /** Re-draws weight and bias as the constructor does, as `reset_parameters()`. */
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    expectDims(x, [3, 4], 'Conv2d', '(N, C, H, W) or (C, H, W)');
    return conv2d(x, this.weight, this.bias,
      { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}`;
    if (typeof this.padding === 'string') s += `, padding=${this.padding}`;
    else if (this.padding[0] !== 0 || this.padding[1] !== 0) s += `, padding=${tuple(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${tuple(this.dilation)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}

/**
 * 2-D transposed convolution ("deconvolution") over (N, Cin, H, W) input, as
 * `torch.nn.ConvTranspose2d`. Each output size is
 * `(in - 1) * stride - 2 * padding + dilation * (k - 1) + outputPadding + 1`.
 * Keys: `weight` (inChannels, outChannels / groups, kH, kW), `bias` (outChannels).
 * Initialised as PyTorch (fan-in taken from the weight's dimension 1, as PyTorch does).
 *
 * @example
 * const up = new nn.ConvTranspose2d(64, 32, 2, { stride: 2 });
 * up.forward(torch.randn([1, 64, 8, 8])); // (1, 32, 16, 16)
 */
export class ConvTranspose2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  /** (inChannels, outChannels / groups, kH, kW). */
  readonly weight: Tensor;
  /** (outChannels), or null without bias. */
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number, number],
    options: ConvTranspose2dOptions = {}) {
    super();
    this.inChannels = positiveInt(inChannels, 'inChannels');
    this.outChannels = positiveInt(outChannels, 'outChannels');
    this.kernelSize = pair(kernelSize, 'kernelSize', 1);
    const o = CONV_TRANSPOSE2D_OPTIONS.resolve(options, optionsKey);
    this.stride = o.stride;
    this.padding = o.padding;
    this.outputPadding = o.outputPadding;
    this.dilation = o.dilation;
    this.groups = o.groups;
    checkGroups(this.inChannels, this.outChannels, this.groups);
    for (const i of [0, 1]) {
      if (this.outputPadding[i] >= Math.max(this.stride[i], this.dilation[i])) {
        throw new RangeError(`Expected outputPadding smaller than stride or dilation but received outputPadding ` +
          `${tuple(this.outputPadding)}, stride ${tuple(this.stride)}, dilation ${tuple(this.dilation)}`);
      }
    }
    const hasBias = o.bias;
    this.weight = this.registerParameter('weight',
      empty([this.inChannels, this.outChannels / this.groups, ...this.kernelSize]));
    this.bias = this.registerParameter('bias', hasBias ? empty([this.outChannels]) : null);
    this.resetParameters();
  }

  /** Re-draws weight and bias as the constructor does, as `reset_parameters()`. */
  resetParameters(): void {
    resetLinearLike(this.weight, this.bias);
  }

  forward(x: Tensor): Tensor {
    expectDims(x, [3, 4], 'ConvTranspose2d', '(N, C, H, W) or (C, H, W)');
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, outputPadding: this.outputPadding,
      groups: this.groups, dilation: this.dilation,
    });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${tuple(this.kernelSize)}, stride=${tuple(this.stride)}`;
    if (this.padding[0] !== 0 || this.padding[1] !== 0) s += `, padding=${tuple(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${tuple(this.dilation)}`;
    if (this.outputPadding[0] !== 0 || this.outputPadding[1] !== 0) s += `, output_padding=${tuple(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (this.bias === null) s += ', bias=False';
    return s;
  }
}
