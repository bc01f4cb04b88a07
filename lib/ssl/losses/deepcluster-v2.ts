// DeepCluster v2's clustering: spherical k-means over a memory bank of
// normalised embeddings, and the cross-entropy of each crop to its image's cluster.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { normalize, crossEntropy } from '../../nn/functional';
import { checkInt, checkTensor } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../../torch/option-table';
import { atLeastFloat32 } from './precision';
import { gatherFromRanks, rankAndWorld, sumOverRanks } from './gather';
import { gatherShards } from '../../torch/distributed/shards';

/** {@link sphericalKMeans}'s options: defaults and checks. */
export const KMEANS_OPTIONS = defineOptions({
  /** Lloyd iterations. Default 10 (main_deepclusterv2.py `--nmb_kmeans_iters`). */
  iterations: option(10, is.int(0)),
  /**
   * In a data-parallel run, `bank` is this rank's share of the rows: the
   * M-step's sums and counts are all-reduced and the assignments of every
   * rank's rows are gathered, as main_deepclusterv2.py's `cluster_memory`
   * (the starting centroids must then be given, the same on every rank). Default false.
   */
  gatherDistributed: option(false, is.boolean),
});

/** Options of {@link sphericalKMeans}: the table's, and where to start from. */
export interface KMeansOptions extends GivenOptions<typeof KMEANS_OPTIONS.specs> {
  /** (k) int64 bank rows to start from; default a random permutation's first k (from `generator`). */
  init?: Tensor;
  /** (k, D) starting centroids instead of bank rows (`init`). */
  centroids?: Tensor;
  /** Generator of the random initial rows. */
  generator?: torch.Generator;
}

/**
 * Spherical k-means as DeepCluster v2's `cluster_memory` (Caron et al. 2020,
 * appendix: "we use k-means on the memory bank with cosine similarity"):
 * centroids start at k random bank rows; each iteration assigns every row to
 * the centroid of largest dot product, sets each non-empty cluster's centroid
 * to its mean (an empty one keeps its centroid) and re-normalises the
 * centroids; the returned assignments are those of the final centroids.
 * Runs without gradient, all on the bank's device. With `gatherDistributed`
 * in a data-parallel run, every rank passes its share of the rows and the
 * same `centroids`; all get the centroids of the k-means over every rank's
 * rows and the assignments of those rows in rank order.
 *
 * @param bank (N, D) L2-normalised embeddings.
 * @returns centroids (k, D), normalised, and assignments (N, or every rank's N in rank order) int64.
 * @example const { centroids, assignments } = sphericalKMeans(bank, 3000, { iterations: 10 });
 */
export function sphericalKMeans(bank: Tensor, k: number, options: KMeansOptions = {}): { centroids: Tensor; assignments: Tensor } {
  checkTensor(bank, 'bank');
  checkInt(k, 'k', 1);
  const { iterations, gatherDistributed } = KMEANS_OPTIONS.resolveKnown(options, 'sphericalKMeans', (key) => `options.${key}`,
    ['init', 'centroids', 'generator']);
  if (bank.dim() !== 2) throw new RangeError(`Expected bank of shape (N, D) but received shape [${bank.shape.join(', ')}]`);
  const [n, d] = bank.shape;
  const shards = gatherDistributed && rankAndWorld().world > 1 ? rowsPerRank(n) : undefined;
  const total = shards === undefined ? n : shards.reduce((a, b) => a + b, 0);
  if (k > total) {
    throw new RangeError(`k-means needs k <= the memory bank's size: k = ${k} clusters but the bank holds ${total} ` +
      'embeddings; lower k or enlarge the bank');
  }
  if (shards !== undefined && options.centroids === undefined) {
    throw new TypeError('sphericalKMeans with gatherDistributed needs options.centroids (k, D), the same on every rank ' +
      '(each rank holds only its share of the bank)');
  }
  // Sums over every rank's rows when the bank is sharded.
  const sum = shards === undefined ? (t: Tensor): Tensor => t : sumOverRanks;
  return torch.noGrad(() => {
    const x = atLeastFloat32(bank.detach());
    let centroids = startCentroids(x, k, options); // (k, D)
    let assignments = nearest(x, centroids); // (N)
    for (let it = 0; it < iterations; it++) {
      // NOTE: one index_add over the bank instead of the official loop over clusters.
      const sums = sum(torch.ops.aten.index_add(torch.zeros([k, d], { dtype: x.dtype, device: x.device }), 0, assignments, x)); // (k, D)
      const counts = sum(torch.ops.aten.index_add(torch.zeros([k], { dtype: x.dtype, device: x.device }), 0, assignments,
        torch.ones([n], { dtype: x.dtype, device: x.device }))); // (k)
      const nonEmpty = counts.gt(0).unsqueeze(1); // (k, 1)
      const means = sums.div(counts.clampMin(1).unsqueeze(1));
      centroids = normalize(torch.where(nonEmpty, means, centroids), { dim: 1 });
      assignments = nearest(x, centroids);
    }
    return { centroids, assignments: shards === undefined ? assignments : gatherRows(assignments, shards) };
  });
}

/** The starting centroids (k, D): `options.centroids`, else the bank rows `options.init`, else k random rows. */
function startCentroids(x: Tensor, k: number, options: KMeansOptions): Tensor {
  const d = x.shape[1];
  if (options.centroids !== undefined) {
    const c = checkTensor(options.centroids, 'options.centroids');
    if (c.dim() !== 2 || c.shape[0] !== k || c.shape[1] !== d) {
      throw new RangeError(`Expected options.centroids of shape [${k}, ${d}] but received shape [${c.shape.join(', ')}]`);
    }
    return c.to({ dtype: x.dtype, device: x.device });
  }
  const init = options.init ?? torch.randperm(x.shape[0], { generator: options.generator }).narrow(0, 0, k).to(x.device);
  if (init.dim() !== 1 || init.shape[0] !== k) {
    throw new RangeError(`Expected options.init of shape [${k}] (bank rows) but received shape [${init.shape.join(', ')}]`);
  }
  return x.indexSelect(0, init.to('int64'));
}

/** Every rank's number of rows, in rank order (a blocking gather). */
function rowsPerRank(n: number): number[] {
  const g = gatherFromRanks(() => torch.tensor([n], { dtype: 'float64' }))!;
  return (g.all.toArray() as number[]).map(Number);
}

/** Every rank's int64 rows (n_r) concatenated in rank order (as float64: exact for any cluster index). */
function gatherRows(mine: Tensor, shards: readonly number[]): Tensor {
  return gatherShards(mine.to('float64'), shards).to('int64');
}

// Rows of the bank scored per E-step slice: bounds the (rows, k) dot products to about 128 MB at k = 4096.
const ROWS_PER_SLICE = 8192;

/** The centroid of largest dot product for every row, in slices of rows (the full (N, k) matrix can be GBs). */
function nearest(x: Tensor, centroids: Tensor): Tensor {
  const n = x.shape[0];
  if (n <= ROWS_PER_SLICE) return x.matmul(centroids.t()).argmax(1);
  const parts: Tensor[] = [];
  for (let start = 0; start < n; start += ROWS_PER_SLICE) {
    parts.push(torch.scope(() => x.narrow(0, start, Math.min(ROWS_PER_SLICE, n - start)).matmul(centroids.t()).argmax(1)));
  }
  return torch.cat(parts, 0);
}

/** {@link deepClusterV2Loss}'s options. */
export const DEEPCLUSTER_V2_LOSS_OPTIONS = defineOptions({
  /** Temperature tau. Default 0.1 (main_deepclusterv2.py `--temperature`). */
  temperature: option(0.1, is.positive),
});

/**
 * DeepCluster v2's loss: for each set of prototypes h (one per k), the
 * cross-entropy of every crop's scores / tau to the cluster its image was
 * assigned to, averaged over the sets.
 *
 * @param scores per set, (nCrops * B, k_h) prototype scores, crop-major.
 * @param targets per set, (B) int64 cluster of each image.
 * @param options.temperature tau (DEEPCLUSTER_V2_LOSS_OPTIONS).
 * @example const loss = deepClusterV2Loss([s1, s2, s3], [t1, t2, t3], { temperature: 0.1 });
 */
export function deepClusterV2Loss(scores: readonly Tensor[], targets: readonly Tensor[],
  options: GivenOptions<typeof DEEPCLUSTER_V2_LOSS_OPTIONS.specs> = {}): Tensor {
  const { temperature } = DEEPCLUSTER_V2_LOSS_OPTIONS.resolveKnown(options, 'deepClusterV2Loss', (k) => `options.${k}`);
  if (!Array.isArray(scores) || scores.length < 1 || !Array.isArray(targets) || targets.length !== scores.length) {
    throw new RangeError(`Expected as many targets as score sets (at least one) but received ${String(scores?.length)} ` +
      `score set(s) and ${String(targets?.length)} target set(s)`);
  }
  let loss: Tensor | undefined;
  scores.forEach((s, h) => {
    checkTensor(s, `scores[${h}]`);
    const t = checkTensor(targets[h], `targets[${h}]`);
    if (t.dim() !== 1 || s.dim() !== 2 || s.shape[0] % t.shape[0] !== 0) {
      throw new RangeError(`Expected scores[${h}] of shape (nCrops * ${t.shape[0]}, k) for targets[${h}] of shape ` +
        `[${t.shape.join(', ')}] but received shape [${s.shape.join(', ')}]`);
    }
    const nCrops = s.shape[0] / t.shape[0];
    const term = crossEntropy(atLeastFloat32(s).div(temperature), t.to('int64').repeat([nCrops]));
    loss = loss === undefined ? term : loss.add(term);
  });
  return loss!.div(scores.length);
}
