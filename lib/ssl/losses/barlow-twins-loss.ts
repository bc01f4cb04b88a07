// Barlow Twins' redundancy-reduction loss on the cross-correlation matrix of
// two batches of embeddings.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { checkTensor, sameShape } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../../torch/option-table';
import { atLeastFloat32, withoutAutocast } from './precision';

/** {@link barlowTwinsLoss}'s options: defaults and checks. */
export const BARLOW_TWINS_LOSS_OPTIONS = defineOptions({
  /** Weight lambda of the off-diagonal (redundancy) term. Default 5e-3 (Zbontar et al. 2021, section 4: "lambda = 5 * 10^-3"). */
  lambda: option(5e-3, is.number(0)),
});

/** Options of {@link barlowTwinsLoss}. */
export type BarlowTwinsLossOptions = GivenOptions<typeof BARLOW_TWINS_LOSS_OPTIONS.specs>;

/**
 * Each column of `z` standardised over the batch (mean 0, biased variance 1,
 * eps 1e-5): `BatchNorm1d(D, affine=False)` in training mode, without
 * running statistics.
 * @example batchStandardize(z).mean(0); // about 0 in every column
 */
export function batchStandardize(z: Tensor): Tensor {
  const mean = z.mean(0, true); // (1, D)
  const variance = z.var(0, false, true); // (1, D), biased as batch norm's normalisation
  return z.sub(mean).div(variance.add(1e-5).sqrt());
}

/**
 * Barlow Twins (Zbontar et al. 2021, Eq. 1 and Algorithm 1):
 * `C = bn(z1)^T bn(z2) / B`, `L = sum_i (1 - C_ii)^2 + lambda sum_{i != j} C_ij^2`,
 * where bn standardises each dimension over the batch. Computed in float32
 * (float64 inputs stay float64). B must be at least 2 (a variance over one
 * sample is 0).
 *
 * @param z1 (B, D) projections of the first views.
 * @param z2 (B, D) projections of the second views.
 * @example const loss = barlowTwinsLoss(projector.forward(f(x1)), projector.forward(f(x2)), { lambda: 5e-3 });
 */
export function barlowTwinsLoss(z1: Tensor, z2: Tensor, options: BarlowTwinsLossOptions = {}): Tensor {
  checkTensor(z1, 'z1');
  checkTensor(z2, 'z2');
  const { lambda } = BARLOW_TWINS_LOSS_OPTIONS.resolveKnown(options, 'barlowTwinsLoss', (k) => `options.${k}`);
  if (z1.dim() !== 2 || z1.shape[0] < 2) {
    throw new RangeError(`Expected z1 of shape (B, D) with B >= 2 (the loss standardises over the batch) but ` +
      `received shape [${z1.shape.join(', ')}]`);
  }
  if (!sameShape(z2.shape, z1.shape)) {
    throw new RangeError(`Expected z2 of the shape of z1 [${z1.shape.join(', ')}] but received shape [${z2.shape.join(', ')}]`);
  }
  const a = batchStandardize(atLeastFloat32(z1));
  const b = batchStandardize(atLeastFloat32(z2));
  const c = withoutAutocast(a, () => a.t().matmul(b)).div(z1.shape[0]); // (D, D)
  const eye = torch.eye(c.shape[0], { dtype: 'bool', device: c.device });
  const onDiagonal = torch.ops.aten.diagonal(c).sub(1).pow(2).sum();
  const offDiagonal = c.maskedFill(eye, 0).pow(2).sum();
  return onDiagonal.add(offDiagonal.mul(lambda));
}
