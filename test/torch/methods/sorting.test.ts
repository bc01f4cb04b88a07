import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { assertClose } from '../../helpers/assert-close';

const f = (data: torch.NestedInput) => torch.tensor(data, { dtype: 'float32' });

describe('torch/methods/sorting', () => {
  it('sort returns sorted values and their original positions', () => {
    const { values, indices } = f([3, 1, 2]).sort();
    assertClose(values, [1, 2, 3]);
    assert.deepEqual(indices.toArray(), [1, 2, 0]);
    assert.equal(indices.dtype, 'int64');
    const desc = f([[3, 1, 2], [0, 5, 4]]).sort(1, true);
    assertClose(desc.values, [[3, 2, 1], [5, 4, 0]]);
    assert.deepEqual(desc.indices.toArray(), [[0, 2, 1], [1, 2, 0]]);
    assertClose(f([[3, 1], [0, 5]]).sort(0).values, [[0, 1], [3, 5]]);
  });

  it('a stable sort keeps equal elements in their original order', () => {
    const x = torch.zeros([40]);
    x.indexPut_([torch.tensor([5, 17, 33], { dtype: 'int64' })], -1);
    const { indices } = x.sort(0, false, { stable: true });
    const order = indices.toArray() as number[];
    assert.deepEqual(order.slice(0, 3), [5, 17, 33]);
    const rest = order.slice(3);
    assert.deepEqual(rest, [...rest].sort((p, q) => p - q));
  });

  it('argsort gives the positions of sort', () => {
    assert.deepEqual(f([3, 1, 2]).argsort().toArray(), [1, 2, 0]);
    assert.deepEqual(f([3, 1, 2]).argsort(0, true).toArray(), [0, 2, 1]);
  });

  it('topk picks the largest or smallest k', () => {
    const x = f([[1, 9, 3, 7], [8, 2, 6, 4]]);
    const top = x.topk(2);
    assertClose(top.values, [[9, 7], [8, 6]]);
    assert.deepEqual(top.indices.toArray(), [[1, 3], [0, 2]]);
    const low = x.topk(1, 1, false);
    assertClose(low.values, [[1], [2]]);
    assert.deepEqual(low.indices.toArray(), [[0], [1]]);
    assertClose(x.topk(1, 0).values, [[8, 9, 6, 7]]);
    const unsorted = x.topk(3, -1, true, false);
    assert.deepEqual((unsorted.values.sort(-1, true).values.toArray()), [[9, 7, 3], [8, 6, 4]]);
  });

  it('reports bad arguments', () => {
    assert.throws(() => f([1, 2]).topk(3), /aten::topk: .*selected index k out of range/);
    assert.throws(() => f([1, 2]).sort(0, 'yes' as unknown as boolean), /argument 'descending'/);
  });
});
