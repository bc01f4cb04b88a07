// The residual blocks of torchvision's ResNet: BasicBlock (ResNet-18/34) and
// Bottleneck (ResNet-50/101, stride on the 3x3 convolution: "ResNet v1.5").
import { Tensor } from '../torch';
import { scope } from '../torch/scope';
import { BatchNorm2d, Conv2d, Identity, Module, ReLU, Sequential, TensorModule } from '../nn';

/** A residual block as `ResNet` builds it: channels in, channels out, and the block's last batch norm. */
export interface ResidualBlock extends Module {
  forward(x: Tensor): Tensor;
  /** The batch norm whose gamma `zeroInitResidual` zeroes (bn2 of BasicBlock, bn3 of Bottleneck). */
  readonly lastNorm: BatchNorm2d;
}

/** How `ResNet` builds its stages: the block class and its channel expansion. */
export interface BlockType {
  /** Output channels = planes * expansion (1 for BasicBlock, 4 for Bottleneck). */
  readonly expansion: number;
  create(inplanes: number, planes: number, stride: number, downsample: TensorModule): ResidualBlock;
}

const conv3x3 = (inPlanes: number, outPlanes: number, stride = 1): Conv2d =>
  new Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false });

const conv1x1 = (inPlanes: number, outPlanes: number, stride = 1): Conv2d =>
  new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });

/**
 * The shortcut of a block whose input and output shapes differ: a strided 1x1
 * convolution and a batch norm (torchvision's `downsample`, keys
 * `downsample.0`, `downsample.1`), or `Identity` (no keys) where they agree.
 *
 * @example
 * const shortcut = downsample(64, 128, 2); // Sequential(Conv2d(64, 128, 1, stride 2), BatchNorm2d(128))
 */
export function downsample(inplanes: number, outplanes: number, stride: number): TensorModule {
  if (stride === 1 && inplanes === outplanes) return new Identity();
  return new Sequential<TensorModule>(conv1x1(inplanes, outplanes, stride), new BatchNorm2d(outplanes));
}

/**
 * Two 3x3 convolutions with a residual connection, as torchvision's
 * `BasicBlock` (keys conv1, bn1, conv2, bn2, downsample.0/1).
 *
 * @example
 * const block = new BasicBlock(64, 128, 2, downsample(64, 128, 2));
 * block.forward(torch.randn([2, 64, 32, 32])); // (2, 128, 16, 16)
 */
export class BasicBlock extends Module implements ResidualBlock {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: TensorModule;

  constructor(inplanes: number, planes: number, stride = 1, shortcut: TensorModule = new Identity()) {
    super();
    this.conv1 = this.registerModule('conv1', conv3x3(inplanes, planes, stride));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.relu = this.registerModule('relu', new ReLU({ inplace: true }));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.downsample = this.registerModule('downsample', shortcut);
  }

  get lastNorm(): BatchNorm2d {
    return this.bn2;
  }

  /**
   * (B, inplanes, H, W) -> (B, planes, H / stride, W / stride).
   * @example new BasicBlock(64, 64).forward(torch.randn([2, 64, 8, 8])); // (2, 64, 8, 8)
   */
  forward(x: Tensor): Tensor {
    return scope(() => { // the intermediates' handles go at the return (Sequential's forward says why)
      const identity = this.downsample.forward(x);
      const out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
      // NOTE: in place as torchvision (`out += identity; relu(inplace)`): batch
      // norm's backward needs its input, not its output, so this is safe.
      return this.relu.forward(this.bn2.forward(this.conv2.forward(out)).add_(identity));
    });
  }
}

/**
 * 1x1 reduce, 3x3 (carrying the stride), 1x1 expand by 4, with a residual
 * connection, as torchvision's `Bottleneck` (keys conv1..3, bn1..3, downsample.0/1).
 *
 * @example
 * const block = new Bottleneck(256, 128, 2, downsample(256, 512, 2));
 * block.forward(torch.randn([2, 256, 16, 16])); // (2, 512, 8, 8)
 */
export class Bottleneck extends Module implements ResidualBlock {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly relu: ReLU;
  readonly downsample: TensorModule;

  constructor(inplanes: number, planes: number, stride = 1, shortcut: TensorModule = new Identity()) {
    super();
    const out = planes * Bottleneck.expansion;
    this.conv1 = this.registerModule('conv1', conv1x1(inplanes, planes));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes, stride));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.conv3 = this.registerModule('conv3', conv1x1(planes, out));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(out));
    this.relu = this.registerModule('relu', new ReLU({ inplace: true }));
    this.downsample = this.registerModule('downsample', shortcut);
  }

  get lastNorm(): BatchNorm2d {
    return this.bn3;
  }

  /**
   * (B, inplanes, H, W) -> (B, 4 * planes, H / stride, W / stride).
   * @example new Bottleneck(256, 64).forward(torch.randn([2, 256, 8, 8])); // (2, 256, 8, 8)
   */
  forward(x: Tensor): Tensor {
    return scope(() => { // the intermediates' handles go at the return (Sequential's forward says why)
      const identity = this.downsample.forward(x);
      let out = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
      out = this.relu.forward(this.bn2.forward(this.conv2.forward(out)));
      return this.relu.forward(this.bn3.forward(this.conv3.forward(out)).add_(identity));
    });
  }
}

/** BasicBlock as a `BlockType`. */
export const basicBlock: BlockType = {
  expansion: BasicBlock.expansion,
  create: (inplanes, planes, stride, shortcut) => new BasicBlock(inplanes, planes, stride, shortcut),
};

/** Bottleneck as a `BlockType`. */
export const bottleneck: BlockType = {
  expansion: Bottleneck.expansion,
  create: (inplanes, planes, stride, shortcut) => new Bottleneck(inplanes, planes, stride, shortcut),
};
