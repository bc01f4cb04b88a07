import * as assert from 'node:assert/strict';
import { torch } from '../../../lib';
import { functional as F } from '../../../lib/nn';
import { assertClose, f, i64 } from '../../helpers/assert-close';

describe('nn/functional/embedding', () => {
  const table = (): torch.Tensor => f([[0, 0], [1, 10], [2, 20], [3, 30]]);

  it('looks up rows for indices of any shape', () => {
    assertClose(F.embedding(i64([[1, 3], [0, 1]]), table()), [[[1, 10], [3, 30]], [[0, 0], [1, 10]]]);
    assertClose(F.embedding(i64(2), table()), [2, 20]);
    assertClose(F.embedding(torch.tensor([3], { dtype: 'int32' }), table()), [[3, 30]]);
  });

  it('paddingIdx rows get no gradient', () => {
    const w = table().requiresGrad_();
    const y = F.embedding(i64([1, 2, 2, 3]), w, { paddingIdx: 2 });
    y.backward(torch.onesLike(y));
    assertClose(w.grad!, [[0, 0], [1, 1], [0, 0], [1, 1]]);
    const w2 = table().requiresGrad_();
    const y2 = F.embedding(i64([3, 1]), w2, { paddingIdx: -1 });
    y2.backward(torch.onesLike(y2));
    assertClose(w2.grad!, [[0, 0], [1, 1], [0, 0], [0, 0]]);
  });

  it('scaleGradByFreq divides each gradient by the index count', () => {
    const w = table().requiresGrad_();
    const y = F.embedding(i64([1, 1, 2]), w, { scaleGradByFreq: true });
    y.backward(torch.onesLike(y));
    assertClose(w.grad!, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  });

  it('maxNorm renormalises the looked-up rows of the weight in place', () => {
    const w = f([[3, 4], [0.3, 0.4], [6, 8]]);
    const y = F.embedding(i64([0, 1]), w, { maxNorm: 1 });
    assertClose(y, [[0.6, 0.8], [0.3, 0.4]], 1e-4);
    assertClose(w, [[0.6, 0.8], [0.3, 0.4], [6, 8]], 1e-4);
    F.embedding(i64([2]), w, { maxNorm: 2, normType: 1 });
    assertClose(w, [[0.6, 0.8], [0.3, 0.4], [6 / 7, 8 / 7]], 1e-4);
  });

  it('oneHot encodes class indices', () => {
    const y = F.oneHot(i64([0, 2]), 3);
    assert.equal(y.dtype, 'int64');
    assert.deepEqual(y.toArray(), [[1, 0, 0], [0, 0, 1]]);
    assert.deepEqual(F.oneHot(i64([[1], [0]])).toArray(), [[[0, 1]], [[1, 0]]]);
  });

  it('reports bad arguments', () => {
    assert.throws(() => F.embedding(i64([0]), table(), { paddingIdx: 4 }),
      /Expected paddingIdx in \[-4, 3\] \(within numEmbeddings\) but received 4/);
    assert.throws(() => F.embedding(i64([4]), table()), /aten::embedding: .*index out of range/);
    assert.throws(() => F.oneHot(i64([0, 3]), 3), /aten::one_hot: Class values must be smaller than num_classes/);
    assert.throws(() => F.oneHot(i64([0]), -2), /Expected integer >= -1 for numClasses but received -2/);
  });
});
