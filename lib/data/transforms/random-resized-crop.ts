// Random resized crop: per-sample boxes as torchvision's
// RandomResizedCrop.get_params, cut and resized for the whole batch in one
// gridSample.
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { arange } from '../../torch/creation';
import { clamp, stack, where } from '../../torch/functions';
import { gridSample } from '../../nn/functional/sampling';
import { checkInt } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option, checkOptionKeys } from '../../torch/option-table';
import { Transform, checkBoxes, checkImages } from './transform';
import { boxCandidates, boxOffsets } from './random-params';

/** The crop boxes' options (`randomResizedCropParams`); defaults as torchvision's `RandomResizedCrop`. */
export const CROP_BOX_OPTIONS = defineOptions({
  /** Range of the crop's area as a fraction of the image. Default [0.08, 1]. */
  scale: option([0.08, 1] as const, is.range(0)),
  /** Range of the crop's aspect ratio (width / height), drawn log-uniformly. Default [3/4, 4/3]. */
  ratio: option([3 / 4, 4 / 3] as const, is.range(Number.MIN_VALUE)),
});

/** The resampling's options (`resizedCrop`). */
export const RESIZE_OPTIONS = defineOptions({
  /** Resampling. Default 'bilinear' (torchvision's default); the DINO, BYOL and MAE code use bicubic. */
  interpolation: option<'bilinear' | 'bicubic'>('bilinear', (v, what) => {
    if (v !== 'bilinear' && v !== 'bicubic') throw new TypeError(`Expected 'bilinear' or 'bicubic' for ${what} but received ${String(v)}`);
    return v;
  }),
});

/** `RandomResizedCrop`'s options with a default: the boxes' and the resampling's. */
export const RANDOM_RESIZED_CROP_OPTIONS = defineOptions({ ...CROP_BOX_OPTIONS.specs, ...RESIZE_OPTIONS.specs });

/** Options of `RandomResizedCrop`; defaults as torchvision's `RandomResizedCrop`. */
export interface RandomResizedCropOptions extends GivenOptions<typeof RANDOM_RESIZED_CROP_OPTIONS.specs> {
  /** Output size: one number (square) or [height, width]. */
  size: number | readonly [number, number];
}

/** How many candidate boxes each sample draws before the centre-crop fallback (torchvision: 10). */
const TRIES = 10;

/**
 * Per-sample crop boxes with torchvision's `RandomResizedCrop.get_params`
 * semantics: up to 10 tries of (area uniform in `scale`, aspect ratio
 * log-uniform in `ratio`, rounded sides), the first that fits wins, otherwise
 * a centre crop at the nearest allowed ratio. All B x 10 candidates are drawn
 * at once; the first valid one is picked with a cumulative sum.
 *
 * Returns (B, 4) int64 [top, left, height, width] on the CPU.
 *
 * @example
 * const boxes = randomResizedCropParams(256, 32, 32, { scale: [0.08, 1] }, g); // (256, 4)
 */
export function randomResizedCropParams(batch: number, height: number, width: number,
  options: GivenOptions<typeof CROP_BOX_OPTIONS.specs> = {}, generator?: Generator): Tensor {
  const { scale, ratio: [r0, r1] } = CROP_BOX_OPTIONS.resolve(options, (k) => `options.${k}`);
  const { areas: targetArea, aspects: aspect } = boxCandidates(batch, TRIES, height * width, scale, [r0, r1], generator);
  // NOTE: torch.round rounds half to even, as Python's round() in torchvision.
  const w = targetArea.mul(aspect).sqrt().round(); // (B, TRIES)
  const h = targetArea.div(aspect).sqrt().round();
  const valid = w.gt(0).logicalAnd(w.le(width)).logicalAnd(h.gt(0)).logicalAnd(h.le(height));
  const first = valid.logicalAnd(valid.cumsum(1).eq(1)); // exactly one true per row that has a valid try
  const found = valid.any(1);
  // Centre-crop fallback, as torchvision: clamp the image's own ratio into `ratio`.
  const inRatio = width / height;
  let fw = width;
  let fh = height;
  if (inRatio < Math.min(r0, r1)) fh = Math.round(fw / Math.min(r0, r1));
  else if (inRatio > Math.max(r0, r1)) fw = Math.round(fh * Math.max(r0, r1));
  const hh = where(found, h.mul(first).sum(1), fh);
  const ww = where(found, w.mul(first).sum(1), fw);
  // torch.randint(0, height - h + 1) per sample, as floor(u * (height - h + 1)).
  const top = where(found, boxOffsets(height, hh, generator), Math.floor((height - fh) / 2));
  const left = where(found, boxOffsets(width, ww, generator), Math.floor((width - fw) / 2));
  return stack([top, left, hh, ww], 1).to('int64');
}

function outputSize(size: number | readonly number[], what: string): [number, number] {
  if (typeof size === 'number') return [checkInt(size, what, 1), checkInt(size, what, 1)];
  if (Array.isArray(size) && size.length === 2) return [checkInt(size[0], `${what}[0]`, 1), checkInt(size[1], `${what}[1]`, 1)];
  throw new TypeError(`Expected a positive integer or [height, width] for ${what} but received ${JSON.stringify(size)}`);
}

/**
 * Crops box b = [top, left, height, width] of image b and resizes it to
 * `size`, for the whole batch in one `gridSample`: torchvision's
 * `F.resized_crop(img, top, left, height, width, size)` on every sample.
 *
 * The sampling grid is the affine map of the box onto the output (what
 * `affineGrid` would build from a per-sample scale and translation), with
 * source coordinates `top + (y + 0.5) * height / outHeight - 0.5` (half-pixel
 * centres, align_corners=False), clamped to the box's first and last pixel
 * centres.
 * NOTE: the clamp makes bilinear sampling equal to `F.interpolate` of the cut
 * crop (torchvision 0.14 on tensors: bilinear, no antialias), edges included.
 * Bicubic reads two neighbours beyond the box edge from the image where
 * `F.interpolate` repeats the edge pixel, so only the outermost output row and
 * column can differ.
 *
 * @example
 * const boxes = torch.tensor([[0, 0, 16, 16], [8, 8, 24, 24]], { dtype: 'int64' });
 * const crops = resizedCrop(images, boxes, 32); // (2, C, 32, 32)
 */
export function resizedCrop(images: Tensor, boxes: Tensor, size: number | readonly [number, number],
  options: GivenOptions<typeof RESIZE_OPTIONS.specs> = {}): Tensor {
  const [B, , H, W] = checkImages(images, 'resizedCrop');
  const { interpolation } = RESIZE_OPTIONS.resolve(options, (k) => `options.${k}`);
  checkBoxes(boxes, B, 'resizedCrop');
  const [oh, ow] = outputSize(size, 'size');
  const dev = images.device;
  const b = boxes.to({ device: dev, dtype: images.dtype });
  const axis = (start: Tensor, length: Tensor, n: number, full: number): Tensor => {
    const centres = arange(n, { device: dev, dtype: images.dtype }).add(0.5).unsqueeze(0); // (1, n)
    const src = centres.mul(length.div(n)).add(start).sub(0.5); // (B, n) in input pixels
    const clamped = clamp(src, start, start.add(length).sub(1));
    return clamped.mul(2).add(1).div(full).sub(1); // normalised, align_corners=False
  };
  const top = b.narrow(1, 0, 1);
  const left = b.narrow(1, 1, 1);
  const gy = axis(top, b.narrow(1, 2, 1), oh, H).unsqueeze(2).expand([B, oh, ow]);
  const gx = axis(left, b.narrow(1, 3, 1), ow, W).unsqueeze(1).expand([B, oh, ow]);
  const grid = stack([gx, gy], 3); // (B, oh, ow, 2) of (x, y)
  return gridSample(images, grid, { mode: interpolation, paddingMode: 'border', alignCorners: false });
}

/**
 * torchvision's `RandomResizedCrop` for a batch: a random box per image, each
 * resized to `size`. Bicubic output is clamped to [0, 1] (as the PIL images of
 * the reference code are).
 *
 * @example
 * const crop = new RandomResizedCrop({ size: 32, scale: [0.08, 1] });
 * const views = crop.forward(images, g); // (B, C, 32, 32)
 */
export class RandomResizedCrop implements Transform {
  readonly size: [number, number];
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly interpolation: 'bilinear' | 'bicubic';

  constructor(options: RandomResizedCropOptions) {
    checkOptionKeys(options, [...RANDOM_RESIZED_CROP_OPTIONS.keys, 'size'], 'RandomResizedCrop');
    this.size = outputSize(options.size, 'RandomResizedCrop options.size');
    const o = RANDOM_RESIZED_CROP_OPTIONS.resolve(options, (k) => `RandomResizedCrop options.${k}`);
    this.scale = [...o.scale];
    this.ratio = [...o.ratio];
    this.interpolation = o.interpolation;
  }

  forward(images: Tensor, generator?: Generator): Tensor {
    const [B, , H, W] = checkImages(images, 'RandomResizedCrop');
    const boxes = randomResizedCropParams(B, H, W, { scale: this.scale, ratio: this.ratio }, generator);
    const out = resizedCrop(images, boxes, this.size, { interpolation: this.interpolation });
    return this.interpolation === 'bicubic' ? out.clamp(0, 1) : out;
  }
}
