// The Sobel input of DeepCluster (Caron et al. 2018): grayscale, then
// horizontal and vertical Sobel gradients.
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { tensor } from '../../torch/creation';
import { conv2d } from '../../nn/functional/conv';
import { Transform, checkImages } from './transform';

/**
 * (B, C, H, W) images to (B, 2, H, W) Sobel gradients, as DeepCluster's
 * `sobel` module: a 1x1 convolution with weights 1/3 (the channel mean, not
 * luma), then the kernels [[1, 0, -1], [2, 0, -2], [1, 0, -1]] and its
 * transpose with zero padding 1. Single-channel images skip the mean.
 *
 * @example const edges = sobel(images); // (B, 2, H, W)
 */
export function sobel(images: Tensor): Tensor {
  const [, C] = checkImages(images, 'sobel');
  const gray = C === 1 ? images : images.mean([1], true); // (B, 1, H, W)
  const weight = tensor([[[[1, 0, -1], [2, 0, -2], [1, 0, -1]]], [[[1, 2, 1], [0, 0, 0], [-1, -2, -1]]]],
    { dtype: images.dtype, device: images.device }); // (2, 1, 3, 3)
  return conv2d(gray, weight, null, { padding: 1 });
}

/**
 * `sobel` as a pipeline step (the last one: it changes the channel count to 2).
 * @example const pipeline = new Compose([new RandomResizedCrop({ size: 224 }), new Sobel()]);
 */
export class Sobel implements Transform {
  forward(images: Tensor, _generator?: Generator): Tensor {
    return sobel(images);
  }
}
