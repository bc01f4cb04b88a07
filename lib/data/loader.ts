// Batches of an in-memory ImageDataset, in a seeded order that depends only
// on (seed, epoch), prepared one step ahead of the consumer.
import * as torch from '../torch';
import { Device, Tensor } from '../torch';
import { checkDevice, checkInt } from '../torch/arguments';
import { defineOptions, GivenOptions, is, option, REQUIRED } from '../torch/option-table';
import { DistributedSampler } from '../torch/distributed/sampler';
import { ImageDataset } from './dataset';

/** One batch as the Loader yields it (without a transform). All tensors are on the loader's device. */
export interface Batch {
  /** uint8 (B, C, H, W). */
  images: Tensor;
  /** int64 (B), when the dataset is labelled. */
  labels?: Tensor;
  /** int64 (B): the positions of these images in the dataset. */
  indices: Tensor;
  /** The epoch this batch belongs to. */
  epoch: number;
  /** Its position in the epoch: 0 .. loader.length - 1. */
  step: number;
}

/** Where an interrupted run resumes: `loader.epoch(state.epoch, { startStep: state.step })`. */
export interface LoaderState {
  epoch: number;
  step: number;
}

/** The Loader's options: defaults and checks (the transform and the shard have no default). */
export const LOADER_OPTIONS = defineOptions({
  /** Images per batch. */
  batchSize: option(REQUIRED, is.int(1)),
  /** Visit the images in a seeded random order (default true); false visits them in dataset order. */
  shuffle: option(true, is.boolean),
  /** Seed of the order: epoch e uses a generator seeded with seed + e (default 0). */
  seed: option(0, is.int(0)),
  /** Leave out the last, smaller batch of an epoch (default true: fixed shapes for compiled and captured steps). */
  dropLast: option(true, is.boolean),
  /** Where the batches go: 'cpu' (default), 'cuda', 'cuda:N'. */
  device: option<Device>('cpu', checkDevice),
  /** Batches prepared ahead of the one being consumed (default 1; 0 prepares on demand). */
  prefetch: option(1, is.int(0)),
});

/** `loader.epoch`'s options. */
export const EPOCH_OPTIONS = defineOptions({
  /** The step of the epoch to start from (default 0: the whole epoch). */
  startStep: option(0, is.int(0)),
});

export interface LoaderOptions<T> extends GivenOptions<typeof LOADER_OPTIONS.specs> {
  /** Images per batch. */
  batchSize: number;
  /**
   * Turns each batch into what the loader yields, e.g. augmented views. It
   * runs inside a memory scope: batch tensors it does not return are freed.
   * It must be synchronous.
   */
  transform?: (images: Tensor, batch: Batch) => T;
  /**
   * Data-parallel sharding: this process takes rank `rank`'s share of each
   * epoch's order among `numReplicas` processes, exactly as
   * `DistributedSampler(length, { numReplicas, rank, shuffle, seed, dropLast })`
   * with `setEpoch(e)` (so `batchSize` is the per-rank batch). Omitted: the whole order.
   */
  shard?: { numReplicas: number; rank: number };
}

/**
 * Frees every tensor in a batch (or in whatever a transform returned:
 * tensors found in arrays, Maps and plain objects).
 *
 * @example
 * for await (const batch of loader.epoch(0)) { train(batch); data.disposeBatch(batch); }
 */
export function disposeBatch(value: unknown): void {
  if (value instanceof Tensor) value.dispose();
  else if (Array.isArray(value)) value.forEach(disposeBatch);
  else if (value instanceof Map) value.forEach(disposeBatch);
  else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    Object.values(value).forEach(disposeBatch);
  }
}

/**
 * Iterates over an ImageDataset in batches.
 *
 * The order of epoch `e` comes from `randperm` with a generator seeded with
 * `seed + e`, so it depends on nothing else: a run resumed with
 * `epoch(e, { startStep: k })` sees exactly the batches k, k + 1, ... that
 * the uninterrupted run saw.
 *
 * Ownership: every batch (or transform result) that the loader yields
 * belongs to the consumer, who frees it (`disposeBatch`, `dispose()` on its
 * tensors, or by letting a training step's scope own what it derives from
 * it). Batches prepared ahead but never yielded, and the epoch's order, are
 * freed by the loader when the epoch ends or the loop breaks.
 *
 * @example
 * const loader = new data.Loader(train, { batchSize: 256, device: 'cuda', seed: 0 });
 * for (let e = 0; e < epochs; e++) {
 *   for await (const batch of loader.epoch(e)) {
 *     torch.scope(() => step(batch.images));
 *     data.disposeBatch(batch);
 *   }
 * }
 */
export class Loader<T = Batch> {
  readonly dataset: ImageDataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly device: Device;
  readonly prefetch: number;
  private readonly transform?: (images: Tensor, batch: Batch) => T;
  private readonly sampler?: DistributedSampler;
  private position: LoaderState = { epoch: 0, step: 0 };

  constructor(dataset: ImageDataset, options: LoaderOptions<T>) {
    const images = dataset?.images;
    if (!(images instanceof Tensor) || images.dim() !== 4) {
      throw new TypeError('Expected an ImageDataset with (N, C, H, W) images for Loader but received ' +
        `${images instanceof Tensor ? `images of shape (${images.shape.join(', ')})` : String(dataset)}`);
    }
    this.dataset = dataset;
    const o = LOADER_OPTIONS.resolve(options ?? {}, (k) => k);
    this.batchSize = o.batchSize;
    this.shuffle = o.shuffle;
    this.seed = o.seed;
    this.dropLast = o.dropLast;
    this.device = o.device;
    this.prefetch = o.prefetch;
    this.transform = options.transform;
    if (options.shard !== undefined) {
      // NOTE: the sampler drops the tail when the loader drops its last batch,
      // so an epoch over N ranks is the single-process epoch split among them
      // (global batch k = positions k*B .. k*B + B - 1 of the same permutation).
      this.sampler = new DistributedSampler(images.shape[0], { numReplicas: options.shard.numReplicas,
        rank: options.shard.rank, shuffle: this.shuffle, seed: this.seed, dropLast: this.dropLast });
    }
    const n = this.samples;
    if (this.dropLast && this.batchSize > n) {
      throw new RangeError(`batchSize ${this.batchSize} is larger than dataset '${dataset.name}' (${n} images), ` +
        'and dropLast is true, so an epoch would have no batch: lower batchSize or pass dropLast: false');
    }
  }

  /** Samples per epoch for this process (the dataset's length, or this rank's share). */
  get samples(): number {
    return this.sampler?.numSamples ?? this.dataset.images.shape[0];
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.samples;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /**
   * Where to resume: the epoch and step of the next batch not yet handed out
   * (after the last step of an epoch: step 0 of the next epoch).
   * @example checkpoint.loader = loader.state(); // later: loader.epoch(s.epoch, { startStep: s.step })
   */
  state(): LoaderState {
    return { ...this.position };
  }

  /**
   * The order of epoch `epoch`: int64 (N) dataset positions (this rank's
   * share with `shard`). The caller owns the tensor.
   * @example loader.order(3).slice(0, 0, 256) // the indices of epoch 3's first batch
   */
  order(epoch: number): Tensor {
    checkInt(epoch, 'epoch', 0);
    if (this.sampler !== undefined) {
      this.sampler.setEpoch(epoch);
      return torch.tensor(this.sampler.indices(), { dtype: 'int64' });
    }
    const n = this.dataset.images.shape[0];
    if (!this.shuffle) return torch.arange(n);
    const generator = new torch.Generator().manualSeed(this.seed + epoch);
    return torch.randperm(n, { generator });
  }

  /**
   * The batches of one epoch, from `startStep` (default 0) to the end. While
   * the consumer works on batch k, batch k + 1 (up to `prefetch` batches) is
   * already gathered and, on CUDA, its copy to the device queued.
   *
   * @example
   * for await (const { images, labels, step } of loader.epoch(2, { startStep: 100 })) { ... }
   */
  async *epoch(epoch: number, options: GivenOptions<typeof EPOCH_OPTIONS.specs> = {}): AsyncGenerator<T, void, undefined> {
    checkInt(epoch, 'epoch', 0);
    const length = this.length;
    const { startStep } = EPOCH_OPTIONS.resolve(options, (k) => k);
    if (startStep > length) {
      throw new RangeError(`Expected startStep in 0..${length} (the loader has ${length} batches per epoch) but ` +
        `received ${startStep}`);
    }
    this.position = startStep < length ? { epoch, step: startStep } : { epoch: epoch + 1, step: 0 };
    const order = this.order(epoch);
    const ready: { step: number; value: T }[] = [];
    let next = startStep;
    try {
      if (next < length) ready.push({ step: next, value: this.prepare(order, epoch, next++) });
      while (ready.length > 0) {
        const item = ready.shift()!;
        while (ready.length < this.prefetch && next < length) {
          ready.push({ step: next, value: this.prepare(order, epoch, next++) });
        }
        this.position = item.step + 1 < length ? { epoch, step: item.step + 1 } : { epoch: epoch + 1, step: 0 };
        yield item.value;
      }
    } finally {
      for (const item of ready) disposeBatch(item.value);
      order.dispose();
    }
  }

  /** Gathers batch `step` of `order` and moves it to the device, then applies the transform. */
  private prepare(order: Tensor, epoch: number, step: number): T {
    const source = this.dataset;
    const cuda = this.device !== 'cpu';
    return torch.scope(() => {
      const start = step * this.batchSize;
      const size = Math.min(this.batchSize, this.samples - start);
      const indices = order.narrow(0, start, size); // (B)
      let images: Tensor;
      if (cuda) {
        // NOTE: gather straight into page-locked memory, then copy without
        // blocking: the copy queues on the current stream behind the
        // consumer's work, and libtorch's caching host allocator keeps the
        // pinned block alive until the copy has run.
        const [, c, h, w] = source.images.shape;
        const pinned = torch.ops.aten.empty.memory_format([size, c, h, w], { dtype: 'uint8', pin_memory: true }) as Tensor;
        torch.ops.aten.index_select.out(source.images, 0, indices, { out: pinned });
        images = pinned.to({ device: this.device, nonBlocking: true });
      } else {
        images = source.images.indexSelect(0, indices); // (B, C, H, W)
      }
      const toDevice = (t: Tensor): Tensor => (cuda
        ? (torch.ops.aten.pin_memory(t) as Tensor).to({ device: this.device, nonBlocking: true })
        : t);
      const labels = source.labels === undefined ? undefined : toDevice(source.labels.indexSelect(0, indices));
      const batch: Batch = { images, labels, indices: toDevice(indices.clone()), epoch, step };
      if (labels === undefined) delete batch.labels;
      return this.transform ? this.transform(images, batch) : (batch as unknown as T);
    });
  }
}
