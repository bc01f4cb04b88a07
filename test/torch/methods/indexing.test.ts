import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { assertClose } from '../../helpers/assert-close';

const f = (data: torch.NestedInput) => torch.tensor(data, { dtype: 'float32' });
const i64 = (data: torch.NestedInput) => torch.tensor(data, { dtype: 'int64' });
/** [[0, 1, 2], [3, 4, 5]] */
const m23 = () => f([[0, 1, 2], [3, 4, 5]]);

describe('torch/methods/indexing', () => {
  it('slice takes start, end and step along one dimension', () => {
    const x = f([0, 1, 2, 3, 4, 5]);
    assertClose(x.slice(0, 1, 4), [1, 2, 3]);
    assertClose(x.slice(0, null, null, 2), [0, 2, 4]);
    assertClose(x.slice(0, -2), [4, 5]);
    assertClose(x.slice(0, undefined, -4), [0, 1]);
    assertClose(m23().slice(1, 1), [[1, 2], [4, 5]]);
  });

  it('slice is a view', () => {
    const x = torch.zeros([4]);
    x.slice(0, 2).fill_(9);
    assertClose(x, [0, 0, 9, 9]);
  });

  it('indexSelect and gather', () => {
    assertClose(m23().indexSelect(1, i64([2, 0])), [[2, 0], [5, 3]]);
    assertClose(m23().indexSelect(0, i64([1, 1])), [[3, 4, 5], [3, 4, 5]]);
    assertClose(m23().gather(1, i64([[2], [0]])), [[2], [3]]);
    assertClose(m23().gather(0, i64([[1, 0, 1]])), [[3, 1, 5]]);
  });

  it('scatter writes a tensor or a number, optionally reducing', () => {
    const zeros = torch.zeros([2, 3]);
    assertClose(zeros.scatter(1, i64([[2], [0]]), 1), [[0, 0, 1], [1, 0, 0]]);
    assertClose(zeros.scatter(1, i64([[2], [0]]), f([[7], [8]])), [[0, 0, 7], [8, 0, 0]]);
    assertClose(torch.ones([2, 3]).scatter(1, i64([[2], [0]]), 3, { reduce: 'multiply' }), [[1, 1, 3], [3, 1, 1]]);
    assertClose(torch.ones([3]).scatter(0, i64([1]), f([5]), { reduce: 'add' }), [1, 6, 1]);
    assertClose(zeros, [[0, 0, 0], [0, 0, 0]]);
  });

  it('scatter_ changes this tensor and returns it', () => {
    const x = torch.zeros([2, 2]);
    assert.strictEqual(x.scatter_(1, i64([[1], [0]]), 1), x);
    assertClose(x, [[0, 1], [1, 0]]);
    assert.strictEqual(x.scatter_(0, i64([[0, 0]]), f([[5, 6]])), x);
    assertClose(x, [[5, 6], [1, 0]]);
    x.scatter_(0, i64([[1, 1]]), 2, { reduce: 'add' });
    assertClose(x, [[5, 6], [3, 2]]);
  });

  it('scatterAdd accumulates repeated positions', () => {
    const src = f([1, 2, 3, 4]);
    const idx = i64([0, 2, 0, 2]);
    assertClose(torch.zeros([3]).scatterAdd(0, idx, src), [4, 0, 6]);
    const acc = torch.ones([3]);
    assert.strictEqual(acc.scatterAdd_(0, idx, src), acc);
    assertClose(acc, [5, 1, 7]);
  });

  it('maskedFill with a number, a boolean or a 0-D tensor', () => {
    const mask = torch.tensor([[true, false, false], [false, false, true]]);
    assertClose(m23().maskedFill(mask, -1), [[-1, 1, 2], [3, 4, -1]]);
    assertClose(m23().maskedFill(mask, f(9)), [[9, 1, 2], [3, 4, 9]]);
    assertClose(m23().maskedFill(torch.tensor([true, false, false]), -Infinity), [[-Infinity, 1, 2], [-Infinity, 4, 5]]);
    assert.deepEqual(torch.tensor([false, false]).maskedFill(torch.tensor([true, false]), true).toArray(), [true, false]);
    const x = m23();
    assert.strictEqual(x.maskedFill_(mask, 0), x);
    assertClose(x, [[0, 1, 2], [3, 4, 0]]);
    assert.strictEqual(x.maskedFill_(mask.logicalNot(), f(7)), x);
    assertClose(x, [[0, 7, 7], [7, 7, 0]]);
  });

  it('maskedSelect returns the selected elements in order', () => {
    assertClose(m23().maskedSelect(m23().gt(2.5)), [3, 4, 5]);
    assertClose(m23().maskedSelect(torch.tensor([false, true, true])), [1, 2, 4, 5]);
  });

  it('index does advanced indexing with int64, bool and null entries', () => {
    assertClose(m23().index([i64([1, 0])]), [[3, 4, 5], [0, 1, 2]]);
    assertClose(m23().index([i64([0, 1]), i64([2, 0])]), [2, 3]);
    assertClose(m23().index([null, i64([1])]), [[1], [4]]);
    assertClose(m23().index([torch.tensor([false, true])]), [[3, 4, 5]]);
    assertClose(m23().index([m23().gt(3)]), [4, 5]);
  });

  it('indexPut_ writes numbers or tensors in place, accumulating when asked', () => {
    const x = m23();
    assert.strictEqual(x.indexPut_([x.gt(3)], 0), x);
    assertClose(x, [[0, 1, 2], [3, 0, 0]]);
    assert.strictEqual(x.indexPut_([i64([0]), i64([1])], f([10])), x);
    assertClose(x, [[0, 10, 2], [3, 0, 0]]);
    const counts = torch.zeros([3]);
    counts.indexPut_([i64([0, 2, 0])], f([1, 1, 1]), true);
    assertClose(counts, [2, 0, 1]);
    const ints = i64([1, 2, 3]);
    ints.indexPut_([i64([1])], 7);
    assert.deepEqual(ints.toArray(), [1, 7, 3]);
  });

  it('indexPut leaves this tensor alone', () => {
    const x = m23();
    assertClose(x.indexPut([null, i64([0])], -1), [[-1, 1, 2], [-1, 4, 5]]);
    assertClose(x, [[0, 1, 2], [3, 4, 5]]);
  });

  it('nonzero lists the positions of nonzero elements', () => {
    assert.deepEqual(f([[0, 2], [3, 0]]).nonzero().toArray(), [[0, 1], [1, 0]]);
    assert.deepEqual(f([0, 0]).nonzero().shape, [0, 1]);
  });

  it('where keeps this where the condition holds', () => {
    const x = f([-1, 2, -3]);
    assertClose(x.where(x.gt(0), 0), [0, 2, 0]);
    assertClose(x.where(x.lt(0), f([10, 20, 30])), [-1, 20, -3]);
    assertClose(x.where(torch.tensor([[true], [false]]), f([7])), [[-1, 2, -3], [7, 7, 7]]);
  });

  it('reports bad indices and argument types', () => {
    assert.throws(() => m23().index([f([0])]), /aten::index\.Tensor: tensors used as indices must be long, (int, )?byte or bool tensors/);
    assert.throws(() => m23().indexSelect(1, i64([3])), /aten::index_select: .*(out of range|out of DATA bounds)/i);
    assert.throws(() => m23().gather(1, 'i' as unknown as torch.Tensor), /aten::gather: expected Tensor for argument 'index'/);
    assert.throws(() => m23().maskedFill('m' as unknown as torch.Tensor, 0), /argument 'mask'/);
    assert.throws(() => m23().index([1 as unknown as torch.Tensor]), /argument 'indices'/);
  });
});
