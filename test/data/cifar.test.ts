// CIFAR-10 and CIFAR-100 binary readers, on small files written here in the
// same record format: exact pixels, labels, folder layouts and errors.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CIFAR100_COARSE_CLASSES, CIFAR100_FINE_CLASSES, CIFAR10_CLASSES, CIFAR10_MEAN, cifar10, cifar100 } from '../../lib/data/cifar';
import { disposeDataset } from '../../lib/data/dataset';

/** The pixel value stored at (record, channel, y, x) in the files below. */
const pixel = (r: number, c: number, y: number, x: number) => (r * 7 + c * 50 + y * 3 + x) % 256;

/** CIFAR records: label bytes then 1024 R, 1024 G, 1024 B bytes. */
function records(labels: number[][], first: number): Buffer {
  const out: Buffer[] = [];
  labels.forEach((l, i) => {
    const rec = Buffer.alloc(l.length + 3072);
    l.forEach((v, j) => { rec[j] = v; });
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) rec[l.length + c * 1024 + y * 32 + x] = pixel(first + i, c, y, x);
    }
    out.push(rec);
  });
  return Buffer.concat(out);
}

describe('data: CIFAR binary', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-cifar-'));
    const c10 = path.join(dir, 'cifar-10-batches-bin');
    fs.mkdirSync(c10);
    // Batch b holds records 2b-2 and 2b-1 with labels (2b-2) % 10, (2b-1) % 10.
    for (let b = 1; b <= 5; b++) {
      const first = 2 * (b - 1);
      fs.writeFileSync(path.join(c10, `data_batch_${b}.bin`), records([[first % 10], [(first + 1) % 10]], first));
    }
    fs.writeFileSync(path.join(c10, 'test_batch.bin'), records([[3], [9], [0]], 100));
    const c100 = path.join(dir, 'cifar-100-binary');
    fs.mkdirSync(c100);
    fs.writeFileSync(path.join(c100, 'train.bin'), records([[19, 99], [0, 5], [7, 42]], 0));
    fs.writeFileSync(path.join(c100, 'test.bin'), records([[4, 1]], 50));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('CIFAR-10 train: five batches in order, exact pixels and labels', () => {
    const ds = cifar10({ root: dir, split: 'train' });
    assert.equal(ds.name, 'cifar10/train');
    assert.deepEqual(ds.images.shape, [10, 3, 32, 32]);
    assert.deepEqual(ds.labels!.toArray(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const px = ds.images.toTypedArray() as Uint8Array;
    for (const [r, c, y, x] of [[0, 0, 0, 0], [3, 1, 5, 31], [9, 2, 31, 30], [6, 0, 17, 2]]) {
      assert.equal(px[((r * 3 + c) * 32 + y) * 32 + x], pixel(r, c, y, x), `pixel (${r}, ${c}, ${y}, ${x})`);
    }
    let mismatches = 0;
    for (let i = 0; i < px.length; i++) {
      const x = i % 32; const y = Math.floor(i / 32) % 32; const c = Math.floor(i / 1024) % 3; const r = Math.floor(i / 3072);
      if (px[i] !== pixel(r, c, y, x)) mismatches++;
    }
    assert.equal(mismatches, 0);
    assert.deepEqual(ds.classes, CIFAR10_CLASSES);
    assert.deepEqual(ds.mean, CIFAR10_MEAN);
    disposeDataset(ds);
  });

  it('CIFAR-10 test from the unpacked folder itself', () => {
    const ds = cifar10({ root: path.join(dir, 'cifar-10-batches-bin'), split: 'test' });
    assert.deepEqual(ds.labels!.toArray(), [3, 9, 0]);
    assert.deepEqual(ds.images.select(0, 2).select(0, 1).select(0, 4).slice(0, 0, 3).toArray(),
      [pixel(102, 1, 4, 0), pixel(102, 1, 4, 1), pixel(102, 1, 4, 2)]);
    disposeDataset(ds);
  });

  it('CIFAR-100: fine and coarse labels from the same records', () => {
    const fine = cifar100({ root: dir, split: 'train' });
    assert.deepEqual(fine.labels!.toArray(), [99, 5, 42]);
    assert.equal(fine.classes!.length, 100);
    assert.equal(fine.classes![99], 'worm');
    assert.equal(fine.name, 'cifar100/train');
    const coarse = cifar100({ root: path.join(dir, 'cifar-100-binary'), split: 'train', labels: 'coarse' });
    assert.deepEqual(coarse.labels!.toArray(), [19, 0, 7]);
    assert.deepEqual(coarse.classes, CIFAR100_COARSE_CLASSES);
    assert.ok(fine.images.equal(coarse.images));
    assert.equal((fine.images.toTypedArray() as Uint8Array)[3072 + 1024 + 33], pixel(1, 1, 1, 1));
    const test = cifar100({ root: dir, split: 'test' });
    assert.deepEqual(test.labels!.toArray(), [1]);
    assert.equal(new Set(CIFAR100_FINE_CLASSES).size, 100);
    for (const ds of [fine, coarse, test]) disposeDataset(ds);
  });

  it('rejects a file whose length is not a whole number of records', () => {
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-cifar-bad-'));
    try {
      fs.writeFileSync(path.join(bad, 'test_batch.bin'), records([[1], [2]], 0).subarray(0, 3073 + 100));
      assert.throws(() => cifar10({ root: bad, split: 'test' }), (e: Error) =>
        e.message.startsWith(`CIFAR file ${path.join(bad, 'test_batch.bin')} has 3173 bytes, not a positive multiple of the 3073-byte record`));
      // CIFAR-10 records read as CIFAR-100 do not divide evenly either.
      fs.writeFileSync(path.join(bad, 'test.bin'), records([[1], [2]], 0));
      assert.throws(() => cifar100({ root: bad, split: 'test' }), /test\.bin has 6146 bytes, not a positive multiple of the 3074-byte record .*not CIFAR-100 binary/);
      fs.writeFileSync(path.join(bad, 'test_batch.bin'), records([[1], [12]], 0));
      assert.throws(() => cifar10({ root: bad, split: 'test' }), /test_batch\.bin has label 12 in record 1; expected 0\.\.9/);
      fs.writeFileSync(path.join(bad, 'data_batch_1.bin'), records([[1]], 0));
      assert.throws(() => cifar10({ root: bad, split: 'train' }), new RegExp(`CIFAR file ${path.join(bad, 'data_batch_2.bin')} does not exist`));
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });

  it('names both places it looked when the folder has no CIFAR files', () => {
    assert.throws(() => cifar10({ root: os.tmpdir(), split: 'test' }),
      (e: Error) => e.message.includes(`found no test_batch.bin in ${os.tmpdir()} or in ${path.join(os.tmpdir(), 'cifar-10-batches-bin')}`));
    assert.throws(() => cifar100({ root: dir, split: 'test', labels: 'medium' as 'fine' }), /Expected 'fine' or 'coarse'/);
  });
});
