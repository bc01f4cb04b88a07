import * as assert from 'node:assert/strict';
import { torch } from '../../lib';

describe('Tensor', () => {
  it('reports shape, dtype, device, numel, dim and size', () => {
    const x = torch.zeros([2, 3, 4]);
    assert.deepEqual(x.shape, [2, 3, 4]);
    assert.equal(x.dtype, 'float32');
    assert.equal(x.device, 'cpu');
    assert.equal(x.numel(), 24);
    assert.equal(x.dim(), 3);
    assert.equal(x.size(-1), 4);
    assert.deepEqual(x.size(), [2, 3, 4]);
    assert.deepEqual(x.stride(), [12, 4, 1]);
    assert.ok(x.isContiguous());
    assert.throws(() => x.size(3), /Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)/);
  });

  it('round-trips data through every dtype', () => {
    const cases: [torch.DType, number[]][] = [
      ['float32', [1.5, -2.25, 3]], ['float64', [1e-300, -2.5, 7]], ['float16', [0.5, -1, 2048]],
      ['bfloat16', [1, -0.5, 256]], ['int64', [-3, 0, 2 ** 40]], ['int32', [-7, 0, 123456]],
      ['int16', [-300, 1, 300]], ['int8', [-128, 0, 127]], ['uint8', [0, 1, 255]],
    ];
    for (const [dtype, values] of cases) {
      const t = torch.tensor(values, { dtype });
      assert.equal(t.dtype, dtype);
      assert.deepEqual(t.toArray(), values, dtype);
    }
    assert.deepEqual(torch.tensor([true, false, true]).toArray(), [true, false, true]);
  });

  it('returns TypedArrays of the carrier type', () => {
    assert.ok(torch.ones([2]).toTypedArray() instanceof Float32Array);
    assert.ok(torch.ones([2], { dtype: 'float64' }).toTypedArray() instanceof Float64Array);
    assert.ok(torch.ones([2], { dtype: 'int64' }).toTypedArray() instanceof BigInt64Array);
    assert.ok(torch.ones([2], { dtype: 'float16' }).toTypedArray() instanceof Float32Array);
    assert.ok(torch.ones([2], { dtype: 'bool' }).toTypedArray() instanceof Uint8Array);
  });

  it('reads a non-contiguous view in logical order', () => {
    const x = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    const t = torch.ops.aten.t(x) as torch.Tensor;
    assert.ok(!t.isContiguous());
    assert.deepEqual(t.toArray(), [[1, 4], [2, 5], [3, 6]]);
  });

  it('asTypedArray() shares memory with the tensor, both ways, and outlives dispose()', () => {
    const x = torch.zeros([3]);
    const view = x.asTypedArray() as Float32Array;
    view[1] = 5;
    assert.deepEqual(x.toArray(), [0, 5, 0]);
    x.add_(1);
    assert.deepEqual(Array.from(view), [1, 6, 1]);
    x.dispose();
    assert.deepEqual(Array.from(view), [1, 6, 1]);
    const i = torch.arange(4).asTypedArray();
    assert.ok(i instanceof BigInt64Array && i[3] === 3n);
    assert.throws(() => torch.zeros([2], { dtype: 'float16' }).asTypedArray(),
      /asTypedArray\(\) needs a dtype with its own TypedArray, not float16/);
    assert.throws(() => torch.zeros([2, 3]).t().asTypedArray(), /asTypedArray\(\) needs a contiguous CPU tensor/);
  });

  it('item() returns the single value and rejects larger tensors', () => {
    assert.equal(torch.tensor([42]).item(), 42);
    assert.equal(torch.full([], true).item(), true);
    assert.throws(() => torch.zeros([2]).item(), /item\(\) needs a tensor with one element but this one has 2/);
  });

  it('copies data out asynchronously without blocking the event loop', async () => {
    const x = torch.arange(0, 1000, 1, { dtype: 'float32' });
    let ticked = false;
    const tick = new Promise<void>((resolve) => setImmediate(() => { ticked = true; resolve(); }));
    const pending = x.toTypedArrayAsync();
    await tick;
    const data = await pending;
    assert.ok(ticked);
    assert.equal(data.length, 1000);
    assert.equal(data[999], 999);
    assert.deepEqual(await torch.tensor([[1, 2], [3, 4]]).toArrayAsync(), [[1, 2], [3, 4]]);
  });

  it('prints like PyTorch', () => {
    assert.equal(torch.tensor([1, 2]).toString(), 'tensor([1., 2.])');
    assert.equal(torch.tensor([1], { dtype: 'float64' }).requiresGrad_().toString(),
      'tensor([1.], dtype=float64, requires_grad=True)');
    assert.equal(torch.tensor([[1.5, -2], [3, 4]]).toString(), 'tensor([[ 1.5000, -2.0000],\n        [ 3.0000,  4.0000]])');
    assert.equal(torch.arange(3).toString(), 'tensor([0, 1, 2])');
    assert.equal(torch.tensor([true, false]).toString(), 'tensor([True, False])');
    assert.equal(torch.tensor([NaN, Infinity, 1]).toString(), 'tensor([nan, inf, 1.])');
    assert.equal(torch.tensor([1e-6, 1]).toString(), 'tensor([1.0000e-06, 1.0000e+00])');
    assert.equal(torch.zeros([2, 1, 2]).toString(), 'tensor([[[0., 0.]],\n\n        [[0., 0.]]])');
    assert.equal(torch.zeros([2, 1000]).toString(), 'tensor([... 2000 elements, shape [2, 1000]])');
  });

  it('converts dtype and device with to()', () => {
    const x = torch.tensor([1.7, -1.7]);
    assert.deepEqual(x.to('int64').toArray(), [1, -1]);
    assert.equal(x.to({ dtype: 'float64' }).dtype, 'float64');
    assert.equal(x.to('cpu').device, 'cpu');
    assert.equal(x.double().dtype, 'float64');
    assert.equal(x.half().dtype, 'float16');
    assert.throws(() => x.to('float13' as torch.DType), /Expected one of float32, .* for to\(target\) but received float13/);
  });

  it('clone() copies and detach() shares memory', () => {
    const x = torch.tensor([1, 2, 3]);
    const c = x.clone();
    const d = x.detach();
    x.copy_(torch.tensor([7, 8, 9]));
    assert.deepEqual(c.toArray(), [1, 2, 3]);
    assert.deepEqual(d.toArray(), [7, 8, 9]);
  });
});
