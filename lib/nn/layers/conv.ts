// 2-D convolutions: Conv2d and ConvTranspose2d, as torch.nn.Conv2d / ConvTranspose2d.
import { Tensor, empty } from '../../torch';
import { Module } from '../module';
import { conv2d, convTranspose2d } from '../functional/conv';
import { resetLinearLike } from './linear';
import { checkBoolean, expectDims, pair, positiveInt } from '../../torch/arguments';

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
    this.stride = pair(options.stride ?? 1, 'options.stride', 1);
    const padding = options.padding ?? 0;
    if (padding === 'same' || padding === 'valid') {
      if (padding === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) {
        throw new RangeError(`Expected stride 1 with padding 'same' but received stride ${tuple(this.stride)}`);
      }
      this.padding = padding;
    } else {
      this.padding = pair(padding, 'options.padding', 0);
    }
    this.dilation = pair(options.dilation ?? 1, 'options.dilation', 1);
    this.groups = positiveInt(options.groups ?? 1, 'options.groups');
    checkGroups(this.inChannels, this.outChannels, this.groups);
    const hasBias = checkBoolean(options.bias ?? true, 'options.bias');
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
    this.stride = pair(options.stride ?? 1, 'options.stride', 1);
    this.padding = pair(options.padding ?? 0, 'options.padding', 0);
    this.outputPadding = pair(options.outputPadding ?? 0, 'options.outputPadding', 0);
    this.dilation = pair(options.dilation ?? 1, 'options.dilation', 1);
    this.groups = positiveInt(options.groups ?? 1, 'options.groups');
    checkGroups(this.inChannels, this.outChannels, this.groups);
    for (const i of [0, 1]) {
      if (this.outputPadding[i] >= Math.max(this.stride[i], this.dilation[i])) {
        throw new RangeError(`Expected outputPadding smaller than stride or dilation but received outputPadding ` +
          `${tuple(this.outputPadding)}, stride ${tuple(this.stride)}, dilation ${tuple(this.dilation)}`);
      }
    }
    const hasBias = checkBoolean(options.bias ?? true, 'options.bias');
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
