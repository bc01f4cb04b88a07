// What the classic pretext tasks share: their one augmented view, a small
// classification head, the accuracy they log, and the checks of what data
// they can take (errors name the dataset, its size and what the task needs).
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { Linear } from '../../nn/layers/linear';
import { ReLU } from '../../nn/layers/activation';
import { Sequential } from '../../nn/layers/container';
import { Compose } from '../../data/transforms/compose';
import { RandomHorizontalFlip } from '../../data/transforms/flip';
import { Normalize } from '../../data/transforms/normalize';
import { MultiView, multiCrop } from '../../data/transforms/multi-crop';
import { ImageSpec } from '../method';

/**
 * One view per image: a random resized crop of `scale` at the data's size, a
 * horizontal flip, the dataset's normalisation. The task itself (rotations,
 * tiles, patches) is built from this view inside the training step.
 * @example const aug = pretextView(spec, [0.5, 1]);
 */
export function pretextView(spec: ImageSpec, scale: readonly [number, number]): MultiView {
  return multiCrop({ global: { size: spec.size, scale, n: 1,
    pipeline: new Compose([new RandomHorizontalFlip({ p: 0.5 }), new Normalize({ mean: spec.mean, std: spec.std })]) } });
}

/**
 * The single (B, C, H, W) view of a one-view method, checked.
 * @example const x = checkOneView(views, 'Rotation');
 */
export function checkOneView(views: readonly Tensor[], method: string): Tensor {
  if (!Array.isArray(views) || views.length !== 1 || !(views[0] instanceof torch.Tensor) || views[0].dim() !== 4) {
    throw new RangeError(`${method} expects one view [x] of shape (B, C, H, W) (as its augmentation() gives) but ` +
      `received ${Array.isArray(views) ? `${views.length} item(s)` : String(views)}`);
  }
  return views[0];
}

/**
 * Linear-ReLU-Linear, keys `0.*` and `2.*` as torch.nn.Sequential.
 * @example const head = classifier(9 * 128, 512, 100);
 */
export function classifier(inDim: number, hidden: number, out: number): Sequential {
  return new Sequential(new Linear(inDim, hidden), new ReLU(), new Linear(hidden, out));
}

/**
 * The fraction of rows whose largest logit is the label, as a device scalar (no host read inside the step).
 * @example logs: { accuracy: accuracy(logits, labels) }
 */
export function accuracy(logits: Tensor, labels: Tensor): Tensor {
  return torch.noGrad(() => logits.argmax(1).eq(labels).to('float32').mean());
}

/** "dataset 'x' has" or "the data has", for error messages ("... but the data has 7 x 7 px images"). */
function source(spec: ImageSpec): string {
  return spec.dataset === undefined ? 'the data has' : `dataset '${spec.dataset}' has`;
}

/**
 * Throws unless the images are square and at least `min` px, naming the dataset and its size.
 * @example checkImageSize(spec, 'Rotation', 8, 'square images to rotate by 90 degrees');
 */
export function checkImageSize(spec: ImageSpec, method: string, min: number, why: string): void {
  if (spec.size < min) {
    throw new RangeError(`${method} needs images of at least ${min} x ${min} px (${why}) but ${source(spec)} ` +
      `${spec.size} x ${spec.size} px images`);
  }
}

/**
 * Throws unless the images have 3 colour channels, naming the dataset and its channels.
 * @example checkColour(spec, 'Colorization');
 */
export function checkColour(spec: ImageSpec, method: string, why: string): void {
  if (spec.channels !== 3) {
    throw new RangeError(`${method} needs colour (3-channel RGB) images (${why}) but ${source(spec)} ` +
      `${spec.channels}-channel images of ${spec.size} x ${spec.size} px; use --data photos, cifar10:<dir>, ` +
      'stl10:<dir> or a folder of colour images');
  }
}
