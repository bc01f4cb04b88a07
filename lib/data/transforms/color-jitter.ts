// Colour jitter: brightness, contrast, saturation and hue with per-sample
// factors, as torchvision's ColorJitter (wrapped in RandomApply(p)).
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { where } from '../../torch/functions';
import { rand } from '../../torch/creation';
import { Transform, checkImages } from './transform';
import { probability } from '../../torch/arguments';
import { defineOptions, GivenOptions, option, checkOptionKeys } from '../../torch/option-table';
import { asPerSample, bernoulli, permutation, perSampleMask, uniform } from './random-params';
import { rgbToGrayscale } from './grayscale';
import { adjustHue } from './hue';

/** torchvision's `_blend`: `ratio * a + (1 - ratio) * b`, clamped to [0, 1]. */
function blend(a: Tensor, b: Tensor, ratio: Tensor): Tensor {
  return a.mul(ratio).add(b.mul(ratio.neg().add(1))).clamp(0, 1);
}

/**
 * Scales brightness by `factors` (one number or one per image, >= 0), as torchvision's `F.adjust_brightness`.
 * @example const out = adjustBrightness(images, 1.2);
 */
export function adjustBrightness(images: Tensor, factors: Tensor | number): Tensor {
  checkImages(images, 'adjustBrightness');
  // torchvision blends with a black image: ratio * x + (1 - ratio) * 0, which is ratio * x exactly.
  return images.mul(asPerSample(factors, images)).clamp(0, 1);
}

/**
 * Scales contrast around each image's mean luma by `factors`, as
 * torchvision's `F.adjust_contrast` (the mean of the grayscale image for RGB,
 * of the image itself for one channel).
 * @example const out = adjustContrast(images, torch.tensor([0.6, 1.4]));
 */
export function adjustContrast(images: Tensor, factors: Tensor | number): Tensor {
  const [, C] = checkImages(images, 'adjustContrast');
  const gray = C === 3 ? rgbToGrayscale(images, 1) : images;
  const mean = gray.mean([1, 2, 3], true); // (B, 1, 1, 1)
  return blend(images, mean, asPerSample(factors, images));
}

/**
 * Blends each RGB image with its grayscale by `factors` (0: gray, 1: unchanged),
 * as torchvision's `F.adjust_saturation`. Single-channel images have no
 * saturation: returned as they are.
 * @example const out = adjustSaturation(images, 0.5);
 */
export function adjustSaturation(images: Tensor, factors: Tensor | number): Tensor {
  const [, C] = checkImages(images, 'adjustSaturation');
  if (C === 1) return images;
  return blend(images, rgbToGrayscale(images, 1), asPerSample(factors, images));
}

/** `ColorJitter`'s options with a default: the table. */
export const COLOR_JITTER_OPTIONS = defineOptions({
  /** Probability of jittering each image (torchvision: `RandomApply([ColorJitter(...)], p)`). Default 1. */
  p: option(1, probability),
  /**
   * 'batch' (default): one random order of the four operations per call;
   * 'sample': one per image, as torchvision's per-image calls, at about four times the cost.
   */
  order: option<'batch' | 'sample'>('batch', (order, what) => {
    if (order !== 'batch' && order !== 'sample') throw new TypeError(`Expected 'batch' or 'sample' for ${what} but received ${String(order)}`);
    return order;
  }),
});

/**
 * Options of `ColorJitter`, as torchvision's (a number j means [max(0, 1 - j), 1 + j]; hue h means [-h, h]).
 * An omitted factor is not jittered; `factorRange` turns each into its range.
 */
export interface ColorJitterOptions extends GivenOptions<typeof COLOR_JITTER_OPTIONS.specs> {
  brightness?: number | readonly [number, number];
  contrast?: number | readonly [number, number];
  saturation?: number | readonly [number, number];
  /** At most 0.5. */
  hue?: number | readonly [number, number];
}

function factorRange(v: number | readonly [number, number] | undefined, what: string, hue: boolean): [number, number] | null {
  if (v === undefined) return null;
  let range: [number, number];
  if (typeof v === 'number') {
    if (!(v >= 0)) throw new RangeError(`Expected a non-negative number for ColorJitter options.${what} but received ${v}`);
    range = hue ? [-v, v] : [Math.max(0, 1 - v), 1 + v];
  } else if (Array.isArray(v) && v.length === 2 && v[0] <= v[1]) {
    range = [v[0], v[1]];
  } else {
    throw new RangeError(`Expected a number or [low, high] for ColorJitter options.${what} but received ${JSON.stringify(v)}`);
  }
  if (hue ? range[0] < -0.5 || range[1] > 0.5 : range[0] < 0) {
    throw new RangeError(`Expected ColorJitter options.${what} within ${hue ? '[-0.5, 0.5]' : '[0, inf)'} but received ` +
      JSON.stringify(range));
  }
  // torchvision drops ranges that are the identity.
  const identity = hue ? 0 : 1;
  return range[0] === identity && range[1] === identity ? null : range;
}

/**
 * torchvision's `RandomApply([ColorJitter(b, c, s, h)], p)` for a batch: every
 * image gets its own brightness, contrast, saturation and hue factors, and
 * is jittered with probability `p`.
 *
 * NOTE: torchvision draws one order of the four operations per call, and a
 * call there is one image. Here a call is a batch, and by default the order
 * is drawn once per batch: a per-image order (`order: 'sample'`) runs each
 * operation in each of the four positions, masked to the images that have it
 * there (hue is the expensive one), for a difference no paper measures.
 * Saturation and hue are no-ops on single-channel images (Fashion-MNIST);
 * brightness and contrast work on any channel count.
 *
 * @example
 * // SimCLR (Chen et al. 2020, appendix A): colour jitter of strength s = 0.5 on CIFAR-10
 * const jitter = new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 });
 * const out = jitter.forward(images, g);
 */
export class ColorJitter implements Transform {
  readonly brightness: [number, number] | null;
  readonly contrast: [number, number] | null;
  readonly saturation: [number, number] | null;
  readonly hue: [number, number] | null;
  readonly p: number;
  readonly order: 'batch' | 'sample';

  constructor(options: ColorJitterOptions = {}) {
    checkOptionKeys(options, [...COLOR_JITTER_OPTIONS.keys, 'brightness', 'contrast', 'saturation', 'hue'], 'ColorJitter');
    this.brightness = factorRange(options.brightness, 'brightness', false);
    this.contrast = factorRange(options.contrast, 'contrast', false);
    this.saturation = factorRange(options.saturation, 'saturation', false);
    this.hue = factorRange(options.hue, 'hue', true);
    const o = COLOR_JITTER_OPTIONS.resolve(options, (k) => `ColorJitter options.${k}`);
    this.p = o.p;
    this.order = o.order;
  }

  forward(images: Tensor, generator?: Generator): Tensor {
    const [B] = checkImages(images, 'ColorJitter');
    const apply = bernoulli(B, this.p, generator);
    // One order per call, or (B, 4): one per image, as argsort of uniform keys.
    const order = this.order === 'batch' ? permutation(4, generator) : rand([B, 4], { generator }).argsort(1);
    // Every factor is drawn (even when unused) so that the stream does not depend on the options.
    const draw = (r: [number, number] | null): Tensor | null => {
      const u = uniform(B, r === null ? 0 : r[0], r === null ? 1 : r[1], generator);
      return r === null ? null : u;
    };
    const factors = [draw(this.brightness), draw(this.contrast), draw(this.saturation), draw(this.hue)];
    if (this.p === 0) return images;
    const fns = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
    let out = images;
    if (Array.isArray(order)) {
      for (const k of order) {
        const f = factors[k];
        if (f !== null) out = fns[k](out, f);
      }
    } else {
      for (let slot = 0; slot < 4; slot++) {
        const here = order.select(1, slot); // (B): the operation each image runs in this position
        for (let k = 0; k < 4; k++) {
          const f = factors[k];
          if (f === null) continue;
          const mine = here.eq(k);
          // NOTE: factor 1 is exactly the identity for brightness, contrast and
          // saturation on [0, 1] images (x * 1 + y * 0); hue 0 is not (the HSV
          // round trip rounds), so hue selects with where.
          out = k === 3 ? where(perSampleMask(mine, out), adjustHue(out, f), out) : fns[k](out, where(mine, f, 1));
        }
      }
    }
    if (this.p === 1) return out;
    return where(perSampleMask(apply, images), out, images);
  }
}
