// SimCLR (Chen et al. 2020, "A Simple Framework for Contrastive Learning of
// Visual Representations"): two augmented views, a shared encoder and
// projection MLP, and the NT-Xent loss with the rest of the batch as negatives.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Encoder } from '../models/encoder';
import { MultiView } from '../data/transforms/multi-crop';
import { simclr as simclrAugmentation } from '../data/transforms/recipes';
import { defineOptions, is, option, TableValues } from '../torch/option-table';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { makeEncoder } from './encoder-spec';
import { ProjectionHead, simclrProjectionHead } from './heads/projection-head';
import { MethodOptions, checkTwoViews, resolveRecipe } from './method-options';
import { ntXent } from './losses';

/**
 * SimCLR's options besides the encoder and the recipe: defaults and checks,
 * one record from which its keys, its fields and its config() derive.
 */
export const SIMCLR_OPTIONS = defineOptions({
  /** Hidden width of the projection MLP. Default 2048 (the ResNet-50 feature size the paper uses). */
  hiddenDim: option(2048, is.int(1)),
  /** Output size of the projection MLP, where the loss is computed. Default 128 (section 2.3: "a 128-dimensional latent space"). */
  outDim: option(128, is.int(1)),
  /**
   * NT-Xent temperature tau. Default 0.5, the paper's value for CIFAR-size
   * data (appendix B.9); use 0.1 for ImageNet-size data and large batches
   * (the ImageNet setting; section 5.1, table 5 compares temperatures).
   */
  temperature: option(0.5, is.positive),
  /**
   * Area range of the random resized crops. Default [0.08, 1] (the paper's,
   * appendix A). Centred, aligned datasets such as Fashion-MNIST learn faster
   * in short runs with milder crops ([0.5, 1] in the main job).
   */
  cropScale: option([0.08, 1] as const, is.range(0)),
});

/** Options of `SimCLR`: the encoder (a name, a factory or an instance), `SIMCLR_OPTIONS`, and recipe overrides. */
export type SimCLROptions = MethodOptions<typeof SIMCLR_OPTIONS>;

/**
 * SimCLR's optimisation (section 2.3, default setting): "LARS optimizer with learning rate of
 * 4.8 (= 0.3 x BatchSize/256) and weight decay of 1e-6", momentum 0.9,
 * "linear warmup for the first 10 epochs, and decay the learning rate with the
 * cosine decay schedule without restarts". The paper also reports that square
 * root scaling, 0.075 x sqrt(BatchSize) (`lr: 0.075, lrScaling: 'sqrt'`),
 * works better for small batches and short runs (appendix B.1, figure B.1).
 */
export const SIMCLR_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'lars',
  lr: 0.3,
  lrScaling: 'linear',
  finalLrRatio: 0,
  weightDecay: 1e-6,
  momentum: 0.9,
  warmupEpochs: 10,
});

/**
 * SimCLR: `encoder` f and `projection_head` g (Linear-BN-ReLU-Linear) map
 * both views to z; the loss is NT-Xent over the 2N projections, each view's
 * partner the positive and the other 2N - 2 the negatives. Keys: `encoder.*`,
 * `projection_head.*`.
 *
 * The encoder runs once on the 2N images of both views, so batch-norm
 * statistics are taken over 2N samples: SimCLR's "global BN" (section 2.3:
 * "we address this issue by aggregating BN mean and variance over all
 * devices", so that positives cannot be matched through statistics shared by
 * one view's batch only), as the official code, which concatenates the views
 * along the batch. It is also one pass instead of two.
 *
 * @example
 * const method = new ssl.SimCLR({ encoder: 'small_cnn', encoderOptions: { inChannels: 1 }, temperature: 0.5 });
 * const [x1, x2] = method.augmentation({ size: 28, channels: 1, mean: [0.286], std: [0.353] }).forward(images01);
 * const { loss } = method.trainingStep([x1, x2], progress);
 */
export interface SimCLR extends Readonly<TableValues<typeof SIMCLR_OPTIONS>> {}
export class SimCLR extends Method {
  readonly name = 'simclr' as const;
  override readonly capturable = true;
  readonly encoder: Encoder;
  readonly projectionHead: ProjectionHead;
  readonly recipe: OptimizerRecipe;

  constructor(options: SimCLROptions) {
    super();
    this.useOptions(SIMCLR_OPTIONS, options);
    this.recipe = resolveRecipe(SIMCLR_RECIPE, options.recipe, 'SimCLR');
    const build = makeEncoder(options.encoder, options.encoderOptions, { needsFactory: false, method: 'SimCLR' });
    this.encoder = this.registerModule('encoder', build());
    this.projectionHead = this.registerModule('projection_head',
      simclrProjectionHead(this.encoder.featureDim, this.hiddenDim, this.outDim));
  }

  /**
   * SimCLR's two views (random resized crop, flip, colour jitter, grayscale;
   * blur above 64 px), normalised with the dataset's statistics.
   * @example method.augmentation({ size: 32, channels: 3, mean: cifar.mean, std: cifar.std });
   */
  augmentation(spec: ImageSpec): MultiView {
    return simclrAugmentation({ size: spec.size, channels: spec.channels, mean: spec.mean, std: spec.std, scale: this.cropScale });
  }

  /**
   * NT-Xent of the two views' projections. Returns the loss and the first
   * view's projections z1 (B, outDim) as the embedding to monitor.
   * @example const { loss, embedding } = method.trainingStep([x1, x2], progress);
   */
  trainingStep(views: Tensor[], _progress?: TrainProgress): StepOutput {
    const [x1, x2] = checkTwoViews(views, 'SimCLR');
    // NOTE: one encoder pass over both views: batch norm normalises over all
    // 2N images (SimCLR's global BN, see the class comment), not per view.
    const h = this.encoder.forward(torch.cat([x1, x2], 0)); // (2B, featureDim)
    const [z1, z2] = this.projectionHead.forward(h).chunk(2, 0); // 2 x (B, outDim)
    // In a data-parallel run the other ranks' projections are negatives too (SimCLR's global batch).
    return { loss: ntXent(z1, z2, { temperature: this.temperature, gatherDistributed: true }), embedding: z1 };
  }
}
