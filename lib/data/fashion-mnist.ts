// Fashion-MNIST (Xiao et al., 2017): 70,000 28x28 grey images of clothing in
// 10 classes, in the IDX format of MNIST. The default dataset of this
// project, from Debian's dataset-fashion-mnist package.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../torch';
import { checkSplit, ImageDataset, makeDataset, Split } from './dataset';
import { readIdx } from './idx';

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const FASHION_MNIST_ROOT = '/usr/share/datasets/fashion-mnist';

/** Class names by label, as torchvision's `FashionMNIST.classes`. */
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
  'Sneaker', 'Bag', 'Ankle boot'];

// NOTE: the statistics of the 60,000 training images (population formula,
// pixel / 255), used for both splits so that test images are normalised as
// the training images were. test/data/fashion-mnist.test.ts recomputes them.
export const FASHION_MNIST_MEAN = [0.2860405969887955];
export const FASHION_MNIST_STD = [0.35302424451492237];

export interface FashionMnistOptions {
  /** Folder holding the four IDX files (gzipped or not). Default: Debian's `/usr/share/datasets/fashion-mnist`. */
  root?: string;
  split: Split;
}

/** The file prefix of each split, as in the original distribution. */
const PREFIX: Record<Split, string> = { train: 'train', test: 't10k' };

/** The first of the usual spellings of an IDX file that exists in `root`, or the canonical name. */
function findFile(root: string, prefix: string, kind: 'images' | 'labels', ndim: number): string {
  const stems = [`${prefix}-${kind}-idx${ndim}-ubyte`, `${prefix}-${kind}.idx${ndim}-ubyte`];
  for (const stem of stems) {
    for (const name of [`${stem}.gz`, stem]) {
      const file = path.join(root, name);
      if (fs.existsSync(file)) return file;
    }
  }
  return path.join(root, `${stems[0]}.gz`);
}

/**
 * Reads a split of Fashion-MNIST: uint8 images (N, 1, 28, 28), int64 labels,
 * class names, and the training set's mean and std for both splits.
 *
 * @example
 * const train = data.fashionMnist({ split: 'train' });   // 60,000 images
 * const test = data.fashionMnist({ split: 'test', root: './fashion-mnist' });
 */
export function fashionMnist(options: FashionMnistOptions): ImageDataset {
  const split = checkSplit(options?.split, 'fashionMnist');
  const root = options.root ?? FASHION_MNIST_ROOT;
  if (!fs.existsSync(root)) {
    throw new Error(`Fashion-MNIST folder ${root} does not exist. Install Debian's package as root ` +
      `(apt-get install dataset-fashion-mnist) or pass root: the folder with ${PREFIX[split]}-images-idx3-ubyte(.gz) ` +
      `and ${PREFIX[split]}-labels-idx1-ubyte(.gz)`);
  }
  const imageFile = findFile(root, PREFIX[split], 'images', 3);
  const labelFile = findFile(root, PREFIX[split], 'labels', 1);
  const images = readIdx(imageFile, { dtype: 'uint8', ndim: 3 });
  const labels = readIdx(labelFile, { dtype: 'uint8', ndim: 1 });
  const [n, h, w] = images.dims;
  if (labels.dims[0] !== n) {
    throw new Error(`Fashion-MNIST label file ${labelFile} holds ${labels.dims[0]} labels but image file ` +
      `${imageFile} holds ${n} images`);
  }
  const bad = (labels.data as Uint8Array).findIndex((l) => l >= FASHION_MNIST_CLASSES.length);
  if (bad >= 0) {
    throw new Error(`Fashion-MNIST label file ${labelFile} has label ${labels.data[bad]} at index ${bad}; ` +
      `expected 0..${FASHION_MNIST_CLASSES.length - 1}`);
  }
  const parts = torch.scope(() => ({
    images: torch.tensor(images.data, { shape: [n, 1, h, w] }),
    labels: torch.tensor(labels.data, { shape: [n] }).long(),
  }));
  return makeDataset({ name: `fashion-mnist/${split}`, ...parts, classes: FASHION_MNIST_CLASSES.slice(),
    mean: FASHION_MNIST_MEAN.slice(), std: FASHION_MNIST_STD.slice() });
}
