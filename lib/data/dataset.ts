// The ImageDataset record that every dataset reader returns, and the helpers
// that build one, check it, split it and compute its channel statistics.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';

/**
 * Images held in memory as one uint8 tensor, with optional labels.
 *
 * Every reader (Fashion-MNIST, CIFAR, image folders, synthetic) returns this
 * record; the Loader batches it and the augmentations normalise with
 * `mean` and `std`.
 */
export interface ImageDataset {
  /** A short name for logs ('fashion-mnist/train', 'cifar10/test', the folder name). */
  name: string;
  /** uint8 (N, C, H, W) on the CPU, values 0..255. */
  images: Tensor;
  /** int64 (N) class indices in 0..classes.length - 1, when the data is labelled. */
  labels?: Tensor;
  /** Class names, indexed by label. */
  classes?: string[];
  /** Per-channel mean of the pixels, in [0, 1] units. */
  mean: number[];
  /** Per-channel standard deviation of the pixels, in [0, 1] units. */
  std: number[];
  /** Number of images (N). */
  length: number;
  /** The file of each image, relative to its folder (image folders). */
  files?: readonly string[];
}

/** Which half of a dataset with a fixed train/test division to read. */
export type Split = 'train' | 'test';

/** Checks a `split` option and returns it. @example checkSplit(options.split, 'fashionMnist') */
export function checkSplit(split: unknown, where: string): Split {
  if (split !== 'train' && split !== 'test') {
    throw new TypeError(`Expected 'train' or 'test' for ${where} options.split but received ${JSON.stringify(split)}`);
  }
  return split;
}

/** What `makeDataset` needs: the images, and optionally labels, class names and statistics. */
export interface DatasetParts {
  name: string;
  images: Tensor;
  labels?: Tensor;
  classes?: string[];
  /** Known channel statistics; computed from the images when absent. */
  mean?: number[];
  std?: number[];
  /** The file of each image (image folders). */
  files?: readonly string[];
}

/**
 * Checks the parts of a dataset (dtype, shapes, label range) and returns the
 * ImageDataset, computing mean and std from the images unless given.
 *
 * @example
 * const ds = data.makeDataset({ name: 'mine', images: torch.zeros([10, 3, 8, 8], { dtype: 'uint8' }) });
 * ds.mean; // [0, 0, 0]
 */
export function makeDataset(parts: DatasetParts): ImageDataset {
  const { name, images, labels, classes } = parts;
  if (images.dtype !== 'uint8' || images.dim() !== 4 || images.device !== 'cpu') {
    throw new TypeError(`Expected a uint8 (N, C, H, W) CPU tensor for the images of dataset '${name}' but received ` +
      `${images.dtype} (${images.shape.join(', ')}) on ${images.device}`);
  }
  const [n, c] = images.shape;
  if (labels !== undefined) {
    if (labels.dtype !== 'int64' || labels.dim() !== 1 || labels.shape[0] !== n) {
      throw new TypeError(`Expected int64 labels of shape (${n}) for dataset '${name}' but received ` +
        `${labels.dtype} (${labels.shape.join(', ')})`);
    }
    if (classes !== undefined && n > 0) {
      const [lo, hi] = torch.scope(() => [labels.min().item() as number, labels.max().item() as number]);
      if (lo < 0 || hi >= classes.length) {
        throw new RangeError(`Expected labels in 0..${classes.length - 1} for dataset '${name}' (${classes.length} ` +
          `classes) but found labels from ${lo} to ${hi}`);
      }
    }
  }
  let { mean, std } = parts;
  if (mean === undefined || std === undefined) ({ mean, std } = channelStats(images));
  if (mean.length !== c || std.length !== c) {
    throw new RangeError(`Expected ${c} per-channel values for mean and std of dataset '${name}' but received ` +
      `${mean.length} and ${std.length}`);
  }
  if (parts.files !== undefined && parts.files.length !== n) {
    throw new RangeError(`Expected ${n} file names for dataset '${name}' but received ${parts.files.length}`);
  }
  return { name, images, labels, classes, mean, std, length: n, ...(parts.files !== undefined ? { files: parts.files } : {}) };
}

/**
 * Per-channel mean and standard deviation of uint8 (N, C, H, W) images, in
 * [0, 1] units (pixel / 255), over all images and pixels.
 *
 * NOTE: the population formula (divide by the count, as torchvision's
 * commonly quoted constants do). Sums of pixels and of their squares are
 * exact integers (int64 per chunk of images, BigInt across chunks), so the
 * result does not depend on the chunk size and needs no float copy of the
 * images (8x faster than summing in float64).
 *
 * @example
 * const { mean, std } = data.channelStats(ds.images); // Fashion-MNIST train: [0.2860], [0.3530]
 */
export function channelStats(images: Tensor, chunkSize = 4096): { mean: number[]; std: number[] } {
  if (images.dim() !== 4 || images.dtype !== 'uint8') {
    throw new TypeError(`Expected uint8 (N, C, H, W) images for channelStats but received ${images.dtype} ` +
      `(${images.shape.join(', ')})`);
  }
  const [n, c, h, w] = images.shape;
  const sum: bigint[] = Array(c).fill(0n);
  const sumSq: bigint[] = Array(c).fill(0n);
  for (let start = 0; start < n; start += chunkSize) {
    torch.scope(() => {
      const x = images.narrow(0, start, Math.min(chunkSize, n - start)).to('int32'); // (b, C, H, W)
      const s = x.sum([0, 2, 3], false, { dtype: 'int64' }).toTypedArray() as BigInt64Array;
      const q = x.mul(x).sum([0, 2, 3], false, { dtype: 'int64' }).toTypedArray() as BigInt64Array;
      for (let i = 0; i < c; i++) {
        sum[i] += s[i];
        sumSq[i] += q[i];
      }
    });
  }
  const count = BigInt(n * h * w);
  const mean: number[] = [];
  const std: number[] = [];
  for (let i = 0; i < c; i++) {
    if (count === 0n) {
      mean.push(0);
      std.push(0);
      continue;
    }
    // count^2 * variance = count * sum(x^2) - sum(x)^2, exactly.
    const scaledVar = count * sumSq[i] - sum[i] * sum[i];
    mean.push(Number(sum[i]) / Number(count) / 255);
    std.push(Math.sqrt(Number(scaledVar)) / Number(count) / 255);
  }
  return { mean, std };
}

/**
 * The images (and labels) at `indices`, as a new dataset that keeps the
 * parent's classes, mean and std (so that every part is normalised alike).
 *
 * @example
 * const firstHundred = data.subset(train, torch.arange(100));
 */
export function subset(dataset: ImageDataset, indices: Tensor, name = `${dataset.name}[subset]`): ImageDataset {
  return torch.scope(() => {
    const idx = indices.long();
    const images = dataset.images.indexSelect(0, idx);
    const labels = dataset.labels?.indexSelect(0, idx);
    return { name, images, labels, classes: dataset.classes, mean: dataset.mean.slice(), std: dataset.std.slice(),
      length: images.shape[0] };
  });
}

/** `randomSplit`'s options: defaults and checks. */
export const RANDOM_SPLIT_OPTIONS = defineOptions({
  /** Seed of the split's permutation. Default 0. */
  seed: option(0, is.int(0)),
});

/**
 * Splits a dataset at random into parts of the given sizes (which must add up
 * to its length), as `torch.utils.data.random_split`, seeded so the split is
 * the same on every run. The parts keep the parent's mean and std.
 *
 * @example
 * const [train, val] = data.randomSplit(full, [55000, 5000], { seed: 0 });
 */
export function randomSplit(dataset: ImageDataset, lengths: readonly number[],
  options: GivenOptions<typeof RANDOM_SPLIT_OPTIONS.specs> = {}): ImageDataset[] {
  const total = lengths.reduce((a, b) => a + b, 0);
  if (!lengths.every((l) => Number.isInteger(l) && l >= 0) || total !== dataset.length) {
    throw new RangeError(`Expected non-negative integer lengths adding up to ${dataset.length} (the length of ` +
      `'${dataset.name}') for randomSplit but received [${lengths.join(', ')}]`);
  }
  const { seed } = RANDOM_SPLIT_OPTIONS.resolve(options, (k) => `randomSplit options.${k}`);
  const generator = new torch.Generator().manualSeed(seed);
  const perm = torch.randperm(dataset.length, { generator });
  try {
    let start = 0;
    return lengths.map((l, i) => {
      const part = subset(dataset, perm.narrow(0, start, l), `${dataset.name}[split ${i}]`);
      start += l;
      return part;
    });
  } finally {
    perm.dispose();
  }
}

/**
 * Frees the tensors of a dataset (images, labels).
 * @example data.disposeDataset(ds);
 */
export function disposeDataset(dataset: ImageDataset): void {
  dataset.images.dispose();
  dataset.labels?.dispose();
}
