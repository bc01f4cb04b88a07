// Colorization (Zhang, Isola & Efros 2016, "Colorful Image Colorization"):
// from the lightness L of an image, predict a distribution over the 313
// quantised ab colours of every pixel, trained with a class-rebalanced soft
// cross entropy; colours come back through the annealed mean.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Conv2d } from '../nn/layers/conv';
import { ReLU } from '../nn/layers/activation';
import { Sequential } from '../nn/layers/container';
import { adaptiveAvgPool2d } from '../nn/functional/pooling';
import { interpolate } from '../nn/functional/sampling';
import { MultiView } from '../data/transforms/multi-crop';
import { labToRgb, withoutColour } from '../data/transforms/lab';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { EncoderSpec, makeEncoder } from './encoder-spec';
import { MethodOptions, resolveRecipe } from './method-options';
import { defineOptions, is, option, TableValues } from '../torch/option-table';
import { checkColour, checkOneView, pretextView } from './pretext/pretext-common';
import { LabEncoder } from './pretext/lab-encoder';
import { NUM_AB_BINS, abBins, annealedMean, rebalanceWeights, smoothPrior, softEncode } from './pretext/ab-bins';

/** Colorization's options besides the encoder (the backbone on L, built with one input channel when given by name) and the recipe. */
export const COLORIZATION_OPTIONS = defineOptions({
  /** Channels of the head's 3x3 convolution. Default 256. */
  hiddenDim: option(256, is.int(1)),
  /** Class rebalancing: the prior's mix with the uniform distribution (section 2.2, lambda). Default 0.5; 1 turns it off. */
  lambda: option(0.5, is.number(0, 1)),
  /** Temperature of the annealed mean that `colorize` decodes with (section 2.3). Default 0.38. */
  temperature: option(0.38, is.positive),
  /**
   * Whether the evaluated encoder sees the image's colour. false (default, the paper's section 3.2.1): the backbone
   * has one input channel, L, in training and evaluation. true: the backbone has three (L, a, b); the task still
   * gives it L only (a = b = 0 in training, in `colorize` and in the loss), while `encoder.forward` (what the
   * frozen-encoder report, embed and export use) gives it the whole Lab image, as DeOldify's RGB encoder trained on
   * gray images is evaluated on colour ones. The colour weights of the first layer get no gradient from the task.
   */
  colourAtEvaluation: option(false, is.boolean),
});

/** Options of `Colorization`: the encoder, `COLORIZATION_OPTIONS`, and recipe overrides. */
export type ColorizationOptions = MethodOptions<typeof COLORIZATION_OPTIONS>;

/**
 * Section 3 ("Training"): Adam, beta1 0.9, beta2 0.99, weight decay 1e-3,
 * initial learning rate 3e-5 at batch 40, written here per 256 images
 * (linear scaling) and with decoupled weight decay (AdamW).
 */
export const COLORIZATION_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'adamw', lr: 3e-5 * 256 / 40, lrScaling: 'linear', finalLrRatio: 0, weightDecay: 1e-3,
  betas: [0.9, 0.99] as [number, number], warmupEpochs: 0,
});

/** What `Colorization.taskLoss` gives. */
export interface ColorizationLoss {
  /** The rebalanced soft cross entropy, a float32 scalar. */
  loss: Tensor;
  /** (B, 313, h, w) predicted bin logits at the feature map's resolution. */
  logits: Tensor;
  /** (B, 313, h, w) the soft-encoded true colours. */
  target: Tensor;
  /** (B, D, h, w) the backbone's feature map. */
  features: Tensor;
  /** (B, h, w) each output pixel's rebalancing weight v (equation 3). */
  pixelWeights: Tensor;
}

/** Images to show for a batch: the task's input and what it should produce, both in [0, 1]. */
export interface ColourTaskExamples {
  /** (B, C, H, W) what the network is given (L as a gray image; ab drawn at L = 50). */
  input: Tensor;
  /** (B, 3, H, W) the original colour image. */
  target: Tensor;
}

/**
 * The encoder Colorization trains, untrained: a `LabEncoder` with one branch
 * `net` on L (a registry name is built with one input channel).
 * @example const enc = colorizationEncoder('small_cnn', { width: 16 }); // keys net.conv1.weight, ..., rgb_mean
 */
export function colorizationEncoder(encoder: EncoderSpec, encoderOptions?: Record<string, unknown>,
  colourAtEvaluation = false): LabEncoder {
  const opts = typeof encoder === 'string' ? { ...encoderOptions, inChannels: colourAtEvaluation ? 3 : 1 } : encoderOptions;
  const net = makeEncoder(encoder, opts, { needsFactory: false, method: 'Colorization' })();
  return new LabEncoder([{ name: 'net', channels: colourAtEvaluation ? 'Lab' : 'L', net }], 'Colorization');
}

/**
 * Colorization: `encoder` (a `LabEncoder` around a backbone on L) and
 * `colorization_head` (3x3 conv, ReLU, 1x1 conv to 313 bins) on its last
 * feature map. The true ab of every output pixel (the image's ab averaged over
 * the pixels each output position covers: the paper's output is also a 1/4
 * resolution map) is soft-encoded on its 5 nearest bins (sigma 5), and each
 * pixel's cross entropy is weighted by the rebalancing weight of its nearest
 * bin (equation 2-4). The prior is the empirical distribution of the colours
 * seen so far in training (the buffer `ab_counts`, counted before each step's
 * loss, smoothed with sigma 5): after the first epoch it is the training set's.
 * `binAccuracy` (the most likely bin is the nearest one) is logged.
 *
 * @example
 * const method = new ssl.Colorization({ encoder: 'small_cnn' });
 * const rgb = method.eval().colorize(x); // (B, 3, H, W) in [0, 1]
 */
export interface Colorization extends Readonly<TableValues<typeof COLORIZATION_OPTIONS>> {}
export class Colorization extends Method {
  readonly name = 'colorization' as const;
  readonly encoder: LabEncoder;
  readonly colorizationHead: Sequential;
  readonly recipe: OptimizerRecipe;
  /** float32 (313): pixels seen per bin so far (the prior's counts). */
  readonly abCounts: Tensor;
  private readonly bins: Tensor;

  constructor(options: ColorizationOptions) {
    super();
    this.useOptions(COLORIZATION_OPTIONS, options);
    this.recipe = resolveRecipe(COLORIZATION_RECIPE, options.recipe, 'Colorization');
    this.encoder = this.registerModule('encoder', colorizationEncoder(options.encoder, options.encoderOptions,
      this.colourAtEvaluation));
    this.colorizationHead = this.registerModule('colorization_head', new Sequential(
      new Conv2d(this.encoder.mapChannels[0], this.hiddenDim, 3, { padding: 1 }), new ReLU(),
      new Conv2d(this.hiddenDim, NUM_AB_BINS, 1)));
    this.abCounts = this.registerBuffer('ab_counts', torch.zeros([NUM_AB_BINS]));
    this.bins = this.registerBuffer('ab_bins', abBins(), { persistent: false });
  }

  /** One view (crop scale [0.5, 1], flip, normalisation); colour images only. @example method.augmentation(spec) */
  augmentation(spec: ImageSpec): MultiView {
    checkColour(spec, 'Colorization', 'it predicts the colour channels ab of Lab from the lightness L');
    this.encoder.setNormalisation(spec.mean, spec.std);
    return pretextView(spec, [0.5, 1]);
  }

  /**
   * The loss of normalised RGB images `x` (B, 3, H, W); adds their colours to the prior's counts.
   * @example const { loss, logits } = method.taskLoss(x);
   */
  taskLoss(x: Tensor): ColorizationLoss {
    const lab = this.encoder.lab(x); // (B, 3, H, W)
    const [features] = this.encoder.mapsFromLab(this.lightnessOnly(lab)); // (B, D, h, w)
    const logits = this.colorizationHead.forward(features); // (B, 313, h, w)
    const [B, , h, w] = logits.shape;
    const target = torch.noGrad(() => softEncode(adaptiveAvgPool2d(lab.narrow(1, 1, 2), [h, w]), { bins: this.bins }));
    const nearest = target.argmax(1).reshape([-1]); // (B h w): the largest soft weight is the nearest bin
    const weights = torch.noGrad(() => {
      this.abCounts.scatterAdd_(0, nearest, torch.ones([nearest.shape[0]], { device: nearest.device }));
      return rebalanceWeights(smoothPrior(this.abCounts, { bins: this.bins }), { lambda: this.lambda });
    });
    const v = weights.indexSelect(0, nearest).view([B, h, w]); // (B, h, w) equation 3's v(Z)
    const ce = target.mul(logits.float().logSoftmax(1)).sum([1]).neg(); // (B, h, w)
    return { loss: ce.mul(v).mean(), logits, target, features, pixelWeights: v };
  }

  /** The rebalanced soft cross entropy of the view's colours. @example method.trainingStep([x], progress) */
  trainingStep(views: Tensor[], _progress?: TrainProgress): StepOutput {
    const x = checkOneView(views, 'Colorization');
    const { loss, logits, target, features } = this.taskLoss(x);
    const binAccuracy = torch.noGrad(() => logits.argmax(1).eq(target.argmax(1)).to('float32').mean());
    return { loss, embedding: adaptiveAvgPool2d(features, 1).flatten(1).detach(), logs: { binAccuracy } };
  }

  /**
   * Colour images (B, 3, H, W) in [0, 1] for normalised RGB images `x`: the
   * input's L with the annealed mean (T = `temperature`) of the predicted
   * colours, upsampled bilinearly to the image's size. Call `eval()` first.
   * @example const rgb = method.eval().colorize(x);
   */
  colorize(x: Tensor): Tensor {
    return torch.noGrad(() => torch.scope(() => {
      const lab = this.encoder.lab(x);
      const logits = this.colorizationHead.forward(this.encoder.mapsFromLab(this.lightnessOnly(lab))[0]);
      const ab = annealedMean(logits.float(), { temperature: this.temperature, bins: this.bins }); // (B, 2, h, w)
      const full = interpolate(ab, { size: [x.shape[2], x.shape[3]], mode: 'bilinear', alignCorners: false });
      return labToRgb(torch.cat([lab.narrow(1, 0, 1), full], 1));
    }));
  }

  /** What the task gives the backbone: L (with a = b = 0 when the backbone has colour channels, `colourAtEvaluation`). */
  private lightnessOnly(lab: Tensor): Tensor {
    return this.colourAtEvaluation ? withoutColour(lab) : lab;
  }

  /**
   * The task's input (L as a gray image) and target (the colour image) for a
   * batch of normalised RGB images, both in [0, 1], for previews.
   * @example const { input, target } = method.examples(x); // (B, 1, H, W), (B, 3, H, W)
   */
  examples(x: Tensor): ColourTaskExamples {
    return torch.noGrad(() => torch.scope(() => {
      const lab = this.encoder.lab(x);
      return { input: lab.narrow(1, 0, 1).div(100), target: labToRgb(lab) };
    }));
  }
}
