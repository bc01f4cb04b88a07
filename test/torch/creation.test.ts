import * as assert from 'node:assert/strict';
import { torch } from '../../lib';

describe('creation', () => {
  it('tensor() infers shapes and dtypes', () => {
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(x.shape, [2, 3]);
    assert.equal(x.dtype, 'float32');
    assert.equal(torch.tensor(3.5).dim(), 0);
    assert.equal(torch.tensor([1n, 2n]).dtype, 'int64');
    assert.equal(torch.tensor([true]).dtype, 'bool');
    assert.equal(torch.tensor(new Int32Array([1, 2])).dtype, 'int32');
    assert.equal(torch.tensor(new Uint8Array(6), { shape: [2, 3] }).dtype, 'uint8');
    assert.deepEqual(torch.tensor(new Float64Array([1, 2, 3, 4]), { shape: [2, 2], dtype: 'float32' }).toArray(),
      [[1, 2], [3, 4]]);
  });

  it('tensor() rejects ragged and non-numeric data', () => {
    assert.throws(() => torch.tensor([[1, 2], [3]]), /Expected a rectangular nested array: found length 1 at depth 1 where 2 was expected/);
    assert.throws(() => torch.tensor(['a'] as unknown as number[]), /Expected numbers, booleans or bigints in tensor data but received string/);
    assert.throws(() => torch.tensor(new Float32Array(5), { shape: [2, 2] }), /Data holds 20 bytes but shape \[2, 2\] of float32 needs 16/);
  });

  it('fills: zeros, ones, full, empty, eye', () => {
    assert.deepEqual(torch.zeros([2]).toArray(), [0, 0]);
    assert.deepEqual(torch.ones([2], { dtype: 'int32' }).toArray(), [1, 1]);
    assert.deepEqual(torch.full([2, 1], 0.5).toArray(), [[0.5], [0.5]]);
    assert.equal(torch.full([1], true).dtype, 'bool');
    assert.deepEqual(torch.empty([3, 4]).shape, [3, 4]);
    assert.deepEqual(torch.eye(2, 3).toArray(), [[1, 0, 0], [0, 1, 0]]);
    assert.throws(() => torch.zeros([2, -1]), /Expected an array of non-negative integers for shape but received \[2,-1\]/);
  });

  it('ranges: arange and linspace', () => {
    assert.deepEqual(torch.arange(4).toArray(), [0, 1, 2, 3]);
    assert.equal(torch.arange(4).dtype, 'int64');
    assert.deepEqual(torch.arange(1, 2, 0.25).toArray(), [1, 1.25, 1.5, 1.75]);
    assert.equal(torch.arange(0, 1, 0.5).dtype, 'float32');
    assert.deepEqual(torch.linspace(0, 1, 5).toArray(), [0, 0.25, 0.5, 0.75, 1]);
    assert.throws(() => torch.arange(0, 1, 0), /arange: step must be nonzero/);
  });

  it('random: rand, randn, randint, randperm obey their ranges', () => {
    const u = torch.rand([1000]).toTypedArray() as Float32Array;
    assert.ok(u.every((v) => v >= 0 && v < 1));
    const n = torch.randn([20000]).toTypedArray() as Float32Array;
    const mean = n.reduce((a, b) => a + b, 0) / n.length;
    const std = Math.sqrt(n.reduce((a, b) => a + (b - mean) ** 2, 0) / n.length);
    assert.ok(Math.abs(mean) < 0.05 && Math.abs(std - 1) < 0.05, `mean ${mean} std ${std}`);
    const r = torch.randint(3, 7, [500]);
    assert.equal(r.dtype, 'int64');
    assert.ok((r.toArray() as number[]).every((v) => v >= 3 && v < 7));
    assert.deepEqual([...(torch.randperm(10).toArray() as number[])].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('*Like functions follow the input unless told otherwise', () => {
    const x = torch.zeros([2, 3], { dtype: 'float64' });
    assert.equal(torch.onesLike(x).dtype, 'float64');
    assert.deepEqual(torch.zerosLike(x).shape, [2, 3]);
    assert.equal(torch.fullLike(x, 2, { dtype: 'int32' }).dtype, 'int32');
    assert.deepEqual(torch.randLike(x).shape, [2, 3]);
    assert.deepEqual(torch.randnLike(x).shape, [2, 3]);
    assert.deepEqual(torch.emptyLike(x).shape, [2, 3]);
    assert.ok((torch.randintLike(x, 0, 2).toArray() as number[][]).flat().every((v) => v === 0 || v === 1));
  });

  it('requiresGrad option makes a leaf', () => {
    const x = torch.zeros([2], { requiresGrad: true });
    assert.ok(x.requiresGrad && x.isLeaf);
  });

  it('creates on CUDA when there is a GPU, and fails clearly when this build has none', () => {
    if (torch.cuda.isAvailable()) {
      assert.equal(torch.zeros([2], { device: 'cuda' }).device, 'cuda:0');
      return;
    }
    assert.throws(() => torch.zeros([2], { device: 'cuda' }), /aten::zeros: .*cuda/i);
  });
});
