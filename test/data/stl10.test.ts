// The STL-10 binary reader on small files written in the STL-10 layout,
// against torchvision.datasets.STL10's own reader on the same files.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { stl10, STL10_CLASSES } from '../../lib/data/stl10';
import { assertAllClose } from './transforms/reference';
import { pretextReference } from '../helpers/pretext-ref';

const SIDE = 96;
const IMAGE = 3 * SIDE * SIDE;

/** Bytes of n images whose pixel (c, y, x) of image i is (i * 7 + c * 50 + y * 3 + x * 5) mod 256, written column-major. */
function imageBytes(n: number): Buffer {
  const buf = Buffer.alloc(n * IMAGE);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) {
      for (let x = 0; x < SIDE; x++) {
        for (let y = 0; y < SIDE; y++) buf[i * IMAGE + c * SIDE * SIDE + x * SIDE + y] = (i * 7 + c * 50 + y * 3 + x * 5) % 256;
      }
    }
  }
  return buf;
}

describe('data: STL-10 binary reader', () => {
  let dir = '';
  let folder = '';
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-stl10-'));
    folder = path.join(dir, 'stl10_binary');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'train_X.bin'), imageBytes(4));
    fs.writeFileSync(path.join(folder, 'train_y.bin'), Buffer.from([1, 10, 3, 5]));
    fs.writeFileSync(path.join(folder, 'test_X.bin'), imageBytes(2));
    fs.writeFileSync(path.join(folder, 'test_y.bin'), Buffer.from([2, 11]));
    fs.writeFileSync(path.join(folder, 'unlabeled_X.bin'), imageBytes(5));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads images as (N, 3, 96, 96) with height and width in place, and labels 0..9', () => {
    const ds = stl10({ root: dir, split: 'train' });
    assert.equal(ds.name, 'stl10/train');
    assert.deepEqual(ds.images.shape, [4, 3, 96, 96]);
    assert.deepEqual(ds.labels!.toArray(), [0, 9, 2, 4]);
    assert.deepEqual(ds.classes, STL10_CLASSES);
    const px = (i: number, c: number, y: number, x: number): number => ds.images.select(0, i).select(0, c).select(0, y).select(0, x).item() as number;
    assert.equal(px(2, 1, 10, 3), (2 * 7 + 50 + 30 + 15) % 256);
    assert.equal(px(0, 2, 0, 95), (100 + 475) % 256);
    assert.equal(ds.mean.length, 3);
  });

  it('equals torchvision.datasets.STL10 on the same files', () => {
    const [ref] = pretextReference([{ op: 'stl10_torchvision', args: { root: dir, images: 'train_X.bin', labels: 'train_y.bin' } }]);
    const ds = stl10({ root: folder, split: 'train' });
    assertAllClose(ds.images.to('float64'), ref.images, 0, 'images');
    assertAllClose(ds.labels!.to('float64'), ref.labels, 0, 'labels');
  });

  it('reads the unlabelled split without labels, and only the first `limit` images when asked', () => {
    const all = stl10({ root: dir, split: 'unlabeled' });
    assert.equal(all.labels, undefined);
    assert.equal(all.length, 5);
    const some = stl10({ root: dir, split: 'unlabeled', limit: 2 });
    assert.equal(some.length, 2);
    assert.ok(some.images.equal(all.images.narrow(0, 0, 2)));
  });

  it('names the file and the problem for bad labels, truncated files and a missing folder', () => {
    assert.throws(() => stl10({ root: dir, split: 'test' }), /label file test_y.bin has label 11 at index 1; expected 1..10/);
    fs.writeFileSync(path.join(folder, 'bad_X.bin'), Buffer.alloc(IMAGE + 1));
    fs.copyFileSync(path.join(folder, 'bad_X.bin'), path.join(folder, 'unlabeled_X.bin'));
    assert.throws(() => stl10({ root: dir, split: 'unlabeled' }), /has 27649 bytes, not a positive multiple of the 27648-byte record/);
    assert.throws(() => stl10({ root: path.join(dir, 'nowhere'), split: 'train' }), /found no train_X.bin in .*nowhere/);
    assert.throws(() => stl10({ root: dir, split: 'val' as never }), /'train', 'test' or 'unlabeled'/);
  });
});
