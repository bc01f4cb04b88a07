// Random horizontal flip, per sample.
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { where } from '../../torch/functions';
import { Transform, checkImages } from './transform';
import { probability } from '../../torch/arguments';
import { defineOptions, GivenOptions, option, checkOptionKeys } from '../../torch/option-table';
import { bernoulli, perSampleMask } from './random-params';

/**
 * Mirrors the images where `mask` (B bools) is true, as torchvision's `F.hflip` on those samples.
 * @example const out = hflip(images, torch.tensor([true, false]));
 */
export function hflip(images: Tensor, mask: Tensor): Tensor {
  const [B] = checkImages(images, 'hflip');
  if (!(mask instanceof Tensor) || mask.dim() !== 1 || mask.shape[0] !== B || mask.dtype !== 'bool') {
    throw new RangeError(`Expected a bool mask of shape [${B}] for hflip but received ` +
      (mask instanceof Tensor ? `${mask.dtype} shape [${mask.shape.join(', ')}]` : String(mask)));
  }
  return where(perSampleMask(mask, images), images.flip([3]), images);
}

/** `RandomHorizontalFlip`'s options: defaults and checks. */
export const RANDOM_HORIZONTAL_FLIP_OPTIONS = defineOptions({
  /** Probability of mirroring each image. Default 0.5 (torchvision's). */
  p: option(0.5, probability),
});

/**
 * torchvision's `RandomHorizontalFlip(p)` for a batch: each image is mirrored with probability `p`.
 * @example const out = new RandomHorizontalFlip({ p: 0.5 }).forward(images, g);
 */
export class RandomHorizontalFlip implements Transform {
  readonly p: number;

  constructor(options: GivenOptions<typeof RANDOM_HORIZONTAL_FLIP_OPTIONS.specs> = {}) {
    checkOptionKeys(options, RANDOM_HORIZONTAL_FLIP_OPTIONS.keys, 'RandomHorizontalFlip');
    this.p = RANDOM_HORIZONTAL_FLIP_OPTIONS.resolve(options, (k) => `RandomHorizontalFlip options.${k}`).p;
  }

  forward(images: Tensor, generator?: Generator): Tensor {
    const [B] = checkImages(images, 'RandomHorizontalFlip');
    return hflip(images, bernoulli(B, this.p, generator));
  }
}
