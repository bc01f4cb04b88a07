// Synthetic data: deterministic per seed, balanced, and learnable (k-NN on
// raw pixels well above chance).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { disposeDataset } from '../../lib/data/dataset';
import { synthetic } from '../../lib/data/synthetic';

describe('data: synthetic', () => {
  it('the same options give the same images; another seed other images', () => {
    const a = synthetic({ n: 64, channels: 3, size: 16, classes: 4, seed: 7 });
    const b = synthetic({ n: 64, channels: 3, size: 16, classes: 4, seed: 7 });
    const c = synthetic({ n: 64, channels: 3, size: 16, classes: 4, seed: 8 });
    assert.deepEqual(a.images.shape, [64, 3, 16, 16]);
    assert.equal(a.images.dtype, 'uint8');
    assert.ok(a.images.equal(b.images) && a.labels!.equal(b.labels!));
    assert.ok(!a.images.equal(c.images));
    assert.deepEqual(torch.ops.aten.bincount(a.labels!).toArray(), [16, 16, 16, 16]);
    assert.deepEqual(a.classes, ['class0', 'class1', 'class2', 'class3']);
    assert.equal(a.mean.length, 3);
    for (const ds of [a, b, c]) disposeDataset(ds);
  });

  it('leave-one-out 1-NN on raw pixels is far above chance (10 classes)', () => {
    const ds = synthetic({ n: 300, channels: 1, size: 12, classes: 10, seed: 0 });
    const accuracy = torch.scope(() => {
      const x = ds.images.flatten(1).float(); // (N, 144)
      const d = torch.ops.aten.cdist(x, x) as torch.Tensor; // (N, N)
      d.add_(torch.eye(300).mul(1e9)); // no image is its own neighbour
      const nearest = d.argmin(1);
      return ds.labels!.indexSelect(0, nearest).eq(ds.labels!).float().mean().item() as number;
    });
    assert.ok(accuracy > 0.6, `1-NN accuracy ${accuracy}`);
    disposeDataset(ds);
  });

  it('rejects bad sizes', () => {
    assert.throws(() => synthetic({ n: 0 }), /Expected positive integer for synthetic options\.n but received 0/);
    assert.throws(() => synthetic({ size: 2.5 }), /options\.size but received 2\.5/);
  });
});
