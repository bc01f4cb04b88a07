// ResNet-18/34/50/101 with torchvision's architecture, initialisation and
// state-dict keys (conv1, bn1, layer1.0.conv1, layer2.0.downsample.0, fc), so
// torchvision checkpoints load unchanged.
import { Tensor } from '../torch';
import { scope } from '../torch/scope';
import { BatchNorm2d, Conv2d, Identity, init, Linear, Module, ReLU, Sequential, TensorModule } from '../nn';
import { adaptiveAvgPool2d, maxPool2d } from '../nn/functional';
import { checkInt } from '../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';
import { BlockType, ResidualBlock, basicBlock, bottleneck, downsample } from './resnet-blocks';
import { Encoder } from './encoder';

/** The ResNets' options: defaults (torchvision's) and checks. */
export const RESNET_OPTIONS = defineOptions({
  /** Classifier outputs; 0 replaces `fc` by `Identity` and `forward` returns (B, featureDim) features. Default 1000. */
  numClasses: option(1000, is.int(0)),
  /** Channels of the input images (1 for Fashion-MNIST). Default 3. */
  inChannels: option(3, is.int(1)),
  /**
   * CIFAR-style stem for 28-32 px inputs: a 3x3 stride-1 `conv1` and no
   * max-pool, as SimCLR's CIFAR-10 ResNet (keys stay conv1, bn1). Default false.
   */
  smallImages: option(false, is.boolean),
  /**
   * Zero the last batch-norm gamma of each block, so every residual branch
   * starts as zero and each block as the identity (Goyal et al. 2017,
   * torchvision's `zero_init_residual`). Default false.
   */
  zeroInitResidual: option(false, is.boolean),
  /**
   * Side of the grid the last stage's map is average-pooled to before it is
   * flattened: 1 (the default, torchvision's `avgpool`) is global average
   * pooling; p > 1 keeps where in the image a feature fired (featureDim
   * p * p * 512 or 2048), as small_cnn's `pool`.
   */
  pool: option(1, is.int(1)),
});

/** Options of the ResNets (`RESNET_OPTIONS`). */
export type ResNetOptions = GivenOptions<typeof RESNET_OPTIONS.specs>;

/**
 * A ResNet (He et al. 2015) with torchvision's structure: stem (conv1, bn1,
 * relu, max-pool), four stages `layer1`..`layer4` of residual blocks at
 * 64/128/256/512 planes, global average pooling and `fc`.
 *
 * @example
 * const net = new ResNet(bottleneck, [3, 4, 6, 3], { numClasses: 0 }); // ResNet-50 trunk
 * net.forward(torch.randn([2, 3, 224, 224])); // (2, 2048)
 */
export class ResNet extends Module implements Encoder {
  readonly featureDim: number;
  /** Side of the pooled grid (`RESNET_OPTIONS.pool`). */
  readonly pool: number;
  readonly numClasses: number;
  readonly inChannels: number;
  readonly smallImages: boolean;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  /** Linear(featureDim, numClasses), or Identity with numClasses 0. */
  readonly fc: TensorModule;

  constructor(block: BlockType, layers: readonly [number, number, number, number], options: ResNetOptions = {}) {
    super();
    const o = RESNET_OPTIONS.resolve(options, (k) => `options.${k}`);
    this.numClasses = o.numClasses;
    this.inChannels = o.inChannels;
    this.smallImages = o.smallImages;
    const zeroInitResidual = o.zeroInitResidual;
    layers.forEach((n, i) => checkInt(n, `layers[${i}]`, 1));

    this.conv1 = this.registerModule('conv1', this.smallImages
      ? new Conv2d(this.inChannels, 64, 3, { stride: 1, padding: 1, bias: false })
      : new Conv2d(this.inChannels, 64, 7, { stride: 2, padding: 3, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(64));
    this.relu = this.registerModule('relu', new ReLU({ inplace: true }));
    let inplanes = 64;
    const residualBlocks: ResidualBlock[] = [];
    const stage = (name: string, planes: number, blocks: number, stride: number): Sequential => {
      const out = planes * block.expansion;
      const list = [block.create(inplanes, planes, stride, downsample(inplanes, out, stride))];
      inplanes = out;
      for (let i = 1; i < blocks; i++) list.push(block.create(inplanes, planes, 1, new Identity()));
      residualBlocks.push(...list);
      return this.registerModule(name, new Sequential(...list));
    };
    this.layer1 = stage('layer1', 64, layers[0], 1);
    this.layer2 = stage('layer2', 128, layers[1], 2);
    this.layer3 = stage('layer3', 256, layers[2], 2);
    this.layer4 = stage('layer4', 512, layers[3], 2);
    this.pool = o.pool;
    this.featureDim = inplanes * o.pool * o.pool;
    this.fc = this.registerModule('fc', this.numClasses > 0 ? new Linear(this.featureDim, this.numClasses) : new Identity());

    // torchvision's initialisation; fc keeps Linear's default.
    for (const m of this.modules()) {
      if (m instanceof Conv2d) init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
    }
    if (zeroInitResidual) {
      for (const b of residualBlocks) init.zeros_(b.lastNorm.weight as Tensor);
    }
  }

  /**
   * (B, C, H, W) -> the last stage's feature map (B, featureDim, H / 32, W / 32) (H / 8 with smallImages).
   * @example models.resnet50().forwardFeatures(torch.randn([1, 3, 224, 224])); // (1, 2048, 7, 7)
   */
  forwardFeatures(x: Tensor): Tensor {
    return scope(() => { // the intermediates' handles go at the return (Sequential's forward says why)
      let y = this.relu.forward(this.bn1.forward(this.conv1.forward(x)));
      if (!this.smallImages) y = maxPool2d(y, 3, { stride: 2, padding: 1 });
      y = this.layer1.forward(y);
      y = this.layer2.forward(y);
      y = this.layer3.forward(y);
      return this.layer4.forward(y);
    });
  }

  /**
   * (B, C, H, W) -> logits (B, numClasses), or features (B, featureDim) with numClasses 0.
   * @example models.resnet18({ numClasses: 10 }).forward(torch.randn([4, 3, 32, 32])); // (4, 10)
   */
  forward(x: Tensor): Tensor {
    // NOTE: adaptive average pooling rather than a mean, as torchvision, so the
    // summation order (and the last bits of the result) are the same.
    const pooled = adaptiveAvgPool2d(this.forwardFeatures(x), this.pool).flatten(1); // (B, featureDim)
    return this.fc.forward(pooled);
  }

  override extraRepr(): string {
    return `featureDim=${this.featureDim}, numClasses=${this.numClasses}, smallImages=${this.smallImages}`;
  }
}

/**
 * ResNet-18 (BasicBlock, [2, 2, 2, 2]): 11,689,512 parameters with 1000 classes, featureDim 512.
 * @example const enc = models.resnet18({ smallImages: true, numClasses: 0 }); // CIFAR-style encoder
 */
export function resnet18(options: ResNetOptions = {}): ResNet {
  return new ResNet(basicBlock, [2, 2, 2, 2], options);
}

/**
 * ResNet-34 (BasicBlock, [3, 4, 6, 3]): 21,797,672 parameters with 1000 classes, featureDim 512.
 * @example const net = models.resnet34();
 */
export function resnet34(options: ResNetOptions = {}): ResNet {
  return new ResNet(basicBlock, [3, 4, 6, 3], options);
}

/**
 * ResNet-50 (Bottleneck, [3, 4, 6, 3]): 25,557,032 parameters with 1000 classes, featureDim 2048.
 * @example const enc = models.resnet50({ numClasses: 0 });
 */
export function resnet50(options: ResNetOptions = {}): ResNet {
  return new ResNet(bottleneck, [3, 4, 6, 3], options);
}

/**
 * ResNet-101 (Bottleneck, [3, 4, 23, 3]): 44,549,160 parameters with 1000 classes, featureDim 2048.
 * @example const net = models.resnet101({ zeroInitResidual: true });
 */
export function resnet101(options: ResNetOptions = {}): ResNet {
  return new ResNet(bottleneck, [3, 4, 23, 3], options);
}
