// The options both previews take (`selfsup preview` of a recipe, and of a
// pretext task with --task), stated once: their defaults, checks and the
// flags' defaults.
import { defineOptions, is, option, OPTIONAL } from '../torch/option-table';

/**
 * `preview`'s and `previewTask`'s options with a default: the table.
 * @example const { n, seed } = PREVIEW_OPTIONS.resolve({ n: 4 }, (k) => k); // 4, 0
 */
export const PREVIEW_OPTIONS = defineOptions({
  /** Number of images (rows). Default 8. */
  n: option(8, is.int(1)),
  /** Augmented views per image (columns after the original; recipes only). Default 4. */
  views: option(4, is.int(1)),
  /** Seed of the image choice and of the augmentations or task draws. Default 0. */
  seed: option(0, is.int(0)),
  /** Magnification of the PNG; default 2 for images under 64 px, else 1. */
  scale: option(OPTIONAL, is.int(1)),
});

/**
 * The magnification of a grid of `size` px images: the given one, else 2 under 64 px (small images), else 1.
 * @example gridScale(undefined, 28) // 2
 */
export function gridScale(scale: number | undefined, size: number): number {
  return scale ?? (size < 64 ? 2 : 1);
}
