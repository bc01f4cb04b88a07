// knn by value where the parity tests (knn.test.ts) are too slow to run per
// mutant: the resolved k (a number stays a number, a list is copied), the
// k of a smaller count taken from the most similar neighbours first (one
// sorted top-k search serves every k), and features of another dtype
// (float64) compared in float32 on both sides.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { knn, KNN_OPTIONS } from '../../lib/eval/knn';

/** Points on the unit circle at the given angles (degrees), as (N, 2) features. */
function circle(degrees: number[], dtype: 'float32' | 'float64' = 'float32'): torch.Tensor {
  return torch.tensor(degrees.flatMap((a) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)]),
    { shape: [degrees.length, 2], dtype });
}
const labels = (values: number[]): torch.Tensor => torch.tensor(values, { dtype: 'int64' });

describe('eval: knn by value', function () {
  this.timeout(60000);

  it('options.k resolves to the number given, or to a copy of the list', () => {
    assert.equal(KNN_OPTIONS.resolve({ k: 7 }, (key) => key).k, 7);
    const ks = [3, 1];
    const resolved = KNN_OPTIONS.resolve({ k: ks }, (key) => key).k;
    assert.deepEqual(resolved, [3, 1]);
    ks.push(9);
    assert.deepEqual(resolved, [3, 1], 'a copy: the caller\'s later push does not reach it');
  });

  it('each k votes with its k most similar training features (one sorted search for the largest k)', () => {
    // The test point at 0 degrees is label 0, as its nearest neighbour (0 degrees); the next nine, 2 to 60
    // degrees away and listed out of order, are label 1 and outvote it at k = 3 and 10, not at 2 (T 0.07: weights 0.99 to 0.001).
    const train = { features: circle([40, 12, 3, 30, 0, 45, 9, 60, 2, 20]), labels: labels([1, 1, 1, 1, 0, 1, 1, 1, 1, 1]) };
    const test = { features: circle([0, 25]), labels: labels([0, 1]) };
    assert.deepEqual(knn(train, test, { k: [1, 10] }).top1, { 1: 1, 10: 0.5 });
    assert.deepEqual(knn(train, test, { k: [10, 1, 2, 3] }).top1, { 10: 0.5, 1: 1, 2: 1, 3: 0.5 });
  });

  it('float64 features give float32 k-NN\'s answer (both sides converted)', () => {
    const degrees = [0, 10, 20, 90, 100, 110, 200, 210];
    const y = labels([0, 0, 0, 1, 1, 1, 2, 2]);
    const q = [5, 95, 205, 50];
    const yq = labels([0, 1, 2, 1]);
    const expected = knn({ features: circle(degrees), labels: y }, { features: circle(q), labels: yq }, { k: [1, 3] });
    assert.deepEqual(expected.top1, { 1: 0.75, 3: 0.75 });
    const train64 = { features: circle(degrees, 'float64'), labels: y };
    const test64 = { features: circle(q, 'float64'), labels: yq };
    assert.deepEqual(knn(train64, test64, { k: [1, 3] }), expected);
    assert.deepEqual(knn(train64, { features: circle(q), labels: yq }, { k: [1, 3] }), expected);
    assert.deepEqual(knn({ features: circle(degrees), labels: y }, test64, { k: [1, 3] }), expected);
  });
});
