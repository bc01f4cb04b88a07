// The generic dispatcher path: argument kinds and result kinds.
import * as assert from 'node:assert/strict';
import { torch } from '../../lib';

const aten = torch.ops.aten;
const T = (v: unknown) => v as torch.Tensor;

describe('torch.ops (generic dispatcher calls)', () => {
  const x = torch.tensor([[1, 2], [3, 4]]);

  it('picks the overload by argument types, or the named one', () => {
    assert.deepEqual(T(aten.add(x, x)).toArray(), [[2, 4], [6, 8]]);
    assert.deepEqual(T(aten.add(x, 10)).toArray(), [[11, 12], [13, 14]]);
    assert.deepEqual(T(aten.add.Tensor(x, x, { alpha: 2 })).toArray(), [[3, 6], [9, 12]]);
    assert.match(aten.add.Tensor.schema, /^aten::add.Tensor\(Tensor self, Tensor other, \*, Scalar alpha=1\) -> Tensor$/);
    assert.ok(aten.add.overloads.includes('Scalar'));
  });

  it('passes every common argument kind', () => {
    // int[] and bool, ScalarType? (kwarg)
    assert.deepEqual(T(aten.sum(x, [1], true, { dtype: 'float64' })).toArray(), [[3], [7]]);
    // int[] from one number (int[1] dim)
    assert.deepEqual(T(aten.sum(x, 0)).toArray(), [4, 6]);
    // SymInt[] (view) and SymInt (narrow)
    assert.deepEqual(T(aten.view(x, [4])).shape, [4]);
    assert.deepEqual(T(aten.narrow(x, 1, 1, 1)).toArray(), [[2], [4]]);
    // Tensor[] and Tensor?[] (index with None)
    assert.deepEqual(T(aten.cat([x, x], 0)).shape, [4, 2]);
    assert.deepEqual(T(aten.index.Tensor(x, [null, torch.tensor([1], { dtype: 'int64' })])).toArray(), [[2], [4]]);
    // Tensor? (weight of layer_norm) and float
    assert.deepEqual(T(aten.layer_norm(x, [2], null, null, 1e-5)).shape, [2, 2]);
    // float? and int? (clamp min only; cumsum dtype)
    assert.deepEqual(T(aten.clamp(x, 2.5)).toArray(), [[2.5, 2.5], [3, 4]]);
    // float? (nan_to_num) and int? (argmax with and without a dim)
    const bad = torch.tensor([NaN, Infinity, -Infinity, 1]);
    assert.deepEqual(T(aten.nan_to_num(bad, 0, 9, -9)).toArray(), [0, 9, -9, 1]);
    assert.equal((T(aten.nan_to_num(bad, 5, null, null)).toArray() as number[])[0], 5);
    assert.equal(T(aten.argmax(x, null, false)).item(), 3);
    assert.deepEqual(T(aten.argmax(x, 1, false)).toArray(), [1, 1]);
    // Scalar? (clamp with null min)
    assert.deepEqual(T(aten.clamp(x, null, 2)).toArray(), [[1, 2], [2, 2]]);
    // bool[] (output_mask of native_layer_norm_backward is internal; use _upsample_bilinear2d_aa? no) - bool via keepdim
    assert.deepEqual(T(aten.amax(x, [0, 1], true)).toArray(), [[4]]);
    // str (div rounding mode) and str?
    assert.deepEqual(T(aten.div.Tensor_mode(torch.tensor([7, -7]), torch.tensor([2, 2]), { rounding_mode: 'floor' })).toArray(), [3, -4]);
    // Device?, Layout?, ScalarType? (empty with options)
    const e = T(aten.empty.memory_format([2, 3], 'float64', 'strided', 'cpu', false, 'contiguous_format'));
    assert.equal(e.dtype, 'float64');
    // MemoryFormat
    const cl = T(aten.contiguous(torch.zeros([1, 3, 4, 4]), 'channels_last'));
    assert.deepEqual(cl.stride(), [48, 1, 12, 3]);
    // Generator? and int
    const g = new torch.Generator().manualSeed(3);
    const a = T(aten.randn.generator([3], g)).toArray();
    assert.deepEqual(T(aten.randn.generator([3], new torch.Generator().manualSeed(3))).toArray(), a);
    // bool[] (aten::_convolution? none simple) -> native_batch_norm_backward's output_mask is bool[3]
    const gi = aten.native_layer_norm_backward(torch.ones([2, 2]), x, [2], torch.zeros([2, 1]), torch.ones([2, 1]),
      null, null, [true, false, false]) as (torch.Tensor | null)[];
    assert.ok(gi[0] instanceof torch.Tensor && gi[1] === null && gi[2] === null);
  });

  it('returns tuples, lists, ints, floats, bools and None', () => {
    const [values, indices] = aten.max.dim(x, 1) as torch.Tensor[];
    assert.deepEqual(values.toArray(), [2, 4]);
    assert.deepEqual(indices.toArray(), [1, 1]);
    const parts = aten.split(x, 1) as torch.Tensor[];
    assert.equal(parts.length, 2);
    assert.equal(aten.size.int(x, 1), 2);
    assert.equal(aten.item(torch.tensor([2.5])), 2.5);
    assert.equal(aten.is_nonzero(torch.tensor([1])), true);
    assert.equal(aten.equal(x, x), true);
    assert.equal(aten._version(x), 0);
  });

  it('in-place and out= calls return the caller\'s own Tensor', () => {
    const y = torch.zeros([2]);
    assert.equal(aten.add_.Tensor(y, torch.ones([2])), y);
    assert.deepEqual(y.toArray(), [1, 1]);
    const out = torch.empty([2]);
    assert.equal(aten.mul.out(y, torch.tensor([3, 4]), { out }), out);
    assert.deepEqual(out.toArray(), [3, 4]);
  });

  it('lists every registered operator', () => {
    const all = torch.listOps();
    assert.ok(all.length > 2000, `${all.length} operators`);
    assert.ok(all.includes('aten::add.Tensor'));
  });

  it('reaches operators with any name, e.g. logsumexp from the design example', () => {
    const r = T(aten.logsumexp(torch.tensor([[0, 0]]), [1], false));
    assert.ok(Math.abs((r.item() as number) - Math.log(2)) < 1e-6);
  });
});
