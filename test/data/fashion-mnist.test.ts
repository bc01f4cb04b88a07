// Fashion-MNIST: a small copy written here (exact pixels and labels), the
// real files of Debian's dataset-fashion-mnist when installed (sizes, labels,
// statistics), and the errors for a missing folder and bad files.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as torch from '../../lib/torch';
import { channelStats, disposeDataset } from '../../lib/data/dataset';
import { encodeIdx } from '../../lib/data/idx';
import {
  FASHION_MNIST_CLASSES, FASHION_MNIST_MEAN, FASHION_MNIST_ROOT, FASHION_MNIST_STD, fashionMnist,
} from '../../lib/data/fashion-mnist';

describe('data: Fashion-MNIST', function () {
  this.timeout(120000);
  let dir: string;
  // 3 test images of 2x2; the values encode (image, row, column).
  const testPixels = Uint8Array.from({ length: 12 }, (_, i) => 10 * i + 1);
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-fmnist-'));
    fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), zlib.gzipSync(encodeIdx([3, 2, 2], testPixels)));
    fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte'), encodeIdx([3], Uint8Array.of(9, 0, 4)));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a split from a given root (gzipped images, plain labels) exactly', () => {
    const ds = fashionMnist({ root: dir, split: 'test' });
    assert.equal(ds.name, 'fashion-mnist/test');
    assert.deepEqual(ds.images.shape, [3, 1, 2, 2]);
    assert.equal(ds.images.dtype, 'uint8');
    assert.deepEqual([...(ds.images.toTypedArray() as Uint8Array)], [...testPixels]);
    assert.deepEqual(ds.images.toArray(), [[[[1, 11], [21, 31]]], [[[41, 51], [61, 71]]], [[[81, 91], [101, 111]]]]);
    assert.equal(ds.labels!.dtype, 'int64');
    assert.deepEqual(ds.labels!.toArray(), [9, 0, 4]);
    assert.equal(ds.classes![9], 'Ankle boot');
    assert.equal(ds.length, 3);
    // Both splits use the training set's statistics.
    assert.deepEqual(ds.mean, FASHION_MNIST_MEAN);
    assert.deepEqual(ds.std, FASHION_MNIST_STD);
    disposeDataset(ds);
  });

  it('tells how to install the data when the folder is missing', () => {
    assert.throws(() => fashionMnist({ root: path.join(dir, 'missing'), split: 'train' }),
      (e: Error) => e.message.includes(`folder ${path.join(dir, 'missing')} does not exist`) &&
        e.message.includes('apt-get install dataset-fashion-mnist') && e.message.includes('pass root'));
  });

  it('names the missing file of a split', () => {
    assert.throws(() => fashionMnist({ root: dir, split: 'train' }),
      new RegExp(`IDX file ${path.join(dir, 'train-images-idx3-ubyte.gz')} does not exist`));
  });

  it('rejects a bad split, mismatched counts and labels out of range', () => {
    assert.throws(() => fashionMnist({ root: dir, split: 'val' as 'test' }), /Expected 'train' or 'test' for fashionMnist options.split but received "val"/);
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-fmnist-bad-'));
    try {
      fs.writeFileSync(path.join(bad, 't10k-images-idx3-ubyte'), encodeIdx([3, 2, 2], testPixels));
      fs.writeFileSync(path.join(bad, 't10k-labels-idx1-ubyte'), encodeIdx([2], Uint8Array.of(1, 2)));
      assert.throws(() => fashionMnist({ root: bad, split: 'test' }), /holds 2 labels but image file .* holds 3 images/);
      fs.writeFileSync(path.join(bad, 't10k-labels-idx1-ubyte'), encodeIdx([3], Uint8Array.of(1, 12, 2)));
      assert.throws(() => fashionMnist({ root: bad, split: 'test' }), /has label 12 at index 1; expected 0\.\.9/);
      fs.writeFileSync(path.join(bad, 't10k-labels-idx1-ubyte'), encodeIdx([3, 1, 1], Uint8Array.of(1, 2, 3)));
      assert.throws(() => fashionMnist({ root: bad, split: 'test' }), /t10k-labels-idx1-ubyte has 3 dimensions .* but 1 were expected/);
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });

  describe('the real files (dataset-fashion-mnist)', () => {
    before(function () {
      if (!fs.existsSync(path.join(FASHION_MNIST_ROOT, 'train-images-idx3-ubyte.gz'))) this.skip();
    });

    it('train: 60,000 images, 6,000 per class, known first labels and pixels, the known mean and std', () => {
      const ds = fashionMnist({ split: 'train' });
      try {
        assert.deepEqual(ds.images.shape, [60000, 1, 28, 28]);
        assert.deepEqual(ds.classes, FASHION_MNIST_CLASSES);
        assert.deepEqual(ds.labels!.slice(0, 0, 10).toArray(), [9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
        assert.deepEqual(torch.ops.aten.bincount(ds.labels!).toArray(), Array(10).fill(6000));
        // Row 14 of the first image, as read by numpy from the same file.
        const row = ds.images.select(0, 0).select(0, 0).select(0, 14).toArray() as number[];
        assert.equal(Buffer.from(row).toString('hex'), '000001040607020000000000ede2d9dfdedbdeddd8dfe5d7daff4d00');
        const { mean, std } = channelStats(ds.images);
        assert.ok(Math.abs(mean[0] - 0.2860) < 5e-5 && Math.abs(std[0] - 0.3530) < 5e-5, `mean ${mean}, std ${std}`);
        assert.ok(Math.abs(mean[0] - FASHION_MNIST_MEAN[0]) < 1e-12 && Math.abs(std[0] - FASHION_MNIST_STD[0]) < 1e-9);
      } finally {
        disposeDataset(ds);
      }
    });

    it('test: 10,000 images with the training statistics', () => {
      const ds = fashionMnist({ split: 'test' });
      assert.deepEqual(ds.images.shape, [10000, 1, 28, 28]);
      assert.deepEqual(ds.labels!.slice(0, 0, 5).toArray(), [9, 2, 1, 1, 6]);
      assert.deepEqual(ds.mean, FASHION_MNIST_MEAN);
      disposeDataset(ds);
    });
  });
});
