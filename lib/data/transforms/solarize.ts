// Solarization: invert the pixels above a threshold.
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { where } from '../../torch/functions';
import { Transform, checkImages } from './transform';
import { probability } from '../../torch/arguments';
import { defineOptions, GivenOptions, option, checkOptionKeys } from '../../torch/option-table';
import { bernoulli, perSampleMask } from './random-params';

/**
 * `1 - x` where `x >= threshold`, as torchvision's `F.solarize` on float images.
 * @example const out = solarize(images, 0.5);
 */
export function solarize(images: Tensor, threshold = 0.5): Tensor {
  checkImages(images, 'solarize');
  return where(images.ge(threshold), images.neg().add(1), images);
}

/** `RandomSolarize`'s options: defaults and checks. */
export const RANDOM_SOLARIZE_OPTIONS = defineOptions({
  /** Pixels at or above it are inverted. Default 0.5 (PIL's 128 of 255). */
  threshold: option(0.5, (t: unknown): number => {
    if (typeof t !== 'number' || !(t >= 0 && t <= 1)) {
      throw new RangeError(`Expected a threshold in [0, 1] for RandomSolarize but received ${String(t)}`);
    }
    return t;
  }),
  /** Probability of solarizing each image. Default 0.5 (torchvision's). */
  p: option(0.5, probability),
});

/**
 * torchvision's `RandomSolarize(threshold, p)` for a batch.
 * BYOL (Grill et al. 2020, table 6) solarizes the second view with p = 0.2 at
 * threshold 0.5 (PIL's 128 of 255).
 *
 * @example const out = new RandomSolarize({ p: 0.2 }).forward(images, g);
 */
export class RandomSolarize implements Transform {
  readonly threshold: number;
  readonly p: number;

  constructor(options: GivenOptions<typeof RANDOM_SOLARIZE_OPTIONS.specs> = {}) {
    checkOptionKeys(options, RANDOM_SOLARIZE_OPTIONS.keys, 'RandomSolarize');
    const o = RANDOM_SOLARIZE_OPTIONS.resolve(options, (k) => `RandomSolarize options.${k}`);
    this.threshold = o.threshold;
    this.p = o.p;
  }

  forward(images: Tensor, generator?: Generator): Tensor {
    const [B] = checkImages(images, 'RandomSolarize');
    const apply = bernoulli(B, this.p, generator);
    if (this.p === 0) return images;
    return where(perSampleMask(apply, images), solarize(images, this.threshold), images);
  }
}
