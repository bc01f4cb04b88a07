// Additive Gaussian pixel noise.
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { where } from '../../torch/functions';
import { Transform, checkImages } from './transform';
import { probability } from '../../torch/arguments';
import { bernoulli, imageNoise, perSampleMask } from './random-params';

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

  constructor(options: { std?: number; p?: number; clip?: boolean } = {}) {
    const std = options.std ?? 0.1;
    if (typeof std !== 'number' || !(std >= 0)) {
      throw new RangeError(`Expected a non-negative std for GaussianNoise but received ${String(std)}`);
    }
    this.std = std;
    this.p = probability(options.p ?? 1, 'GaussianNoise options.p');
    this.clip = options.clip ?? true;
  }

  forward(images: Tensor, generator?: Generator): Tensor {
    const [B] = checkImages(images, 'GaussianNoise');
    const apply = bernoulli(B, this.p, generator);
    let out = images.add(imageNoise(images, generator).mul(this.std));
    if (this.clip) out = out.clamp(0, 1);
    return this.p === 1 ? out : where(perSampleMask(apply, images), out, images);
  }
}
