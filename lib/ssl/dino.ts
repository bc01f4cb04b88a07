// DINO (Caron et al. 2021): a student matches the centred, sharpened output
// of an EMA teacher across multi-crop views, without labels. As
// facebookresearch/dino main_dino.py (MultiCropWrapper, DINOLoss, EMA teacher).
import * as torch from '../torch';
import { Tensor } from '../torch';
import { checkBoolean, checkInt, checkNumber } from '../torch/arguments';
import { Encoder } from '../models/encoder';
import { VisionTransformer } from '../models/vit';
import { MultiView } from '../data/transforms/multi-crop';
import { dino as dinoRecipe } from '../data/transforms/recipes';
import { ParamGroup } from '../optim/optimizer';
import { Schedule } from '../optim/schedule';
import { paramGroupsWeightDecay } from '../optim/param-groups';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { EncoderSpec, makeEncoder } from './encoder-spec';
import { checkOptionKeys, methodConfig, resolveRecipe } from './method-options';
import { emaUpdate_, initTeacher, momentumSchedule } from './ema';
import { foreachMulByTensor_ } from '../torch/foreach';
import { DINOLoss } from './losses/dino-loss';
import { DINOHead } from './heads/dino-head';
import { forwardByResolution } from './crops-forward';

/** Options of `DINO`; defaults are main_dino.py's (ViT-S/16 recipe). */
export interface DINOOptions {
  /** A registry name (built with `encoderOptions` and numClasses 0) or a factory: DINO builds two (student, teacher). */
  encoder: Exclude<EncoderSpec, Encoder>;
  /** Options for the registry name (`{ imgSize: 32 }`). */
  encoderOptions?: Record<string, unknown>;
  /** Prototypes K of the head. Default 65536 (main_dino.py `--out_dim`). */
  outDim?: number;
  /** Hidden width of the head's MLP. Default 2048. */
  hiddenDim?: number;
  /** Bottleneck of the head. Default 256. */
  bottleneckDim?: number;
  /** Freeze the last layer's weight norm `weight_g` at 1. Default true (main_dino.py `--norm_last_layer`). */
  normLastLayer?: boolean;
  /** Teacher temperature at epoch 0. Default 0.04. */
  warmupTeacherTemp?: number;
  /** Teacher temperature after warm-up. Default 0.04 (main_dino.py: "Starting with the default value of 0.04 works well"). */
  teacherTemp?: number;
  /** Epochs of linear teacher-temperature warm-up. Default 0 (the paper: 30 epochs from 0.04 to 0.07). */
  warmupTeacherTempEpochs?: number;
  /** Student temperature. Default 0.1 (DINO: "tau_s = 0.1"). */
  studentTemp?: number;
  /** Momentum of the teacher centre. Default 0.9 (DINO table 9 / main_dino.py `center_momentum`). */
  centerMomentum?: number;
  /**
   * EMA momentum at step 0, rising to 1 on a cosine over the run. Default
   * 0.996 (DINO: "lambda following a cosine schedule from 0.996 to 1 during training").
   */
  momentumTeacher?: number;
  /**
   * Epochs during which the last layer's gradients are zeroed. Default 1
   * (main_dino.py `--freeze_last_layer`: "Typically doing so during the first epoch helps training").
   */
  freezeLastLayer?: number;
  /** Local crops per image. Default 8 (main_dino.py `--local_crops_number`). */
  localCrops?: number;
  /**
   * Side of the local crops; default 96/224 of the global side (96 at 224),
   * rounded to a multiple of the ViT's patch size.
   */
  localSize?: number;
  /**
   * Epochs of the run, the length of main_dino.py's teacher-temperature
   * schedule. Optional: the temperature of an epoch does not depend on it
   * (epochs past the schedule keep `teacherTemp`), so any run length works
   * without it. Default max(warmupTeacherTempEpochs, 1).
   */
  epochs?: number;
  /** Overrides of the optimisation recipe (`DINO_RECIPE`). */
  recipe?: Partial<OptimizerRecipe>;
}

const OPTION_KEYS: readonly (keyof DINOOptions)[] = ['encoder', 'encoderOptions', 'outDim', 'hiddenDim', 'bottleneckDim',
  'normLastLayer', 'warmupTeacherTemp', 'teacherTemp', 'warmupTeacherTempEpochs', 'studentTemp', 'centerMomentum',
  'momentumTeacher', 'freezeLastLayer', 'localCrops', 'localSize', 'epochs', 'recipe'];

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
export class DINO extends Method {
  readonly name = 'dino' as const;
  override readonly capturable = true;
  /** The student backbone (the one evaluated). */
  readonly encoder: Encoder;
  readonly head: DINOHead;
  readonly teacherEncoder: Encoder;
  readonly teacherHead: DINOHead;
  readonly dinoLoss: DINOLoss;
  readonly momentumTeacher: number;
  readonly freezeLastLayer: number;
  readonly localCrops: number;
  /** `DINO_RECIPE` with the `recipe` option's overrides. */
  readonly recipe: OptimizerRecipe;
  private readonly options: DINOOptions;
  private readonly localSize: number | undefined;
  private schedule: { totalSteps: number; at: Schedule } | null = null;

  constructor(options: DINOOptions) {
    super();
    checkOptionKeys(options, OPTION_KEYS, 'DINO');
    this.options = options;
    this.recipe = resolveRecipe(DINO_RECIPE, options.recipe, 'DINO');
    const build = makeEncoder(options.encoder, options.encoderOptions, { needsFactory: true, method: 'DINO' });
    const headOptions = {
      outDim: checkInt(options.outDim ?? 65536, 'options.outDim', 1),
      hiddenDim: options.hiddenDim ?? 2048,
      bottleneckDim: options.bottleneckDim ?? 256,
      normLastLayer: checkBoolean(options.normLastLayer ?? true, 'options.normLastLayer'),
    };
    this.momentumTeacher = checkNumber(options.momentumTeacher ?? 0.996, 'options.momentumTeacher', 0, 1);
    this.freezeLastLayer = checkNumber(options.freezeLastLayer ?? 1, 'options.freezeLastLayer', 0);
    this.localCrops = checkInt(options.localCrops ?? 8, 'options.localCrops', 0);
    this.localSize = options.localSize === undefined ? undefined : checkInt(options.localSize, 'options.localSize', 1);
    const warmupEpochs = checkInt(options.warmupTeacherTempEpochs ?? 0, 'options.warmupTeacherTempEpochs', 0);
    const epochs = checkInt(options.epochs ?? Math.max(warmupEpochs, 1), 'options.epochs', 1);

    this.encoder = this.registerModule('encoder', build());
    this.head = this.registerModule('head', new DINOHead(this.encoder.featureDim, headOptions));
    this.teacherEncoder = this.registerModule('teacher_encoder', build());
    this.teacherHead = this.registerModule('teacher_head', new DINOHead(this.teacherEncoder.featureDim, headOptions));
    // "the teacher and student start with the same network" (main_dino.py loads the student's state dict).
    initTeacher(this.teacherEncoder, this.encoder);
    initTeacher(this.teacherHead, this.head);
    this.dinoLoss = this.registerModule('dino_loss', new DINOLoss({
      outDim: headOptions.outDim, epochs, warmupTeacherTemp: options.warmupTeacherTemp,
      teacherTemp: options.teacherTemp, warmupTeacherTempEpochs: warmupEpochs, studentTemp: options.studentTemp,
      centerMomentum: options.centerMomentum,
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
    const teacherOutput = torch.noGrad(() => multiCropForward(this.teacherEncoder, this.teacherHead, views.slice(0, 2)));
    const studentOutput = multiCropForward(this.encoder, this.head, views); // (nCrops * B, K)
    const batch = views[0].shape[0];
    const embedding = studentOutput.narrow(0, 0, batch).detach();
    // After prepareStep (a graphed run) the per-step values come from the device, where it wrote them.
    const teacherTemp = this.stepValue('teacherTemp', this.dinoLoss.teacherTempAt(progress.epoch));
    const momentum = this.stepValue('momentum', this.momentumAt(progress));
    const loss = this.dinoLoss.forward(studentOutput, teacherOutput, progress.epoch,
      typeof teacherTemp === 'number' ? undefined : teacherTemp);
    return { loss, embedding, logs: { teacherTemp, momentum } };
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
    const scale = this.freezeLastLayer === 0 ? 1 : this.stepValue('lastLayerScale', 1);
    if (typeof scale !== 'number') {
      // A captured step cannot branch on the epoch: the grads are multiplied
      // by a device factor, 0 while frozen and 1 after (set by prepareStep).
      const grads = this.head.lastLayer.parameters().map((p) => p.grad).filter((g): g is Tensor => g !== undefined);
      foreachMulByTensor_(grads, scale);
      return;
    }
    if (progress.epoch >= this.freezeLastLayer) return;
    for (const p of this.head.lastLayer.parameters()) p.grad?.zero_();
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
      ...(this.freezeLastLayer > 0 ? { lastLayerScale: progress.epoch < this.freezeLastLayer ? 0 : 1 } : {}),
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

  /**
   * Decay and no-decay groups over the student (biases and 1-d tensors are not
   * decayed, as main_dino.py's get_params_groups; the teacher and a frozen
   * weight_g do not require grad and are left out).
   * @example new optim.AdamW(method.parameterGroups(0.04), { lr: 0.0005 * B / 256 });
   */
  parameterGroups(weightDecay: number): ParamGroup[] {
    return paramGroupsWeightDecay(this.namedParameters(), { weightDecay });
  }

  /** The options, JSON-able. @example JSON.stringify(method.config()); // {"encoder":"vit_small_patch16_224",...} */
  config(): Record<string, unknown> {
    const o = this.options;
    return methodConfig(o, {
      outDim: this.head.outDim,
      hiddenDim: o.hiddenDim ?? 2048, bottleneckDim: this.head.bottleneckDim, normLastLayer: o.normLastLayer ?? true,
      warmupTeacherTemp: o.warmupTeacherTemp ?? 0.04, teacherTemp: o.teacherTemp ?? 0.04,
      warmupTeacherTempEpochs: o.warmupTeacherTempEpochs ?? 0, studentTemp: this.dinoLoss.studentTemp,
      centerMomentum: this.dinoLoss.centerMomentum, momentumTeacher: this.momentumTeacher,
      freezeLastLayer: this.freezeLastLayer, localCrops: this.localCrops,
      ...(this.localSize === undefined ? {} : { localSize: this.localSize }), epochs: this.dinoLoss.epochs,
    });
  }
}

