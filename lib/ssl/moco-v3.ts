// MoCo v3 (Chen, Xie, He 2021, "An Empirical Study of Training
// Self-Supervised Vision Transformers"): a symmetric in-batch contrastive
// loss between a query network with a predictor and a momentum network.
import { Tensor } from '../torch';
import * as torch from '../torch';
import { Encoder } from '../models/encoder';
import { VisionTransformer } from '../models/vit';
import { Schedule } from '../optim/schedule';
import { MultiView } from '../data/transforms/multi-crop';
import { byol as byolAugmentation } from '../data/transforms/recipes';
import { checkInt } from '../torch/arguments';
import { DERIVED, defineOptions, is, option, TableValues } from '../torch/option-table';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { EncoderFactory, makeEncoder } from './encoder-spec';
import { ProjectionHead } from './heads/projection-head';
import { mocoV3Head } from './heads/method-heads';
import { MethodOptions, checkTwoViews, resolveRecipe } from './method-options';
import { emaUpdate_, initTeacher, momentumSchedule } from './ema';
import { mocoV3Loss } from './losses/moco-loss';

/** MoCo v3's options besides the encoder and the recipe: defaults and checks. */
export const MOCO_V3_OPTIONS = defineOptions({
  /** Hidden width of the projector and predictor MLPs. Default 4096. */
  hiddenDim: option(4096, is.int(1)),
  /** Output size. Default 256. */
  outDim: option(256, is.int(1)),
  /** Layers of the projector. Default 2 after a CNN, 3 after a ViT (as the official builder). */
  projectorLayers: option(DERIVED, is.int(1)),
  /** Temperature tau. Default 1.0 after a CNN (main_moco.py), 0.2 after a ViT (the ViT commands' `--moco-t=.2`). */
  temperature: option(DERIVED, is.positive),
  /** Momentum at the first step, rising to 1 on a cosine. Default 0.99 (main_moco.py `--moco-m 0.99 --moco-m-cos`). */
  momentumBase: option(0.99, is.number(0, 1)),
  /**
   * ViT only: freeze the random patch projection (section 4.2, "random patch
   * projection": it "alleviates the instability"). Default false (the
   * official default; `--stop-grad-conv1`).
   */
  freezePatchEmbed: option(false, is.boolean),
});

/**
 * Options of `MoCoV3`: the encoder is a registry name or a factory (MoCo v3
 * builds it twice, base and momentum); `MOCO_V3_OPTIONS`; recipe overrides
 * (of `MOCO_V3_RECIPE` or `MOCO_V3_VIT_RECIPE`).
 */
export type MoCoV3Options = MethodOptions<typeof MOCO_V3_OPTIONS, string | EncoderFactory>;

/** MoCo v3 with a ResNet (main_moco.py defaults): LARS, lr 0.6 x B/256, weight decay 1e-6, 10 warm-up epochs, cosine. */
export const MOCO_V3_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'lars',
  lr: 0.6,
  lrScaling: 'linear',
  finalLrRatio: 0,
  weightDecay: 1e-6,
  momentum: 0.9,
  warmupEpochs: 10,
});

/** MoCo v3 with a ViT (the paper's ViT recipe, section 4.1 / appendix): AdamW, lr 1.5e-4 x B/256, weight decay 0.1, 40 warm-up epochs. */
export const MOCO_V3_VIT_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'adamw',
  lr: 1.5e-4,
  lrScaling: 'linear',
  finalLrRatio: 0,
  weightDecay: 0.1,
  warmupEpochs: 40,
});

/**
 * MoCo v3: base network `encoder` + `projection_head` + `prediction_head`;
 * momentum network `momentum_encoder` + `momentum_projection_head`, an EMA
 * with momentum rising from 0.99 to 1 (cosine). Loss
 * `ctr(q1, k2) + ctr(q2, k1)`, `ctr` the in-batch InfoNCE scaled by 2 tau
 * (`mocoV3Loss`). Each view goes through the networks on its own.
 *
 * @example
 * const method = new ssl.MoCoV3({ encoder: 'vit_small_patch16_224', freezePatchEmbed: true });
 */
export interface MoCoV3 extends Readonly<TableValues<typeof MOCO_V3_OPTIONS>> {}
export class MoCoV3 extends Method {
  readonly name = 'mocov3' as const;
  override readonly capturable = true;
  readonly encoder: Encoder;
  readonly projectionHead: ProjectionHead;
  readonly predictionHead: ProjectionHead;
  readonly momentumEncoder: Encoder;
  readonly momentumProjectionHead: ProjectionHead;
  readonly recipe: OptimizerRecipe;
  private schedule: { totalSteps: number; at: Schedule } | null = null;

  constructor(options: MoCoV3Options) {
    super();
    this.useOptions(MOCO_V3_OPTIONS, options);
    const build = makeEncoder(options.encoder, options.encoderOptions, { needsFactory: true, method: 'MoCoV3' });
    this.encoder = this.registerModule('encoder', build());
    const vit = this.encoder instanceof VisionTransformer;
    this.deriveOptions({ projectorLayers: vit ? 3 : 2, temperature: vit ? 0.2 : 1.0 });
    if (this.freezePatchEmbed && !vit) {
      throw new TypeError(`MoCoV3 option freezePatchEmbed needs a Vision Transformer encoder (vit_*) but the encoder is ` +
        `${this.encoder.typeName}`);
    }
    this.recipe = resolveRecipe(vit ? MOCO_V3_VIT_RECIPE : MOCO_V3_RECIPE, options.recipe, 'MoCoV3');
    const featureDim = this.encoder.featureDim;
    this.projectionHead = this.registerModule('projection_head',
      mocoV3Head(featureDim, this.hiddenDim, this.outDim, this.projectorLayers));
    this.predictionHead = this.registerModule('prediction_head', mocoV3Head(this.outDim, this.hiddenDim, this.outDim, 2));
    this.momentumEncoder = this.registerModule('momentum_encoder', build());
    if (this.momentumEncoder === this.encoder) {
      throw new TypeError('MoCoV3: the encoder factory returned the same Encoder twice; it must build a new one each call');
    }
    this.momentumProjectionHead = this.registerModule('momentum_projection_head',
      mocoV3Head(featureDim, this.hiddenDim, this.outDim, this.projectorLayers));
    initTeacher(this.momentumEncoder, this.encoder);
    initTeacher(this.momentumProjectionHead, this.projectionHead);
    // The random patch projection stays as initialised (the momentum copy is equal and stays so).
    if (this.freezePatchEmbed) (this.encoder as VisionTransformer).patchEmbed.requiresGrad_(false);
  }

  /**
   * BYOL's asymmetric pair (MoCo v3 uses "the same augmentation as BYOL"), crops [0.08, 1].
   * @example method.augmentation({ size: 32, channels: 3, mean, std });
   */
  augmentation(spec: ImageSpec): MultiView {
    return byolAugmentation({ size: spec.size, channels: spec.channels, mean: spec.mean, std: spec.std });
  }

  /**
   * The symmetric MoCo v3 loss. Logs the momentum.
   * @example const { loss, embedding } = method.trainingStep([x1, x2], progress);
   */
  trainingStep(views: Tensor[], progress: TrainProgress): StepOutput {
    const [x1, x2] = checkTwoViews(views, 'MoCoV3');
    const z1 = this.projectionHead.forward(this.encoder.forward(x1)); // (B, outDim)
    const z2 = this.projectionHead.forward(this.encoder.forward(x2)); // (B, outDim)
    const q1 = this.predictionHead.forward(z1); // (B, outDim)
    const q2 = this.predictionHead.forward(z2); // (B, outDim)
    const [k1, k2] = torch.noGrad(() => torch.scope(() => [
      this.momentumProjectionHead.forward(this.momentumEncoder.forward(x1)), // (B, outDim)
      this.momentumProjectionHead.forward(this.momentumEncoder.forward(x2)), // (B, outDim)
    ]));
    const t = this.temperature;
    // In a data-parallel run every rank's keys are negatives (the official code's concat_all_gather).
    const o = { temperature: t, gatherDistributed: true };
    const loss = mocoV3Loss(q1, k2, o).add(mocoV3Loss(q2, k1, o));
    // A copy: the step value's tensor is rewritten by the next step.
    const momentum = this.stepValue('momentum', this.momentumAt(progress.step, progress.totalSteps)).clone();
    return { loss, embedding: z1, logs: { momentum } };
  }

  /**
   * The momentum update of the momentum network (after the optimizer step;
   * the official code updates before computing the keys of the next step: the same sequence).
   * @example optimizer.step(); method.afterOptimizerStep(progress);
   */
  override afterOptimizerStep(progress: TrainProgress): void {
    const m = this.stepValue('momentum', this.momentumAt(progress.step, progress.totalSteps));
    emaUpdate_(this.momentumEncoder, this.encoder, m);
    emaUpdate_(this.momentumProjectionHead, this.projectionHead, m);
  }

  /** Writes this step's momentum to the device (a captured step reads it there). @example method.prepareStep(progress); */
  override prepareStep(progress: TrainProgress): void {
    this.setStepValues({ momentum: this.momentumAt(progress.step, progress.totalSteps) });
  }

  /**
   * The momentum of `step`: `1 - (1 - m0) (cos(pi k / K) + 1) / 2`, from 0.99 to 1 (main_moco.py `adjust_moco_momentum`).
   * @example method.momentumAt(0, 100); // 0.99
   */
  momentumAt(step: number, totalSteps: number): number {
    checkInt(totalSteps, 'totalSteps', 1);
    if (this.schedule === null || this.schedule.totalSteps !== totalSteps) {
      this.schedule = { totalSteps, at: momentumSchedule({ base: this.momentumBase, final: 1, totalSteps }) };
    }
    return this.schedule.at(step);
  }
}
