// The online k-NN monitor: weighted k-NN accuracy of the encoder's frozen
// features on fixed, seeded subsets of labelled train and test data, so
// that successive evaluations during a run are comparable and cheap.
import * as torch from '../torch';
import { Tensor, Device } from '../torch';
import { ImageDataset } from '../data/dataset';
import { Encoder } from '../models/encoder';
import { extractFeatures } from '../eval/features';
import { knn, LabelledFeatures } from '../eval/knn';
import { rawPixelFeatures } from '../eval/floors';
import { gatherShards } from '../torch/distributed/shards';
import { RankShard, currentShard, gatherSharedRows, shareOf } from '../eval/sharded-features';
import { MonitorOptions } from './options';

/** Labelled features of some images of a dataset (an encoder's, or raw pixels). */
type Extract = (dataset: ImageDataset, indices: Tensor) => LabelledFeatures;

/** Where the monitor runs: its seed, device and normalisation, and whether it is sharded across ranks. */
export interface MonitorRun {
  seed: number;
  device: Device;
  mean: readonly number[];
  std: readonly number[];
  batchSize?: number;
  /**
   * Share the work among the ranks of the default process group (default
   * false): every rank must then call `evaluate` and `floors` together.
   */
  sharded?: boolean;
}

/**
 * Evaluates an encoder with k-NN (T = 0.07) on the same subsets every time.
 * The subsets come from their own generator (seeded with `seed`), so running
 * the monitor changes no other random state: a resumed run stays exact.
 *
 * Sharded (`run.sharded` in a data-parallel run), rank r encodes its
 * contiguous share of the train and test subsets; the train features are
 * all-gathered, each rank classifies its test share against all of them,
 * and the hits are summed: every rank gets the single-process accuracy. The
 * encoder's buffers are first broadcast from rank 0, so every share is
 * encoded with rank 0's batch-norm statistics (they differ only with
 * `syncBatchNorm: false`, and only evaluation reads them).
 *
 * @example
 * const monitor = new KnnMonitor({ train, test, k: 20 }, { seed: 0, device: 'cpu', mean, std });
 * monitor.evaluate(method.encoder); // { 20: 0.81 }
 */
export class KnnMonitor {
  private readonly trainIndices: Tensor;
  private readonly testIndices: Tensor;
  private readonly numClasses: number | undefined;
  private readonly shard: RankShard | undefined;

  constructor(readonly options: Required<MonitorOptions>, readonly run: MonitorRun) {
    const pick = (ds: ImageDataset, size: number, offset: number): Tensor => {
      const n = ds.images.shape[0];
      const g = new torch.Generator().manualSeed(run.seed + offset);
      return torch.keep(torch.scope(() => torch.randperm(n, { generator: g }).narrow(0, 0, Math.min(n, size)).clone()));
    };
    this.trainIndices = pick(options.train, options.trainSubset, 1000003);
    this.testIndices = pick(options.test, options.testSubset, 2000003);
    // NOTE: fixed here rather than inferred by knn from the labels it sees: a rank sees only its test share.
    this.numClasses = options.train.classes?.length ?? torch.scope(() => {
      const { train, test } = options;
      if (train.labels === undefined || test.labels === undefined) return undefined;
      return 1 + Math.max(Number(train.labels.indexSelect(0, this.trainIndices).max().item()),
        Number(test.labels.indexSelect(0, this.testIndices).max().item()));
    });
    this.shard = run.sharded === true ? currentShard() : undefined;
  }

  /** The sizes of the seeded subsets it measures on (the options' sizes, capped at the datasets'). */
  get subsetSizes(): { train: number; test: number } {
    return { train: this.trainIndices.shape[0], test: this.testIndices.shape[0] };
  }

  /** Top-1 accuracy in [0, 1] by k (one entry, `options.k`). @example monitor.evaluate(method.encoder)[20] */
  evaluate(encoder: Encoder): Record<string, number> {
    if (this.shard !== undefined) torch.distributed.broadcastCoalesced(encoder.buffers(), 0);
    return torch.scope(() => {
      const common = { batchSize: this.run.batchSize, device: this.run.device, mean: this.run.mean, std: this.run.std };
      return { [this.options.k]: this.top1((ds, indices) => extractFeatures(encoder, ds, { ...common, indices })) };
    });
  }

  /**
   * The floors on the same subsets: raw pixels, and `randomEncoder` (the
   * run's encoder before its first step) when given. Top-1 in [0, 1] at `options.k`.
   *
   * @example monitor.floors(method.encoder) // { 'raw pixels': 0.83, 'random encoder': 0.74 }
   */
  floors(randomEncoder?: Encoder): Record<string, number> {
    const pixels = torch.scope(() => this.top1((ds, indices) => rawPixelFeatures(ds, { indices })));
    const out: Record<string, number> = { 'raw pixels': pixels };
    if (randomEncoder !== undefined) out['random encoder'] = this.evaluate(randomEncoder)[this.options.k];
    return out;
  }

  /** Frees the subset indices. @example monitor.dispose(); */
  dispose(): void {
    this.trainIndices.dispose();
    this.testIndices.dispose();
  }

  /** k-NN top-1 (T = 0.07) of the test subset against the train subset, in one process or sharded. */
  private top1(extract: Extract): number {
    const { k } = this.options;
    const { train, test } = this.options;
    const options = { k: [k], temperature: 0.07, numClasses: this.numClasses };
    if (this.shard === undefined) return knn(extract(train, this.trainIndices), extract(test, this.testIndices), options).top1[k];
    const { world } = this.shard;
    const all = gatherSharedRows(this.trainIndices, this.shard, (mine) => extract(train, mine)); // (N, D), in subset order
    const part = shareOf(this.testIndices, this.shard);
    const hits = part.shape[0] === 0 ? 0 : Math.round(knn(all, extract(test, part), options).top1[k] * part.shape[0]);
    const total = gatherShards(torch.tensor([hits], { dtype: 'float64' }), new Array<number>(world).fill(1)).sum(); // every rank's hits
    return Number(total.item()) / this.testIndices.shape[0];
  }
}
