import * as assert from 'node:assert/strict';
import { torch } from '../../../lib';
import { functional as F } from '../../../lib/nn';
import { assertClose, f } from '../../helpers/assert-close';

describe('nn/functional/similarity', () => {
  it('cosineSimilarity of parallel, orthogonal and opposite vectors', () => {
    assertClose(F.cosineSimilarity(f([[1, 1], [1, 0], [1, 2]]), f([[2, 2], [0, 1], [-1, -2]])), [1, 0, -1]);
    assertClose(F.cosineSimilarity(f([[1, 0], [1, 1]]), f([[0, 1], [1, 1]]), { dim: 0 }), [1 / Math.sqrt(2), 1 / Math.sqrt(2)]);
    // 3 * 4 / (5 * 5)
    assertClose(F.cosineSimilarity(f([[3, 4]]), f([[4, 3]])), [24 / 25]);
  });

  it('cosineSimilarity broadcasts into a similarity matrix', () => {
    const a = f([[[1, 0]], [[0, 1]]]);       // (2, 1, 2)
    const b = f([[[1, 0], [1, 1], [0, 3]]]); // (1, 3, 2)
    const s = Math.SQRT1_2;
    assertClose(F.cosineSimilarity(a, b, { dim: 2 }), [[1, s, 0], [0, s, 1]]);
  });

  it('cosineSimilarity of a zero vector is 0, not NaN', () => {
    assertClose(F.cosineSimilarity(f([[0, 0]]), f([[1, 0]])), [0]);
  });

  it('pairwiseDistance is the p-norm of the difference (plus eps)', () => {
    assertClose(F.pairwiseDistance(torch.zeros([4, 3]), torch.ones([4, 3])), new Array(4).fill(Math.sqrt(3)), 1e-5);
    assertClose(F.pairwiseDistance(f([[0, 0]]), f([[3, 4]]), { eps: 0 }), [5]);
    assertClose(F.pairwiseDistance(f([[0, 0]]), f([[3, 4]]), { p: 1, eps: 0 }), [7]);
    assert.deepEqual(F.pairwiseDistance(f([[0, 0]]), f([[3, 4]]), { keepdim: true }).shape, [1, 1]);
  });

  it('reports bad options', () => {
    assert.throws(() => F.cosineSimilarity(f([1]), f([1]), { dim: 1.5 }), /Expected integer for options.dim but received 1.5/);
    assert.throws(() => F.cosineSimilarity(f([[1, 2]]), f([[1, 2, 3]])), /aten::cosine_similarity: /);
  });
});
