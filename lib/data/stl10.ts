// STL-10 (Coates, Ng & Lee 2011) in its binary version
// (https://cs.stanford.edu/~acoates/stl10/): 96x96 colour images, 5,000
// labelled training images, 8,000 test images and 100,000 unlabelled images,
// the classic set for self-supervised pre-training. Each image is 3 x 96 x 96
// bytes stored column-major per channel (as MATLAB writes them), so the
// reader transposes height and width; labels are bytes 1..10.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../torch';
import { checkInt } from '../torch/arguments';
import { ImageDataset, makeDataset } from './dataset';

const SIDE = 96;
const IMAGE_BYTES = 3 * SIDE * SIDE;

/** STL-10 class names by label (class_names.txt; file labels are these indices + 1). */
export const STL10_CLASSES = ['airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse', 'monkey', 'ship', 'truck'];

/** STL-10's splits: the labelled 'train' and 'test', and the 100,000 images of 'unlabeled'. */
export type Stl10Split = 'train' | 'test' | 'unlabeled';

export interface Stl10Options {
  /** The folder with train_X.bin etc., or the folder above `stl10_binary`. */
  root: string;
  split: Stl10Split;
  /** Read only the first `limit` images (the unlabelled file is 2.7 GB). Default: all. */
  limit?: number;
}

function resolveRoot(root: unknown, probe: string): string {
  if (typeof root !== 'string' || root === '') {
    throw new TypeError(`Expected a folder path for stl10 options.root but received ${JSON.stringify(root)}`);
  }
  if (fs.existsSync(path.join(root, probe))) return root;
  const nested = path.join(root, 'stl10_binary');
  if (fs.existsSync(path.join(nested, probe))) return nested;
  throw new Error(`stl10: found no ${probe} in ${root} or in ${nested}. Download the binary version from ` +
    'https://cs.stanford.edu/~acoates/stl10/, unpack it and pass root: the unpacked folder');
}

/** The first `count` records of `recordBytes` bytes of `file` (all when count is undefined). */
function readRecords(file: string, recordBytes: number, count: number | undefined): { bytes: Buffer; n: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new Error(`Cannot read STL-10 file ${file}: ${(err as Error).message}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0 || size % recordBytes !== 0) {
      throw new Error(`STL-10 file ${file} has ${size} bytes, not a positive multiple of the ${recordBytes}-byte ` +
        'record: the file is truncated or is not STL-10 binary');
    }
    const n = Math.min(size / recordBytes, count ?? Infinity);
    const bytes = Buffer.alloc(n * recordBytes);
    let done = 0;
    while (done < bytes.length) done += fs.readSync(fd, bytes, done, bytes.length - done, done);
    return { bytes, n };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads a split of STL-10 (binary version): uint8 images (N, 3, 96, 96) in
 * the usual (C, H, W) orientation, int64 labels 0..9 for 'train' and 'test'
 * (none for 'unlabeled'), class names; mean and std computed from the images read.
 *
 * @example
 * const unlabeled = data.stl10({ root: '~/data/stl10_binary', split: 'unlabeled', limit: 20000 });
 * const test = data.stl10({ root: '~/data', split: 'test' });
 */
export function stl10(options: Stl10Options): ImageDataset {
  const split = options?.split;
  if (split !== 'train' && split !== 'test' && split !== 'unlabeled') {
    throw new TypeError(`Expected 'train', 'test' or 'unlabeled' for stl10 options.split but received ${JSON.stringify(split)}`);
  }
  const limit = options.limit === undefined ? undefined : checkInt(options.limit, 'stl10 options.limit', 1);
  const root = resolveRoot(options.root, `${split}_X.bin`);
  const { bytes, n } = readRecords(path.join(root, `${split}_X.bin`), IMAGE_BYTES, limit);
  let labels: torch.Tensor | undefined;
  if (split !== 'unlabeled') {
    const y = readRecords(path.join(root, `${split}_y.bin`), 1, n);
    if (y.n !== n) {
      throw new Error(`STL-10 label file ${split}_y.bin in ${root} holds ${y.n} labels but ${split}_X.bin holds ${n} images`);
    }
    const bad = y.bytes.findIndex((l) => l < 1 || l > STL10_CLASSES.length);
    if (bad >= 0) {
      throw new Error(`STL-10 label file ${split}_y.bin has label ${y.bytes[bad]} at index ${bad}; expected 1..10`);
    }
    labels = torch.scope(() => torch.tensor(new Uint8Array(y.bytes.buffer, y.bytes.byteOffset, n)).long().sub(1));
  }
  // NOTE: stored column-major per channel: the file's (N, 3, 96, 96) is (N, C, W, H).
  const images = torch.scope(() => torch.tensor(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
    { shape: [n, 3, SIDE, SIDE] }).transpose(2, 3).contiguous());
  return makeDataset({ name: `stl10/${split}`, images, labels, classes: STL10_CLASSES.slice() });
}
