// Resizing learned absolute position embeddings to another patch grid, as
// timm's resample_abs_pos_embed (bicubic, antialiased when shrinking).
import { Tensor, cat } from '../torch';
import { interpolate } from '../nn/functional';
import { checkInt } from '../torch/arguments';
import { defineOptions, is, option, OPTIONAL, optionsKey } from '../torch/option-table';

/** Options of `interpolatePosEmbed`. */
export interface InterpolatePosEmbedOptions {
  /** Tokens at the front that have no grid position (the class token). Default 1. */
  numPrefixTokens?: number;
  /** The grid the embedding was learned on, (h, w); default a square of all non-prefix tokens. */
  oldGrid?: readonly [number, number];
}

// The defaults of InterpolatePosEmbedOptions; oldGrid has none of its own: it is
// the square of the non-prefix tokens.
const POS_EMBED_OPTIONS = defineOptions({
  numPrefixTokens: option(1, is.int(0)),
  oldGrid: option(OPTIONAL, is.checkedLater<readonly [number, number]>()),
});

/**
 * Resizes a (1, prefix + h*w, D) position embedding to a (newH, newW) patch
 * grid: the prefix (class token) rows are kept, the grid rows are resampled
 * bicubically as an image with D channels, as timm's `resample_abs_pos_embed`
 * (antialias on, which matters only when shrinking). Differentiable; returns
 * the input itself when the grid is unchanged.
 *
 * @example
 * // a ViT/16 learned at 224 px (14x14 grid) applied to 384 px images (24x24)
 * const pos = interpolatePosEmbed(vit.posEmbed, [24, 24]); // (1, 1 + 576, D)
 */
export function interpolatePosEmbed(posEmbed: Tensor, newGrid: readonly [number, number],
  options: InterpolatePosEmbedOptions = {}): Tensor {
  const { numPrefixTokens: prefix, oldGrid } = POS_EMBED_OPTIONS.resolve(options, optionsKey);
  const [newH, newW] = [checkInt(newGrid[0], 'newGrid[0]', 1), checkInt(newGrid[1], 'newGrid[1]', 1)];
  const shape = posEmbed.shape;
  if (shape.length !== 3 || shape[0] !== 1) {
    throw new RangeError(`Expected a position embedding of shape (1, tokens, D) but received [${shape.join(', ')}]`);
  }
  const tokens = shape[1] - prefix;
  const side = Math.round(Math.sqrt(tokens));
  const [oldH, oldW] = oldGrid ?? [side, side];
  if (oldH * oldW !== tokens) {
    throw new RangeError(`Expected ${prefix} prefix tokens and a ${oldH}x${oldW} grid in a position embedding ` +
      `of ${shape[1]} tokens; pass options.oldGrid for non-square grids`);
  }
  if (newH === oldH && newW === oldW) return posEmbed;
  const dim = shape[2];
  const grid = posEmbed.narrow(1, prefix, tokens).reshape([1, oldH, oldW, dim]).permute([0, 3, 1, 2]); // (1, D, h, w)
  // NOTE: resampled in float32 whatever the parameter dtype, as timm does, so
  // a bfloat16 model gets the same embedding as a float32 one, rounded once.
  const resized = interpolate(grid.to('float32'), { size: [newH, newW], mode: 'bicubic', antialias: true })
    .permute([0, 2, 3, 1]).reshape([1, newH * newW, dim]).to(posEmbed.dtype); // (1, newH*newW, D)
  return prefix > 0 ? cat([posEmbed.narrow(1, 0, prefix), resized], 1) : resized;
}
