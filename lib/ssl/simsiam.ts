// SimSiam (Chen & He 2021, "Exploring Simple Siamese Representation
// Learning"): two views, one encoder with a projector, a predictor on one
// side and a stop-gradient on the other; no negatives, no momentum encoder.
import { Tensor } from '../torch';
import { Encoder } from '../models/encoder';
import { MultiView } from '../data/transforms/multi-crop';
import { simclr as simclrAugmentation } from '../data/transforms/recipes';
import { defineOptions, is, option, TableValues } from '../torch/option-table';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { makeEncoder } from './encoder-spec';
import { ProjectionHead } from './heads/projection-head';
import { simsiamPredictionHead, simsiamProjectionHead } from './heads/method-heads';
import { MethodOptions, checkTwoViews, resolveRecipe } from './method-options';
import { simsiamLoss } from './losses/simsiam-loss';
import { rankLog } from './collapse';

/** SimSiam's options besides the encoder and the recipe: defaults (section 4's) and checks. */
export const SIMSIAM_OPTIONS = defineOptions({
  /** Hidden width of the projector. Default 2048 (section 4). */
  hiddenDim: option(2048, is.int(1)),
  /** Output size of the projector and the predictor. Default 2048 (section 4). */
  outDim: option(2048, is.int(1)),
  /** Hidden (bottleneck) width of the predictor. Default 512 (section 4: "h's hidden layer's dimension is 512"). */
  predHiddenDim: option(512, is.int(1)),
  /** Layers of the projector: 3 on ImageNet (default), 2 on CIFAR (appendix D). */
  projectorLayers: option(3, is.int(1)),
});

/** Options of `SimSiam`: the encoder (a name, a factory or an instance), `SIMSIAM_OPTIONS`, and recipe overrides. */
export type SimSiamOptions = MethodOptions<typeof SIMSIAM_OPTIONS>;

/**
 * SimSiam's optimisation (section 4): "SGD ... The learning rate is
 * lr x BatchSize/256, with a base lr = 0.05. The learning rate has a cosine
 * decay schedule. The weight decay is 0.0001 and the SGD momentum is 0.9", no warm-up.
 * (The paper keeps the predictor's learning rate fixed; here it follows the
 * same cosine as the rest, which the paper reports works too, section 4.2.)
 */
export const SIMSIAM_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'sgd',
  lr: 0.05,
  lrScaling: 'linear',
  finalLrRatio: 0,
  weightDecay: 1e-4,
  momentum: 0.9,
  warmupEpochs: 0,
});

/**
 * SimSiam: `encoder` f, `projection_head` (3 layers, BN on every layer) and
 * `prediction_head` h (a 2048 -> 512 -> 2048 bottleneck).
 * `L = D(p1, stopgrad(z2)) / 2 + D(p2, stopgrad(z1)) / 2`, `D` the negative
 * cosine (Algorithm 1). Each view goes through the network on its own (per-view
 * batch-norm statistics, as the official code). Logs the RankMe effective rank
 * of z1 next to the Trainer's embedding spread: the paper's collapse monitor
 * is the per-dimension std of the normalised z, which falls to 0 on collapse.
 *
 * @example
 * const method = new ssl.SimSiam({ encoder: 'resnet18', encoderOptions: { smallImages: true }, projectorLayers: 2 });
 * const { loss } = method.trainingStep(method.augmentation(spec).forward(images01), progress);
 */
export interface SimSiam extends Readonly<TableValues<typeof SIMSIAM_OPTIONS>> {}
export class SimSiam extends Method {
  readonly name = 'simsiam' as const;
  override readonly capturable = true;
  readonly encoder: Encoder;
  readonly projectionHead: ProjectionHead;
  readonly predictionHead: ProjectionHead;
  readonly recipe: OptimizerRecipe;

  constructor(options: SimSiamOptions) {
    super();
    this.useOptions(SIMSIAM_OPTIONS, options);
    this.recipe = resolveRecipe(SIMSIAM_RECIPE, options.recipe, 'SimSiam');
    const build = makeEncoder(options.encoder, options.encoderOptions, { needsFactory: false, method: 'SimSiam' });
    this.encoder = this.registerModule('encoder', build());
    this.projectionHead = this.registerModule('projection_head',
      simsiamProjectionHead(this.encoder.featureDim, this.hiddenDim, this.outDim, this.projectorLayers));
    this.predictionHead = this.registerModule('prediction_head',
      simsiamPredictionHead(this.outDim, this.predHiddenDim, this.outDim));
  }

  /**
   * SimSiam's augmentation, MoCo v2's (section 4): random resized crop
   * [0.2, 1], flip, colour jitter (0.4, 0.4, 0.4, 0.1) p = 0.8, grayscale
   * p = 0.2, and above 64 px blur p = 0.5.
   * @example method.augmentation({ size: 32, channels: 3, mean, std });
   */
  augmentation(spec: ImageSpec): MultiView {
    return simclrAugmentation({ size: spec.size, channels: spec.channels, mean: spec.mean, std: spec.std,
      scale: [0.2, 1], strength: 0.5 });
  }

  /**
   * The symmetrised SimSiam loss, in [-1, 1] (-1: the predictions match).
   * @example const { loss, embedding, logs } = method.trainingStep([x1, x2], progress); // logs.rank
   */
  trainingStep(views: Tensor[], _progress?: TrainProgress): StepOutput {
    const [x1, x2] = checkTwoViews(views, 'SimSiam');
    const z1 = this.projectionHead.forward(this.encoder.forward(x1)); // (B, outDim)
    const z2 = this.projectionHead.forward(this.encoder.forward(x2)); // (B, outDim)
    const p1 = this.predictionHead.forward(z1); // (B, outDim)
    const p2 = this.predictionHead.forward(z2); // (B, outDim)
    const loss = simsiamLoss(p1, z2).div(2).add(simsiamLoss(p2, z1).div(2));
    return { loss, embedding: z1, logs: rankLog(z1) };
  }
}
