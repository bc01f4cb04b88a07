// Additive Gaussian pixel noise.
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { where } from '../../torch/functions';
import { Transform, checkImages } from './transform';
import { probability } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option, checkOptionKeys } from '../../torch/option-table';
import { bernoulli, imageNoise, perSampleMask } from './random-params';

/** `GaussianNoise`'s options: defaults and checks. */
export const GAUSSIAN_NOISE_OPTIONS = defineOptions({
  /** Standard deviation of the noise, in [0, 1] pixel units. Default 0.1. */
  std: option(0.1, (std: unknown): number => {
    if (typeof std !== 'number' || !(std >= 0)) {
      throw new RangeError(`Expected a non-negative std for GaussianNoise but received ${String(std)}`);
    }
    return std;
  }),
  /** Probability of adding noise to each image. Default 1. */
  p: option(1, probability),
  /** Clamp the result to [0, 1]. Default true. */
  clip: option(true, is.boolean),
});

/**
 * Adds N(0, std^2) noise to every pixel of the images picked with probability
 * `p`, then clamps to [0, 1] (unless `clip` is false).
 *
 * NOTE: the noise is image-sized, so it is drawn on the images' device
 * (`imageNoise`): from `generator` on the CPU, from the device's default
 * generator (seeded by `torch.manualSeed`) on CUDA.
 *
 * @example const out = new GaussianNoise({ std: 0.05 }).forward(images, g);
 */
export class GaussianNoise implements Transform {
  readonly std: number;
  readonly p: number;
  readonly clip: boolean;

  constructor(options: GivenOptions<typeof GAUSSIAN_NOISE_OPTIONS.specs> = {}) {
    checkOptionKeys(options, GAUSSIAN_NOISE_OPTIONS.keys, 'GaussianNoise');
    const o = GAUSSIAN_NOISE_OPTIONS.resolve(options, (k) => `GaussianNoise options.${k}`);
    this.std = o.std;
    this.p = o.p;
    this.clip = o.clip;
  }

  forward(images: Tensor, generator?: Generator): Tensor {
    const [B] = checkImages(images, 'GaussianNoise');
    const apply = bernoulli(B, this.p, generator);
    let out = images.add(imageNoise(images, generator).mul(this.std));
    if (this.clip) out = out.clamp(0, 1);
    return this.p === 1 ? out : where(perSampleMask(apply, images), out, images);
  }
}
