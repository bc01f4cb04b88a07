// The all-gather with gradient that contrastive losses use for global
// negatives in a data-parallel run (SimCLR's and MoCo v3's GatherLayer).
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
 * `make()` (N, ...) of every rank of the default process group, concatenated
 * in rank order, with gradient (backward sums every rank's gradient for this
 * rank's rows); undefined (and `make` not called) without a group of more
 * than one rank, so a loss falls back to its single-process form.
 *
 * @example const g = gatherFromRanks(() => z); // g?.all: (W N, D), g?.rank
 */
export function gatherFromRanks(make: () => Tensor): Gathered | undefined {
  const d = torch.distributed;
  if (!d.isInitialized() || d.getWorldSize() === 1) return undefined;
  return { all: d.allGatherWithGrad(make()), rank: d.getRank(), world: d.getWorldSize() };
}
