import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { assertClose } from '../../helpers/assert-close';

const f = (data: torch.NestedInput) => torch.tensor(data, { dtype: 'float32' });
/** [[0, 1, 2], [3, 4, 5]] */
const m23 = () => torch.arange(0, 6).view(2, 3);

describe('torch/methods/shape', () => {
  it('view takes varargs or one array, and infers -1', () => {
    const x = torch.arange(0, 6);
    assert.deepEqual(x.view(2, 3).shape, [2, 3]);
    assert.deepEqual(x.view([3, 2]).shape, [3, 2]);
    assert.deepEqual(x.view(2, -1).shape, [2, 3]);
    assert.deepEqual(x.view([-1]).shape, [6]);
    assert.deepEqual(x.view(6).shape, [6]);
    assertClose(x.view(2, 3), [[0, 1, 2], [3, 4, 5]]);
  });

  it('view shares data with the original', () => {
    const x = torch.zeros([4]);
    x.view(2, 2).add_(1);
    assertClose(x, [1, 1, 1, 1]);
  });

  it('view refuses a layout it cannot express; reshape copies instead', () => {
    const t = m23().t();
    assert.throws(() => t.view(6), /aten::view: view size is not compatible/);
    assertClose(t.reshape(6), [0, 3, 1, 4, 2, 5]);
    assertClose(t.reshape([2, -1]), [[0, 3, 1], [4, 2, 5]]);
  });

  it('permute, transpose and t reorder dimensions', () => {
    const x = torch.zeros([2, 3, 4]);
    assert.deepEqual(x.permute(2, 0, 1).shape, [4, 2, 3]);
    assert.deepEqual(x.permute([1, 2, 0]).shape, [3, 4, 2]);
    assert.deepEqual(x.transpose(0, -1).shape, [4, 3, 2]);
    assertClose(m23().t(), [[0, 3], [1, 4], [2, 5]]);
    assertClose(m23().permute(1, 0), [[0, 3], [1, 4], [2, 5]]);
    assertClose(m23().transpose(1, 0), [[0, 3], [1, 4], [2, 5]]);
  });

  it('squeeze and unsqueeze', () => {
    const x = torch.zeros([1, 3, 1]);
    assert.deepEqual(x.squeeze().shape, [3]);
    assert.deepEqual(x.squeeze(0).shape, [3, 1]);
    assert.deepEqual(x.squeeze(1).shape, [1, 3, 1]);
    assert.deepEqual(x.unsqueeze(0).shape, [1, 1, 3, 1]);
    assert.deepEqual(x.unsqueeze(-1).shape, [1, 3, 1, 1]);
  });

  it('expand broadcasts without copying; expandAs follows another tensor', () => {
    const row = f([[1, 2, 3]]);
    const e = row.expand(2, -1);
    assertClose(e, [[1, 2, 3], [1, 2, 3]]);
    assert.deepEqual(e.stride(), [0, 1]);
    assert.deepEqual(row.expand([4, 3]).shape, [4, 3]);
    assert.deepEqual(f([[1], [2]]).expandAs(torch.zeros([2, 5])).shape, [2, 5]);
    assert.throws(() => f([1, 2]).expand(3), /aten::expand: The expanded size of the tensor \(3\) must match/);
  });

  it('flatten and unflatten', () => {
    const x = torch.zeros([2, 3, 4, 5]);
    assert.deepEqual(x.flatten().shape, [120]);
    assert.deepEqual(x.flatten(1).shape, [2, 60]);
    assert.deepEqual(x.flatten(1, 2).shape, [2, 12, 5]);
    assert.deepEqual(x.unflatten(1, [3, 1]).shape, [2, 3, 1, 4, 5]);
    assert.deepEqual(x.unflatten(-1, [-1, 5]).shape, [2, 3, 4, 1, 5]);
  });

  it('repeat and tile', () => {
    assertClose(f([1, 2]).repeat(2), [1, 2, 1, 2]);
    assertClose(f([1, 2]).repeat(2, 1), [[1, 2], [1, 2]]);
    assertClose(f([1, 2]).repeat([1, 2]), [[1, 2, 1, 2]]);
    assertClose(f([[1, 2]]).tile(2), [[1, 2, 1, 2]]);
    assertClose(f([[1, 2]]).tile([2, 1]), [[1, 2], [1, 2]]);
  });

  it('flip and roll', () => {
    assertClose(m23().flip(1), [[2, 1, 0], [5, 4, 3]]);
    assertClose(m23().flip([0, 1]), [[5, 4, 3], [2, 1, 0]]);
    assertClose(f([1, 2, 3, 4]).roll(1), [4, 1, 2, 3]);
    assertClose(m23().roll(-1, 1), [[1, 2, 0], [4, 5, 3]]);
    assertClose(m23().roll(1), [[5, 0, 1], [2, 3, 4]]);
    assertClose(m23().roll([1, 1], [0, 1]), [[5, 3, 4], [2, 0, 1]]);
  });

  it('split, chunk and unbind', () => {
    const x = torch.arange(0, 5);
    const parts = x.split(2);
    assert.deepEqual(parts.map((p) => p.toArray()), [[0, 1], [2, 3], [4]]);
    assert.deepEqual(x.split([1, 4]).map((p) => p.shape), [[1], [4]]);
    assert.deepEqual(m23().split(1, 1).map((p) => p.shape), [[2, 1], [2, 1], [2, 1]]);
    assert.deepEqual(x.chunk(2).map((p) => p.toArray()), [[0, 1, 2], [3, 4]]);
    assert.deepEqual(m23().chunk(3, 1).map((p) => p.toArray()), [[[0], [3]], [[1], [4]], [[2], [5]]]);
    assert.deepEqual(m23().unbind().map((p) => p.toArray()), [[0, 1, 2], [3, 4, 5]]);
    assert.deepEqual(m23().unbind(1).map((p) => p.toArray()), [[0, 3], [1, 4], [2, 5]]);
    assert.throws(() => x.split([1, 1]), /split_with_sizes expects split_sizes to sum exactly to 5/);
  });

  it('narrow, select and movedim', () => {
    assertClose(m23().narrow(1, 1, 2), [[1, 2], [4, 5]]);
    assertClose(m23().select(1, 0), [0, 3]);
    assertClose(m23().select(0, -1), [3, 4, 5]);
    const x = torch.zeros([2, 3, 4]);
    assert.deepEqual(x.movedim(0, -1).shape, [3, 4, 2]);
    assert.deepEqual(x.movedim([0, 1], [2, 0]).shape, [3, 4, 2]);
    assert.deepEqual(x.movedim([0], 2).shape, [3, 4, 2]);
    assert.throws(() => m23().select(0, 2), /aten::select\.int: .*index 2 out of range/);
  });

  it('reports wrong argument types with the argument name', () => {
    assert.throws(() => m23().view('a' as unknown as number), /aten::view: expected an array of integers for argument 'size'/);
    assert.throws(() => m23().transpose(0, 1.5), /aten::transpose\.int: expected an integer for argument 'dim1'/);
    assert.throws(() => m23().expandAs([2, 3] as unknown as torch.Tensor), /argument 'other'/);
  });
});
