import * as assert from 'node:assert/strict';
import { torch } from '../../../lib';
import { functional as F } from '../../../lib/nn';
import { assertClose, f, i64 } from '../../helpers/assert-close';

/** log softmax of one row, in JS. */
function logSoftmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

describe('nn/functional/loss', () => {
  describe('crossEntropy', () => {
    it('of uniform logits is log(C) whatever the target', () => {
      const logits = torch.zeros([3, 5]);
      const target = i64([0, 4, 2]);
      assertClose(F.crossEntropy(logits, target), Math.log(5));
      assertClose(F.crossEntropy(logits, target, { reduction: 'sum' }), 3 * Math.log(5));
      assertClose(F.crossEntropy(logits, target, { reduction: 'none' }), [Math.log(5), Math.log(5), Math.log(5)]);
      assertClose(F.crossEntropy(torch.zeros([5]), i64(1)), Math.log(5));
    });

    it('is the negative log softmax at the target', () => {
      const rows = [[1, 2, 3], [0, 0, Math.log(2)]];
      const expected = [-logSoftmaxRow(rows[0])[2], -logSoftmaxRow(rows[1])[0]];
      assertClose(F.crossEntropy(f(rows), i64([2, 0]), { reduction: 'none' }), expected);
      assertClose(F.crossEntropy(f(rows), i64([2, 0])), (expected[0] + expected[1]) / 2);
    });

    it('with label smoothing mixes in the uniform distribution', () => {
      const row = [1, 2, 3];
      const lp = logSoftmaxRow(row);
      const s = 0.1;
      // -( (1 - s) log p_y + (s / C) sum_c log p_c )
      const expected = -((1 - s) * lp[0] + (s / 3) * (lp[0] + lp[1] + lp[2]));
      assertClose(F.crossEntropy(f([row]), i64([0]), { labelSmoothing: s }), expected);
      assertClose(F.crossEntropy(f([row]), i64([0]), { labelSmoothing: 1 }), -(lp[0] + lp[1] + lp[2]) / 3);
    });

    it('takes class-probability targets', () => {
      assertClose(F.crossEntropy(f([[0, 0]]), f([[0.5, 0.5]])), Math.log(2));
      const lp = logSoftmaxRow([1, 2, 3]);
      assertClose(F.crossEntropy(f([[1, 2, 3]]), f([[0.2, 0.3, 0.5]])), -(0.2 * lp[0] + 0.3 * lp[1] + 0.5 * lp[2]));
    });

    it('skips ignoreIndex and weighs classes', () => {
      const lp = logSoftmaxRow([1, 2, 3]);
      assertClose(F.crossEntropy(f([[1, 2, 3], [1, 2, 3]]), i64([-100, 1])), -lp[1]);
      assertClose(F.crossEntropy(f([[1, 2, 3], [1, 2, 3]]), i64([0, 1]), { ignoreIndex: 0 }), -lp[1]);
      // Weighted mean: sum(w_y * loss) / sum(w_y)
      const w = f([1, 3, 1]);
      assertClose(F.crossEntropy(f([[1, 2, 3], [1, 2, 3]]), i64([0, 1]), { weight: w }), -(lp[0] + 3 * lp[1]) / 4);
    });

    it('has the gradient softmax - onehot', () => {
      const logits = torch.zeros([1, 4], { requiresGrad: true });
      F.crossEntropy(logits, i64([2])).backward();
      assertClose(logits.grad!, [[0.25, 0.25, -0.75, 0.25]]);
    });

    it('reports bad options', () => {
      const logits = torch.zeros([2, 3]);
      assert.throws(() => F.crossEntropy(logits, i64([0, 1]), { reduction: 'avg' as 'mean' }),
        /Expected one of 'none', 'mean', 'sum' for options.reduction but received 'avg'/);
      assert.throws(() => F.crossEntropy(logits, i64([0, 1]), { labelSmoothing: 1.5 }),
        /Expected a number in \[0, 1\] for options.labelSmoothing but received 1.5/);
      assert.throws(() => F.crossEntropy(logits, i64([0, 3])), /aten::cross_entropy_loss: .*Target 3 is out of bounds/);
    });
  });

  it('nllLoss picks the negated log-probability at the target', () => {
    const lp = f([[-1, -2, -3], [-0.5, -1.5, -2.5]]);
    assertClose(F.nllLoss(lp, i64([2, 0]), { reduction: 'none' }), [3, 0.5]);
    assertClose(F.nllLoss(lp, i64([2, 0])), 1.75);
    assertClose(F.nllLoss(lp, i64([2, 0]), { reduction: 'sum' }), 3.5);
    assertClose(F.nllLoss(lp, i64([2, 0]), { weight: f([1, 1, 3]) }), (9 + 0.5) / 4);
    assertClose(F.nllLoss(lp, i64([2, 0]), { ignoreIndex: 2 }), 0.5);
    assert.deepEqual(F.nllLoss(torch.zeros([2, 3, 4, 5]), torch.zeros([2, 4, 5], { dtype: 'int64' }), { reduction: 'none' }).shape,
      [2, 4, 5]);
  });

  it('mseLoss and l1Loss with every reduction', () => {
    const x = f([1, -2, 3]);
    const zero = torch.zeros([3]);
    assertClose(F.mseLoss(x, zero, { reduction: 'none' }), [1, 4, 9]);
    assertClose(F.mseLoss(x, zero), 14 / 3);
    assertClose(F.mseLoss(x, zero, { reduction: 'sum' }), 14);
    assertClose(F.l1Loss(x, zero, { reduction: 'none' }), [1, 2, 3]);
    assertClose(F.l1Loss(x, zero), 2);
    assertClose(F.l1Loss(x, zero, { reduction: 'sum' }), 6);
  });

  it('pointwise losses broadcast mismatched shapes with a warning, as PyTorch does', async () => {
    const warnings: string[] = [];
    const listener = (w: Error): void => { warnings.push(w.message); };
    process.on('warning', listener);
    try {
      // (2, 1) against (2): broadcast to (2, 2).
      assertClose(F.l1Loss(f([[0], [1]]), f([1, 3]), { reduction: 'none' }), [[1, 3], [0, 2]]);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    assert.deepEqual(warnings, ['l1Loss: using a target shape [2] that differs from the input shape [2, 1]; ' +
      'they are broadcast, which is rarely intended']);
  });

  it('smoothL1Loss and huberLoss switch from quadratic to linear', () => {
    const zero = torch.zeros([3]);
    assertClose(F.smoothL1Loss(f([0.5, 2, -3]), zero, { reduction: 'none' }), [0.125, 1.5, 2.5]);
    assertClose(F.smoothL1Loss(f([0.5, 2, -3]), zero, { reduction: 'none', beta: 2 }), [0.0625, 1, 2]);
    assertClose(F.huberLoss(f([0.5, 2, -3]), zero, { reduction: 'none' }), [0.125, 1.5, 2.5]);
    assertClose(F.huberLoss(f([0.5, 2, -3]), zero, { reduction: 'none', delta: 2 }), [0.125, 2, 4]);
    assertClose(F.huberLoss(f([0.5, 2, -3]), zero, { delta: 2 }), (0.125 + 2 + 4) / 3);
  });

  it('binaryCrossEntropyWithLogits and binaryCrossEntropy', () => {
    const ln2 = Math.log(2);
    assertClose(F.binaryCrossEntropyWithLogits(f([0, 0]), f([1, 0])), ln2);
    // -[y log s(x) + (1 - y) log(1 - s(x))] at x = 2, y = 0.25
    const s = 1 / (1 + Math.exp(-2));
    const expected = -(0.25 * Math.log(s) + 0.75 * Math.log(1 - s));
    assertClose(F.binaryCrossEntropyWithLogits(f([2]), f([0.25]), { reduction: 'sum' }), expected);
    assertClose(F.binaryCrossEntropyWithLogits(f([0, 0]), f([1, 0]), { posWeight: f([3]), reduction: 'none' }), [3 * ln2, ln2]);
    assertClose(F.binaryCrossEntropyWithLogits(f([0, 0]), f([1, 0]), { weight: f([2, 0]), reduction: 'sum' }), 2 * ln2);
    assertClose(F.binaryCrossEntropy(f([0.5, 0.5]), f([1, 0])), ln2);
    assertClose(F.binaryCrossEntropy(f([[0.5, 0.5], [0.5, 0.5]]), f([[1, 0], [1, 0]]), { weight: f([1, 3]), reduction: 'none' }),
      [[ln2, 3 * ln2], [ln2, 3 * ln2]]);
    assert.throws(() => F.binaryCrossEntropyWithLogits(f([0, 0]), f([1])),
      /Expected target of shape \[2\] \(the input's shape\) but received shape \[1\]/);
    assert.throws(() => F.binaryCrossEntropy(f([[0.5]]), f([1])),
      /Expected target of shape \[1, 1\] \(the input's shape\) but received shape \[1\]/);
  });

  it('klDiv with each reduction', () => {
    const q = [[0.25, 0.75], [0.5, 0.5]];
    const p = [[0.5, 0.5], [0.5, 0.5]];
    const terms = q.map((row, i) => row.map((qi, j) => p[i][j] * Math.log(p[i][j] / qi)));
    const logq = f(q.map((row) => row.map(Math.log)));
    const total = terms.flat().reduce((a, b) => a + b, 0);
    assertClose(F.klDiv(logq, f(p), { reduction: 'none' }), terms);
    assertClose(F.klDiv(logq, f(p), { reduction: 'sum' }), total);
    assertClose(F.klDiv(logq, f(p)), total / 4);
    assertClose(F.klDiv(logq, f(p), { reduction: 'batchmean' }), total / 2);
    assertClose(F.klDiv(logq, f(p.map((r) => r.map(Math.log))), { reduction: 'batchmean', logTarget: true }), total / 2);
    assert.throws(() => F.klDiv(logq, f(p), { reduction: 'max' as 'sum' }),
      /Expected one of 'none', 'mean', 'sum', 'batchmean' for options.reduction but received 'max'/);
  });

  it('cosineEmbeddingLoss and tripletMarginLoss', () => {
    const a = f([[1, 0], [1, 0], [1, 0]]);
    const b = f([[2, 0], [0, 1], [1, 0]]);
    assertClose(F.cosineEmbeddingLoss(a, b, f([1, -1, -1]), { reduction: 'none' }), [0, 0, 1]);
    assertClose(F.cosineEmbeddingLoss(a, b, f([1, 1, 1])), 1 / 3, 1e-4);
    // d(a, p) = 1, d(a, n) = 1.5: max(1 - 1.5 + 1, 0) = 0.5
    assertClose(F.tripletMarginLoss(f([[0, 0]]), f([[1, 0]]), f([[1.5, 0]])), 0.5, 1e-4);
    assertClose(F.tripletMarginLoss(f([[0, 0]]), f([[1, 0]]), f([[3, 0]])), 0, 1e-4);
  });
});
