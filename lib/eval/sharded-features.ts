// Frozen features extracted by the ranks of the default process group
// together: each rank encodes its contiguous share of the images, and the
// shares are gathered so that every rank holds all the features, in order
// (the final evaluation of a data-parallel run, as the online k-NN monitor).
import * as torch from '../torch';
import { Tensor } from '../torch';
import { ImageDataset } from '../data/dataset';
import { Encoder } from '../models/encoder';
import { gatherShards, shardOf } from '../torch/distributed/shards';
import { ExtractFeaturesOptions, FeatureSet, extractFeatures } from './features';

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
 * `extractFeatures` shared among the ranks: rank r encodes its share
 * (`shardOf`: ceil(M/W) images each, the last fewer) of `options.indices`
 * (default every image), and the features and labels of every share are
 * all-gathered (`gatherShards`), so every rank returns the features of all M
 * images in `indices` order, as one process would. Every rank must call it
 * together with the same dataset and indices; it blocks in the gathers.
 *
 * @example
 * const { features, labels } = shardedFeatures(encoder, train, { mean, std }, currentShard()!); // (N, D) on every rank
 */
export function shardedFeatures(encoder: Encoder, dataset: ImageDataset, options: ExtractFeaturesOptions,
  shard: RankShard): FeatureSet {
  const { rank, world } = shard;
  return torch.scope(() => {
    const all = options.indices ?? torch.arange(dataset.images.shape[0]);
    const m = all.shape[0];
    const { start, length } = shardOf(m, rank, world);
    const sizes = Array.from({ length: world }, (_, r) => shardOf(m, r, world).length);
    const mine = extractFeatures(encoder, dataset, { ...options, indices: all.narrow(0, start, length) });
    // NOTE: a rank with no image (M < W) does not know the features' width: every rank's is gathered first.
    const widths = gatherShards(torch.tensor([length === 0 ? 0 : mine.features.shape[1]], { dtype: 'float64' }),
      new Array<number>(world).fill(1));
    const width = Number(widths.max().item());
    const features: Tensor = length === 0 ? torch.empty([0, width]) : mine.features;
    return {
      features: gatherShards(features, sizes), // (M, D): every rank's share, in indices order
      labels: gatherShards(mine.labels.to('float64'), sizes).to('int64'),
    };
  });
}
