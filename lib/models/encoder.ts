// What every model of the registry is: a Module with a forward and the size
// of the feature it returns when built with numClasses 0.
import { Tensor } from '../torch';
import { Module } from '../nn';

/**
 * An image encoder: `forward(x)` maps (B, C, H, W) images to (B, numClasses)
 * logits, or to (B, featureDim) features when built with `numClasses: 0`
 * (the classifier is then an `Identity`).
 *
 * @example
 * const enc: Encoder = models.create('resnet18', { numClasses: 0 });
 * enc.forward(torch.randn([2, 3, 64, 64])).shape; // [2, enc.featureDim]
 */
export interface Encoder extends Module {
  /** Size of the pooled feature (the classifier's input): 512 for ResNet-18, 384 for ViT-S. */
  readonly featureDim: number;
  /** The classifier's output size; 0 when the encoder returns features. */
  readonly numClasses: number;
  /**
   * Whether channels-last (NHWC) tensors speed it up on CUDA (the Trainer's
   * `channelsLast: 'auto'`); omitted means yes (convolutional networks). A ViT
   * says false: its only convolution is the patch embedding.
   */
  readonly prefersChannelsLast?: boolean;
  forward(x: Tensor): Tensor;
}
