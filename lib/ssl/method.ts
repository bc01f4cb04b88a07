// What a self-supervised method is to the Trainer: a Module that owns its
// encoder, heads, teacher and loss, turns one batch of views into a loss, and
// does its own per-step updates (EMA teachers, centres, frozen layers).
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Module } from '../nn';
import { Encoder } from '../models/encoder';
import { MultiView } from '../data/transforms/multi-crop';
import { ParamGroup } from '../optim/optimizer';

/** The methods the registry and the command line know. */
export type MethodName = 'simclr' | 'byol' | 'dino' | 'mae' | 'simsiam' | 'barlow_twins' | 'vicreg' | 'mocov2' | 'mocov3' | 'swav' | 'deepclusterv2' |
  'rotation' | 'jigsaw' | 'relative_position' | 'colorization' | 'split_brain' | 'deoldify' |
  'context_encoder' | 'damaged_jigsaw';

/** Where training stands; every per-step hook receives it. */
export interface TrainProgress {
  /** The optimizer step being taken, 0-based, counted over the whole run. */
  step: number;
  /** Steps of the whole run (epochs * stepsPerEpoch, or the step budget). */
  totalSteps: number;
  /** The epoch of this step, 0-based. */
  epoch: number;
  /** Optimizer steps per epoch. */
  stepsPerEpoch: number;
  /**
   * The dataset indices (B) of the batch's images, on the method's device (the
   * Trainer passes them; DeepCluster v2 keeps a memory bank by image).
   */
  indices?: Tensor;
}

/** What `trainingStep` returns. */
export interface StepOutput {
  /** The scalar float32 loss to call `backward()` on. */
  loss: Tensor;
  /**
   * (B, D) embeddings of one view (the projector's output), for the collapse
   * monitor: the Trainer logs the mean per-dimension std of their L2-normalised
   * rows (about 1/sqrt(D) when healthy, 0 when collapsed).
   */
  embedding?: Tensor;
  /** Other scalars to log under their names (e.g. DINO's teacher temperature). Tensors are read after the step. */
  logs?: Record<string, Tensor | number>;
}

/** Size and statistics of the images a method's default augmentation is built for. */
export interface ImageSpec {
  /** Side of the (square) training crops in pixels. */
  size: number;
  /** 1 (gray) or 3 (RGB). */
  channels: number;
  /** Per-channel mean and std in [0, 1] units, for normalisation as the last augmentation step. */
  mean: readonly number[];
  std: readonly number[];
  /** The dataset's name, for error messages ('fashion-mnist/train'). */
  dataset?: string;
}

/** The optimisation recipe of a method's paper; the Trainer's defaults. Every field can be overridden. */
export interface OptimizerRecipe {
  optimizer: 'sgd' | 'lars' | 'adamw';
  /**
   * Base learning rate. With `lrScaling: 'linear'` the rate used is
   * `lr * batchSize / 256`; with 'sqrt' it is `lr * sqrt(batchSize)` (SimCLR's
   * LARS rule, 0.075 * sqrt(B)); with 'none' it is used as given.
   */
  lr: number;
  lrScaling: 'linear' | 'sqrt' | 'none';
  /** The final learning rate of the cosine, as a fraction of the peak (default 0). */
  finalLrRatio?: number;
  /** Weight decay at the start of training. */
  weightDecay: number;
  /** Weight decay at the end (cosine from `weightDecay`); omitted = constant. DINO: 0.04 -> 0.4. */
  weightDecayEnd?: number;
  /** SGD/LARS momentum (default 0.9). */
  momentum?: number;
  /** AdamW betas (default [0.9, 0.999]; MAE uses [0.9, 0.95]). */
  betas?: [number, number];
  /** Epochs of linear learning-rate warmup (fraction allowed). */
  warmupEpochs: number;
  /** Clip the global gradient norm to this value (DINO: 3.0); omitted = no clipping. */
  clipGrad?: number;
}

/**
 * The base class of SimCLR, BYOL, DINO and MAE. A subclass registers its
 * encoder as `encoder` (so checkpoints hold `encoder.*` keys with the
 * torchvision/timm names after the prefix), its heads, teacher and buffers.
 *
 * The Trainer calls, for each step (after `prepareStep(progress)` in a
 * CUDA-graph run), inside one memory scope:
 * `trainingStep(views, progress)` -> `loss.backward()` ->
 * `beforeOptimizerStep(progress)` -> clipping -> `optimizer.step()` ->
 * `afterOptimizerStep(progress)`.
 *
 * @example
 * const method = new ssl.SimCLR({ encoder: models.create('small_cnn', { inChannels: 1 }) });
 * const views = method.augmentation({ size: 28, channels: 1, mean: [0.286], std: [0.353] }).forward(images01);
 * const { loss } = method.trainingStep(views, { step: 0, totalSteps: 1, epoch: 0, stepsPerEpoch: 1 });
 */
export abstract class Method extends Module {
  /** The method's registry name. */
  abstract readonly name: string;
  /** The backbone that is trained and evaluated (k-NN, linear probe); the student for teacher-student methods. */
  abstract readonly encoder: Encoder;
  /** The optimisation recipe of the paper, for the Trainer's defaults. */
  abstract readonly recipe: OptimizerRecipe;
  /**
   * Whether a training step can be captured into a CUDA graph: no host reads,
   * fixed shapes, per-step values read from device scalars that
   * `prepareStep` sets. SimCLR, BYOL, DINO and MAE are; a new method is not
   * until it says so (the Trainer then runs it eagerly).
   */
  readonly capturable: boolean = false;

  /** The paper's augmentation for images of `spec` (views in the order `trainingStep` expects). */
  abstract augmentation(spec: ImageSpec): MultiView;

  /** The loss of one batch of views (float, normalised, on the method's device). Called in train mode. */
  abstract trainingStep(views: Tensor[], progress: TrainProgress): StepOutput;

  /**
   * The trainable parameters in optimizer groups: by default the weight-decay
   * and no-decay groups of `paramGroupsWeightDecay` over parameters that
   * require grad (teachers are excluded because they do not).
   */
  abstract parameterGroups(weightDecay: number): ParamGroup[];

  /**
   * The host part of a step, called by the Trainer before each step of a
   * CUDA-graph run (warm-up steps and replays): writes the values that change
   * from step to step (EMA momentum, teacher temperature) into device scalars,
   * which the step then reads instead of host numbers (a replay does not run
   * the step's JavaScript). Plain eager runs do not call it. Default: nothing.
   */
  prepareStep(_progress: TrainProgress): void {}

  // The values prepareStep wrote to the device (created on its first call).
  private stepValues: torch.DeviceScalars | undefined;

  /**
   * For `prepareStep`: writes this step's `values` (EMA momentum, ...) into
   * device scalars on the encoder's device, which `stepValue` then returns.
   * @example this.setStepValues({ momentum: this.momentumAt(progress) });
   */
  protected setStepValues(values: Record<string, number>): void {
    this.stepValues ??= new torch.DeviceScalars((name) => `${this.constructor.name}'s step value '${name}'`,
      'call method.prepareStep(progress) before capturing (the Trainer does)');
    const device = this.encoder.parameters()[0].device;
    for (const [name, value] of Object.entries(values)) this.stepValues.set(name, value, device);
  }

  /**
   * Inside a step: the device tensor of `name` once `prepareStep` set it
   * (every step of a graphed run, warm-up steps included, so they round as
   * the replays do), else `host` (a plain eager run). Inside a capture the
   * tensor is required: a host number would be recorded as a constant.
   * @example emaUpdate_(this.teacher, this.encoder, this.stepValue('momentum', m));
   */
  protected stepValue(name: string, host: number): Tensor | number {
    const t = this.stepValues?.get(name);
    if (t !== undefined) return t;
    if (!torch.cuda.isCapturing()) return host;
    throw new Error(`${this.constructor.name} reads its step value '${name}' from the device inside a CUDA graph ` +
      'capture, but method.prepareStep(progress) was not called before the capture');
  }

  /** Frees the weights and the step values' device scalars. */
  override dispose(): void {
    this.stepValues?.dispose();
    super.dispose();
  }

  /** After backward, before clipping and the optimizer step (DINO zeroes its last layer's grads in epoch 0). */
  beforeOptimizerStep(_progress: TrainProgress): void {}

  /** After the optimizer step (EMA teacher updates). */
  afterOptimizerStep(_progress: TrainProgress): void {}

  /** The options the method was built with, JSON-able, so a run's config.json can rebuild it. */
  abstract config(): Record<string, unknown>;
}
