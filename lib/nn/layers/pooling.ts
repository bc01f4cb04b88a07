// Pooling and reshaping layers: MaxPool2d, AvgPool2d, AdaptiveAvgPool2d and
// Flatten, as torch.nn. They hold no parameters; as modules they show up in
// printouts and Sequential containers as in torchvision.
import { Tensor } from '../../torch';
import { Module } from '../module';
import { adaptiveAvgPool2d, avgPool2d, maxPool2d } from '../functional/pooling';
import { pair } from '../../torch/arguments';
import { defineOptions, is, option, OPTIONAL, OptionCheck, optionsKey } from '../../torch/option-table';
import { pyBool } from './repr';

type Size2 = number | readonly [number, number];

const show = (v: Size2): string => (typeof v === 'number' ? String(v) : `(${v.join(', ')})`);

/** A number or a pair of integers >= min, kept in the form given (it shows so in printouts). */
const size2 = (min: number): OptionCheck<Size2> => (v, what) => {
  pair(v, what, min);
  return v as Size2;
};

// The layers' defaults, as torch.nn's keyword arguments; the stride has none of
// its own: it is the kernel size, as in PyTorch.
const MAX_POOL2D_OPTIONS = defineOptions({
  stride: option(OPTIONAL, size2(1)), padding: option<Size2>(0, size2(0)), dilation: option<Size2>(1, size2(1)),
  ceilMode: option(false, is.boolean),
});
const AVG_POOL2D_OPTIONS = defineOptions({
  stride: option(OPTIONAL, size2(1)), padding: option<Size2>(0, size2(0)),
  ceilMode: option(false, is.boolean), countIncludePad: option(true, is.boolean),
});

/**
 * The maximum over sliding windows of (N, C, H, W) input, as `torch.nn.MaxPool2d`.
 * Defaults as PyTorch: stride = kernelSize, padding 0, dilation 1, ceilMode false.
 * @example
 * const pool = new nn.MaxPool2d(3, { stride: 2, padding: 1 }); // torchvision ResNet's stem
 * pool.forward(torch.randn([1, 64, 112, 112])); // (1, 64, 56, 56)
 */
export class MaxPool2d extends Module {
  readonly kernelSize: Size2;
  readonly stride: Size2;
  readonly padding: Size2;
  readonly dilation: Size2;
  readonly ceilMode: boolean;

  constructor(kernelSize: Size2, options: { stride?: Size2; padding?: Size2; dilation?: Size2; ceilMode?: boolean } = {}) {
    super();
    pair(kernelSize, 'kernelSize', 1);
    this.kernelSize = kernelSize;
    const o = MAX_POOL2D_OPTIONS.resolve(options, optionsKey);
    this.stride = o.stride ?? kernelSize;
    this.padding = o.padding;
    this.dilation = o.dilation;
    this.ceilMode = o.ceilMode;
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.kernelSize, { stride: this.stride, padding: this.padding, dilation: this.dilation, ceilMode: this.ceilMode });
  }

  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}, ` +
      `dilation=${show(this.dilation)}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/**
 * The mean over sliding windows of (N, C, H, W) input, as `torch.nn.AvgPool2d`.
 * Defaults as PyTorch: stride = kernelSize, padding 0, ceilMode false, countIncludePad true.
 * @example new nn.AvgPool2d(2).forward(torch.randn([1, 8, 4, 4])) // (1, 8, 2, 2)
 */
export class AvgPool2d extends Module {
  readonly kernelSize: Size2;
  readonly stride: Size2;
  readonly padding: Size2;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;

  constructor(kernelSize: Size2, options: { stride?: Size2; padding?: Size2; ceilMode?: boolean; countIncludePad?: boolean } = {}) {
    super();
    pair(kernelSize, 'kernelSize', 1);
    this.kernelSize = kernelSize;
    const o = AVG_POOL2D_OPTIONS.resolve(options, optionsKey);
    this.stride = o.stride ?? kernelSize;
    this.padding = o.padding;
    this.ceilMode = o.ceilMode;
    this.countIncludePad = o.countIncludePad;
  }

  forward(x: Tensor): Tensor {
    return avgPool2d(x, this.kernelSize,
      { stride: this.stride, padding: this.padding, ceilMode: this.ceilMode, countIncludePad: this.countIncludePad });
  }

  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}`;
  }
}

/**
 * Averages (N, C, H, W) input down to a fixed (outH, outW), as
 * `torch.nn.AdaptiveAvgPool2d`; `new AdaptiveAvgPool2d(1)` is global average pooling.
 * @example new nn.AdaptiveAvgPool2d([1, 1]).forward(torch.randn([8, 512, 7, 7])) // (8, 512, 1, 1)
 */
export class AdaptiveAvgPool2d extends Module {
  readonly outputSize: Size2;

  constructor(outputSize: Size2) {
    super();
    pair(outputSize, 'outputSize', 1);
    this.outputSize = outputSize;
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }

  override extraRepr(): string {
    return `output_size=${show(this.outputSize)}`;
  }
}

/**
 * Flattens dimensions startDim..endDim into one, as `torch.nn.Flatten`.
 * Defaults as PyTorch: startDim 1 (keeps the batch dimension), endDim -1.
 * @example new nn.Flatten().forward(torch.randn([8, 512, 1, 1])) // (8, 512)
 */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
    for (const [v, what] of [[startDim, 'startDim'], [endDim, 'endDim']] as const) {
      if (!Number.isInteger(v)) throw new RangeError(`Expected integer for ${what} but received ${String(v)}`);
    }
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
