// What a self-supervised method is to the Trainer: a Module that owns its
// encoder, heads, teacher and loss, turns one batch of views into a loss, and
// does its own per-step updates (EMA teachers, centres, frozen layers).
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Module } from '../nn';
import { Encoder } from '../models/encoder';
import { MultiView } from '../data/transforms/multi-crop';
import { ParamGroup } from '../optim/optimizer';
import { paramGroupsWeightDecay } from '../optim/param-groups';
import { GivenOptions, OptionSpecs, OptionTable, OptionValues } from '../torch/option-table';
import { OptimizerRecipe } from './recipe';
import { CommonMethodOptions, checkOptionKeys, methodConfig, methodKeys } from './method-options';

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

export { OptimizerRecipe } from './recipe';

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
   * require grad: weight matrices decayed (and adapted by LARS), biases and
   * normalisation parameters not; teachers, momentum encoders and frozen
   * parts are left out because they do not require grad.
   * @example new optim.LARS(method.parameterGroups(1e-6), { lr: 0.3 * B / 256 });
   */
  parameterGroups(weightDecay: number): ParamGroup[] {
    return paramGroupsWeightDecay(this.namedParameters(), { weightDecay });
  }

  // The option table and the options given, recorded by useOptions for config().
  private declared: { table: Pick<OptionTable<OptionSpecs>, 'toJSON' | 'checkDerived'>; options: CommonMethodOptions } | undefined;

  /**
   * For a subclass's constructor: checks `options` against the method's
   * option table (an unknown key or a bad value throws, naming the method and
   * the option), fills in the defaults, and sets every value as a field of
   * the method (`method.temperature`), which `config()` writes back. Options
   * declared DERIVED stay undefined until `deriveOptions` sets them.
   * @example const o = this.useOptions(SIMCLR_OPTIONS, options); // o.hiddenDim === this.hiddenDim
   */
  protected useOptions<S extends OptionSpecs>(table: OptionTable<S>, options: CommonMethodOptions & GivenOptions<S>):
    OptionValues<S> {
    checkOptionKeys(options, methodKeys(table), this.typeName);
    const values = table.resolve(options, (k) => `${this.typeName} option ${k}`);
    Object.assign(this, values);
    this.declared = { table, options };
    return values;
  }

  /**
   * Sets the DERIVED options the caller did not give, from what the method
   * built (the encoder's width, whether it is a ViT).
   * @example this.deriveOptions({ hiddenDim: this.hiddenDim ?? this.encoder.featureDim });
   */
  protected deriveOptions(values: Record<string, unknown>): void {
    const own = this as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(values)) if (own[k] === undefined) own[k] = v;
    this.declared?.table.checkDerived(this, this.typeName);
  }

  /**
   * The host part of a step, called by the Trainer before each step of a
   * CUDA-graph run (warm-up steps and replays): writes the values that change
   * from step to step (EMA momentum, teacher temperature) into device scalars,
   * which the step then reads instead of host numbers (a replay does not run
   * the step's JavaScript). Eager steps write the same values where they read
   * them (`stepValue`). Default: nothing.
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
   * Inside a step: the 0-d device tensor holding this step's value of `name`.
   * Outside a CUDA-graph capture it first writes `value` there (a kernel only
   * when the value changed, no host synchronisation), so an eager step reads
   * its per-step values the way a graphed one does; inside a capture the
   * value must already be there (`prepareStep` wrote it), since a write would
   * be recorded as a constant.
   * @example emaUpdate_(this.teacher, this.encoder, this.stepValue('momentum', m));
   */
  protected stepValue(name: string, value: number): Tensor {
    if (!torch.cuda.isCapturing()) this.setStepValues({ [name]: value });
    const t = this.stepValues?.get(name);
    if (t !== undefined) return t;
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

  /**
   * The options the method was built with, JSON-able, so a run's config.json
   * can rebuild it (`ssl.create(name, method.config())`): the encoder spec
   * (`encoder: 'custom'` for a factory or an instance), every option of the
   * method's table as resolved, then the recipe overrides when there are any.
   * @example JSON.stringify(method.config()); // {"encoder":"small_cnn",...,"temperature":0.5}
   */
  config(): Record<string, unknown> {
    if (this.declared === undefined) {
      throw new Error(`${this.typeName} has no option table: call this.useOptions(...) in its constructor or override config()`);
    }
    return methodConfig(this.declared.options, this.declared.table.toJSON(this));
  }
}
