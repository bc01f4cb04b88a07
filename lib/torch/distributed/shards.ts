// Rows split among the ranks of the default group and gathered back, for work
// that every rank does on its share inside a synchronous step or evaluation
// (DeepCluster v2's k-means, the sharded k-NN monitor).
import { Tensor } from '../tensor';
import { noGrad } from '../autograd';
import { zeros } from '../creation';
import { cat } from '../functions';
import { allGatherWithGrad } from './collectives';
import { toCollectiveDevice } from './collective-device';

/**
 * Rank `rank`'s contiguous share of `n` rows among `world` ranks: rows
 * `[rank c, rank c + length)` with c = ceil(n / world) (the last ranks may
 * hold fewer, or none).
 *
 * @example shardOf(11, 1, 2); // { start: 6, length: 5 }
 */
export function shardOf(n: number, rank: number, world: number): { start: number; length: number } {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(world) || world < 1 || !Number.isInteger(rank) || rank < 0 || rank >= world) {
    throw new RangeError(`Expected n >= 0 rows and a rank from 0 to world - 1 for shardOf but received n ${n}, rank ${rank}, world ${world}`);
  }
  const share = Math.ceil(n / world);
  const start = Math.min(rank * share, n);
  return { start, length: Math.min(share, n - start) };
}

/**
 * Every rank's share of rows (`sizes[r]` rows on rank r, in rank order)
 * concatenated along dim 0: a blocking all-gather, without gradient. The
 * shares are padded to the largest, as c10d gathers one shape from every
 * rank. Floating-point dtypes (convert integers to float64: exact below 2^53).
 * The result is on `mine`'s device; the gather runs on the backend's
 * (`collectiveDevice`: host rows travel through the GPU under NCCL).
 *
 * @example const all = gatherShards(myFeatures, [6, 5]); // (11, D) on every rank
 */
export function gatherShards(mine: Tensor, sizes: readonly number[]): Tensor {
  const most = Math.max(...sizes);
  const rank = sizes.length;
  if (mine.shape[0] > most) {
    throw new RangeError(`Expected at most ${most} rows for gatherShards (the largest of sizes [${sizes.join(', ')}]) ` +
      `but received ${mine.shape[0]} (over ${rank} ranks)`);
  }
  return noGrad(() => {
    const rest = mine.shape.slice(1);
    const padded = mine.shape[0] === most ? mine.contiguous()
      : cat([mine, zeros([most - mine.shape[0], ...rest], { dtype: mine.dtype, device: mine.device })], 0);
    const all = allGatherWithGrad(toCollectiveDevice(padded)); // (W most, ...), on the backend's device (NCCL: the GPU)
    const out = cat(sizes.map((n, r) => all.narrow(0, r * most, n)), 0);
    return out.device === mine.device ? out : out.to(mine.device);
  });
}
