// Split-brain autoencoder (Zhang, Isola & Efros 2017, "Split-Brain
// Autoencoders: Unsupervised Learning by Cross-Channel Prediction"): two
// disjoint sub-networks, one predicting the colour channels ab from the
// lightness L, the other L from ab, each by classification over quantised
// values; their features are concatenated for evaluation.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { describe } from '../torch/arguments';
import { Conv2d } from '../nn/layers/conv';
import { ReLU } from '../nn/layers/activation';
import { Sequential } from '../nn/layers/container';
import { crossEntropy } from '../nn/functional/loss';
import { adaptiveAvgPool2d } from '../nn/functional/pooling';
import { interpolate } from '../nn/functional/sampling';
import { MultiView } from '../data/transforms/multi-crop';
import { labToRgb } from '../data/transforms/lab';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { makeEncoder } from './encoder-spec';
import { MethodOptions, resolveRecipe } from './method-options';
import { defineOptions, is, option, TableValues } from '../torch/option-table';
import { checkColour, checkOneView, pretextView } from './pretext/pretext-common';
import { LabEncoder } from './pretext/lab-encoder';
import { NUM_AB_BINS, abBins, annealedMean, softEncode } from './pretext/ab-bins';
import { COLORIZATION_RECIPE, ColourTaskExamples } from './colorization';

/** SplitBrain's options besides the encoder and the recipe. */
export const SPLIT_BRAIN_OPTIONS = defineOptions({
  /** Channels of each head's 3x3 convolution. Default 256. */
  hiddenDim: option(256, is.int(1)),
  /** Bins of the quantised lightness that ab -> L classifies into (equal widths over L in [0, 100]). Default 50. */
  lightnessBins: option(50, is.int(2)),
});

/**
 * Options of `SplitBrain`: the encoder is a registry name: each half is built
 * from it with `encoderOptions` (one input channel for L -> ab, two for
 * ab -> L). The paper splits one network in two halves of half the channels
 * each: give half the width you would give a single network (e.g. small_cnn
 * width 16 for a width-32 budget). Then `SPLIT_BRAIN_OPTIONS` and recipe overrides.
 */
export type SplitBrainOptions = MethodOptions<typeof SPLIT_BRAIN_OPTIONS, string>;

/** The paper trains as the colorization network (Adam, weight decay 1e-3); the same recipe here. */
export const SPLIT_BRAIN_RECIPE: Readonly<OptimizerRecipe> = COLORIZATION_RECIPE;

/** What `SplitBrain.taskLoss` gives. */
export interface SplitBrainLoss {
  /** The sum of both halves' losses. */
  loss: Tensor;
  /** L -> ab: soft cross entropy over the 313 ab bins. */
  abLoss: Tensor;
  /** ab -> L: cross entropy over the lightness bins. */
  lLoss: Tensor;
  /** (B, 313, h, w) and (B, lightnessBins, h, w) logits. */
  abLogits: Tensor;
  lLogits: Tensor;
  /** (B, 313, h, w) soft-encoded true ab; (B, h, w) int64 true lightness bins. */
  abTarget: Tensor;
  lTarget: Tensor;
  /** (B, featureDim) both halves' pooled features, concatenated (what evaluation sees). */
  features: Tensor;
}

function head(inDim: number, hidden: number, out: number): Sequential {
  return new Sequential(new Conv2d(inDim, hidden, 3, { padding: 1 }), new ReLU(), new Conv2d(hidden, out, 1));
}

/**
 * The encoder SplitBrain trains, untrained: a `LabEncoder` with the halves
 * `l_to_ab` (on L) and `ab_to_l` (on ab), each built from the registry name.
 * @example const enc = splitBrainEncoder('small_cnn', { width: 16 }); // featureDim 2 x 64
 */
export function splitBrainEncoder(encoder: string, encoderOptions?: Record<string, unknown>): LabEncoder {
  const half = (inChannels: number) => makeEncoder(encoder, { ...encoderOptions, inChannels },
    { needsFactory: false, method: 'SplitBrain' })();
  return new LabEncoder([{ name: 'l_to_ab', channels: 'L', net: half(1) }, { name: 'ab_to_l', channels: 'ab', net: half(2) }],
    'SplitBrain');
}

/**
 * Split-brain autoencoder: `encoder` is a `LabEncoder` with the branches
 * `l_to_ab` (on L) and `ab_to_l` (on ab), whose pooled features are
 * concatenated (section 3.2: "the split-brain representation F is formed by
 * concatenating the two sub-networks"); `ab_head` and `l_head` classify each
 * output pixel (section 3: classification losses, "cross-entropy loss is more
 * effective than l2 loss"). L -> ab predicts the colorization's 313 ab bins
 * with soft-encoded targets, without class rebalancing; ab -> L predicts
 * `lightnessBins` equal bins of L with hard targets. Targets are the image's
 * channels averaged over the pixels each output position covers. The loss
 * is the sum of both (equal weights). `abAccuracy` and `lAccuracy` are logged.
 *
 * @example
 * const method = new ssl.SplitBrain({ encoder: 'small_cnn', encoderOptions: { width: 16 } });
 */
export interface SplitBrain extends Readonly<TableValues<typeof SPLIT_BRAIN_OPTIONS>> {}
export class SplitBrain extends Method {
  readonly name = 'split_brain' as const;
  readonly encoder: LabEncoder;
  readonly abHead: Sequential;
  readonly lHead: Sequential;
  readonly recipe: OptimizerRecipe;
  private readonly bins: Tensor;

  constructor(options: SplitBrainOptions) {
    super();
    this.useOptions(SPLIT_BRAIN_OPTIONS, options);
    if (typeof options.encoder !== 'string') {
      throw new TypeError(`Expected a registry name for SplitBrain option encoder (each half is built from it with its ` +
        `own input channels) but received ${describe(options.encoder)}`);
    }
    this.recipe = resolveRecipe(SPLIT_BRAIN_RECIPE, options.recipe, 'SplitBrain');
    this.encoder = this.registerModule('encoder', splitBrainEncoder(options.encoder, options.encoderOptions));
    this.abHead = this.registerModule('ab_head', head(this.encoder.mapChannels[0], this.hiddenDim, NUM_AB_BINS));
    this.lHead = this.registerModule('l_head', head(this.encoder.mapChannels[1], this.hiddenDim, this.lightnessBins));
    this.bins = this.registerBuffer('ab_bins', abBins(), { persistent: false });
  }

  /** One view (crop scale [0.5, 1], flip, normalisation); colour images only. @example method.augmentation(spec) */
  augmentation(spec: ImageSpec): MultiView {
    checkColour(spec, 'SplitBrain', 'its halves predict ab from L and L from ab');
    this.encoder.setNormalisation(spec.mean, spec.std);
    return pretextView(spec, [0.5, 1]);
  }

  /**
   * Both halves' losses on normalised RGB images `x` (B, 3, H, W).
   * @example const { loss, abLoss, lLoss } = method.taskLoss(x);
   */
  taskLoss(x: Tensor): SplitBrainLoss {
    const lab = this.encoder.lab(x); // (B, 3, H, W)
    const [lMap, abMap] = this.encoder.mapsFromLab(lab); // (B, D, h, w) each
    const abLogits = this.abHead.forward(lMap); // (B, 313, h, w)
    const lLogits = this.lHead.forward(abMap); // (B, bins, h, w)
    const size = [abLogits.shape[2], abLogits.shape[3]];
    const { abTarget, lTarget } = torch.noGrad(() => {
      const small = adaptiveAvgPool2d(lab, size); // (B, 3, h, w)
      const width = 100 / this.lightnessBins;
      return {
        abTarget: softEncode(small.narrow(1, 1, 2), { bins: this.bins }),
        lTarget: small.select(1, 0).div(width).floor().clamp(0, this.lightnessBins - 1).to('int64'), // (B, h, w)
      };
    });
    const abLoss = abTarget.mul(abLogits.float().logSoftmax(1)).sum([1]).neg().mean();
    const lLoss = crossEntropy(lLogits.float(), lTarget);
    const features = torch.cat([lMap, abMap].map((m) => adaptiveAvgPool2d(m, 1).flatten(1)), 1);
    return { loss: abLoss.add(lLoss), abLoss, lLoss, abLogits, lLogits, abTarget, lTarget, features };
  }

  /** The sum of the two cross-channel classification losses. @example method.trainingStep([x], progress) */
  trainingStep(views: Tensor[], _progress?: TrainProgress): StepOutput {
    const x = checkOneView(views, 'SplitBrain');
    const t = this.taskLoss(x);
    const logs = torch.noGrad(() => ({
      abLoss: t.abLoss.detach(), lLoss: t.lLoss.detach(),
      abAccuracy: t.abLogits.argmax(1).eq(t.abTarget.argmax(1)).to('float32').mean(),
      lAccuracy: t.lLogits.argmax(1).eq(t.lTarget).to('float32').mean(),
    }));
    return { loss: t.loss, embedding: t.features.detach(), logs };
  }

  /**
   * Colour images (B, 3, H, W) in [0, 1] from the L half alone: its ab bins
   * decoded with the annealed mean (T 0.38, Colorization's default), upsampled
   * bilinearly and joined with the input's L. Call `eval()` first.
   * @example const rgb = method.eval().colorize(x);
   */
  colorize(x: Tensor): Tensor {
    return torch.noGrad(() => torch.scope(() => {
      const lab = this.encoder.lab(x);
      const abLogits = this.abHead.forward(this.encoder.mapsFromLab(lab)[0]); // (B, 313, h, w)
      const ab = annealedMean(abLogits.float(), { bins: this.bins });
      const full = interpolate(ab, { size: [x.shape[2], x.shape[3]], mode: 'bilinear', alignCorners: false });
      return labToRgb(torch.cat([lab.narrow(1, 0, 1), full], 1));
    }));
  }

  /**
   * The inputs of both halves and the original, in [0, 1], for previews:
   * `input` is L as a gray image, `colourInput` the ab channels drawn at L = 50.
   * @example const { input, colourInput, target } = method.examples(x);
   */
  examples(x: Tensor): ColourTaskExamples & { colourInput: Tensor } {
    return torch.noGrad(() => torch.scope(() => {
      const lab = this.encoder.lab(x);
      const flat = torch.cat([torch.fullLike(lab.narrow(1, 0, 1), 50), lab.narrow(1, 1, 2)], 1);
      return { input: lab.narrow(1, 0, 1).div(100), colourInput: labToRgb(flat), target: labToRgb(lab) };
    }));
  }
}
