// SimSiam's loss: negative cosine similarity between a prediction and the
// other view's projection, which is treated as a constant (stop-gradient).
import { Tensor } from '../../torch';
import { cosineSimilarity } from '../../nn/functional';
import { checkPredictionPair } from './byol-loss';
import { atLeastFloat32 } from './precision';

/**
 * SimSiam's `D(p, z) = -cos(p, stopgrad(z))` averaged over the batch (Chen &
 * He 2021, Eq. 1 and Algorithm 1, `D(p, z) = -(p*z.detach()).sum(dim=1).mean()`
 * on normalised vectors; F.cosine_similarity's eps 1e-8). The method
 * symmetrises it: `L = D(p1, z2) / 2 + D(p2, z1) / 2`, in [-1, 1].
 *
 * @param p (B, D) predictor outputs of one view.
 * @param z (B, D) projector outputs of the other view; gets no gradient.
 * @example const loss = simsiamLoss(p1, z2).div(2).add(simsiamLoss(p2, z1).div(2));
 */
export function simsiamLoss(p: Tensor, z: Tensor): Tensor {
  checkPredictionPair(p, z);
  return cosineSimilarity(atLeastFloat32(p), atLeastFloat32(z.detach()), { dim: 1 }).mean().neg();
}
