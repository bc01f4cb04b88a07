// Lookup tables and one-hot encoding.
import { Tensor } from '../../torch/tensor';
import { op } from '../../torch/op';
import { noGrad } from '../../torch/autograd';
import { checkInt, checkTensor } from '../../torch/arguments';
import { defineOptions, is, option, OPTIONAL, optionsKey } from '../../torch/option-table';

/** Options of `embedding`, as PyTorch's keyword arguments. */
export interface EmbeddingOptions {
  /** Rows at this index get no gradient (negative counts from the end). Default: none. */
  paddingIdx?: number;
  /** Rows looked up with a larger norm are rescaled to this norm, in place in `weight`. Default: none. */
  maxNorm?: number;
  /** The p of the norm for `maxNorm`. Default 2. */
  normType?: number;
  /** Scale gradients by the inverse frequency of each index in the batch. Default false. */
  scaleGradByFreq?: boolean;
  /** Return a sparse gradient for `weight`. Default false. */
  sparse?: boolean;
}

// The defaults of EmbeddingOptions, as PyTorch's keyword arguments.
const EMBEDDING_OPTIONS = defineOptions({
  paddingIdx: option(OPTIONAL, is.int()), maxNorm: option(OPTIONAL, is.number(0)), normType: option(2, is.number(0)),
  scaleGradByFreq: option(false, is.boolean), sparse: option(false, is.boolean),
});

const ops = { embedding: op('embedding'), renorm: op('embedding_renorm_'), contiguous: op('contiguous'), oneHot: op('one_hot') };

/**
 * Rows of `weight` (numEmbeddings, embeddingDim) at the int64 (or int32)
 * indices `input` of any shape; the result is (*input.shape, embeddingDim),
 * as `torch.nn.functional.embedding`.
 * Defaults as PyTorch: no paddingIdx, no maxNorm, normType 2, scaleGradByFreq false, sparse false.
 *
 * @example
 * const table = torch.randn([10, 4]);
 * const vectors = F.embedding(torch.tensor([[1, 2], [4, 9]], { dtype: 'int64' }), table); // (2, 2, 4)
 */
export function embedding(input: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  const indices = checkTensor(input, 'input');
  const w = checkTensor(weight, 'weight');
  const rows = w.shape[0];
  const o = EMBEDDING_OPTIONS.resolve(options, optionsKey);
  let paddingIdx = -1;
  if (o.paddingIdx !== undefined) {
    const p = o.paddingIdx;
    if (p >= rows || p < -rows) {
      throw new RangeError(`Expected paddingIdx in [${-rows}, ${rows - 1}] (within numEmbeddings) but received ${p}`);
    }
    paddingIdx = p < 0 ? rows + p : p;
  }
  if (o.maxNorm !== undefined) {
    const { maxNorm, normType } = o;
    // NOTE: as PyTorch, the looked-up rows of weight are renormalised in place, outside autograd
    // (on CUDA this may synchronise with the host: leave maxNorm unset in captured code).
    const flat = ops.contiguous.tensor(indices._h);
    noGrad(() => ops.renorm.raw(w._h, flat._h, maxNorm, normType));
    flat.dispose();
  }
  return ops.embedding.tensor(w._h, indices._h, paddingIdx, o.scaleGradByFreq, o.sparse);
}

/**
 * One-hot encoding of int64 class indices: the result has a trailing
 * dimension of `numClasses` and dtype int64, as `torch.nn.functional.one_hot`.
 * Defaults as PyTorch: numClasses -1, meaning max(input) + 1.
 *
 * NOTE: numClasses -1 reads the largest index back from the device (a host
 * synchronisation); pass numClasses in code that runs in a CUDA graph.
 *
 * @example
 * F.oneHot(torch.tensor([0, 2], { dtype: 'int64' }), 3); // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(input: Tensor, numClasses = -1): Tensor {
  const n = checkInt(numClasses, 'numClasses', -1);
  return ops.oneHot.tensor(checkTensor(input, 'input')._h, n);
}
