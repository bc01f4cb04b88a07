import * as assert from 'node:assert/strict';
import { torch } from '../../../lib';
import { functional as F } from '../../../lib/nn';
import { assertClose, f } from '../../helpers/assert-close';

describe('nn/functional/linear', () => {
  it('linear computes x W^T + b', () => {
    const x = f([[1, 2]]);
    const w = f([[1, 0], [0, 1], [1, 1]]);
    assertClose(F.linear(x, w, f([0, 0, 1])), [[1, 2, 4]]);
    assertClose(F.linear(x, w), [[1, 2, 3]]);
    assertClose(F.linear(x, w, null), [[1, 2, 3]]);
  });

  it('linear keeps leading dimensions', () => {
    assert.deepEqual(F.linear(torch.ones([2, 5, 4]), torch.ones([3, 4])).shape, [2, 5, 3]);
  });

  it('bilinear computes x1^T A x2 + b', () => {
    // 1*3*1 + 2*4*1 = 11; with A = [[0, 1], [0, 0]]: 1*4 = 4
    const w = f([[[1, 0], [0, 1]], [[0, 1], [0, 0]]]);
    assertClose(F.bilinear(f([[1, 2]]), f([[3, 4]]), w, f([0, 10])), [[11, 14]]);
  });

  it('reports bad arguments', () => {
    assert.throws(() => F.linear(f([[1, 2]]), 'w' as unknown as torch.Tensor),
      /Expected a Tensor for weight but received 'w'/);
    assert.throws(() => F.linear(f([[1, 2]]), torch.ones([3, 3])), /aten::linear: .*cannot be multiplied/);
  });
});
