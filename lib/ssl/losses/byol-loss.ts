// BYOL's regression loss between the online network's prediction and the
// target network's projection.
import { Tensor } from '../../torch';
import { normalize } from '../../nn/functional';
import { checkTensor, sameShape } from '../../torch/arguments';
import { atLeastFloat32 } from './precision';

/**
 * Throws unless `p` is a (B, D) tensor with B >= 1 and `z` has its shape: the
 * inputs of the prediction losses (BYOL, SimSiam).
 * @example checkPredictionPair(p1, z2);
 */
export function checkPredictionPair(p: Tensor, z: Tensor): void {
  checkTensor(p, 'p');
  checkTensor(z, 'z');
  if (p.dim() !== 2 || p.shape[0] < 1) {
    throw new RangeError(`Expected p of shape (B, D) with B >= 1 but received shape [${p.shape.join(', ')}]`);
  }
  if (!sameShape(z.shape, p.shape)) {
    throw new RangeError(`Expected z of the shape of p [${p.shape.join(', ')}] but received shape [${z.shape.join(', ')}]`);
  }
}

/**
 * BYOL's normalised mean squared error: "L = ||q_bar - z_bar'||^2 =
 * 2 - 2 <q, z'> / (||q|| ||z'||)" (Grill et al. 2020, Eq. 2), averaged over
 * the batch. `z` is detached here: "sg(z')", the target network receives no
 * gradient from the loss (it follows the online network by EMA). BYOL
 * symmetrises the loss by feeding the views the other way round; the method
 * adds the two directions itself: `byolLoss(p1, z2) + byolLoss(p2, z1)`.
 *
 * Computed in float32 (or float64 for float64 inputs), so it can be called
 * inside a bf16 autocast region.
 *
 * @param p (B, D) predictions of the online network (predictor output).
 * @param z (B, D) projections of the other view by the target network.
 * @returns the scalar mean loss, in [0, 4].
 *
 * @example
 * const loss = byolLoss(p1, z2).add(byolLoss(p2, z1));
 * loss.backward(); // gradients reach the online network only
 */
export function byolLoss(p: Tensor, z: Tensor): Tensor {
  checkPredictionPair(p, z);
  // NOTE: F.normalize's eps (1e-12) as BYOL's reference `normalize` so a zero
  // row gives a finite loss of 2 instead of NaN.
  const pn = normalize(atLeastFloat32(p), { dim: 1 }); // (B, D)
  const zn = normalize(atLeastFloat32(z.detach()), { dim: 1 }); // (B, D)
  return pn.mul(zn).sum(1).mul(-2).add(2).mean();
}
