// Barlow Twins (Zbontar et al. 2021, "Barlow Twins: Self-Supervised Learning
// via Redundancy Reduction"): the cross-correlation of two views' embeddings
// is pushed to the identity matrix.
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
import { barlowTwinsLoss } from './losses/barlow-twins-loss';
import { rankLog } from './collapse';

/** Barlow Twins' options besides the encoder and the recipe: defaults (section 4's) and checks. */
export const BARLOW_TWINS_OPTIONS = defineOptions({
  /** Hidden width of the projector. Default 8192 (section 4). */
  hiddenDim: option(8192, is.int(1)),
  /** Output size of the projector. Default 8192 (section 4: "each with 8192 output units"). */
  outDim: option(8192, is.int(1)),
  /** Off-diagonal weight lambda. Default 5e-3 (section 4). */
  lambda: option(5e-3, is.number(0)),
});

/** Options of `BarlowTwins`: the encoder (a name, a factory or an instance), `BARLOW_TWINS_OPTIONS`, and recipe overrides. */
export type BarlowTwinsOptions = MethodOptions<typeof BARLOW_TWINS_OPTIONS>;

/**
 * Barlow Twins' optimisation (section 4): "LARS optimizer ... 1000 epochs,
 * with a batch size of 2048 ... learning rate of 0.2 for the weights and
 * 0.0048 for the biases and batch normalization parameters. We multiply the
 * learning rate by the batch size and divide it by 256. We use a learning
 * rate warm-up period of 10 epochs, after which we reduce the learning rate
 * by a factor of 1000 using a cosine decay schedule ... weight decay parameter
 * of 1.5 * 10^-6". One rate for all groups here (0.2).
 */
export const BARLOW_TWINS_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'lars',
  lr: 0.2,
  lrScaling: 'linear',
  finalLrRatio: 1e-3,
  weightDecay: 1.5e-6,
  momentum: 0.9,
  warmupEpochs: 10,
});

/**
 * Barlow Twins: `encoder` and `projection_head` (8192-8192-8192, BN and ReLU
 * after the first two layers, no biases) on each view; the loss
 * `sum_i (1 - C_ii)^2 + lambda sum_{i != j} C_ij^2` of the cross-correlation C
 * of the batch-standardised projections. Logs the effective rank of z1.
 *
 * @example
 * const method = new ssl.BarlowTwins({ encoder: 'resnet18', encoderOptions: { smallImages: true }, hiddenDim: 2048, outDim: 2048 });
 */
export interface BarlowTwins extends Readonly<TableValues<typeof BARLOW_TWINS_OPTIONS>> {}
export class BarlowTwins extends Method {
  readonly name = 'barlow_twins' as const;
  override readonly capturable = true;
  readonly encoder: Encoder;
  readonly projectionHead: ProjectionHead;
  readonly recipe: OptimizerRecipe;

  constructor(options: BarlowTwinsOptions) {
    super();
    this.useOptions(BARLOW_TWINS_OPTIONS, options);
    this.recipe = resolveRecipe(BARLOW_TWINS_RECIPE, options.recipe, 'BarlowTwins');
    const build = makeEncoder(options.encoder, options.encoderOptions, { needsFactory: false, method: 'BarlowTwins' });
    this.encoder = this.registerModule('encoder', build());
    this.projectionHead = this.registerModule('projection_head',
      barlowTwinsProjectionHead(this.encoder.featureDim, this.hiddenDim, this.outDim));
  }

  /**
   * BYOL's asymmetric pair (section 4: "the same as BYOL": blur always on
   * view 1, rarely on view 2, solarization on view 2).
   * @example method.augmentation({ size: 32, channels: 3, mean, std });
   */
  augmentation(spec: ImageSpec): MultiView {
    return byolAugmentation({ size: spec.size, channels: spec.channels, mean: spec.mean, std: spec.std });
  }

  /**
   * The Barlow Twins loss of the two views.
   * @example const { loss, logs } = method.trainingStep([x1, x2], progress); // logs.rank
   */
  trainingStep(views: Tensor[], _progress?: TrainProgress): StepOutput {
    const [x1, x2] = checkTwoViews(views, 'BarlowTwins');
    const z1 = this.projectionHead.forward(this.encoder.forward(x1)); // (B, outDim)
    const z2 = this.projectionHead.forward(this.encoder.forward(x2)); // (B, outDim)
    return { loss: barlowTwinsLoss(z1, z2, { lambda: this.lambda }), embedding: z1, logs: rankLog(z1) };
  }
}
