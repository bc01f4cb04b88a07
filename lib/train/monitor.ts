// The online k-NN monitor: weighted k-NN accuracy of the encoder's frozen
// features on fixed, seeded subsets of labelled train and test data, so
// that successive evaluations during a run are comparable and cheap.
import * as torch from '../torch';
import { Tensor, Device } from '../torch';
import { ImageDataset } from '../data/dataset';
import { Encoder } from '../models/encoder';
import { extractFeatures } from '../eval/features';
import { knn } from '../eval/knn';
import { rawPixelFeatures } from '../eval/floors';
import { MonitorOptions } from './options';

/**
 * Evaluates an encoder with k-NN (T = 0.07) on the same subsets every time.
 * The subsets come from their own generator (seeded with `seed`), so running
 * the monitor changes no other random state: a resumed run stays exact.
 *
 * @example
 * const monitor = new KnnMonitor({ train, test, k: 20 }, { seed: 0, device: 'cpu', mean, std });
 * monitor.evaluate(method.encoder); // { 20: 0.81 }
 */
export class KnnMonitor {
  private readonly trainIndices: Tensor;
  private readonly testIndices: Tensor;

  constructor(readonly options: Required<MonitorOptions>,
    readonly run: { seed: number; device: Device; mean: readonly number[]; std: readonly number[]; batchSize?: number }) {
    const pick = (ds: ImageDataset, size: number, offset: number): Tensor => {
      const n = ds.images.shape[0];
      const g = new torch.Generator().manualSeed(run.seed + offset);
      return torch.keep(torch.scope(() => torch.randperm(n, { generator: g }).narrow(0, 0, Math.min(n, size)).clone()));
    };
    this.trainIndices = pick(options.train, options.trainSubset, 1000003);
    this.testIndices = pick(options.test, options.testSubset, 2000003);
  }

  /** The sizes of the seeded subsets it measures on (the options' sizes, capped at the datasets'). */
  get subsetSizes(): { train: number; test: number } {
    return { train: this.trainIndices.shape[0], test: this.testIndices.shape[0] };
  }

  /** Top-1 accuracy in [0, 1] by k (one entry, `options.k`). @example monitor.evaluate(method.encoder)[20] */
  evaluate(encoder: Encoder): Record<string, number> {
    return torch.scope(() => {
      const common = { batchSize: this.run.batchSize, device: this.run.device, mean: this.run.mean, std: this.run.std };
      const train = extractFeatures(encoder, this.options.train, { ...common, indices: this.trainIndices });
      const test = extractFeatures(encoder, this.options.test, { ...common, indices: this.testIndices });
      const numClasses = this.options.train.classes?.length;
      const { top1 } = knn(train, test, { k: [this.options.k], numClasses }); // knn's temperature
      return Object.fromEntries(Object.entries(top1));
    });
  }

  /**
   * The floors on the same subsets: raw pixels, and `randomEncoder` (the
   * run's encoder before its first step) when given. Top-1 in [0, 1] at `options.k`.
   *
   * @example monitor.floors(method.encoder) // { 'raw pixels': 0.83, 'random encoder': 0.74 }
   */
  floors(randomEncoder?: Encoder): Record<string, number> {
    return torch.scope(() => {
      const k = this.options.k;
      const numClasses = this.options.train.classes?.length;
      const raw = (ds: ImageDataset, indices: Tensor): ReturnType<typeof rawPixelFeatures> => rawPixelFeatures(ds, { indices });
      const pixels = knn(raw(this.options.train, this.trainIndices), raw(this.options.test, this.testIndices),
        { k: [k], temperature: 0.07, numClasses }).top1[k];
      const out: Record<string, number> = { 'raw pixels': pixels };
      if (randomEncoder !== undefined) out['random encoder'] = this.evaluate(randomEncoder)[k];
      return out;
    });
  }

  /** Frees the subset indices. @example monitor.dispose(); */
  dispose(): void {
    this.trainIndices.dispose();
    this.testIndices.dispose();
  }
}
