// The ImageDataset helpers: statistics, checks, subsets and seeded splits.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { channelStats, makeDataset, randomSplit, subset } from '../../lib/data/dataset';

describe('data: ImageDataset helpers', () => {
  it('channelStats: per-channel mean and population std in [0, 1] units, across chunks', () => {
    const values = Uint8Array.from({ length: 5 * 2 * 3 * 3 }, (_, i) => (i * 53) % 256);
    const images = torch.tensor(values, { shape: [5, 2, 3, 3] });
    for (let c = 0; c < 2; c++) {
      const v: number[] = [];
      for (let n = 0; n < 5; n++) for (let p = 0; p < 9; p++) v.push(values[(n * 2 + c) * 9 + p] / 255);
      const m = v.reduce((a, b) => a + b, 0) / v.length;
      const s = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
      for (const chunk of [2, 4096]) {
        const got = channelStats(images, chunk);
        assert.ok(Math.abs(got.mean[c] - m) < 1e-12, `mean ${got.mean[c]} vs ${m}`);
        assert.ok(Math.abs(got.std[c] - s) < 1e-12, `std ${got.std[c]} vs ${s}`);
      }
    }
    images.dispose();
  });

  it('makeDataset checks dtype, shapes and label range, and computes statistics', () => {
    const images = torch.full([4, 1, 2, 2], 51, { dtype: 'uint8' });
    const labels = torch.tensor([0, 1, 2, 1], { dtype: 'int64' });
    const ds = makeDataset({ name: 'tiny', images, labels, classes: ['a', 'b', 'c'] });
    assert.equal(ds.length, 4);
    assert.ok(Math.abs(ds.mean[0] - 0.2) < 1e-12 && ds.std[0] === 0);
    assert.throws(() => makeDataset({ name: 'f', images: images.float() }), /Expected a uint8 \(N, C, H, W\) CPU tensor for the images of dataset 'f' but received float32 \(4, 1, 2, 2\)/);
    assert.throws(() => makeDataset({ name: 'l', images, labels: labels.narrow(0, 0, 3) }), /Expected int64 labels of shape \(4\) for dataset 'l' but received int64 \(3\)/);
    assert.throws(() => makeDataset({ name: 'r', images, labels, classes: ['a', 'b'] }), /Expected labels in 0\.\.1 for dataset 'r' \(2 classes\) but found labels from 0 to 2/);
    assert.throws(() => makeDataset({ name: 'm', images, mean: [0.1, 0.2], std: [1, 1] }), /Expected 1 per-channel values/);
  });

  it('subset and randomSplit: seeded, disjoint, complete, keeping the parent statistics', () => {
    const images = torch.arange(10).to('uint8').view([10, 1, 1, 1]);
    const ds = makeDataset({ name: 'ten', images, labels: torch.arange(10).remainder(3) });
    const sub = subset(ds, torch.tensor([7, 2], { dtype: 'int64' }));
    assert.deepEqual(sub.images.flatten().toArray(), [7, 2]);
    assert.deepEqual(sub.labels!.toArray(), [1, 2]);
    assert.deepEqual(sub.mean, ds.mean);
    const [a, b] = randomSplit(ds, [6, 4], { seed: 3 });
    const [a2] = randomSplit(ds, [6, 4], { seed: 3 });
    const [a3] = randomSplit(ds, [6, 4], { seed: 4 });
    const ia = a.images.flatten().toArray() as number[];
    const ib = b.images.flatten().toArray() as number[];
    assert.deepEqual([...ia, ...ib].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(a2.images.flatten().toArray(), ia);
    assert.notDeepEqual(a3.images.flatten().toArray(), ia);
    assert.deepEqual(b.labels!.toArray(), ib.map((v) => v % 3));
    assert.equal(a.length, 6);
    assert.throws(() => randomSplit(ds, [6, 5]), /lengths adding up to 10 \(the length of 'ten'\) for randomSplit but received \[6, 5\]/);
  });
});
