// Similarities and distances between batches of vectors.
import { Tensor } from '../../torch/tensor';
import { op } from '../../torch/op';
import { checkTensor } from '../../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../../torch/option-table';

// Defaults as PyTorch's keyword arguments, each stated once.
const COSINE_SIMILARITY_OPTIONS = defineOptions({ dim: option(1, is.int()), eps: option(1e-8, is.number(0)) });
const PAIRWISE_DISTANCE_OPTIONS = defineOptions({
  p: option(2, is.number(0)), eps: option(1e-6, is.number(0)), keepdim: option(false, is.boolean),
});

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
  const [a, b] = [checkTensor(x1, 'x1'), checkTensor(x2, 'x2')];
  const o = COSINE_SIMILARITY_OPTIONS.resolve(options, optionsKey);
  return ops.cosineSimilarity.tensor(a._h, b._h, o.dim, o.eps);
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
  const [a, b] = [checkTensor(x1, 'x1'), checkTensor(x2, 'x2')];
  const o = PAIRWISE_DISTANCE_OPTIONS.resolve(options, optionsKey);
  return ops.pairwiseDistance.tensor(a._h, b._h, o.p, o.eps, o.keepdim);
}
