// Random erasing (cutout): a random rectangle per image set to a value, as
// torchvision's RandomErasing (Zhong et al. 2020).
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { arange } from '../../torch/creation';
import { stack, where } from '../../torch/functions';
import { Transform, checkBoxes, checkImages } from './transform';
import { probability } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option, checkOptionKeys } from '../../torch/option-table';
import { bernoulli, boxCandidates, boxOffsets, imageNoise } from './random-params';

const TRIES = 10;

/** The erased boxes' options (`randomErasingParams`); defaults as torchvision's `RandomErasing`. */
export const ERASING_BOX_OPTIONS = defineOptions({
  /** Probability of erasing a box in each image. Default 0.5. */
  p: option(0.5, probability),
  /** Range of the box's area as a fraction of the image. Default [0.02, 0.33]. */
  scale: option([0.02, 0.33] as const, is.range(0)),
  /** Range of the box's aspect ratio, drawn log-uniformly. Default [0.3, 3.3]. */
  ratio: option([0.3, 3.3] as const, is.range(Number.MIN_VALUE)),
});

/** `RandomErasing`'s options: the boxes' and the fill. */
export const RANDOM_ERASING_OPTIONS = defineOptions({
  ...ERASING_BOX_OPTIONS.specs,
  /** What the box is set to: a number, or 'random' for N(0, 1) noise. Default 0. */
  value: option<number | 'random'>(0, (v, what) => {
    if (v !== 'random' && typeof v !== 'number') throw new TypeError(`Expected a number or 'random' for ${what} but received ${String(v)}`);
    return v;
  }),
});

const what = (k: string): string => `RandomErasing options.${k}`;

/**
 * Per-sample rectangles with torchvision's `RandomErasing.get_params`
 * semantics: up to 10 tries of (area uniform in `scale` of the image, aspect
 * ratio log-uniform in `ratio`, rounded sides strictly smaller than the image),
 * the first that fits wins; a sample with none (or not picked with probability
 * `p`) gets an empty box (height = width = 0), which erases nothing.
 *
 * Returns (B, 4) int64 [top, left, height, width] on the CPU.
 *
 * @example const boxes = randomErasingParams(256, 32, 32, { p: 0.5 }, g);
 */
export function randomErasingParams(batch: number, height: number, width: number,
  options: GivenOptions<typeof ERASING_BOX_OPTIONS.specs> = {}, generator?: Generator): Tensor {
  const { p, scale, ratio } = ERASING_BOX_OPTIONS.resolve(options, what);
  const apply = bernoulli(batch, p, generator);
  const { areas: eraseArea, aspects: aspect } = boxCandidates(batch, TRIES, height * width, scale, ratio, generator);
  // torchvision: h from area * ratio, w from area / ratio (the reverse of RandomResizedCrop).
  const h = eraseArea.mul(aspect).sqrt().round();
  const w = eraseArea.div(aspect).sqrt().round();
  const valid = h.lt(height).logicalAnd(w.lt(width));
  const first = valid.logicalAnd(valid.cumsum(1).eq(1));
  const keep = valid.any(1).logicalAnd(apply);
  const hh = where(keep, h.mul(first).sum(1), 0);
  const ww = where(keep, w.mul(first).sum(1), 0);
  const top = boxOffsets(height, hh, generator);
  const left = boxOffsets(width, ww, generator);
  return stack([top, left, hh, ww], 1).to('int64');
}

/**
 * Sets box b = [top, left, height, width] of image b to `value` (a number, or
 * image-shaped values such as noise), as torchvision's `F.erase` per sample.
 * @example const out = erase(images, boxes, 0);
 */
export function erase(images: Tensor, boxes: Tensor, value: Tensor | number = 0): Tensor {
  const [B, , H, W] = checkImages(images, 'erase');
  const b = checkBoxes(boxes, B, 'erase').to({ device: images.device, dtype: 'int64' });
  const [top, left, h, w] = b.unbind(1).map((t) => t.unsqueeze(1)); // (B, 1) each
  const rows = arange(H, { device: images.device }).unsqueeze(0); // (1, H)
  const cols = arange(W, { device: images.device }).unsqueeze(0);
  const inRows = rows.ge(top).logicalAnd(rows.lt(top.add(h))); // (B, H)
  const inCols = cols.ge(left).logicalAnd(cols.lt(left.add(w))); // (B, W)
  const mask = inRows.unsqueeze(2).logicalAnd(inCols.unsqueeze(1)).unsqueeze(1); // (B, 1, H, W)
  return where(mask, value, images);
}

/**
 * torchvision's `RandomErasing(p, scale, ratio, value)` for a batch. `value`
 * 'random' fills with N(0, 1) noise (drawn as in `GaussianNoise`: from
 * `generator` on the CPU, from the device's generator on CUDA).
 *
 * @example const out = new RandomErasing({ p: 0.5, scale: [0.02, 0.33] }).forward(images, g);
 */
export class RandomErasing implements Transform {
  readonly p: number;
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly value: number | 'random';

  constructor(options: GivenOptions<typeof RANDOM_ERASING_OPTIONS.specs> = {}) {
    checkOptionKeys(options, RANDOM_ERASING_OPTIONS.keys, 'RandomErasing');
    const o = RANDOM_ERASING_OPTIONS.resolve(options, what);
    this.p = o.p;
    this.scale = [...o.scale];
    this.ratio = [...o.ratio];
    this.value = o.value;
  }

  forward(images: Tensor, generator?: Generator): Tensor {
    const [B, , H, W] = checkImages(images, 'RandomErasing');
    const boxes = randomErasingParams(B, H, W, this, generator);
    const value = this.value === 'random' ? imageNoise(images, generator) : this.value;
    return erase(images, boxes, value);
  }
}
