// Gaussian blur with a per-sample sigma, as torchvision's GaussianBlur,
// computed for the whole batch as two grouped 1-D convolutions.
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { linspace } from '../../torch/creation';
import { where } from '../../torch/functions';
import { conv2d } from '../../nn/functional/conv';
import { pad } from '../../nn/functional/sampling';
import { checkInt, probability } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option, OPTIONAL, checkOptionKeys } from '../../torch/option-table';
import { Transform, checkImages } from './transform';
import { bernoulli, perSampleMask, uniform } from './random-params';

/**
 * The kernel size SimCLR uses: 10% of the image side, made odd
 * (Chen et al. 2020, appendix A: "kernel size is 10% of the image height/width"). 224 -> 23, 32 -> 3.
 * @example simclrKernelSize(224) // 23
 */
export function simclrKernelSize(imageSize: number): number {
  const k = Math.max(1, Math.floor(0.1 * checkInt(imageSize, 'imageSize', 1)));
  return k % 2 === 0 ? k + 1 : k;
}

/**
 * Blurs image b with a `kernelSize` x `kernelSize` Gaussian of standard
 * deviation `sigmas[b]` (one number, or one per image), as torchvision's
 * `F.gaussian_blur(img, kernelSize, sigma)`: kernel
 * exp(-x^2 / (2 sigma^2)) / sum on x = -(k-1)/2 .. (k-1)/2, reflect padding.
 *
 * NOTE: the 2-D kernel is the outer product of two 1-D kernels, so the blur is
 * a vertical then a horizontal grouped convolution over (1, B*C, H, W), one
 * group per image channel: O(k) per pixel instead of O(k^2), equal to the 2-D
 * convolution to float rounding.
 *
 * @example const out = gaussianBlur(images, 23, torch.tensor([0.5, 1.5]));
 */
export function gaussianBlur(images: Tensor, kernelSize: number, sigmas: Tensor | number): Tensor {
  const [B, C, H, W] = checkImages(images, 'gaussianBlur');
  const k = checkInt(kernelSize, 'kernelSize', 1);
  if (k % 2 === 0) throw new RangeError(`Expected an odd kernelSize for gaussianBlur but received ${k}`);
  const half = (k - 1) / 2;
  if (half >= H || half >= W) {
    throw new RangeError(`Expected kernelSize below twice the image size for reflect padding, [${H}, ${W}], but ` +
      `received ${k}`);
  }
  const dev = images.device;
  const sigma = typeof sigmas === 'number'
    ? linspace(sigmas, sigmas, B, { dtype: images.dtype, device: dev })
    : sigmas.to({ device: dev, dtype: images.dtype });
  if (sigma.dim() !== 1 || sigma.shape[0] !== B) {
    throw new RangeError(`Expected one sigma per image, shape [${B}], but received shape [${sigma.shape.join(', ')}]`);
  }
  const x = linspace(-half, half, k, { dtype: images.dtype, device: dev }).unsqueeze(0); // (1, k)
  const pdf = x.div(sigma.unsqueeze(1)).square().mul(-0.5).exp(); // (B, k)
  const kernel = pdf.div(pdf.sum(1, true)).unsqueeze(1).expand([B, C, k]).reshape([B * C, 1, k]); // one per channel
  const flat = pad(images.reshape([1, B * C, H, W]), [half, half, half, half], { mode: 'reflect' });
  const vertical = conv2d(flat, kernel.unsqueeze(3), null, { groups: B * C }); // (1, B*C, H, W + 2 half)
  const both = conv2d(vertical, kernel.unsqueeze(2), null, { groups: B * C }); // (1, B*C, H, W)
  return both.view([B, C, H, W]);
}

/** `GaussianBlur`'s options: defaults and checks. */
export const GAUSSIAN_BLUR_OPTIONS = defineOptions({
  /** Odd kernel size; default `simclrKernelSize` of the image height. */
  kernelSize: option(OPTIONAL, (v: unknown, what: string): number => {
    const k = checkInt(v, what, 1);
    if (k % 2 === 0) throw new RangeError(`Expected an odd ${what} but received ${k}`);
    return k;
  }),
  /** Range of sigma, drawn uniformly per image. Default [0.1, 2.0] (SimCLR, BYOL, DINO). */
  sigma: option([0.1, 2.0] as const, is.range(Number.MIN_VALUE)),
  /** Probability of blurring each image. Default 0.5. */
  p: option(0.5, probability),
});

/** Options of `GaussianBlur`. */
export type GaussianBlurOptions = GivenOptions<typeof GAUSSIAN_BLUR_OPTIONS.specs>;

/**
 * torchvision's `RandomApply([GaussianBlur(kernelSize, sigma)], p)` for a batch:
 * each image is blurred with probability `p` at its own sigma.
 *
 * @example
 * const blur = new GaussianBlur({ sigma: [0.1, 2.0], p: 0.5 }); // SimCLR on ImageNet
 * const out = blur.forward(images, g);
 */
export class GaussianBlur implements Transform {
  readonly kernelSize: number | null;
  readonly sigma: [number, number];
  readonly p: number;

  constructor(options: GaussianBlurOptions = {}) {
    checkOptionKeys(options, GAUSSIAN_BLUR_OPTIONS.keys, 'GaussianBlur');
    const o = GAUSSIAN_BLUR_OPTIONS.resolve(options, (k) => `GaussianBlur options.${k}`);
    this.kernelSize = o.kernelSize ?? null; // null: simclrKernelSize of each batch's height
    this.sigma = [...o.sigma];
    this.p = o.p;
  }

  forward(images: Tensor, generator?: Generator): Tensor {
    const [B, , H] = checkImages(images, 'GaussianBlur');
    const apply = bernoulli(B, this.p, generator);
    const sigmas = uniform(B, this.sigma[0], this.sigma[1], generator);
    if (this.p === 0) return images;
    const blurred = gaussianBlur(images, this.kernelSize ?? simclrKernelSize(H), sigmas);
    return this.p === 1 ? blurred : where(perSampleMask(apply, images), blurred, images);
  }
}
