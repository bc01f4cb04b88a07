// The context encoder (Pathak, Krähenbühl, Donahue, Darrell & Efros 2016,
// "Context Encoders: Feature Learning by Inpainting"): remove a region of the
// image, encode what is left, decode the missing pixels; L2 on the region
// (10x on its border that overlaps the context) plus an adversarial loss.
import * as torch from '../torch';
import { Generator, Tensor } from '../torch';
import { binaryCrossEntropyWithLogits } from '../nn/functional/loss';
import { interpolate } from '../nn/functional/sampling';
import { adaptiveAvgPool2d } from '../nn/functional/pooling';
import { DERIVED, defineOptions, is, option, TableValues } from '../torch/option-table';
import { Encoder } from '../models/encoder';
import { Sequential } from '../nn/layers/container';
import { Conv2d, ConvTranspose2d } from '../nn/layers/conv';
import { BatchNorm2d } from '../nn/layers/batch-norm';
import { ReLU } from '../nn/layers/activation';
import { TensorModule } from '../nn';
import { ParamGroup } from '../optim/optimizer';
import { paramGroupsWeightDecay } from '../optim/param-groups';
import { MultiView } from '../data/transforms/multi-crop';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { makeEncoder } from './encoder-spec';
import { MethodOptions, resolveRecipe } from './method-options';
import { checkImageSize, checkOneView, pretextView } from './pretext/pretext-common';
import { MASK_KINDS, MaskKind, drawHoles, reconstructionWeights } from './pretext/inpainting-masks';
import { ChannelWiseLinear } from './pretext/channel-wise-linear';
import { Discriminator } from './pretext/discriminator';
import { ImageNormStats } from './pretext/image-norm-stats';

/** ContextEncoder's options besides the encoder (a convolutional one: its `forwardFeatures` gives (B, D, h, w) maps) and the recipe. */
export const CONTEXT_ENCODER_OPTIONS = defineOptions({
  /** Side of the (square) training images; sizes the channel-wise bottleneck. Default 32 (`selfsup train` sets the data's). */
  imageSize: option(32, is.int(8)),
  /** The removed region: 'center' (default), 'block' or 'region' (section 3.3). */
  mask: option<MaskKind>('center', is.oneOf(MASK_KINDS)),
  /**
   * Pixels by which the prediction overlaps the context. Default round(imageSize * 4 / 128), at least 1 (train.lua's
   * 4 px at 128), and below imageSize / 8 so the hole is not empty (0 at 8 px, the smallest size the method takes).
   */
  overlap: option(DERIVED, is.int(0)),
  /** Weight of the reconstruction loss on the overlap band, relative to 1 inside the hole. Default 10 (section 5.1). */
  overlapWeight: option(10, is.number(0)),
  /** Train with the adversarial loss (a small discriminator). Default true, as the paper's recipe. */
  adversarial: option(true, is.boolean),
  /** lambda_adv; the reconstruction gets 1 - lambda_adv. Default 0.001 (section 5.1: 0.999 / 0.001). */
  adversarialWeight: option(0.001, is.number(0, 1)),
  /** Channels of the discriminator's first convolution. Default 32. */
  discriminatorWidth: option(32, is.int(1)),
  /**
   * Keep the encoder's buffers (batch-norm running statistics) those of the
   * whole images rather than of the images with the hole filled, the task's inputs (`ImageNormStats`:
   * the task and its gradient unchanged; after the optimizer step the
   * buffers are restored and updated by a no-grad pass over the step's whole
   * images, what the frozen encoder is evaluated on). Default false (the
   * paper transfers weights, not statistics). See docs/pretext.md,
   * "Whole-image batch-norm statistics".
   */
  imageNormStats: option(false, is.boolean),
});

/** Options of `ContextEncoder`: the encoder, `CONTEXT_ENCODER_OPTIONS`, and recipe overrides. */
export type ContextEncoderOptions = MethodOptions<typeof CONTEXT_ENCODER_OPTIONS>;

/**
 * Adam as the authors' train.lua (beta1 0.5, lr 2e-4 for the discriminator
 * and 10x for the generator when 0 < wtl2 < 1, no weight decay); the
 * discriminator's group gets `lrScale` 0.1 (see `parameterGroups`).
 */
export const CONTEXT_ENCODER_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'adamw', lr: 2e-3, lrScaling: 'none', finalLrRatio: 0, weightDecay: 0, betas: [0.5, 0.999] as [number, number],
  warmupEpochs: 0,
});

/** A drawn task: which pixels are removed and how the reconstruction is weighted. */
export interface InpaintingTask {
  /** (B, 1, H, W): 1 where the image is removed (filled with 0, the dataset mean after normalisation). */
  hole: Tensor;
  /** (B, 1, H, W): 1 in the hole, overlapWeight on the band around it, 0 on the rest of the context. */
  weights: Tensor;
}

/** What `taskLoss` returns: the joint loss and its parts. */
export interface ContextEncoderLoss {
  /** (1 - lambda_adv) reconstruction + lambda_adv generator term + discriminator term. */
  loss: Tensor;
  /** The weighted L2 over the predicted region (mean per weighted element). */
  reconstruction: Tensor;
  /** -log D(completed): the generator's adversarial term (0 without the adversary). */
  adversarial: Tensor;
  /** -log D(real) - log(1 - D(completed)): the discriminator's loss (0 without the adversary). */
  discriminator: Tensor;
  /** (B, C, H, W): the decoder's output over the whole image. */
  prediction: Tensor;
  /** (B, D) pooled encoder features of the masked images. */
  features: Tensor;
}

/**
 * The context encoder: `encoder` (evaluated alone afterwards) sees the image
 * with the hole filled by 0; its last feature map (B, D, h, w) goes through a
 * channel-wise fully connected `bottleneck` and a 1x1 `bottleneck_conv`
 * (section 3.1), then `decoder` (4x4 stride-2 up-convolutions with batch norm
 * and ReLU, halving the channels, down to 16 at least; the last one to the
 * image's channels) to the whole image. The loss is section 3.2's joint loss,
 * lambda_rec L_rec + lambda_adv L_adv, with L_rec the L2 over the hole grown
 * by `overlap` px, the band weighted `overlapWeight`.
 *
 * The adversary: `discriminator` sees real images and completed ones (context
 * from the image, the prediction inside the grown hole). Its loss is added to
 * the same scalar: its parameters are disjoint from the generator's, and the
 * generator's term runs it on detached weights, so one backward gives each
 * side exactly its own gradient (simultaneous rather than alternating updates).
 *
 * @example
 * const method = new ssl.ContextEncoder({ encoder: 'small_cnn', encoderOptions: { inChannels: 3 }, imageSize: 32, mask: 'region' });
 */
export interface ContextEncoder extends Readonly<TableValues<typeof CONTEXT_ENCODER_OPTIONS>> {}
export class ContextEncoder extends Method {
  readonly name = 'context_encoder' as const;
  readonly encoder: Encoder;
  readonly bottleneck: ChannelWiseLinear;
  readonly bottleneckConv: Conv2d;
  readonly decoder: Sequential;
  readonly discriminator: Discriminator | undefined;
  readonly recipe: OptimizerRecipe;
  readonly channels: number;
  private readonly features: (x: Tensor) => Tensor;
  /** With `imageNormStats`: keeps the encoder's batch-norm statistics whole images'. */
  private readonly normStats: ImageNormStats | undefined;

  constructor(options: ContextEncoderOptions) {
    super();
    this.useOptions(CONTEXT_ENCODER_OPTIONS, options);
    const scaled = Math.max(1, Math.round((this.imageSize * 4) / 128));
    this.deriveOptions({ overlap: Math.min(scaled, Math.ceil(this.imageSize / 8) - 1) });
    if (this.overlap >= this.imageSize / 8) {
      throw new RangeError(`Expected ContextEncoder option overlap below imageSize / 8 (${this.imageSize / 8}) so the ` +
        `central hole is not empty but received ${this.overlap}`);
    }
    this.recipe = resolveRecipe(CONTEXT_ENCODER_RECIPE, options.recipe, 'ContextEncoder');
    this.encoder = this.registerModule('encoder',
      makeEncoder(options.encoder, options.encoderOptions, { needsFactory: false, method: 'ContextEncoder' })());
    this.features = featureMaps(this.encoder);
    this.channels = inputChannels(this.encoder);
    const [D, h, w] = probeFeatures(this.encoder, this.features, this.channels, this.imageSize);
    this.bottleneck = this.registerModule('bottleneck', new ChannelWiseLinear(D, h, w));
    this.bottleneckConv = this.registerModule('bottleneck_conv', new Conv2d(D, D, 1));
    this.decoder = this.registerModule('decoder', buildDecoder(D, this.channels, this.imageSize / h));
    this.discriminator = this.adversarial
      ? this.registerModule('discriminator', new Discriminator(this.channels, this.imageSize, this.discriminatorWidth))
      : undefined;
    this.normStats = this.imageNormStats ? new ImageNormStats(this.encoder) : undefined;
  }

  /** One view (crop scale [0.5, 1], flip, normalisation) at `imageSize`. @example method.augmentation(spec) */
  augmentation(spec: ImageSpec): MultiView {
    checkImageSize(spec, 'ContextEncoder', 8, 'a hole and its context');
    if (spec.size !== this.imageSize || spec.channels !== this.channels) {
      throw new RangeError(`ContextEncoder was built for ${this.channels}-channel images of ${this.imageSize} x ` +
        `${this.imageSize} px (options imageSize and the encoder's inChannels) but ` +
        `${spec.dataset === undefined ? 'the images are' : `dataset '${spec.dataset}' has`} ${spec.channels}-channel ` +
        `images of ${spec.size} x ${spec.size} px; build it with imageSize: ${spec.size}`);
    }
    return pretextView(spec, [0.5, 1]);
  }

  /**
   * Draws the holes of `x` (B, C, H, W) and the reconstruction weights.
   * @example const task = method.drawTask(x, new torch.Generator().manualSeed(0));
   */
  drawTask(x: Tensor, generator?: Generator): InpaintingTask {
    const hole = drawHoles(this.mask, x, this.overlap, generator);
    return { hole, weights: reconstructionWeights(hole, this.overlap, this.overlapWeight) };
  }

  /**
   * The decoder's prediction (B, C, H, W) for images `x` with `hole` removed, and the pooled features.
   * @example const { prediction } = method.inpaint(x, task.hole);
   */
  inpaint(x: Tensor, hole: Tensor): { prediction: Tensor; features: Tensor } {
    const [, , H, W] = x.shape;
    const context = x.mul(hole.neg().add(1)); // the hole filled with 0: the dataset mean after normalisation
    const maps = this.features(context); // (B, D, h, w)
    const z = this.bottleneckConv.forward(this.bottleneck.forward(maps).relu()).relu();
    let prediction = this.decoder.forward(z); // (B, C, H', W')
    if (prediction.shape[2] !== H || prediction.shape[3] !== W) {
      prediction = interpolate(prediction, { size: [H, W], mode: 'bilinear', alignCorners: false });
    }
    return { prediction, features: adaptiveAvgPool2d(maps, 1).flatten(1) };
  }

  /**
   * The joint loss of the task on images `x` and its parts.
   * @example const { loss, reconstruction } = method.taskLoss(x, method.drawTask(x));
   */
  taskLoss(x: Tensor, task: InpaintingTask): ContextEncoderLoss {
    const { prediction, features } = this.inpaint(x, task.hole);
    const C = x.shape[1];
    const diff = prediction.float().sub(x.float());
    // Mean over the predicted region's elements (train.lua: MSE over the predicted patch, weights on the gradient).
    const predicted = task.weights.gt(0).to('float32').sum().mul(C);
    const reconstruction = diff.square().mul(task.weights).sum().div(predicted);
    if (this.discriminator === undefined) {
      const zero = torch.zeros([], { device: x.device });
      return { loss: reconstruction, reconstruction, adversarial: zero, discriminator: zero.clone(), prediction, features };
    }
    const region = task.weights.gt(0).to(x.dtype); // the grown hole: what the prediction replaces
    const completed = x.mul(region.neg().add(1)).add(prediction.mul(region));
    const realLogits = this.discriminator.forward(x);
    const fakeLogits = this.discriminator.forward(completed.detach());
    const ones = torch.onesLike(realLogits);
    const zeros = torch.zerosLike(realLogits);
    const discriminator = binaryCrossEntropyWithLogits(realLogits.float(), ones)
      .add(binaryCrossEntropyWithLogits(fakeLogits.float(), zeros));
    // The generator's term: the discriminator's weights detached, so this reaches the generator only.
    const adversarial = binaryCrossEntropyWithLogits(this.discriminator.forward(completed, { frozen: true }).float(), ones);
    const lambda = this.adversarialWeight;
    const loss = reconstruction.mul(1 - lambda).add(adversarial.mul(lambda)).add(discriminator);
    return { loss, reconstruction, adversarial, discriminator, prediction, features };
  }

  /** The joint loss on freshly drawn holes. @example method.trainingStep([x], progress) */
  trainingStep(views: Tensor[], _progress?: TrainProgress): StepOutput {
    const x = checkOneView(views, 'ContextEncoder');
    this.normStats?.beforeTask(x);
    const out = this.taskLoss(x, this.drawTask(x));
    return {
      loss: out.loss, embedding: out.features.detach(),
      logs: { reconstructionError: out.reconstruction.detach(), adversarialLoss: out.adversarial.detach(),
        discriminatorLoss: out.discriminator.detach() },
    };
  }

  /** With `imageNormStats`: the buffers back, then updated from the step's whole images (`ImageNormStats`). */
  override afterOptimizerStep(_progress: TrainProgress): void {
    this.normStats?.afterStep();
  }

  /**
   * The generator's parameters (encoder, bottleneck, decoder; no weight decay
   * on biases and norms) and the discriminator's with `lrScale` 0.1 (train.lua
   * trains the generator at 10x the discriminator's rate).
   * @example method.parameterGroups(0)
   */
  override parameterGroups(weightDecay: number): ParamGroup[] {
    const named = [...this.namedParameters()];
    const generator = paramGroupsWeightDecay(named.filter(([k]) => !k.startsWith('discriminator.')), { weightDecay });
    if (this.discriminator === undefined) return generator;
    const d = named.filter(([k]) => k.startsWith('discriminator.')).map(([, p]) => p);
    return [...generator, { params: d, weightDecay, lrScale: 0.1, name: 'discriminator' }];
  }
}

/** The encoder's `forwardFeatures`, checked to exist (convolutional encoders: small_cnn, resnet*). */
function featureMaps(encoder: Encoder): (x: Tensor) => Tensor {
  const f = (encoder as unknown as { forwardFeatures?: (x: Tensor) => Tensor }).forwardFeatures;
  if (typeof f !== 'function') {
    throw new TypeError(`ContextEncoder needs a convolutional encoder with forwardFeatures giving (B, D, h, w) maps ` +
      `(small_cnn, resnet18, ...) but received ${encoder.typeName}`);
  }
  return (x) => f.call(encoder, x);
}

/** The input channels of the encoder's first convolution (its first 4-D parameter). */
function inputChannels(encoder: Encoder): number {
  const first = encoder.parameters().find((p) => p.dim() === 4);
  if (first === undefined) throw new TypeError(`ContextEncoder needs a convolutional encoder but ${encoder.typeName} has no convolution`);
  return first.shape[1];
}

/** [D, h, w] of the encoder's feature maps on `size` px images (in eval mode, so no statistics move). */
function probeFeatures(encoder: Encoder, features: (x: Tensor) => Tensor, channels: number, size: number): number[] {
  const wasTraining = encoder.training;
  encoder.eval();
  try {
    const shape = torch.noGrad(() => torch.scope(() => features(torch.zeros([1, channels, size, size])).shape));
    if (shape.length !== 4) {
      throw new TypeError(`ContextEncoder needs (B, D, h, w) feature maps from ${encoder.typeName}.forwardFeatures ` +
        `but received shape [${shape.join(', ')}] (a ViT's tokens cannot be used)`);
    }
    return shape.slice(1);
  } finally {
    encoder.train(wasTraining);
  }
}

/**
 * Up-convolutions from (D, h, w) maps to `channels` x (h * 2^k) images, k =
 * round(log2(factor)) (at least 1): ConvTranspose2d(4, stride 2, padding 1)
 * with batch norm and ReLU, the last one to the image channels with a bias
 * and no activation (normalised pixels are not bounded like tanh's [-1, 1]).
 */
function buildDecoder(D: number, channels: number, factor: number): Sequential {
  const stages = Math.max(1, Math.round(Math.log2(factor)));
  const layers: TensorModule[] = [];
  let cin = D;
  for (let i = 0; i < stages - 1; i++) {
    const cout = Math.max(16, Math.floor(cin / 2));
    layers.push(new ConvTranspose2d(cin, cout, 4, { stride: 2, padding: 1, bias: false }), new BatchNorm2d(cout), new ReLU());
    cin = cout;
  }
  layers.push(new ConvTranspose2d(cin, channels, 4, { stride: 2, padding: 1 }));
  return new Sequential(...layers);
}

