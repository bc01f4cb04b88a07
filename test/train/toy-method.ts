// A tiny self-supervised method for the Trainer's tests: a width-4 SmallCnn,
// a linear projector and an NT-Xent-like loss between two augmented views.
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { Linear } from '../../lib/nn';
import { crossEntropy, normalize } from '../../lib/nn/functional';
import { SmallCnn } from '../../lib/models/small-cnn';
import { Method, MethodName, ImageSpec, OptimizerRecipe, StepOutput, TrainProgress } from '../../lib/ssl/method';
import { MultiView, views } from '../../lib/data/transforms/multi-crop';
import { Compose } from '../../lib/data/transforms/compose';
import { RandomResizedCrop } from '../../lib/data/transforms/random-resized-crop';
import { RandomHorizontalFlip } from '../../lib/data/transforms/flip';
import { Normalize } from '../../lib/data/transforms/normalize';
import { ParamGroup } from '../../lib/optim/optimizer';
import { paramGroupsWeightDecay } from '../../lib/optim/param-groups';

export interface ToyOptions {
  /** Registry name to claim (default 'simclr'); another name makes a "different method". */
  name?: MethodName;
  inChannels?: number;
  /** Projector output size (default 8). */
  outDim?: number;
  /** Make the loss NaN at this step. */
  nanAtStep?: number;
  recipe?: Partial<OptimizerRecipe>;
}

/**
 * @example const m = new ToyMethod({ inChannels: 1 });
 */
export class ToyMethod extends Method {
  readonly name: MethodName;
  readonly encoder: SmallCnn;
  readonly projector: Linear;
  readonly recipe: OptimizerRecipe;
  /** The per-step calls the Trainer made, in order ('train 0', 'before 0 grad', 'after 0', ...). */
  readonly calls: string[] = [];

  constructor(readonly options: ToyOptions = {}) {
    super();
    this.name = options.name ?? 'simclr';
    this.encoder = this.registerModule('encoder', new SmallCnn({ inChannels: options.inChannels ?? 1, width: 4 }));
    this.projector = this.registerModule('projector', new Linear(this.encoder.featureDim, options.outDim ?? 8));
    this.recipe = {
      optimizer: 'lars', lr: 0.3, lrScaling: 'linear', weightDecay: 1e-4, weightDecayEnd: 1e-3, warmupEpochs: 0.5,
      finalLrRatio: 0.01, ...options.recipe,
    };
  }

  augmentation(spec: ImageSpec): MultiView {
    return views(new Compose([
      new RandomResizedCrop({ size: spec.size, scale: [0.5, 1] }),
      new RandomHorizontalFlip({ p: 0.5 }),
      new Normalize({ mean: spec.mean, std: spec.std }),
    ]), 2, { size: spec.size });
  }

  trainingStep(v: Tensor[], progress: TrainProgress): StepOutput {
    this.calls.push(`train ${progress.step}/${progress.totalSteps} epoch ${progress.epoch}${this.training ? '' : ' eval'}`);
    const z1 = this.projector.forward(this.encoder.forward(v[0])); // (B, D)
    const z2 = this.projector.forward(this.encoder.forward(v[1])); // (B, D)
    const logits = normalize(z1, { dim: 1 }).matmul(normalize(z2, { dim: 1 }).t()).div(0.5); // (B, B)
    let loss = crossEntropy(logits, torch.arange(v[0].shape[0]));
    if (progress.step === this.options.nanAtStep) loss = loss.mul(NaN);
    return { loss, embedding: z1, logs: { half: loss.detach().mul(0.5) } };
  }

  override beforeOptimizerStep(p: TrainProgress): void {
    this.calls.push(`before ${p.step}${this.projector.weight.grad === undefined ? '' : ' grad'}`);
  }

  override afterOptimizerStep(p: TrainProgress): void {
    this.calls.push(`after ${p.step}`);
  }

  override parameterGroups(weightDecay: number): ParamGroup[] {
    return paramGroupsWeightDecay(this.namedParameters(), { weightDecay });
  }

  override config(): Record<string, unknown> {
    return { encoder: 'small_cnn', width: 4, outDim: this.options.outDim ?? 8 };
  }
}
