// The contract every batched augmentation follows, and the checks on its input.
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { isFloatingPoint } from '../../torch/dtype';

/**
 * A batched augmentation: float images (B, C, H, W) in [0, 1] on any device in,
 * the same kind out (crops change H and W). Per-sample random parameters come
 * from `generator` (a CPU `torch.Generator`; the global one when omitted), so
 * the same seed gives the same output on every run and on every device.
 *
 * @example
 * const flip = new RandomHorizontalFlip({ p: 0.5 });
 * const out = flip.forward(images, new torch.Generator().manualSeed(0));
 */
export interface Transform {
  /** Applies the augmentation to a batch. */
  forward(images: Tensor, generator?: Generator): Tensor;
}

/**
 * Checks that `images` is a floating point (B, C, H, W) batch and returns its shape.
 * @example const [B, C, H, W] = checkImages(images, 'ColorJitter');
 */
export function checkImages(images: unknown, what: string): [number, number, number, number] {
  if (!(images instanceof Tensor)) {
    throw new TypeError(`Expected a Tensor of images (B, C, H, W) for ${what} but received ${String(images)}`);
  }
  const s = images.shape;
  if (s.length !== 4) {
    throw new RangeError(`Expected images of shape (B, C, H, W) for ${what} but received shape [${s.join(', ')}]`);
  }
  if (!isFloatingPoint(images.dtype)) {
    throw new TypeError(`Expected floating point images in [0, 1] for ${what} but received dtype ${images.dtype}; ` +
      `convert uint8 images with toFloatImages(images)`);
  }
  return [s[0], s[1], s[2], s[3]];
}

/**
 * Checks per-sample boxes: a (B, 4) tensor of [top, left, height, width].
 * @example checkBoxes(boxes, B, 'erase');
 */
export function checkBoxes(boxes: unknown, batch: number, what: string): Tensor {
  if (!(boxes instanceof Tensor) || boxes.dim() !== 2 || boxes.shape[0] !== batch || boxes.shape[1] !== 4) {
    throw new RangeError(`Expected boxes of shape [${batch}, 4] (top, left, height, width) for ${what} but received ` +
      (boxes instanceof Tensor ? `shape [${boxes.shape.join(', ')}]` : String(boxes)));
  }
  return boxes;
}

