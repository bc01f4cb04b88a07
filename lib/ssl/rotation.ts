// Rotation prediction (Gidaris, Singh & Komodakis 2018, "Unsupervised
// Representation Learning by Predicting Image Rotations"): every image is
// shown at 0, 90, 180 and 270 degrees and the network says which.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { crossEntropy } from '../nn/functional/loss';
import { defineOptions, is, option, TableValues } from '../torch/option-table';
import { Encoder } from '../models/encoder';
import { Sequential } from '../nn/layers/container';
import { MultiView } from '../data/transforms/multi-crop';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { makeEncoder } from './encoder-spec';
import { MethodOptions, resolveRecipe } from './method-options';
import { accuracy, checkImageSize, checkOneView, classifier, pretextView } from './pretext/pretext-common';

/** Rotation's options besides the encoder and the recipe: defaults and checks. */
export const ROTATION_OPTIONS = defineOptions({
  /** Hidden width of the rotation classifier. Default 512. */
  hiddenDim: option(512, is.int(1)),
});

/** Options of `Rotation`: the encoder (a name, a factory or an instance), `ROTATION_OPTIONS`, and recipe overrides. */
export type RotationOptions = MethodOptions<typeof ROTATION_OPTIONS>;

/**
 * RotNet's optimisation (section 4.1): "SGD with batch size 128, momentum
 * 0.9, weight decay 5e-4 and lr of 0.1" (the batch holds 4 x 128 rotated
 * images), stepwise decay in the paper; a cosine here as for every method.
 */
export const ROTATION_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'sgd', lr: 0.1 * 256 / 128, lrScaling: 'linear', finalLrRatio: 0, weightDecay: 5e-4, momentum: 0.9,
  warmupEpochs: 0,
});

/**
 * Rotation prediction: `encoder` and `rotation_head` (Linear-ReLU-Linear to 4
 * classes). Section 3.2: "we feed the ConvNet model all four rotated copies of
 * an image simultaneously", so each step sees 4B images, labelled 0 (0
 * degrees), 1 (90), 2 (180), 3 (270, all counter-clockwise). The loss is the
 * cross entropy over the 4 classes; `rotationAccuracy` is logged.
 *
 * @example
 * const method = new ssl.Rotation({ encoder: 'small_cnn', encoderOptions: { inChannels: 1 } });
 * const { loss } = method.trainingStep(method.augmentation(spec).forward(images01), progress);
 */
export interface Rotation extends Readonly<TableValues<typeof ROTATION_OPTIONS>> {}
export class Rotation extends Method {
  readonly name = 'rotation' as const;
  readonly encoder: Encoder;
  readonly rotationHead: Sequential;
  readonly recipe: OptimizerRecipe;

  constructor(options: RotationOptions) {
    super();
    this.useOptions(ROTATION_OPTIONS, options);
    this.recipe = resolveRecipe(ROTATION_RECIPE, options.recipe, 'Rotation');
    this.encoder = this.registerModule('encoder',
      makeEncoder(options.encoder, options.encoderOptions, { needsFactory: false, method: 'Rotation' })());
    this.rotationHead = this.registerModule('rotation_head', classifier(this.encoder.featureDim, this.hiddenDim, 4));
  }

  /** One view: random resized crop (scale [0.5, 1]), flip, normalisation. @example method.augmentation(spec) */
  augmentation(spec: ImageSpec): MultiView {
    checkImageSize(spec, 'Rotation', 4, 'square images to rotate');
    return pretextView(spec, [0.5, 1]);
  }

  /**
   * The four rotations of every image (4B, C, H, W), in blocks of B, and their labels (4B).
   * @example const { images, labels } = method.rotations(x);
   */
  rotations(x: Tensor): { images: Tensor; labels: Tensor } {
    const [B, , H, W] = x.shape;
    if (x.dim() !== 4 || H !== W) {
      throw new RangeError(`Rotation expects square (B, C, H, W) images but received [${x.shape.join(', ')}]`);
    }
    const labels = torch.arange(4, { device: x.device }).view([4, 1]).expand([4, B]).reshape([-1]); // 0..0, 1..1, ...
    // The four blocks directly, not rotate90 of 4 copies (which builds all four rotations of every copy and
    // keeps a quarter of them); flip before transposing, as torch.rot90, so each flip reads contiguous memory.
    const images = torch.cat([x, x.flip([3]).transpose(2, 3), x.flip([2, 3]), x.flip([2]).transpose(2, 3)], 0);
    return { images, labels };
  }

  /** Cross entropy of the 4-way rotation classifier over all four rotations. @example method.trainingStep([x], progress) */
  trainingStep(views: Tensor[], _progress?: TrainProgress): StepOutput {
    const x = checkOneView(views, 'Rotation');
    const { images, labels } = this.rotations(x);
    const h = this.encoder.forward(images); // (4B, D)
    const logits = this.rotationHead.forward(h); // (4B, 4)
    return {
      loss: crossEntropy(logits.float(), labels),
      embedding: h.narrow(0, 0, x.shape[0]).detach(),
      logs: { rotationAccuracy: accuracy(logits, labels) },
    };
  }
}
