import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { assertClose } from '../helpers/assert-close';

const f = (data: torch.NestedInput) => torch.tensor(data, { dtype: 'float32' });
const a = () => f([[1, 2], [3, 4]]);

describe('torch/functions', () => {
  it('cat joins along an existing dimension', () => {
    assertClose(torch.cat([a(), f([[5, 6]])]), [[1, 2], [3, 4], [5, 6]]);
    assertClose(torch.cat([a(), f([[5], [6]])], 1), [[1, 2, 5], [3, 4, 6]]);
    assertClose(torch.cat([a(), a()], -1), [[1, 2, 1, 2], [3, 4, 3, 4]]);
  });

  it('stack joins along a new dimension', () => {
    assert.deepEqual(torch.stack([a(), a(), a()]).shape, [3, 2, 2]);
    assertClose(torch.stack([f([1, 2]), f([3, 4])], 1), [[1, 3], [2, 4]]);
  });

  it('split, chunk, unbind and flatten mirror the methods', () => {
    assert.deepEqual(torch.split(f([1, 2, 3]), 2).map((t) => t.toArray()), [[1, 2], [3]]);
    assert.deepEqual(torch.split(a(), [1, 1], 1).map((t) => t.toArray()), [[[1], [3]], [[2], [4]]]);
    assert.deepEqual(torch.chunk(a(), 2).map((t) => t.toArray()), [[[1, 2]], [[3, 4]]]);
    assert.deepEqual(torch.unbind(a(), 1).map((t) => t.toArray()), [[1, 3], [2, 4]]);
    assertClose(torch.flatten(a()), [1, 2, 3, 4]);
    assert.deepEqual(torch.flatten(torch.zeros([2, 3, 4]), 1).shape, [2, 12]);
  });

  it('einsum takes listed operands or one array', () => {
    const b = f([[5, 6], [7, 8]]);
    assertClose(torch.einsum('ij,jk->ik', a(), b), [[19, 22], [43, 50]]);
    assertClose(torch.einsum('ij,jk->ik', [a(), b]), [[19, 22], [43, 50]]);
    assertClose(torch.einsum('ii', a()), 5);
    assertClose(torch.einsum('ij->j', [a()]), [4, 6]);
    assertClose(torch.einsum('nc,mc->nm', f([[1, 0]]), f([[1, 1], [0, 2]])), [[1, 0]]);
    assert.throws(() => torch.einsum('ij,jk->ik', a()), /aten::einsum: .*operands/);
  });

  it('where takes tensors or numbers on either side', () => {
    const c = torch.tensor([true, false, true]);
    const x = f([1, 2, 3]);
    const y = f([10, 20, 30]);
    assertClose(torch.where(c, x, y), [1, 20, 3]);
    assertClose(torch.where(c, x, 0), [1, 0, 3]);
    assertClose(torch.where(c, -1, y), [-1, 20, -1]);
    assertClose(torch.where(c, 1, 0), [1, 0, 1]);
    assertClose(torch.where(c, 0.5, 2), [0.5, 2, 0.5]);
    assertClose(torch.where(torch.tensor([[true], [false]]), x, y), [[1, 2, 3], [10, 20, 30]]);
    assert.throws(() => torch.where(c, 'x' as unknown as number, y), /aten::where\.self: expected Tensor for argument 'self'/);
    assert.throws(() => torch.where(x, x, y), /aten::where\.self: .*condition.*bool/);
  });

  it('elementwise functions', () => {
    assertClose(torch.add(f([1, 2]), 1, { alpha: 2 }), [3, 4]);
    assertClose(torch.sub(f([1, 2]), f([1, 1])), [0, 1]);
    assertClose(torch.mul(f([1, 2]), 3), [3, 6]);
    assertClose(torch.div(f([7]), 2, { roundingMode: 'floor' }), [3]);
    assertClose(torch.pow(f([2, 3]), 2), [4, 9]);
    assertClose(torch.pow(2, f([3, 0.5])), [8, Math.SQRT2]);
    assertClose(torch.maximum(f([1, 4]), f([3, 2])), [3, 4]);
    assertClose(torch.minimum(f([1, 4]), f([3, 2])), [1, 2]);
    assertClose(torch.clamp(f([-2, 0.5, 2]), -1, 1), [-1, 0.5, 1]);
    assertClose(torch.exp(f([0])), [1]);
    assertClose(torch.log(f([1])), [0]);
    assertClose(torch.abs(f([-3])), [3]);
    assertClose(torch.sqrt(f([9])), [3]);
    assertClose(torch.relu(f([-1, 1])), [0, 1]);
    assertClose(torch.sigmoid(f([0])), [0.5]);
    assertClose(torch.tanh(f([0])), [0]);
    assertClose(torch.softmax(f([0, 0]), 0), [0.5, 0.5]);
    assertClose(torch.logSoftmax(f([0, 0]), 0), [-Math.LN2, -Math.LN2]);
  });

  it('reductions and selections', () => {
    assertClose(torch.sum(a()), 10);
    assertClose(torch.sum(a(), 1), [3, 7]);
    assertClose(torch.sum(a(), 0, true), [[4, 6]]);
    assertClose(torch.mean(a(), [0, 1]), 2.5);
    assertClose(torch.logsumexp(f([[0, 0]]), 1), [Math.LN2]);
    assertClose(torch.max(a()), 4);
    assert.deepEqual(torch.max(a(), 1).indices.toArray(), [1, 1]);
    assertClose(torch.min(a()), 1);
    assertClose(torch.min(a(), 0, true).values, [[1, 2]]);
    assert.deepEqual(torch.argmax(a(), 0).toArray(), [1, 1]);
    assert.equal(torch.argmin(a()).item(), 0);
    assertClose(torch.sort(f([2, 1, 3]), 0, true).values, [3, 2, 1]);
    assert.deepEqual(torch.topk(f([2, 1, 3]), 2).indices.toArray(), [2, 0]);
    assertClose(torch.gather(a(), 1, torch.tensor([[1], [0]], { dtype: 'int64' })), [[2], [3]]);
  });

  it('products', () => {
    const b = f([[5, 6], [7, 8]]);
    assertClose(torch.matmul(a(), b), [[19, 22], [43, 50]]);
    assertClose(torch.mm(a(), b), [[19, 22], [43, 50]]);
    assertClose(torch.bmm(a().unsqueeze(0), b.unsqueeze(0)), [[[19, 22], [43, 50]]]);
    assertClose(torch.dot(f([1, 2]), f([3, 4])), 11);
    assertClose(torch.outer(f([1, 2]), f([3, 4])), [[3, 4], [6, 8]]);
  });

  it('allclose, isclose and equal', () => {
    assert.equal(torch.allclose(f([1, 2]), f([1, 2.000001])), true);
    assert.equal(torch.allclose(f([1, 2]), f([1, 2.1])), false);
    assert.equal(torch.allclose(f([1, 2]), f([1, 2.1]), { atol: 0.2 }), true);
    assert.deepEqual(torch.isclose(f([1, 2]), f([1, 2.1])).toArray(), [true, false]);
    assert.equal(torch.equal(a(), a()), true);
    assert.equal(torch.equal(a(), a().t()), false);
  });

  it('reports mismatched shapes and wrong argument types', () => {
    assert.throws(() => torch.cat([a(), f([[1, 2, 3]])]), /aten::cat: Sizes of tensors must match except in dimension 0/);
    assert.throws(() => torch.stack([a(), f([1])]), /aten::stack: stack expects each tensor to be equal size/);
    assert.throws(() => torch.cat([a(), 'b' as unknown as torch.Tensor]), /aten::cat: expected Tensor for argument 'tensors' \(Tensor\[\]\) but received string 'b' \(at index 1\)/);
    assert.throws(() => torch.matmul(a(), f([1, 2, 3])), /aten::matmul: .*size mismatch|cannot be multiplied/);
  });
});
