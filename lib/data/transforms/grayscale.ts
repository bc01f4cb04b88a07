// Grayscale conversion and random grayscale.
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { where } from '../../torch/functions';
import { Transform, checkImages } from './transform';
import { probability } from '../../torch/arguments';
import { defineOptions, GivenOptions, option, checkOptionKeys } from '../../torch/option-table';
import { bernoulli, perSampleMask } from './random-params';

/**
 * Luma of RGB images, as torchvision's `F.rgb_to_grayscale`: ITU-R 601-2
 * weights (torchvision writes 0.2989, 0.587, 0.114), repeated to
 * `numOutputChannels` (1 or 3). Single-channel images are returned as they are
 * (a copy when 3 channels are asked for: repeated).
 *
 * @example const gray = rgbToGrayscale(images, 3); // (B, 3, H, W), equal channels
 */
export function rgbToGrayscale(images: Tensor, numOutputChannels: 1 | 3 = 1): Tensor {
  const [B, C, H, W] = checkImages(images, 'rgbToGrayscale');
  if (C !== 1 && C !== 3) throw new RangeError(`Expected 1 or 3 channels for rgbToGrayscale but received ${C}`);
  if (numOutputChannels !== 1 && numOutputChannels !== 3) {
    throw new RangeError(`Expected 1 or 3 for numOutputChannels but received ${String(numOutputChannels)}`);
  }
  let gray = images;
  if (C === 3) {
    const [r, g, b] = images.unbind(1);
    gray = r.mul(0.2989).add(g.mul(0.587)).add(b.mul(0.114)).unsqueeze(1); // (B, 1, H, W)
  }
  return numOutputChannels === 3 ? gray.expand([B, 3, H, W]) : gray;
}

/** `RandomGrayscale`'s options: defaults and checks. */
export const RANDOM_GRAYSCALE_OPTIONS = defineOptions({
  /** Probability of graying each RGB image. Default 0.1 (torchvision's). */
  p: option(0.1, probability),
});

/**
 * torchvision's `RandomGrayscale(p)` for a batch: each RGB image becomes gray
 * (3 equal channels) with probability `p`. Single-channel images are already
 * gray: a no-op.
 *
 * @example const out = new RandomGrayscale({ p: 0.2 }).forward(images, g);
 */
export class RandomGrayscale implements Transform {
  readonly p: number;

  constructor(options: GivenOptions<typeof RANDOM_GRAYSCALE_OPTIONS.specs> = {}) {
    checkOptionKeys(options, RANDOM_GRAYSCALE_OPTIONS.keys, 'RandomGrayscale');
    this.p = RANDOM_GRAYSCALE_OPTIONS.resolve(options, (k) => `RandomGrayscale options.${k}`).p;
  }

  forward(images: Tensor, generator?: Generator): Tensor {
    const [B, C] = checkImages(images, 'RandomGrayscale');
    // Draw even when it is a no-op, so the random stream does not depend on the channel count.
    const mask = bernoulli(B, this.p, generator);
    if (C === 1) return images;
    return where(perSampleMask(mask, images), rgbToGrayscale(images, 3), images);
  }
}
