// Nearest-neighbour search over embeddings: an approximate HNSW index from
// usearch (cosine distance), saved beside the embedding file, and the exact
// cosine top-k on tensors that measures its recall.
// Why usearch: one small native package with prebuilt binaries for Linux,
// macOS and Windows (no compiler at install), cosine distance built in,
// f32/f16/i8 storage, batch search on threads, and a file format readable
// from its Python, C++ and Rust bindings; hnswlib-node builds from source at
// install and faiss-node needs a BLAS at build time (docs/export.md).
import { BatchMatches, Index, Matches, MetricKind, ScalarKind } from 'usearch';
import * as torch from '../torch';
import { Tensor } from '../torch';
import { checkInt } from '../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';
import { normalize } from '../nn/functional';

/** Neighbours of each query: row i holds query i's k results, best first. */
export interface Neighbors {
  /** Row numbers in the indexed embeddings, (Q, k); -1 where fewer than k exist. */
  indices: Int32Array[];
  /** Cosine similarities, (Q, k). */
  scores: Float32Array[];
}

/** Options of `VectorIndex.build`. */
/** `VectorIndex.build`'s options: defaults and checks. */
export const VECTOR_INDEX_OPTIONS = defineOptions({
  /** HNSW graph degree (usearch's `connectivity`, hnswlib's M). Default 16. */
  connectivity: option(16, is.int(2)),
  /** Candidates kept while inserting (efConstruction). Default 128. */
  expansionAdd: option(128, is.int(1)),
  /** Candidates kept while searching (ef). Default 64. */
  expansionSearch: option(64, is.int(1)),
});

export type VectorIndexOptions = GivenOptions<typeof VECTOR_INDEX_OPTIONS.specs>;

/** Up to this many rows an index is built on one thread, so that it is the same every time (`VectorIndex.build`). */
export const SERIAL_BUILD_ROWS = 10_000;

function rowsOf(x: Tensor, what: string, dim?: number): Float32Array[] {
  if (!(x instanceof Tensor) || x.dim() !== 2 || (dim !== undefined && x.shape[1] !== dim)) {
    throw new TypeError(`Expected ${what} of shape (N, ${dim ?? 'D'}) but received ` +
      (x instanceof Tensor ? `shape [${x.shape.join(', ')}]` : String(x)));
  }
  const flat = torch.scope(() => x.to({ dtype: 'float32', device: 'cpu' }).contiguous().toTypedArray() as Float32Array);
  const d = x.shape[1];
  return Array.from({ length: x.shape[0] }, (_, i) => flat.subarray(i * d, (i + 1) * d));
}

/**
 * An approximate cosine index (HNSW, usearch) over the rows of an (N, D)
 * embedding matrix; keys are row numbers.
 *
 * @example
 * const index = VectorIndex.build(features);         // features: (N, D)
 * index.save('runs/a/embeddings.usearch');
 * const { indices, scores } = index.search(features.narrow(0, 0, 1), 10);
 */
export class VectorIndex {
  /**
   * @param threads usearch's thread count for searches: an index built on one thread has thread contexts for one
   * (a batch search on more fails with usearch's "Reserve capacity ahead of searches!"); 0 = every core.
   */
  private constructor(private readonly index: Index, readonly dimensions: number, private readonly threads = 0) {}

  /**
   * Builds the index from (N, D) embeddings.
   * @example const index = VectorIndex.build(torch.randn([1000, 64]));
   */
  static build(embeddings: Tensor, options: VectorIndexOptions = {}): VectorIndex {
    const rows = rowsOf(embeddings, 'embeddings for VectorIndex.build');
    const d = embeddings.shape[1];
    const o = VECTOR_INDEX_OPTIONS.resolve(options, (k) => `options.${k}`);
    const index = new Index({
      dimensions: d, metric: MetricKind.Cos, quantization: ScalarKind.F32,
      connectivity: o.connectivity, expansion_add: o.expansionAdd, expansion_search: o.expansionSearch,
      multi: false,
    });
    // NOTE: usearch inserts a batch on every core by default, and concurrent insertion builds a different graph
    // each time: on 60 rows, one query's top 4 differed between builds and missed a true neighbour in 1 of 40. Up
    // to SERIAL_BUILD_ROWS rows the index is built on one thread (the same embeddings, the same graph and the same
    // neighbours; well under a second); larger ones on every core (70,000 x 128: 15.6 s wall on 2 cores, 33.5 s on one).
    const threads = rows.length <= SERIAL_BUILD_ROWS ? 1 : 0;
    if (rows.length > 0) index.add(BigUint64Array.from(rows, (_, i) => BigInt(i)), rows, threads);
    return new VectorIndex(index, d, threads);
  }

  /**
   * Loads an index written by `save` (its dimensions must be known: the embedding file's D).
   * @example const index = VectorIndex.load('runs/a/embeddings.usearch', 64);
   */
  static load(file: string, dimensions: number): VectorIndex {
    const index = new Index({
      dimensions: checkInt(dimensions, 'dimensions', 1), metric: MetricKind.Cos, quantization: ScalarKind.F32,
      connectivity: 16, expansion_add: 128, expansion_search: 64, multi: false,
    });
    try {
      index.load(file);
    } catch (err) {
      throw new Error(`Cannot load the vector index '${file}': ${(err as Error).message}`);
    }
    if (index.dimensions() !== dimensions) {
      throw new Error(`The vector index '${file}' holds ${index.dimensions()}-d vectors but the embeddings are ${dimensions}-d`);
    }
    return new VectorIndex(index, dimensions);
  }

  /** Vectors in the index. @example index.size(); // 10000 */
  size(): number {
    return Number(this.index.size());
  }

  /**
   * Writes the index to `file` (usearch's format).
   * @example index.save('embeddings.usearch');
   */
  save(file: string): void {
    this.index.save(file);
  }

  /**
   * The k nearest rows of each (Q, D) query by cosine similarity, best first.
   * @example index.search(queries, 10).indices[0]; // Int32Array of 10 row numbers
   */
  search(queries: Tensor, k: number): Neighbors {
    checkInt(k, 'k', 1);
    const rows = rowsOf(queries, 'queries for VectorIndex.search', this.dimensions);
    const out: Neighbors = { indices: [], scores: [] };
    if (rows.length === 0) return out;
    // NOTE: usearch answers a one-row batch with plain Matches, a larger one with BatchMatches.
    const found: Matches | BatchMatches = this.index.search(rows, k, this.threads);
    for (let q = 0; q < rows.length; q++) {
      const m = found instanceof BatchMatches ? found.get(q) : found;
      const indices = new Int32Array(k).fill(-1);
      const scores = new Float32Array(k).fill(NaN);
      for (let j = 0; j < Math.min(k, m.keys.length); j++) {
        indices[j] = Number(m.keys[j]);
        scores[j] = 1 - m.distances[j]; // usearch's cos metric is 1 - cosine similarity
      }
      out.indices.push(indices);
      out.scores.push(scores);
    }
    return out;
  }
}

/**
 * Exact cosine top-k of (Q, D) queries among (N, D) embeddings, on tensors
 * (a matrix product of L2-normalised rows, in chunks of 1024 queries).
 *
 * @example const exact = exactCosineTopK(features, features.narrow(0, 0, 5), 10);
 */
export function exactCosineTopK(embeddings: Tensor, queries: Tensor, k: number): Neighbors {
  checkInt(k, 'k', 1);
  for (const [x, what] of [[embeddings, 'embeddings'], [queries, 'queries']] as const) {
    if (!(x instanceof Tensor) || x.dim() !== 2 || x.shape[1] !== embeddings.shape[1]) {
      throw new TypeError(`Expected ${what} of shape (N, D) with one D for exactCosineTopK but received ` +
        (x instanceof Tensor ? `shape [${x.shape.join(', ')}]` : String(x)));
    }
  }
  const out: Neighbors = { indices: [], scores: [] };
  const kk = Math.min(k, embeddings.shape[0]);
  for (let start = 0; start < queries.shape[0]; start += 1024) {
    const size = Math.min(1024, queries.shape[0] - start);
    const [idx, val] = torch.scope(() => {
      const bank = normalize(embeddings.to('float32'), { dim: 1 }); // (N, D)
      const q = normalize(queries.narrow(0, start, size).to('float32'), { dim: 1 }); // (B, D)
      const { values, indices } = q.matmul(bank.t()).topk(kk, 1); // (B, kk)
      return [indices.to('int32').toTypedArray() as Int32Array, values.toTypedArray() as Float32Array];
    });
    for (let i = 0; i < size; i++) {
      const indices = new Int32Array(k).fill(-1);
      const scores = new Float32Array(k).fill(NaN);
      indices.set(idx.subarray(i * kk, (i + 1) * kk));
      scores.set(val.subarray(i * kk, (i + 1) * kk));
      out.indices.push(indices);
      out.scores.push(scores);
    }
  }
  return out;
}

/**
 * Recall@k of approximate results against exact ones: the share of the
 * exact top-k rows that the approximate top-k also holds.
 *
 * @example recallAtK(index.search(q, 10), exactCosineTopK(x, q, 10)); // 0.99
 */
export function recallAtK(approx: Neighbors, exact: Neighbors): number {
  let hit = 0;
  let total = 0;
  exact.indices.forEach((row, q) => {
    const found = new Set(approx.indices[q]);
    for (const i of row) {
      if (i < 0) continue;
      total++;
      if (found.has(i)) hit++;
    }
  });
  return total === 0 ? 1 : hit / total;
}
