// MAE's reconstruction loss and the patch layout it is computed in
// (models_mae.py: patchify, unpatchify, forward_loss).
import { Tensor } from '../../torch';
import { checkInt, checkTensor } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../../torch/option-table';
import { atLeastFloat32 } from './precision';

/** Options of {@link maeLoss}. */
export const MAE_LOSS_OPTIONS = defineOptions({
  /**
   * Regress per-patch normalised pixels (default true): MAE (He et al. 2021,
   * Sec. 3): "the normalized pixel values of each masked patch ... improves
   * representation quality in our experiments".
   */
  normPixLoss: option(true, is.boolean),
});

/** Options of {@link maeLoss}: the table's and the patch size. */
export interface MAELossOptions extends GivenOptions<typeof MAE_LOSS_OPTIONS.specs> {
  /** Side p of the square patches, as the encoder's patch embedding (MAE: 16). */
  patchSize: number;
}

const shapeOf = (t: Tensor): string => `[${t.shape.join(', ')}]`;

/**
 * Cuts images into non-overlapping p x p patches, row-major over the patch
 * grid, each flattened as (p, p, C) with the channel last:
 * (B, C, H, W) -> (B, (H/p) * (W/p), p * p * C), exactly as MAE's
 * `patchify` (einsum 'nchpwq->nhwpqc'), for any channel count and H != W.
 *
 * @example
 * const patches = patchify(torch.rand([8, 3, 224, 224]), 16); // (8, 196, 768)
 */
export function patchify(imgs: Tensor, patchSize: number): Tensor {
  checkTensor(imgs, 'imgs');
  const p = checkInt(patchSize, 'patchSize', 1);
  if (imgs.dim() !== 4 || imgs.shape[2] % p !== 0 || imgs.shape[3] % p !== 0) {
    throw new RangeError(`Expected imgs of shape (B, C, H, W) with H and W multiples of patchSize ${p} but ` +
      `received shape ${shapeOf(imgs)}`);
  }
  const [b, c, height, width] = imgs.shape;
  const h = height / p;
  const w = width / p;
  return imgs.reshape(b, c, h, p, w, p) // (B, C, h, p, w, q)
    .permute(0, 2, 4, 3, 5, 1) // (B, h, w, p, q, C)
    .reshape(b, h * w, p * p * c); // (B, L, p*p*C)
}

/**
 * The inverse of {@link patchify}: (B, L, p * p * C) -> (B, C, h * p, w * p)
 * with the patch grid `gridSize` = [h, w] (default: square, h = w = sqrt(L),
 * as MAE's `unpatchify`).
 *
 * @example
 * const imgs = unpatchify(decoderPred, 16, 3); // (B, 196, 768) -> (B, 3, 224, 224)
 */
export function unpatchify(x: Tensor, patchSize: number, channels: number,
  gridSize?: readonly [number, number]): Tensor {
  checkTensor(x, 'x');
  const p = checkInt(patchSize, 'patchSize', 1);
  const c = checkInt(channels, 'channels', 1);
  if (x.dim() !== 3 || x.shape[2] !== p * p * c) {
    throw new RangeError(`Expected x of shape (B, L, ${p * p * c}) (patchSize ${p}, ${c} channels) but received ` +
      `shape ${shapeOf(x)}`);
  }
  const [b, l] = x.shape;
  const side = Math.round(Math.sqrt(l));
  const [h, w] = gridSize === undefined ? [side, side]
    : [checkInt(gridSize[0], 'gridSize[0]', 1), checkInt(gridSize[1], 'gridSize[1]', 1)];
  if (h * w !== l) {
    throw new RangeError(gridSize === undefined
      ? `Expected a square number of patches L for unpatchify without gridSize but received shape ${shapeOf(x)}`
      : `Expected gridSize [${h}, ${w}] to hold L = ${l} patches but it holds ${h * w}`);
  }
  return x.reshape(b, h, w, p, p, c) // (B, h, w, p, q, C)
    .permute(0, 5, 1, 3, 2, 4) // (B, C, h, p, w, q)
    .reshape(b, c, h * p, w * p);
}

/**
 * MAE's loss (`forward_loss` of models_mae.py): the mean squared error
 * between the decoder's prediction and the patch pixels, averaged over the
 * pixels of each patch, then over the removed patches only: "we compute the
 * loss only on masked patches" (He et al. 2021, Sec. 3). With `normPixLoss`
 * (default) each target patch is standardised by its own mean and variance
 * first, `(x - mean) / sqrt(var + 1e-6)`.
 *
 * Computed in float32 (or float64 for float64 inputs).
 *
 * @param imgs (B, C, H, W) the images the encoder saw (normalised as its input).
 * @param pred (B, L, p * p * C) the decoder's per-patch predictions, in {@link patchify}'s layout.
 * @param mask (B, L) 1 = removed (the loss counts it), 0 = kept, as MAE; float or bool.
 *
 * @example
 * const loss = maeLoss(imgs, pred, mask, { patchSize: 16 }); // normalised-pixel targets
 * const raw = maeLoss(imgs, pred, mask, { patchSize: 16, normPixLoss: false });
 */
export function maeLoss(imgs: Tensor, pred: Tensor, mask: Tensor, options: MAELossOptions): Tensor {
  checkTensor(pred, 'pred');
  checkTensor(mask, 'mask');
  const { normPixLoss } = MAE_LOSS_OPTIONS.resolveKnown(options, 'maeLoss', (k) => `options.${k}`, ['patchSize']);
  let target = atLeastFloat32(patchify(imgs, options.patchSize)); // (B, L, p*p*C)
  if (pred.dim() !== 3 || pred.shape.some((d, i) => d !== target.shape[i])) {
    throw new RangeError(`Expected pred of shape ${shapeOf(target)} (the patchified imgs with patchSize ` +
      `${options.patchSize}) but received shape ${shapeOf(pred)}`);
  }
  if (mask.dim() !== 2 || mask.shape[0] !== target.shape[0] || mask.shape[1] !== target.shape[1]) {
    throw new RangeError(`Expected mask of shape [${target.shape[0]}, ${target.shape[1]}] (B, L) but received shape ` +
      `${shapeOf(mask)}`);
  }
  if (normPixLoss) {
    // NOTE: `var` is unbiased (divides by p*p*C - 1), as `target.var(dim=-1)`
    // in MAE's code; 1e-6 is MAE's epsilon.
    const mean = target.mean(-1, true); // (B, L, 1)
    const variance = target.var(-1, true, true); // (B, L, 1)
    target = target.sub(mean).div(variance.add(1e-6).sqrt());
  }
  const perPatch = atLeastFloat32(pred).sub(target).square().mean(-1); // (B, L)
  const weights = mask.dtype === 'bool' ? mask.to(perPatch.dtype) : atLeastFloat32(mask);
  // NOTE: a mask with no removed patch gives 0 / 0 = NaN, as MAE; checking
  // would read the mask back to the host.
  return perPatch.mul(weights).sum().div(weights.sum());
}
