// Frozen features extracted by the ranks of the default process group
// together: each rank encodes its contiguous share of the images, and the
// shares are gathered so that every rank holds all the features, in order
// (the final evaluation of a data-parallel run and the online k-NN monitor).
import * as torch from '../torch';
import { Tensor } from '../torch';
import { ImageDataset } from '../data/dataset';
import { Encoder } from '../models/encoder';
import { gatherShards, shardOf } from '../torch/distributed/shards';
import { ExtractFeaturesOptions, FeatureSet, extractFeatures } from './features';
import { LabelledFeatures } from './labelled-features';

/** This process's rank and the number of ranks of the default process group. */
export interface RankShard {
  rank: number;
  world: number;
}

/**
 * This process's place in the default process group when it has more than
 * one rank; undefined otherwise (one process does all the work).
 *
 * @example const shard = currentShard(); // { rank: 1, world: 2 } on rank 1 of 2
 */
export function currentShard(): RankShard | undefined {
  const d = torch.distributed;
  if (!d.isInitialized() || d.getWorldSize() < 2) return undefined;
  return { rank: d.getRank(), world: d.getWorldSize() };
}

/**
 * Rank `shard.rank`'s contiguous share of `indices` (`shardOf`: ceil(M/W)
 * each, the last fewer; empty when M < W leaves none for it).
 *
 * @example const mine = shareOf(torch.arange(10), { rank: 1, world: 2 }); // 5..9
 */
export function shareOf(indices: Tensor, shard: RankShard): Tensor {
  const { start, length } = shardOf(indices.shape[0], shard.rank, shard.world);
  return indices.narrow(0, start, length);
}

/**
 * Labelled features of the images at `indices`, shared among the ranks:
 * this rank runs `extract` on its share (`shareOf`), and the features and
 * labels of every share are all-gathered (`gatherShards`), so every rank
 * returns the features of all M images in `indices` order, as one process
 * would. Every rank must call it together with the same indices; it blocks
 * in the gathers. (The online k-NN monitor's training features, and
 * `shardedFeatures`.)
 *
 * @example
 * const all = gatherSharedRows(indices, shard, (mine) => extractFeatures(encoder, train, { indices: mine })); // (M, D)
 */
export function gatherSharedRows(indices: Tensor, shard: RankShard, extract: (mine: Tensor) => LabelledFeatures): LabelledFeatures {
  const { world } = shard;
  return torch.scope(() => {
    const m = indices.shape[0];
    const sizes = Array.from({ length: world }, (_, r) => shardOf(m, r, world).length);
    const mine = extract(shareOf(indices, shard));
    let features = mine.features;
    // NOTE: a rank with no image (M < W) does not know the features' width: then every rank's is gathered first
    // (every rank knows the sizes, so all take this branch together or none does).
    if (sizes.includes(0)) {
      const width = gatherShards(torch.tensor([mine.features.shape[0] === 0 ? 0 : mine.features.shape[1]], { dtype: 'float64' }),
        new Array<number>(world).fill(1)).max().item();
      if (mine.features.shape[0] === 0) features = torch.empty([0, Number(width)]);
    }
    return {
      features: gatherShards(features, sizes), // (M, D): every rank's share, in indices order
      labels: gatherShards(mine.labels.to('float64'), sizes).to('int64'),
    };
  });
}

/**
 * `extractFeatures` shared among the ranks (`gatherSharedRows` over
 * `options.indices`, default every image): every rank returns the features
 * of all the images, in order, as one process would. Every rank must call it
 * together with the same dataset and indices; it blocks in the gathers.
 *
 * @example
 * const { features, labels } = shardedFeatures(encoder, train, { mean, std }, currentShard()!); // (N, D) on every rank
 */
export function shardedFeatures(encoder: Encoder, dataset: ImageDataset, options: ExtractFeaturesOptions,
  shard: RankShard): FeatureSet {
  return torch.scope(() => {
    const all = options.indices ?? torch.arange(dataset.images.shape[0]);
    return gatherSharedRows(all, shard, (mine) => extractFeatures(encoder, dataset, { ...options, indices: mine }));
  });
}
