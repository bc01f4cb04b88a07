// VICReg (Bardes, Ponce, LeCun 2022, "VICReg: Variance-Invariance-Covariance
// Regularization for Self-Supervised Learning"): invariance between views,
// with variance and covariance terms that keep the embeddings from collapsing.
import { Tensor } from '../torch';
import { Encoder } from '../models/encoder';
import { MultiView } from '../data/transforms/multi-crop';
import { byol as byolAugmentation } from '../data/transforms/recipes';
import { defineOptions, is, option, TableValues } from '../torch/option-table';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { makeEncoder } from './encoder-spec';
import { ProjectionHead } from './heads/projection-head';
import { barlowTwinsProjectionHead } from './heads/method-heads';
import { MethodOptions, checkTwoViews, resolveRecipe } from './method-options';
import { vicregTerms } from './losses/vicreg-loss';
import { rankLog } from './collapse';

/** VICReg's options besides the encoder and the recipe: defaults (section 4.1's) and checks. */
export const VICREG_OPTIONS = defineOptions({
  /** Hidden width of the expander. Default 8192 (section 4.1). */
  hiddenDim: option(8192, is.int(1)),
  /** Output size of the expander. Default 8192. */
  outDim: option(8192, is.int(1)),
  /** Invariance coefficient lambda. Default 25. */
  simCoeff: option(25, is.number(0)),
  /** Variance coefficient mu. Default 25. */
  stdCoeff: option(25, is.number(0)),
  /** Covariance coefficient nu. Default 1. */
  covCoeff: option(1, is.number(0)),
});

/** Options of `VICReg`: the encoder (a name, a factory or an instance), `VICREG_OPTIONS`, and recipe overrides. */
export type VICRegOptions = MethodOptions<typeof VICREG_OPTIONS>;

/**
 * VICReg's optimisation (section 4.1 and the official main_vicreg.py): LARS,
 * "base learning rate of 0.2 ... lr = batch_size / 256 x base_lr", weight
 * decay 1e-6, 10 warm-up epochs, cosine decay to 0.002 of the peak.
 */
export const VICREG_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'lars',
  lr: 0.2,
  lrScaling: 'linear',
  finalLrRatio: 2e-3,
  weightDecay: 1e-6,
  momentum: 0.9,
  warmupEpochs: 10,
});

/**
 * VICReg: `encoder` and `projection_head` (the "expander", 8192-8192-8192:
 * Linear-BN-ReLU twice, then Linear without bias) on each view; loss
 * `25 invariance + 25 variance + 1 covariance`. Logs the three terms and the
 * effective rank of the first view's expander output.
 *
 * @example
 * const method = new ssl.VICReg({ encoder: 'resnet18', encoderOptions: { smallImages: true }, hiddenDim: 2048, outDim: 2048 });
 */
export interface VICReg extends Readonly<TableValues<typeof VICREG_OPTIONS>> {}
export class VICReg extends Method {
  readonly name = 'vicreg' as const;
  override readonly capturable = true;
  readonly encoder: Encoder;
  readonly projectionHead: ProjectionHead;
  readonly recipe: OptimizerRecipe;

  constructor(options: VICRegOptions) {
    super();
    this.useOptions(VICREG_OPTIONS, options);
    this.recipe = resolveRecipe(VICREG_RECIPE, options.recipe, 'VICReg');
    const build = makeEncoder(options.encoder, options.encoderOptions, { needsFactory: false, method: 'VICReg' });
    this.encoder = this.registerModule('encoder', build());
    this.projectionHead = this.registerModule('projection_head',
      barlowTwinsProjectionHead(this.encoder.featureDim, this.hiddenDim, this.outDim, true));
  }

  /**
   * BYOL's asymmetric pair (VICReg, appendix C: "we follow the augmentations of BYOL").
   * @example method.augmentation({ size: 32, channels: 3, mean, std });
   */
  augmentation(spec: ImageSpec): MultiView {
    return byolAugmentation({ size: spec.size, channels: spec.channels, mean: spec.mean, std: spec.std });
  }

  /**
   * The VICReg loss of the two views; logs its terms.
   * @example const { loss, logs } = method.trainingStep([x1, x2], progress); // logs.invariance, logs.variance, ...
   */
  trainingStep(views: Tensor[], _progress?: TrainProgress): StepOutput {
    const [x1, x2] = checkTwoViews(views, 'VICReg');
    const z1 = this.projectionHead.forward(this.encoder.forward(x1)); // (B, outDim)
    const z2 = this.projectionHead.forward(this.encoder.forward(x2)); // (B, outDim)
    const t = vicregTerms(z1, z2);
    const loss = t.invariance.mul(this.simCoeff).add(t.variance.mul(this.stdCoeff)).add(t.covariance.mul(this.covCoeff));
    return {
      loss, embedding: z1,
      logs: { invariance: t.invariance.detach(), variance: t.variance.detach(), covariance: t.covariance.detach(),
        ...rankLog(z1) },
    };
  }
}
