// DeOldify's generator, reduced to its idea: a U-Net whose downsampling half
// is an image encoder (a pretrained ResNet there; any small_cnn or ResNet of
// the registry here) and whose decoder upsamples and joins each encoder
// stage's features through skip connections, ending in an RGB image. Also
// the small patch critic of the adversarial phase.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { BatchNorm2d, Conv2d, Module, ModuleList, ReLU, Sequential } from '../../nn';
import { interpolate } from '../../nn/functional/sampling';
import { leakyRelu } from '../../nn/functional/activation';
import { maxPool2d } from '../../nn/functional/pooling';
import { Encoder } from '../../models/encoder';
import { SmallCnn } from '../../models/small-cnn';
import { ResNet } from '../../models/resnet';

/**
 * The feature maps of an encoder's stages, from the highest resolution to the
 * lowest: small_cnn after conv1 (H), conv3 (H / 2) and conv5 (H / 4); a
 * ResNet after its stem (before the max-pool) and after layer1..layer4.
 * @example const maps = encoderStages(models.create('small_cnn'), x); // 3 maps
 */
export function encoderStages(encoder: Encoder, x: Tensor): Tensor[] {
  if (encoder instanceof SmallCnn) {
    const out: Tensor[] = [];
    let y = x;
    for (let i = 0; i < encoder.convs.length; i++) {
      y = encoder.relu.forward(encoder.norms[i].forward(encoder.convs[i].forward(y)));
      if (i % 2 === 0) out.push(y);
    }
    return out;
  }
  if (encoder instanceof ResNet) {
    const stem = encoder.relu.forward(encoder.bn1.forward(encoder.conv1.forward(x)));
    const l1 = encoder.layer1.forward(encoder.smallImages ? stem : maxPool2d(stem, 3, { stride: 2, padding: 1 }));
    const l2 = encoder.layer2.forward(l1);
    const l3 = encoder.layer3.forward(l2);
    return [stem, l1, l2, l3, encoder.layer4.forward(l3)];
  }
  throw new TypeError(`Expected a small_cnn or ResNet encoder for the U-Net generator (its stages are the skip ` +
    `connections) but received ${encoder.typeName}`);
}

/**
 * The channels of `encoderStages`' maps.
 * @example stageChannels(models.create('small_cnn', { width: 16 })); // [16, 32, 64]
 */
export function stageChannels(encoder: Encoder): number[] {
  if (encoder instanceof SmallCnn) return [0, 2, 4].map((i) => encoder.convs[i].outChannels);
  if (encoder instanceof ResNet) {
    const e = encoder.featureDim / 512; // the block expansion: 1 (basic) or 4 (bottleneck)
    return [64, 64 * e, 128 * e, 256 * e, 512 * e];
  }
  throw new TypeError(`Expected a small_cnn or ResNet encoder for the U-Net generator but received ${encoder.typeName}`);
}

/** Upsample to the skip's size (nearest), concatenate, two conv-BN-ReLU. Keys conv1, bn1, conv2, bn2. */
class UnetBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly relu: ReLU;

  constructor(inChannels: number, skipChannels: number, outChannels: number) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(inChannels + skipChannels, outChannels, 3, { padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(outChannels));
    this.conv2 = this.registerModule('conv2', new Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(outChannels));
    this.relu = this.registerModule('relu', new ReLU());
  }

  forward(x: Tensor, skip: Tensor): Tensor {
    const up = interpolate(x, { size: [skip.shape[2], skip.shape[3]], mode: 'nearest' });
    const h = this.relu.forward(this.bn1.forward(this.conv1.forward(torch.cat([up, skip], 1))));
    return this.relu.forward(this.bn2.forward(this.conv2.forward(h)));
  }
}

/**
 * The decoder half: `blocks.k` joins the deepest remaining map with the next
 * stage up (k = 0 first, at the lowest resolution); `head` takes the result
 * at the input's size concatenated with the input itself (fastai's
 * "last cross") to 3 channels, squashed into (-3, 3) as DeOldify's
 * `y_range` (the images are normalised, so that is +-3 std).
 *
 * @example
 * const dec = new UnetDecoder(stageChannels(enc), 3);
 * const rgb = dec.forward(encoderStages(enc, x), x); // (B, 3, H, W)
 */
export class UnetDecoder extends Module {
  readonly blocks: ModuleList<UnetBlock>;
  readonly head: Sequential;

  constructor(channels: readonly number[], inChannels: number) {
    super();
    const blocks: UnetBlock[] = [];
    for (let i = channels.length - 2; i >= 0; i--) {
      blocks.push(new UnetBlock(channels[i + 1], channels[i], channels[i]));
    }
    this.blocks = this.registerModule('blocks', new ModuleList(blocks));
    this.head = this.registerModule('head', new Sequential(
      new Conv2d(channels[0] + inChannels, channels[0], 3, { padding: 1 }), new ReLU(), new Conv2d(channels[0], 3, 1)));
  }

  /** Stages (highest resolution first) and the generator's input -> (B, 3, H, W) in (-3, 3). */
  forward(stages: readonly Tensor[], input: Tensor): Tensor {
    let y = stages[stages.length - 1];
    for (let k = 0; k < stages.length - 1; k++) y = this.blocks.at(k).forward(y, stages[stages.length - 2 - k]);
    const up = interpolate(y, { size: [input.shape[2], input.shape[3]], mode: 'nearest' });
    return this.head.forward(torch.cat([up, input], 1)).sigmoid().mul(6).sub(3);
  }
}

/**
 * A patch critic: conv 4x4 stride 2 (width), conv 4x4 stride 2 (2 width),
 * each with LeakyReLU 0.2 (DeOldify's critic slope), then a 3x3 conv to one
 * logit per patch (B, 1, H / 4, W / 4). Keys conv1..conv3.
 * @example new PatchCritic(3, 64).forward(images); // real/fake logits per patch
 */
export class PatchCritic extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly conv3: Conv2d;

  constructor(inChannels: number, width: number) {
    super();
    this.conv1 = this.registerModule('conv1', new Conv2d(inChannels, width, 4, { stride: 2, padding: 1 }));
    this.conv2 = this.registerModule('conv2', new Conv2d(width, 2 * width, 4, { stride: 2, padding: 1 }));
    this.conv3 = this.registerModule('conv3', new Conv2d(2 * width, 1, 3, { padding: 1 }));
  }

  forward(x: Tensor): Tensor {
    const h = leakyRelu(this.conv1.forward(x), { negativeSlope: 0.2 });
    return this.conv3.forward(leakyRelu(this.conv2.forward(h), { negativeSlope: 0.2 }));
  }
}
