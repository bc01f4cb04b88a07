// Rotations by multiples of 90 degrees, with labels, for rotation prediction
// (RotNet, Gidaris et al. 2018).
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { arange, randint } from '../../torch/creation';
import { stack } from '../../torch/functions';
import { checkImages } from './transform';

/**
 * Rotates image b by `k[b]` x 90 degrees counter-clockwise (k in 0..3, int64),
 * as `torch.rot90(image, k[b], [1, 2])` per sample. Images must be square so
 * the batch keeps one shape.
 *
 * @example const out = rotate90(images, torch.tensor([0, 1, 2, 3], { dtype: 'int64' }));
 */
export function rotate90(images: Tensor, k: Tensor): Tensor {
  const [B, , H, W] = checkImages(images, 'rotate90');
  if (H !== W) throw new RangeError(`Expected square images for rotate90 but received ${H}x${W}`);
  if (!(k instanceof Tensor) || k.dim() !== 1 || k.shape[0] !== B) {
    throw new RangeError(`Expected one rotation per image, shape [${B}], for rotate90 but received ` +
      (k instanceof Tensor ? `shape [${k.shape.join(', ')}]` : String(k)));
  }
  const t = images.transpose(2, 3);
  const all = stack([images, t.flip([2]), images.flip([2, 3]), t.flip([3])], 0); // (4, B, C, H, W): 0, 90, 180, 270
  const dev = images.device;
  return all.index([k.to({ device: dev, dtype: 'int64' }).remainder(4), arange(B, { device: dev })]);
}

/**
 * Rotates every image by a random multiple of 90 degrees; `labels` (int64, on
 * the images' device) says which (0: none, 1: 90, 2: 180, 3: 270 degrees counter-clockwise).
 *
 * @example
 * const { images: rotated, labels } = randomRotation90(images, g);
 * const loss = F.crossEntropy(head.forward(encoder.forward(rotated)), labels);
 */
export function randomRotation90(images: Tensor, generator?: Generator): { images: Tensor; labels: Tensor } {
  const [B] = checkImages(images, 'randomRotation90');
  const k = randint(0, 4, [B], { dtype: 'int64', generator });
  return { images: rotate90(images, k), labels: k.to({ device: images.device }) };
}
