// BYOL (Grill et al. 2020, "Bootstrap Your Own Latent: A New Approach to
// Self-Supervised Learning"): an online network predicts, for each view, the
// projection that a slowly moving (EMA) target network gives of the other view.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Encoder } from '../models/encoder';
import { Schedule } from '../optim/schedule';
import { MultiView } from '../data/transforms/multi-crop';
import { byol as byolAugmentation } from '../data/transforms/recipes';
import { checkInt } from '../torch/arguments';
import { defineOptions, is, option, TableValues } from '../torch/option-table';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { EncoderFactory, makeEncoder } from './encoder-spec';
import { ProjectionHead, byolPredictionHead, byolProjectionHead } from './heads/projection-head';
import { MethodOptions, checkTwoViews, resolveRecipe } from './method-options';
import { emaUpdate_, initTeacher, momentumSchedule } from './ema';
import { byolLoss } from './losses';

/** BYOL's options besides the encoder and the recipe: defaults and checks. */
export const BYOL_OPTIONS = defineOptions({
  /** Hidden width of the projector and the predictor. Default 4096 (section 3.3). */
  hiddenDim: option(4096, is.int(1)),
  /** Output size of the projector and the predictor. Default 256 (section 3.3). */
  outDim: option(256, is.int(1)),
  /**
   * Base EMA momentum tau_base of the target, raised to 1 on a cosine over the
   * run. Default 0.996 (section 3.3: "tau_base = 0.996").
   */
  momentumBase: option(0.996, is.number(0, 1)),
});

/**
 * Options of `BYOL`: the encoder is a registry name or a factory `() => Encoder`
 * (BYOL builds it twice, online and target, so an Encoder instance is refused).
 */
export type BYOLOptions = MethodOptions<typeof BYOL_OPTIONS, string | EncoderFactory>;

/**
 * BYOL's optimisation (section 3.3): "LARS optimizer with a cosine decay
 * learning rate schedule, without restarts, ... with a warm-up period of 10
 * epochs. We set the base learning rate to 0.2, scaled linearly with the batch
 * size (LearningRate = 0.2 x BatchSize/256). In addition, we use a global
 * weight decay parameter of 1.5 * 10^-6 while excluding the biases and batch
 * normalization parameters from both LARS adaptation and weight decay."
 */
export const BYOL_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'lars',
  lr: 0.2,
  lrScaling: 'linear',
  finalLrRatio: 0,
  weightDecay: 1.5e-6,
  momentum: 0.9,
  warmupEpochs: 10,
});

/**
 * BYOL. Online network: `encoder`, `projection_head` (featureDim -> 4096 ->
 * 256) and `prediction_head` (256 -> 4096 -> 256); target network:
 * `target_encoder` and `target_projection_head`, separate copies initialised
 * from the online weights, without gradients, moved towards the online
 * weights after every optimizer step with momentum
 * `1 - (1 - 0.996) (cos(pi k / K) + 1) / 2` (0.996 at the first step, 1 at the last).
 *
 * The loss is the paper's symmetrised one, summed (not averaged):
 * `L = byolLoss(q(z1), z2') + byolLoss(q(z2), z1')`, each term
 * `2 - 2 cos` averaged over the batch, so it lies in [0, 8].
 *
 * @example
 * const method = new ssl.BYOL({ encoder: 'resnet18', encoderOptions: { smallImages: true } });
 * const views = method.augmentation({ size: 32, channels: 3, mean, std }).forward(images01);
 * const { loss } = method.trainingStep(views, progress); loss.backward(); opt.step();
 * method.afterOptimizerStep(progress); // EMA update of the target
 */
export interface BYOL extends Readonly<TableValues<typeof BYOL_OPTIONS>> {}
export class BYOL extends Method {
  readonly name = 'byol' as const;
  override readonly capturable = true;
  readonly encoder: Encoder;
  readonly projectionHead: ProjectionHead;
  readonly predictionHead: ProjectionHead;
  readonly targetEncoder: Encoder;
  readonly targetProjectionHead: ProjectionHead;
  readonly recipe: OptimizerRecipe;
  /** The EMA momentum of the last target update (`momentumBase` before the first). */
  currentMomentum: number;
  private schedule: { totalSteps: number; at: Schedule } | null = null;

  constructor(options: BYOLOptions) {
    super();
    this.useOptions(BYOL_OPTIONS, options);
    this.currentMomentum = this.momentumBase;
    this.recipe = resolveRecipe(BYOL_RECIPE, options.recipe, 'BYOL');
    const build = makeEncoder(options.encoder, options.encoderOptions, { needsFactory: true, method: 'BYOL' });
    this.encoder = this.registerModule('encoder', build());
    const featureDim = this.encoder.featureDim;
    this.projectionHead = this.registerModule('projection_head', byolProjectionHead(featureDim, this.hiddenDim, this.outDim));
    this.predictionHead = this.registerModule('prediction_head',
      byolPredictionHead(this.outDim, this.hiddenDim, this.outDim));
    this.targetEncoder = this.registerModule('target_encoder', build());
    if (this.targetEncoder === this.encoder) {
      throw new TypeError('BYOL: the encoder factory returned the same Encoder twice; it must build a new one each call');
    }
    this.targetProjectionHead = this.registerModule('target_projection_head',
      byolProjectionHead(featureDim, this.hiddenDim, this.outDim));
    initTeacher(this.targetEncoder, this.encoder);
    initTeacher(this.targetProjectionHead, this.projectionHead);
  }

  /**
   * BYOL's asymmetric pair: view 1 always blurred, view 2 rarely blurred and sometimes solarized.
   * @example method.augmentation({ size: 32, channels: 3, mean: cifar.mean, std: cifar.std });
   */
  augmentation(spec: ImageSpec): MultiView {
    return byolAugmentation({ size: spec.size, channels: spec.channels, mean: spec.mean, std: spec.std });
  }

  /**
   * The symmetrised BYOL loss of the two views. Returns the loss and the
   * online projections of view 1 (B, outDim) as the embedding to monitor.
   * @example const { loss } = method.trainingStep([x1, x2], progress);
   */
  trainingStep(views: Tensor[], _progress?: TrainProgress): StepOutput {
    const [x1, x2] = checkTwoViews(views, 'BYOL');
    // NOTE: each view goes through the networks on its own, so batch-norm
    // statistics are per view, as BYOL's reference code (which applies the
    // network to view1 and view2 in separate calls); SimCLR instead normalises
    // over both views at once.
    const z1 = this.projectionHead.forward(this.encoder.forward(x1)); // (B, outDim)
    const z2 = this.projectionHead.forward(this.encoder.forward(x2)); // (B, outDim)
    const p1 = this.predictionHead.forward(z1); // (B, outDim)
    const p2 = this.predictionHead.forward(z2); // (B, outDim)
    const [t1, t2] = torch.noGrad(() => torch.scope(() => [
      this.targetProjectionHead.forward(this.targetEncoder.forward(x1)), // (B, outDim)
      this.targetProjectionHead.forward(this.targetEncoder.forward(x2)), // (B, outDim)
    ]));
    return { loss: byolLoss(p1, t2).add(byolLoss(p2, t1)), embedding: z1 };
  }

  /**
   * Moves the target towards the online network with this step's momentum.
   * @example method.afterOptimizerStep({ step, totalSteps, epoch, stepsPerEpoch });
   */
  override afterOptimizerStep(progress: TrainProgress): void {
    const m = this.momentumAt(progress.step, progress.totalSteps);
    this.currentMomentum = m;
    // Read on the device, where a captured step's replay finds what prepareStep wrote.
    const momentum = this.stepValue('momentum', m);
    emaUpdate_(this.targetEncoder, this.encoder, momentum);
    emaUpdate_(this.targetProjectionHead, this.projectionHead, momentum);
  }

  /**
   * Writes this step's EMA momentum to the device; the step then reads it
   * there (what a captured CUDA-graph step needs).
   * @example method.prepareStep(progress); // then the step, or a graph replay
   */
  override prepareStep(progress: TrainProgress): void {
    this.setStepValues({ momentum: this.momentumAt(progress.step, progress.totalSteps) });
  }

  /**
   * The EMA momentum of `step` in a run of `totalSteps` optimizer steps.
   * @example method.momentumAt(0, 1000); // 0.996
   */
  momentumAt(step: number, totalSteps: number): number {
    checkInt(totalSteps, 'totalSteps', 1);
    if (this.schedule === null || this.schedule.totalSteps !== totalSteps) {
      // NOTE: the cosine spans totalSteps - 1 intervals so that the last
      // step (totalSteps - 1) uses exactly 1, as lightly's cosine_schedule;
      // with K = totalSteps it would stop just short of 1.
      const at = momentumSchedule({ base: this.momentumBase, final: 1, totalSteps: Math.max(1, totalSteps - 1) });
      this.schedule = { totalSteps, at };
    }
    return this.schedule.at(step);
  }
}
