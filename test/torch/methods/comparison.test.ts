import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';

const f = (data: torch.NestedInput) => torch.tensor(data, { dtype: 'float32' });

describe('torch/methods/comparison', () => {
  it('compares with a number', () => {
    const x = f([1, 2, 3]);
    assert.deepEqual(x.eq(2).toArray(), [false, true, false]);
    assert.deepEqual(x.ne(2).toArray(), [true, false, true]);
    assert.deepEqual(x.lt(2).toArray(), [true, false, false]);
    assert.deepEqual(x.le(2).toArray(), [true, true, false]);
    assert.deepEqual(x.gt(2).toArray(), [false, false, true]);
    assert.deepEqual(x.ge(2).toArray(), [false, true, true]);
    assert.equal(x.eq(2).dtype, 'bool');
  });

  it('compares with a tensor, broadcasting', () => {
    const a = f([[1], [3]]);
    const b = f([1, 2, 3]);
    assert.deepEqual(a.eq(b).toArray(), [[true, false, false], [false, false, true]]);
    assert.deepEqual(a.lt(b).toArray(), [[false, true, true], [false, false, false]]);
    assert.deepEqual(a.ge(b).toArray(), [[true, false, false], [true, true, true]]);
    assert.deepEqual(a.ne(b).shape, [2, 3]);
    assert.deepEqual(a.gt(b).toArray(), [[false, false, false], [true, true, false]]);
    assert.deepEqual(a.le(b).toArray(), [[true, true, true], [false, false, true]]);
  });

  it('compares a bool tensor with a boolean', () => {
    const m = torch.tensor([true, false]);
    assert.deepEqual(m.eq(true).toArray(), [true, false]);
    assert.deepEqual(m.ne(true).toArray(), [false, true]);
  });

  it('finds NaN and infinities', () => {
    const x = f([1, NaN, Infinity, -Infinity]);
    assert.deepEqual(x.isnan().toArray(), [false, true, false, false]);
    assert.deepEqual(x.isinf().toArray(), [false, false, true, true]);
    assert.deepEqual(x.isfinite().toArray(), [true, false, false, false]);
  });

  it('combines truth values', () => {
    const a = torch.tensor([true, true, false, false]);
    const b = torch.tensor([true, false, true, false]);
    assert.deepEqual(a.logicalNot().toArray(), [false, false, true, true]);
    assert.deepEqual(a.logicalAnd(b).toArray(), [true, false, false, false]);
    assert.deepEqual(a.logicalOr(b).toArray(), [true, true, true, false]);
    assert.deepEqual(a.logicalXor(b).toArray(), [false, true, true, false]);
    assert.deepEqual(f([0, 2]).logicalNot().toArray(), [true, false]);
  });

  it('isclose and allclose use |a - b| <= atol + rtol * |b|', () => {
    const a = f([1, 100]);
    const b = f([1.001, 100.05]);
    assert.deepEqual(a.isclose(b).toArray(), [false, false]);
    assert.deepEqual(a.isclose(b, { rtol: 6e-4 }).toArray(), [false, true]);
    assert.deepEqual(a.isclose(b, { atol: 0.01 }).toArray(), [true, false]);
    assert.equal(a.allclose(b), false);
    assert.equal(a.allclose(b, { atol: 0.1 }), true);
    assert.equal(a.allclose(a), true);
    assert.equal(typeof a.allclose(b), 'boolean');
  });

  it('allclose broadcasts and treats NaN as unequal unless asked', () => {
    assert.equal(f([[1, 1], [1, 1]]).allclose(f([1])), true);
    const n = f([NaN]);
    assert.equal(n.allclose(n), false);
    assert.equal(n.allclose(n, { equalNan: true }), true);
  });

  it('equal needs the same shape and values', () => {
    assert.equal(f([1, 2]).equal(f([1, 2])), true);
    assert.equal(f([1, 2]).equal(f([1, 3])), false);
    assert.equal(f([1, 2]).equal(f([[1, 2]])), false);
  });

  it('reports mismatched shapes and wrong argument types', () => {
    assert.throws(() => f([1, 2, 3]).eq(f([1, 2])), /aten::eq\.Tensor: .*size of tensor/);
    assert.throws(() => f([1]).lt('1' as unknown as number), /aten::lt\.Tensor: expected Tensor for argument 'other'/);
    assert.throws(() => f([1]).allclose(null as unknown as torch.Tensor), /aten::allclose: argument 'other' \(Tensor\) cannot be null/);
  });
});
