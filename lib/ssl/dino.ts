// DINO (Caron et al. 2021): a student matches the centred, sharpened output
// of an EMA teacher across multi-crop views, without labels. As
// facebookresearch/dino main_dino.py (MultiCropWrapper, DINOLoss, EMA teacher).
import * as torch from '../torch';
import { Tensor } from '../torch';
import { DERIVED, defineOptions, is, option, OPTIONAL, TableValues } from '../torch/option-table';
import { Encoder } from '../models/encoder';
import { VisionTransformer } from '../models/vit';
import { MultiView } from '../data/transforms/multi-crop';
import { dino as dinoRecipe } from '../data/transforms/recipes';
import { Schedule } from '../optim/schedule';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { EncoderSpec, makeEncoder } from './encoder-spec';
import { MethodOptions, resolveRecipe } from './method-options';
import { emaUpdate_, initTeacher, momentumSchedule } from './ema';
import { foreachMulByTensor_ } from '../torch/foreach';
import { DINO_LOSS_OPTIONS, DINOLoss } from './losses/dino-loss';
import { DINO_HEAD_OPTIONS, DINOHead } from './heads/dino-head';
import { forwardByResolution } from './crops-forward';

/**
 * DINO's options besides the encoder and the recipe; defaults are
 * main_dino.py's (ViT-S/16 recipe). The head's and the loss's come from
 * `DINO_HEAD_OPTIONS` and `DINO_LOSS_OPTIONS`, so each default is written once.
 */
export const DINO_OPTIONS = defineOptions({
  ...DINO_HEAD_OPTIONS.pick('outDim', 'hiddenDim', 'bottleneckDim', 'normLastLayer'),
  ...DINO_LOSS_OPTIONS.pick('warmupTeacherTemp', 'teacherTemp', 'warmupTeacherTempEpochs', 'studentTemp', 'centerMomentum'),
  /**
   * EMA momentum at step 0, rising to 1 on a cosine over the run. Default
   * 0.996 (DINO: "lambda following a cosine schedule from 0.996 to 1 during training").
   */
  momentumTeacher: option(0.996, is.number(0, 1)),
  /**
   * Epochs during which the last layer's gradients are zeroed. Default 1
   * (main_dino.py `--freeze_last_layer`: "Typically doing so during the first epoch helps training").
   */
  freezeLastLayer: option(1, is.number(0)),
  /** Local crops per image. Default 8 (main_dino.py `--local_crops_number`). */
  localCrops: option(8, is.int(0)),
  /**
   * Side of the local crops; default 96/224 of the global side (96 at 224),
   * rounded to a multiple of the ViT's patch size.
   */
  localSize: option(OPTIONAL, is.int(1)),
  /**
   * Epochs of the run, the length of main_dino.py's teacher-temperature
   * schedule. Optional: the temperature of an epoch does not depend on it
   * (epochs past the schedule keep `teacherTemp`), so any run length works
   * without it. Default max(warmupTeacherTempEpochs, 1).
   */
  epochs: option(DERIVED, is.int(1)),
});

/**
 * Options of `DINO`: the encoder is a registry name (built with
 * `encoderOptions` and numClasses 0) or a factory, since DINO builds two
 * (student and teacher); `DINO_OPTIONS`; recipe overrides.
 */
export type DINOOptions = MethodOptions<typeof DINO_OPTIONS, Exclude<EncoderSpec, Encoder>>;

/**
 * DINO's optimisation (main_dino.py defaults, ViT-S/16): AdamW, "lr = 0.0005 *
 * batch_size / 256" (linear scaling rule), cosine to `--min_lr` 1e-6, weight
 * decay 0.04 rising to 0.4 on a cosine ("a weight decay following a cosine
 * schedule from 0.04 to 0.4"), 10 warm-up epochs, gradient clipping at 3.0.
 */
export const DINO_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'adamw',
  lr: 0.0005,
  lrScaling: 'linear',
  finalLrRatio: 1e-6 / 0.0005,
  weightDecay: 0.04,
  weightDecayEnd: 0.4,
  warmupEpochs: 10,
  clipGrad: 3.0,
});

/**
 * The student or the teacher: a backbone and a DINO head, run as main_dino.py's
 * `MultiCropWrapper`: the backbone once per run of consecutive crops of equal
 * resolution (concatenated), then the head once on every feature.
 * @internal
 */
function multiCropForward(backbone: Encoder, head: DINOHead, crops: readonly Tensor[]): Tensor {
  return head.forward(forwardByResolution(backbone, crops)); // (crops * B, outDim)
}

/**
 * DINO, self-distillation with no labels (Caron et al. 2021, "Emerging
 * Properties in Self-Supervised Vision Transformers"). The student (encoder +
 * `DINOHead`) sees every crop; the teacher (a second encoder + head, an EMA of
 * the student, never trained by gradients) sees only the 2 global crops; the
 * `DINOLoss` makes the student's softmax match the teacher's centred and
 * sharpened one. Works with a ViT or a ResNet (any Encoder).
 *
 * Keys: `encoder.*` and `head.*` (the student), `teacher_encoder.*`,
 * `teacher_head.*`, `dino_loss.center`.
 *
 * @example
 * const method = new ssl.DINO({ encoder: 'vit_small_patch16_224', outDim: 65536, localCrops: 6 });
 * const crops = method.augmentation({ size: 224, channels: 3, mean, std }).forward(images01); // 2 global + 6 local
 * const { loss } = method.trainingStep(crops, progress);
 */
export interface DINO extends Readonly<TableValues<typeof DINO_OPTIONS>> {}
export class DINO extends Method {
  readonly name = 'dino' as const;
  override readonly capturable = true;
  /** The student backbone (the one evaluated). */
  readonly encoder: Encoder;
  readonly head: DINOHead;
  readonly teacherEncoder: Encoder;
  readonly teacherHead: DINOHead;
  readonly dinoLoss: DINOLoss;
  /** `DINO_RECIPE` with the `recipe` option's overrides. */
  readonly recipe: OptimizerRecipe;
  private schedule: { totalSteps: number; at: Schedule } | null = null;

  constructor(options: DINOOptions) {
    super();
    const o = this.useOptions(DINO_OPTIONS, options);
    this.deriveOptions({ epochs: Math.max(o.warmupTeacherTempEpochs, 1) });
    this.recipe = resolveRecipe(DINO_RECIPE, options.recipe, 'DINO');
    const build = makeEncoder(options.encoder, options.encoderOptions, { needsFactory: true, method: 'DINO' });
    const headOptions = { outDim: o.outDim, hiddenDim: o.hiddenDim, bottleneckDim: o.bottleneckDim, normLastLayer: o.normLastLayer };

    this.encoder = this.registerModule('encoder', build());
    this.head = this.registerModule('head', new DINOHead(this.encoder.featureDim, headOptions));
    this.teacherEncoder = this.registerModule('teacher_encoder', build());
    this.teacherHead = this.registerModule('teacher_head', new DINOHead(this.teacherEncoder.featureDim, headOptions));
    // "the teacher and student start with the same network" (main_dino.py loads the student's state dict).
    initTeacher(this.teacherEncoder, this.encoder);
    initTeacher(this.teacherHead, this.head);
    this.dinoLoss = this.registerModule('dino_loss', new DINOLoss({
      outDim: o.outDim, epochs: this.epochs, warmupTeacherTemp: o.warmupTeacherTemp, teacherTemp: o.teacherTemp,
      warmupTeacherTempEpochs: o.warmupTeacherTempEpochs, studentTemp: o.studentTemp, centerMomentum: o.centerMomentum,
    }));
  }

  /**
   * DINO's multi-crop at `spec.size`: 2 global crops and `localCrops` local
   * ones (96/224 of the side, a multiple of the ViT's patch size).
   * @example method.augmentation({ size: 224, channels: 3, mean, std }).forward(images01); // 2 x 224 px, 8 x 96 px
   */
  augmentation(spec: ImageSpec): MultiView {
    let localSize = this.localSize;
    if (localSize === undefined && this.encoder instanceof VisionTransformer) {
      const p = this.encoder.patchEmbed.patchSize;
      localSize = Math.max(p, Math.round((spec.size * 96) / 224 / p) * p);
    }
    return dinoRecipe({ globalSize: spec.size, localSize, localCrops: this.localCrops, channels: spec.channels,
      mean: spec.mean, std: spec.std });
  }

  /**
   * The DINO loss of one batch of crops: views[0] and views[1] are the global
   * crops, the rest local. Logs the teacher temperature and the EMA momentum.
   * The embedding is the student's head output for the first global crop.
   * @example const { loss, logs } = method.trainingStep(crops, progress); // logs.teacherTemp, logs.momentum
   */
  trainingStep(views: Tensor[], progress: TrainProgress): StepOutput {
    if (!Array.isArray(views) || views.length < 2) {
      throw new RangeError(`Expected at least the 2 global crops for DINO but received ` +
        `${Array.isArray(views) ? views.length : String(views)} views`);
    }
    const teacherOutput = torch.noGrad(() => torch.scope(() =>
      multiCropForward(this.teacherEncoder, this.teacherHead, views.slice(0, 2))));
    const studentOutput = multiCropForward(this.encoder, this.head, views); // (nCrops * B, K)
    const batch = views[0].shape[0];
    const embedding = studentOutput.narrow(0, 0, batch).detach();
    // The per-step values are read on the device (what a captured step replays).
    const teacherTemp = this.stepValue('teacherTemp', this.dinoLoss.teacherTempAt(progress.epoch));
    const momentum = this.stepValue('momentum', this.momentumAt(progress));
    const loss = this.dinoLoss.forward(studentOutput, teacherOutput, progress.epoch, teacherTemp);
    // The logs are copies: the step values' tensors are rewritten by the next step.
    return { loss, embedding, logs: { teacherTemp: teacherTemp.clone(), momentum: momentum.clone() } };
  }

  /**
   * DINO's `cancel_gradients_last_layer`: during the first `freezeLastLayer`
   * epochs the head's last layer does not learn.
   * NOTE: the gradients are zeroed in place (not set to undefined, as
   * main_dino.py's `p.grad = None`) so the tensors a captured CUDA-graph step
   * refers to stay the same. AdamW then still steps these parameters with a
   * zero gradient: its moments decay and its weight decay shrinks `weight_v`,
   * which does not change the layer's output (weight norm keeps only the
   * direction of `weight_v`; `weight_g` is frozen by default).
   * @example loss.backward(); method.beforeOptimizerStep(progress); optimizer.step();
   */
  override beforeOptimizerStep(progress: TrainProgress): void {
    if (this.freezeLastLayer === 0) return;
    // A captured step cannot branch on the epoch: the grads are multiplied by
    // a device factor, 0 while frozen and 1 after.
    const scale = this.stepValue('lastLayerScale', this.lastLayerScaleAt(progress));
    const grads = this.head.lastLayer.parameters().map((p) => p.grad).filter((g): g is Tensor => g !== undefined);
    foreachMulByTensor_(grads, scale);
  }

  /** The factor of the last layer's gradients at `progress`: 0 during the first `freezeLastLayer` epochs, then 1. */
  private lastLayerScaleAt(progress: TrainProgress): number {
    return progress.epoch < this.freezeLastLayer ? 0 : 1;
  }

  /**
   * The teacher follows the student: teacher = m * teacher + (1 - m) * student,
   * m on a cosine from momentumTeacher to 1 (`momentumAt`).
   * @example optimizer.step(); method.afterOptimizerStep(progress);
   */
  override afterOptimizerStep(progress: TrainProgress): void {
    const m = this.stepValue('momentum', this.momentumAt(progress));
    emaUpdate_(this.teacherEncoder, this.encoder, m);
    emaUpdate_(this.teacherHead, this.head, m);
  }

  /**
   * Writes this step's EMA momentum, teacher temperature and last-layer
   * gradient factor to the device; the step then reads them there (what a
   * captured CUDA-graph step needs).
   * @example method.prepareStep(progress); // then the step, or a graph replay
   */
  override prepareStep(progress: TrainProgress): void {
    this.setStepValues({
      momentum: this.momentumAt(progress),
      teacherTemp: this.dinoLoss.teacherTempAt(progress.epoch),
      ...(this.freezeLastLayer > 0 ? { lastLayerScale: this.lastLayerScaleAt(progress) } : {}),
    });
  }

  /**
   * The EMA momentum of `progress.step`: main_dino.py's `momentum_schedule[it]`.
   * @example method.momentumAt({ step: 0, totalSteps: 1000, epoch: 0, stepsPerEpoch: 10 }); // 0.996
   */
  momentumAt(progress: TrainProgress): number {
    // The schedule is built once per run length (as BYOL does), not on every step.
    if (this.schedule === null || this.schedule.totalSteps !== progress.totalSteps) {
      const at = momentumSchedule({ base: this.momentumTeacher, final: 1, totalSteps: progress.totalSteps });
      this.schedule = { totalSteps: progress.totalSteps, at };
    }
    return this.schedule.at(progress.step);
  }
}
