// A lookup table of vectors, as torch.nn.Embedding.
import { Tensor, empty, noGrad } from '../../torch';
import { Module } from '../module';
import { embedding } from '../functional/embedding';
import { normal_ } from '../init';
import { positiveInt } from '../../torch/arguments';

/** Options of `Embedding`, as torch.nn.Embedding's keyword arguments. */
export interface EmbeddingOptions {
  /** This row is initialised to zeros and gets no gradient (negative counts from the end). Default: none. */
  paddingIdx?: number;
}

/**
 * Rows of a learned (numEmbeddings, embeddingDim) table at int64 indices of
 * any shape, giving (*indices.shape, embeddingDim), as `torch.nn.Embedding`.
 * Key: `weight`, initialised from N(0, 1) as PyTorch (the same values after the
 * same `torch.manualSeed`).
 *
 * @example
 * const emb = new nn.Embedding(10, 4);
 * emb.forward(torch.tensor([[1, 2], [4, 9]], { dtype: 'int64' })); // (2, 2, 4)
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;
  /** (numEmbeddings, embeddingDim). */
  readonly weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    this.numEmbeddings = positiveInt(numEmbeddings, 'numEmbeddings');
    this.embeddingDim = positiveInt(embeddingDim, 'embeddingDim');
    const p = options.paddingIdx;
    if (p !== undefined && !(Number.isInteger(p) && p < this.numEmbeddings && p >= -this.numEmbeddings)) {
      throw new RangeError(`Expected paddingIdx in [${-this.numEmbeddings}, ${this.numEmbeddings - 1}] ` +
        `(within numEmbeddings) but received ${String(p)}`);
    }
    this.paddingIdx = p === undefined ? null : p < 0 ? p + this.numEmbeddings : p;
    this.weight = this.registerParameter('weight', empty([this.numEmbeddings, this.embeddingDim]));
    this.resetParameters();
  }

  /** Re-draws the table from N(0, 1) and zeroes the padding row, as `reset_parameters()`. */
  resetParameters(): void {
    normal_(this.weight);
    const p = this.paddingIdx;
    if (p === null) return;
    noGrad(() => {
      const row = this.weight.select(0, p);
      row.zero_();
      row.dispose();
    });
  }

  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, this.paddingIdx === null ? {} : { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}` + (this.paddingIdx === null ? '' : `, padding_idx=${this.paddingIdx}`);
  }
}
