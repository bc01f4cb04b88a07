// SimSiam's loss: negative cosine similarity between a prediction and the
// other view's projection, which is treated as a constant (stop-gradient).
import { Tensor } from '../../torch';
import { cosineSimilarity } from '../../nn/functional';
import { checkTensor, sameShape } from '../../torch/arguments';
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
  checkTensor(p, 'p');
  checkTensor(z, 'z');
  if (p.dim() !== 2 || p.shape[0] < 1) {
    throw new RangeError(`Expected p of shape (B, D) with B >= 1 but received shape [${p.shape.join(', ')}]`);
  }
  if (!sameShape(z.shape, p.shape)) {
    throw new RangeError(`Expected z of the shape of p [${p.shape.join(', ')}] but received shape [${z.shape.join(', ')}]`);
  }
  return cosineSimilarity(atLeastFloat32(p), atLeastFloat32(z.detach()), { dim: 1 }).mean().neg();
}
