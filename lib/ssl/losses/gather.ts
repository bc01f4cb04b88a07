// Collectives that a loss or a method's step makes inside its (synchronous)
// forward in a data-parallel run: SimCLR's and MoCo v3's GatherLayer for
// global negatives, and the blocking sums of SwAV's Sinkhorn, DINO's centre
// and DeepCluster v2's k-means.
import * as torch from '../../torch';
import { Tensor } from '../../torch';

/** Every rank's rows of a tensor, this rank's index and the number of ranks. */
export interface Gathered {
  /** (W N, ...): rank 0's rows first. */
  all: Tensor;
  rank: number;
  world: number;
}

/**
 * This process's rank and the number of ranks of the default process group
 * (0 and 1 without a group).
 *
 * @example const { rank, world } = rankAndWorld(); // { rank: 0, world: 1 } in one process
 */
export function rankAndWorld(): { rank: number; world: number } {
  const d = torch.distributed;
  if (!d.isInitialized()) return { rank: 0, world: 1 };
  return { rank: d.getRank(), world: d.getWorldSize() };
}

/**
 * `make()` (N, ...) of every rank of the default process group, concatenated
 * in rank order, with gradient (backward sums every rank's gradient for this
 * rank's rows); undefined (and `make` not called) without a group of more
 * than one rank, so a loss falls back to its single-process form.
 *
 * @example const g = gatherFromRanks(() => z); // g?.all: (W N, D), g?.rank
 */
export function gatherFromRanks(make: () => Tensor): Gathered | undefined {
  const { rank, world } = rankAndWorld();
  if (world === 1) return undefined;
  return { all: torch.distributed.allGatherWithGrad(make()), rank, world };
}

/**
 * The sum of `t` over every rank (a blocking all-reduce, without gradient:
 * c10d's all-gather followed by a sum, so it can run inside a synchronous
 * step); `t` itself without a group of more than one rank. Every rank must
 * call it with the same shape, in the same order.
 *
 * @example const total = sumOverRanks(q.sum(1, true)); // (K, 1): Sinkhorn's row sums over every rank's samples
 */
export function sumOverRanks(t: Tensor): Tensor {
  return torch.noGrad(() => {
    const g = gatherFromRanks(() => t.contiguous().unsqueeze(0)); // (W, ...)
    return g === undefined ? t : g.all.sum(0);
  });
}
