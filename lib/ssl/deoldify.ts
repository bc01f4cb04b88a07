// A DeOldify-style colorizer (Jason Antic's DeOldify project): a U-Net
// generator built on a pretrained encoder turns grayscale images into colour
// ones; it is trained by "NoGAN": first with a perceptual (feature) loss
// alone, then the critic alone on generated versus real images, then a short
// adversarial phase. The encoder (the U-Net's downsampling half) is what the
// frozen-encoder report evaluates.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { describe } from '../torch/arguments';
import { binaryCrossEntropyWithLogits, l1Loss } from '../nn/functional/loss';
import { adaptiveAvgPool2d } from '../nn/functional/pooling';
import { loadSafetensors } from '../torch/safetensors';
import { Encoder } from '../models/encoder';
import { ParamGroup } from '../optim/optimizer';
import { paramGroupsWeightDecay } from '../optim/param-groups';
import { MultiView } from '../data/transforms/multi-crop';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { makeEncoder } from './encoder-spec';
import { MethodOptions, resolveRecipe } from './method-options';
import { defineOptions, is, option, OPTIONAL, TableValues } from '../torch/option-table';
import { checkColour, checkOneView, pretextView } from './pretext/pretext-common';
import { PatchCritic, UnetDecoder, encoderStages, stageChannels } from './pretext/unet-generator';
import { ColourTaskExamples } from './colorization';

/** DeOldify's options besides the encoder and the recipe. */
export const DEOLDIFY_OPTIONS = defineOptions({
  /** Channels of the critic's first convolution. Default 64. */
  criticWidth: option(64, is.int(1)),
  /** Fraction of the run's steps that train the critic alone (NoGAN's critic pretraining). Default 0.1. */
  criticFraction: option(0.1, is.number(0, 1)),
  /** Fraction of the run's steps in the adversarial phase, at the end. Default 0.03 (DeOldify: 3% of the data). */
  ganFraction: option(0.03, is.number(0, 1)),
  /** A safetensors file of the encoder's weights (a run's encoder.safetensors) to start from. */
  pretrained: option(OPTIONAL, (v, what): string => {
    if (typeof v !== 'string' || v === '') throw new TypeError(`Expected a safetensors file path for ${what} but received ${describe(v)}`);
    return v;
  }),
});

/**
 * Options of `DeOldify`: the generator's encoder (small_cnn or a ResNet on
 * 3-channel, gray replicated, input), `DEOLDIFY_OPTIONS`, and recipe overrides.
 */
export type DeOldifyOptions = MethodOptions<typeof DEOLDIFY_OPTIONS>;

/** DeOldify's FeatureLoss weights of its three feature layers (`layer_wgts=[20,70,10]`), after the pixel L1 (weight 1). */
export const FEATURE_LOSS_WEIGHTS: readonly number[] = Object.freeze([20, 70, 10]);
/** Weights of the generator's adversarial and feature losses in the GAN phase (the stable model's `weights_gen`). */
export const GAN_GENERATOR_WEIGHTS: readonly [number, number] = Object.freeze([1.0, 1.5]) as readonly [number, number];
// ITU-R 601 luma, as PIL's convert('L') that DeOldify's grayscale inputs come from.
const LUMA = [0.299, 0.587, 0.114];

/**
 * The generator's pretraining in DeOldify: Adam (fastai's betas 0.9, 0.99),
 * one-cycle to 1e-3, weight decay 1e-3; a cosine here. The GAN phase's
 * Adam betas (0, 0.9) and lr 2e-5 are not switched to (one optimizer per run).
 */
export const DEOLDIFY_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'adamw', lr: 1e-3, lrScaling: 'none', finalLrRatio: 0, weightDecay: 1e-3,
  betas: [0.9, 0.99] as [number, number], warmupEpochs: 0,
});

/** Which NoGAN phase a step is in; the GAN phase alternates critic and generator steps. */
export type NoGanPhase = 'generator' | 'critic' | 'gan-critic' | 'gan-generator';

/**
 * DeOldify-style colorization. Modules: `encoder` (the registry encoder,
 * evaluated as any other), `decoder` (`UnetDecoder` on the encoder's
 * stages), `critic` (`PatchCritic`) and `feature_net` (a frozen copy of the
 * encoder as built, after `pretrained` is loaded: it stands in for
 * DeOldify's ImageNet VGG16-bn, which is not available here). The input is
 * the image's luma replicated to 3 channels, normalised as the data; the
 * output is the colour image in the same normalisation.
 *
 * Losses, by phase (`phaseAt(progress)`):
 * - generator: DeOldify's FeatureLoss, L1(pred, target) + sum_i w_i L1(f_i(pred), f_i(target))
 *   over the feature net's last three stages, w = 20, 70, 10;
 * - critic: (BCE(critic(real), 1) + BCE(critic(pred), 0)) / 2 on every patch logit, pred detached;
 * - GAN, alternating (fastai's GAN switcher, fixed 1:1 here): the critic loss, then
 *   1.0 BCE(critic(pred), 1) + 1.5 FeatureLoss, the critic's gradients dropped
 *   before the optimizer step.
 *
 * @example
 * const method = new ssl.DeOldify({ encoder: 'resnet18', encoderOptions: { smallImages: true }, pretrained: 'runs/simclr/encoder.safetensors' });
 */
export interface DeOldify extends Readonly<TableValues<typeof DEOLDIFY_OPTIONS>> {}
export class DeOldify extends Method {
  readonly name = 'deoldify' as const;
  readonly encoder: Encoder;
  readonly decoder: UnetDecoder;
  readonly critic: PatchCritic;
  readonly featureNet: Encoder;
  readonly recipe: OptimizerRecipe;
  readonly imageMean: Tensor;
  readonly imageStd: Tensor;
  private lastPhase: NoGanPhase = 'generator';

  constructor(options: DeOldifyOptions) {
    super();
    this.useOptions(DEOLDIFY_OPTIONS, options);
    if (this.criticFraction + this.ganFraction > 1) {
      throw new RangeError(`Expected criticFraction + ganFraction <= 1 for DeOldify but received ` +
        `${this.criticFraction} + ${this.ganFraction}`);
    }
    this.recipe = resolveRecipe(DEOLDIFY_RECIPE, options.recipe, 'DeOldify');
    const encoderOptions = typeof options.encoder === 'string' ? { ...options.encoderOptions, inChannels: 3 } : options.encoderOptions;
    const build = makeEncoder(options.encoder, encoderOptions, { needsFactory: true, method: 'DeOldify' });
    this.encoder = this.registerModule('encoder', build());
    if (this.pretrained !== undefined) this.loadPretrained(this.pretrained);
    const channels = stageChannels(this.encoder);
    this.decoder = this.registerModule('decoder', new UnetDecoder(channels, 3));
    this.critic = this.registerModule('critic', new PatchCritic(3, this.criticWidth));
    this.featureNet = this.registerModule('feature_net', build());
    this.featureNet.loadStateDict(this.encoder.stateDict(), { strict: true });
    this.featureNet.requiresGrad_(false);
    this.featureNet.eval();
    this.imageMean = this.registerBuffer('image_mean', torch.zeros([1, 3, 1, 1]));
    this.imageStd = this.registerBuffer('image_std', torch.ones([1, 3, 1, 1]));
  }

  private loadPretrained(file: string): void {
    const weights = loadSafetensors(file);
    try {
      this.encoder.loadStateDict(weights, { strict: true });
    } catch (err) {
      throw new Error(`DeOldify option pretrained: the weights in '${file}' do not fit the encoder: ${(err as Error).message}`);
    } finally {
      weights.forEach((t) => t.dispose());
    }
  }

  /** Train mode for everything but the frozen feature network. @example method.train() */
  override train(mode = true): this {
    super.train(mode);
    this.featureNet.train(false);
    return this;
  }

  /** One view (crop scale [0.5, 1], flip, normalisation); colour images only. @example method.augmentation(spec) */
  augmentation(spec: ImageSpec): MultiView {
    checkColour(spec, 'DeOldify', 'it learns to restore the colours of their grayscale versions');
    torch.noGrad(() => torch.scope(() => {
      this.imageMean.copy_(torch.tensor(Float32Array.from(spec.mean), { shape: [1, 3, 1, 1] }).to({ device: this.imageMean.device }));
      this.imageStd.copy_(torch.tensor(Float32Array.from(spec.std), { shape: [1, 3, 1, 1] }).to({ device: this.imageStd.device }));
    }));
    return pretextView(spec, [0.5, 1]);
  }

  /**
   * The phase of `progress`'s step: generator, then critic (`criticFraction` of
   * the steps), then GAN (`ganFraction`, the last steps) alternating critic and generator.
   * @example method.phaseAt({ step: 0, totalSteps: 100, epoch: 0, stepsPerEpoch: 100 }); // 'generator'
   */
  phaseAt(progress: TrainProgress | undefined): NoGanPhase {
    if (progress === undefined) return 'generator';
    const T = progress.totalSteps;
    const ganStart = T - Math.round(T * this.ganFraction);
    const criticStart = ganStart - Math.round(T * this.criticFraction);
    if (progress.step < criticStart) return 'generator';
    if (progress.step < ganStart) return 'critic';
    return (progress.step - ganStart) % 2 === 0 ? 'gan-critic' : 'gan-generator';
  }

  /**
   * The generator's input for normalised RGB images: their luma in 3 channels, normalised the same way.
   * @example const gray = method.grayInput(x); // (B, 3, H, W)
   */
  grayInput(x: Tensor): Tensor {
    if (!(x instanceof torch.Tensor) || x.dim() !== 4 || x.shape[1] !== 3) {
      throw new RangeError(`Expected RGB images of shape (B, 3, H, W) for DeOldify but received ` +
        (x instanceof torch.Tensor ? `shape [${x.shape.join(', ')}]` : String(x)));
    }
    return torch.noGrad(() => torch.scope(() => {
      const rgb = x.float().mul(this.imageStd).add(this.imageMean);
      const luma = torch.tensor(LUMA, { device: x.device }).view([1, 3, 1, 1]);
      const y = rgb.mul(luma).sum([1], true); // (B, 1, H, W)
      return y.expand([-1, 3, -1, -1]).sub(this.imageMean).div(this.imageStd);
    }));
  }

  /**
   * The generator: normalised gray input (B, 3, H, W) -> the encoder's stages and the predicted image.
   * @example const { pred } = method.generate(method.grayInput(x));
   */
  generate(gray: Tensor): { pred: Tensor; stages: Tensor[] } {
    const stages = encoderStages(this.encoder, gray);
    return { pred: this.decoder.forward(stages, gray), stages };
  }

  /**
   * DeOldify's FeatureLoss: pixel L1 plus the weighted L1 of the frozen feature net's last three stages.
   * @example const l = method.featureLoss(pred, x);
   */
  featureLoss(pred: Tensor, target: Tensor): Tensor {
    const fp = encoderStages(this.featureNet, pred).slice(-3);
    const ft = torch.noGrad(() => torch.scope(() => encoderStages(this.featureNet, target).slice(-3)));
    let loss = l1Loss(pred, target);
    for (let i = 0; i < fp.length; i++) loss = loss.add(l1Loss(fp[i], ft[i]).mul(FEATURE_LOSS_WEIGHTS[i]));
    return loss;
  }

  private criticLoss(real: Tensor, fake: Tensor): Tensor {
    const r = this.critic.forward(real);
    const f = this.critic.forward(fake);
    return binaryCrossEntropyWithLogits(r, torch.onesLike(r)).add(binaryCrossEntropyWithLogits(f, torch.zerosLike(f))).div(2);
  }

  /**
   * The loss of `phase` on normalised RGB images `x`.
   * @example const { loss } = method.phaseLoss(x, 'generator');
   */
  phaseLoss(x: Tensor, phase: NoGanPhase): { loss: Tensor; pred: Tensor; stages: Tensor[] } {
    const gray = this.grayInput(x);
    if (phase === 'critic' || phase === 'gan-critic') {
      const { pred, stages } = torch.noGrad(() => this.generate(gray));
      return { loss: this.criticLoss(x.float(), pred), pred, stages };
    }
    const { pred, stages } = this.generate(gray);
    if (phase === 'generator') return { loss: this.featureLoss(pred, x.float()), pred, stages };
    const logits = this.critic.forward(pred);
    const adversarial = binaryCrossEntropyWithLogits(logits, torch.onesLike(logits));
    const [wa, wf] = GAN_GENERATOR_WEIGHTS;
    return { loss: adversarial.mul(wa).add(this.featureLoss(pred, x.float()).mul(wf)), pred, stages };
  }

  /** The loss of this step's NoGAN phase. @example method.trainingStep([x], progress) */
  trainingStep(views: Tensor[], progress?: TrainProgress): StepOutput {
    const x = checkOneView(views, 'DeOldify');
    this.lastPhase = this.phaseAt(progress);
    const { loss, stages } = this.phaseLoss(x, this.lastPhase);
    const phase = ['generator', 'critic', 'gan-critic', 'gan-generator'].indexOf(this.lastPhase);
    return { loss, embedding: adaptiveAvgPool2d(stages[stages.length - 1], 1).flatten(1).detach(), logs: { phase } };
  }

  /** A generator step of the GAN phase trains the generator only: the critic's gradients are dropped. */
  override beforeOptimizerStep(_progress: TrainProgress): void {
    if (this.lastPhase !== 'gan-generator') return;
    this.critic.zeroGrad();
  }

  /**
   * Colour images (B, 3, H, W) in [0, 1] from the grayscale versions of normalised RGB images `x`. Call `eval()` first.
   * @example const rgb = method.eval().colorize(x);
   */
  colorize(x: Tensor): Tensor {
    return torch.noGrad(() => torch.scope(() =>
      this.generate(this.grayInput(x)).pred.mul(this.imageStd).add(this.imageMean).clamp(0, 1)));
  }

  /**
   * The task's input (the gray image) and target (the colour image), in [0, 1], for previews.
   * @example const { input, target } = method.examples(x); // (B, 1, H, W), (B, 3, H, W)
   */
  examples(x: Tensor): ColourTaskExamples {
    return torch.noGrad(() => torch.scope(() => {
      const gray = this.grayInput(x).mul(this.imageStd).add(this.imageMean).narrow(1, 0, 1);
      return { input: gray.clamp(0, 1), target: x.float().mul(this.imageStd).add(this.imageMean).clamp(0, 1) };
    }));
  }

  /** Weight decay on weights only (the frozen feature net has no trainable parameters). @example method.parameterGroups(1e-3) */
  override parameterGroups(weightDecay: number): ParamGroup[] {
    return paramGroupsWeightDecay([...this.namedParameters()].filter(([, p]) => p.requiresGrad), { weightDecay });
  }
}
