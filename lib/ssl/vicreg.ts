// VICReg (Bardes, Ponce, LeCun 2022, "VICReg: Variance-Invariance-Covariance
// Regularization for Self-Supervised Learning"): invariance between views,
// with variance and covariance terms that keep the embeddings from collapsing.
import { Tensor } from '../torch';
import { Encoder } from '../models/encoder';
import { ParamGroup } from '../optim/optimizer';
import { paramGroupsWeightDecay } from '../optim/param-groups';
import { MultiView } from '../data/transforms/multi-crop';
import { byol as byolAugmentation } from '../data/transforms/recipes';
import { checkInt, checkNumber } from '../torch/arguments';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { EncoderSpec, makeEncoder } from './encoder-spec';
import { ProjectionHead } from './heads/projection-head';
import { barlowTwinsProjectionHead } from './heads/method-heads';
import { checkOptionKeys, checkTwoViews, methodConfig, resolveRecipe } from './method-options';
import { vicregTerms } from './losses/vicreg-loss';
import { rankLog } from './collapse';

/** Options of `VICReg`. */
export interface VICRegOptions {
  /** A registry name, a factory, or an Encoder instance. */
  encoder: EncoderSpec;
  /** Options for `models.create` when `encoder` is a name. */
  encoderOptions?: Record<string, unknown>;
  /** Hidden width of the expander. Default 8192 (section 4.1). */
  hiddenDim?: number;
  /** Output size of the expander. Default 8192. */
  outDim?: number;
  /** Invariance coefficient lambda. Default 25. */
  simCoeff?: number;
  /** Variance coefficient mu. Default 25. */
  stdCoeff?: number;
  /** Covariance coefficient nu. Default 1. */
  covCoeff?: number;
  /** Overrides of the optimisation recipe (`VICREG_RECIPE`). */
  recipe?: Partial<OptimizerRecipe>;
}

const OPTION_KEYS: readonly (keyof VICRegOptions)[] = ['encoder', 'encoderOptions', 'hiddenDim', 'outDim', 'simCoeff',
  'stdCoeff', 'covCoeff', 'recipe'];

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
export class VICReg extends Method {
  readonly name = 'vicreg' as const;
  override readonly capturable = true;
  readonly encoder: Encoder;
  readonly projectionHead: ProjectionHead;
  readonly recipe: OptimizerRecipe;
  readonly hiddenDim: number;
  readonly outDim: number;
  readonly simCoeff: number;
  readonly stdCoeff: number;
  readonly covCoeff: number;
  private readonly options: VICRegOptions;

  constructor(options: VICRegOptions) {
    super();
    checkOptionKeys(options, OPTION_KEYS, 'VICReg');
    this.options = options;
    this.hiddenDim = checkInt(options.hiddenDim ?? 8192, 'VICReg option hiddenDim', 1);
    this.outDim = checkInt(options.outDim ?? 8192, 'VICReg option outDim', 1);
    this.simCoeff = checkNumber(options.simCoeff ?? 25, 'VICReg option simCoeff', 0);
    this.stdCoeff = checkNumber(options.stdCoeff ?? 25, 'VICReg option stdCoeff', 0);
    this.covCoeff = checkNumber(options.covCoeff ?? 1, 'VICReg option covCoeff', 0);
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

  /** Decay and LARS adaptation on weight matrices only. @example new optim.LARS(method.parameterGroups(1e-6), { lr: 0.2 }); */
  parameterGroups(weightDecay: number): ParamGroup[] {
    return paramGroupsWeightDecay(this.namedParameters(), { weightDecay });
  }

  /** The options, JSON-able. @example JSON.stringify(method.config()); */
  config(): Record<string, unknown> {
    return methodConfig(this.options, { hiddenDim: this.hiddenDim, outDim: this.outDim, simCoeff: this.simCoeff,
      stdCoeff: this.stdCoeff, covCoeff: this.covCoeff });
  }
}
