// CIFAR-10 and CIFAR-100 (Krizhevsky, 2009) in their binary versions
// (https://www.cs.toronto.edu/~kriz/cifar.html): fixed-length records of
// label byte(s) followed by a 32x32 image as 1024 red, 1024 green and 1024
// blue bytes, row-major. That is already (C, H, W), so records copy as is.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../torch';
import { defineOptions, GivenOptions, option } from '../torch/option-table';
import { checkSplit, ImageDataset, makeDataset, Split } from './dataset';
import { readDatasetFile } from './dataset-file';

const IMAGE_BYTES = 3 * 32 * 32;

/** CIFAR-10 class names by label (batches.meta.txt). */
export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** CIFAR-100 fine class names by label (fine_label_names.txt). */
export const CIFAR100_FINE_CLASSES = ['apple', 'aquarium_fish', 'baby', 'bear', 'beaver', 'bed', 'bee', 'beetle',
  'bicycle', 'bottle', 'bowl', 'boy', 'bridge', 'bus', 'butterfly', 'camel', 'can', 'castle', 'caterpillar', 'cattle',
  'chair', 'chimpanzee', 'clock', 'cloud', 'cockroach', 'couch', 'crab', 'crocodile', 'cup', 'dinosaur', 'dolphin',
  'elephant', 'flatfish', 'forest', 'fox', 'girl', 'hamster', 'house', 'kangaroo', 'keyboard', 'lamp', 'lawn_mower',
  'leopard', 'lion', 'lizard', 'lobster', 'man', 'maple_tree', 'motorcycle', 'mountain', 'mouse', 'mushroom',
  'oak_tree', 'orange', 'orchid', 'otter', 'palm_tree', 'pear', 'pickup_truck', 'pine_tree', 'plain', 'plate', 'poppy',
  'porcupine', 'possum', 'rabbit', 'raccoon', 'ray', 'road', 'rocket', 'rose', 'sea', 'seal', 'shark', 'shrew', 'skunk',
  'skyscraper', 'snail', 'snake', 'spider', 'squirrel', 'streetcar', 'sunflower', 'sweet_pepper', 'table', 'tank',
  'telephone', 'television', 'tiger', 'tractor', 'train', 'trout', 'tulip', 'turtle', 'wardrobe', 'whale',
  'willow_tree', 'wolf', 'woman', 'worm'];

/** CIFAR-100 coarse (superclass) names by label (coarse_label_names.txt). */
export const CIFAR100_COARSE_CLASSES = ['aquatic_mammals', 'fish', 'flowers', 'food_containers',
  'fruit_and_vegetables', 'household_electrical_devices', 'household_furniture', 'insects', 'large_carnivores',
  'large_man-made_outdoor_things', 'large_natural_outdoor_scenes', 'large_omnivores_and_herbivores', 'medium_mammals',
  'non-insect_invertebrates', 'people', 'reptiles', 'small_mammals', 'trees', 'vehicles_1', 'vehicles_2'];

// NOTE: the training sets' statistics (population formula, pixel / 255), as
// commonly quoted, used for both splits so test images are normalised as the
// training images were.
export const CIFAR10_MEAN = [0.49139968, 0.48215841, 0.44653091];
export const CIFAR10_STD = [0.24703223, 0.24348513, 0.26158784];
export const CIFAR100_MEAN = [0.50707516, 0.48654887, 0.44091784];
export const CIFAR100_STD = [0.26733429, 0.25643846, 0.27615047];

export interface Cifar10Options {
  /** The folder with data_batch_1.bin .. data_batch_5.bin and test_batch.bin, or the folder above `cifar-10-batches-bin`. */
  root: string;
  split: Split;
}

/** `cifar100`'s options with a default: the table. */
export const CIFAR100_OPTIONS = defineOptions({
  /** Which labels to return: the 100 fine classes (default) or the 20 superclasses. */
  labels: option<'fine' | 'coarse'>('fine', (v, what) => {
    if (v !== 'fine' && v !== 'coarse') throw new TypeError(`Expected 'fine' or 'coarse' for ${what} but received ${JSON.stringify(v)}`);
    return v;
  }),
});

export interface Cifar100Options extends GivenOptions<typeof CIFAR100_OPTIONS.specs> {
  /** The folder with train.bin and test.bin, or the folder above `cifar-100-binary`. */
  root: string;
  split: Split;
}

/** `root` itself when it holds `probe`, else `root/<sub>` when that does, else an error naming both. */
function resolveRoot(root: unknown, sub: string, probe: string, what: string): string {
  if (typeof root !== 'string' || root === '') {
    throw new TypeError(`Expected a folder path for ${what} options.root but received ${JSON.stringify(root)}`);
  }
  if (fs.existsSync(path.join(root, probe))) return root;
  const nested = path.join(root, sub);
  if (fs.existsSync(path.join(nested, probe))) return nested;
  throw new Error(`${what}: found no ${probe} in ${root} or in ${nested}. Download the binary version from ` +
    `https://www.cs.toronto.edu/~kriz/cifar.html, unpack it and pass root: the unpacked folder`);
}

/** Class names from a label-names text file when present (one per line), else the built-in list. */
function classNames(file: string, builtIn: readonly string[]): string[] {
  if (!fs.existsSync(file)) return builtIn.slice();
  const names = fs.readFileSync(file, 'utf8').split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== '');
  return names.length === builtIn.length ? names : builtIn.slice();
}

/**
 * Reads CIFAR-format files into one dataset. Each record is `labelBytes`
 * label bytes then 3072 image bytes; `labelIndex` picks the label byte to keep.
 */
function readRecords(files: string[], labelBytes: number, labelIndex: number, numClasses: number):
  { images: torch.Tensor; labels: torch.Tensor } {
  const record = labelBytes + IMAGE_BYTES;
  const buffers = files.map((file) => {
    const buf = readDatasetFile(file, 'CIFAR');
    if (buf.length === 0 || buf.length % record !== 0) {
      throw new Error(`CIFAR file ${file} has ${buf.length} bytes, not a positive multiple of the ${record}-byte ` +
        `record (${labelBytes} label byte${labelBytes > 1 ? 's' : ''} + 3072 image bytes): the file is truncated ` +
        `or is not ${labelBytes === 1 ? 'CIFAR-10' : 'CIFAR-100'} binary`);
    }
    return buf;
  });
  const n = buffers.reduce((a, b) => a + b.length / record, 0);
  const images = torch.empty([n, 3, 32, 32], { dtype: 'uint8' });
  const pixels = images.asTypedArray() as Uint8Array;
  const labels = new BigInt64Array(n);
  let i = 0;
  buffers.forEach((buf, f) => {
    for (let offset = 0; offset < buf.length; offset += record, i++) {
      const label = buf[offset + labelIndex];
      if (label >= numClasses) {
        images.dispose();
        throw new Error(`CIFAR file ${files[f]} has label ${label} in record ${offset / record}; expected ` +
          `0..${numClasses - 1}: the file is damaged or is not in the expected format`);
      }
      labels[i] = BigInt(label);
      pixels.set(buf.subarray(offset + labelBytes, offset + record), i * IMAGE_BYTES);
    }
  });
  return { images, labels: torch.tensor(labels) };
}

/**
 * Reads a split of CIFAR-10 (binary version): uint8 images (N, 3, 32, 32),
 * int64 labels, class names, and the training set's mean and std.
 *
 * @example
 * const train = data.cifar10({ root: '~/data/cifar-10-batches-bin', split: 'train' }); // 50,000 images
 */
export function cifar10(options: Cifar10Options): ImageDataset {
  const split = checkSplit(options?.split, 'cifar10');
  const names = split === 'train' ? [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`) : ['test_batch.bin'];
  const root = resolveRoot(options.root, 'cifar-10-batches-bin', names[0], 'cifar10');
  const classes = classNames(path.join(root, 'batches.meta.txt'), CIFAR10_CLASSES);
  const parts = readRecords(names.map((f) => path.join(root, f)), 1, 0, classes.length);
  return makeDataset({ name: `cifar10/${split}`, ...parts, classes, mean: CIFAR10_MEAN.slice(), std: CIFAR10_STD.slice() });
}

/**
 * Reads a split of CIFAR-100 (binary version), with its 100 fine labels or
 * its 20 coarse (superclass) labels.
 *
 * @example
 * const test = data.cifar100({ root: '~/data', split: 'test', labels: 'coarse' }); // reads ~/data/cifar-100-binary
 */
export function cifar100(options: Cifar100Options): ImageDataset {
  const split = checkSplit(options?.split, 'cifar100');
  const { labels: kind } = CIFAR100_OPTIONS.resolve(options, (k) => `cifar100 options.${k}`);
  const file = `${split}.bin`;
  const root = resolveRoot(options.root, 'cifar-100-binary', file, 'cifar100');
  const classes = kind === 'fine'
    ? classNames(path.join(root, 'fine_label_names.txt'), CIFAR100_FINE_CLASSES)
    : classNames(path.join(root, 'coarse_label_names.txt'), CIFAR100_COARSE_CLASSES);
  // Records start with the coarse label byte, then the fine one.
  const parts = readRecords([path.join(root, file)], 2, kind === 'coarse' ? 0 : 1, classes.length);
  return makeDataset({ name: `cifar100/${split}${kind === 'coarse' ? '-coarse' : ''}`, ...parts, classes,
    mean: CIFAR100_MEAN.slice(), std: CIFAR100_STD.slice() });
}
