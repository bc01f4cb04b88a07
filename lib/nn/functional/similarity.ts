// Similarities and distances between batches of vectors.
import { Tensor } from '../../torch/tensor';
import { op } from '../../torch/op';
import { checkBoolean, checkInt, checkNumber, checkTensor } from '../../torch/arguments';

const ops = { cosineSimilarity: op('cosine_similarity'), pairwiseDistance: op('pairwise_distance') };

/**
 * Cosine similarity `x1 . x2 / max(||x1|| ||x2||, eps)` along `dim`, with
 * broadcasting, as `torch.nn.functional.cosine_similarity`.
 * Defaults as PyTorch: dim 1, eps 1e-8.
 *
 * @example
 * const sim = F.cosineSimilarity(z1, z2);                  // (N) from two (N, D)
 * const all = F.cosineSimilarity(a.unsqueeze(1), b.unsqueeze(0), { dim: 2 }); // (N, M)
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: { dim?: number; eps?: number } = {}): Tensor {
  return ops.cosineSimilarity.tensor(checkTensor(x1, 'x1')._h, checkTensor(x2, 'x2')._h,
    checkInt(options.dim ?? 1, 'options.dim'), checkNumber(options.eps ?? 1e-8, 'options.eps', 0));
}

/**
 * p-norm distance `||x1 - x2 + eps||_p` along the last dimension, as
 * `torch.nn.functional.pairwise_distance`.
 * Defaults as PyTorch: p 2, eps 1e-6, keepdim false.
 *
 * @example
 * const d = F.pairwiseDistance(torch.zeros([4, 3]), torch.ones([4, 3])); // (4), each about sqrt(3)
 */
export function pairwiseDistance(x1: Tensor, x2: Tensor,
  options: { p?: number; eps?: number; keepdim?: boolean } = {}): Tensor {
  return ops.pairwiseDistance.tensor(checkTensor(x1, 'x1')._h, checkTensor(x2, 'x2')._h,
    checkNumber(options.p ?? 2, 'options.p', 0), checkNumber(options.eps ?? 1e-6, 'options.eps', 0),
    checkBoolean(options.keepdim ?? false, 'options.keepdim'));
}
