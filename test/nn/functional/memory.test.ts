import * as assert from 'node:assert/strict';
import { torch } from '../../../lib';
import { functional as F } from '../../../lib/nn';
import { f } from '../../helpers/assert-close';

// Functions composed of several operators free their intermediates at once:
// each call leaves exactly one more live tensor, its result.
describe('nn/functional memory', () => {
  const i64 = (data: number[]): torch.Tensor => torch.tensor(data, { dtype: 'int64' });
  const cases: [string, () => torch.Tensor[], (...xs: torch.Tensor[]) => torch.Tensor][] = [
    ['normalize', () => [torch.randn([4, 3])], (x) => F.normalize(x)],
    ['scaledDotProductAttention, causal with dropout', () => [torch.randn([2, 3, 4])],
      (q) => F.scaledDotProductAttention(q, q, q, { isCausal: true, dropoutP: 0.5 })],
    ['scaledDotProductAttention with a bool mask', () => [torch.randn([3, 4]), torch.tensor([true, false, true])],
      (q, m) => F.scaledDotProductAttention(q, q, q, { attnMask: m })],
    ['scaledDotProductAttention with a float mask', () => [torch.randn([3, 4]), torch.randn([3, 3])],
      (q, m) => F.scaledDotProductAttention(q, q, q, { attnMask: m })],
    ['smoothL1Loss with broadcasting', () => [torch.randn([2, 1]), torch.randn([2])], (x, t) => F.smoothL1Loss(x, t)],
    ['l1Loss with equal shapes', () => [torch.randn([2]), torch.randn([2])], (x, t) => F.l1Loss(x, t)],
    ['binaryCrossEntropy with a broadcast weight', () => [f([[0.5, 0.5]]), f([[1, 0]]), f([1, 2])],
      (x, t, w) => F.binaryCrossEntropy(x, t, { weight: w })],
    ['klDiv batchmean', () => [torch.randn([2, 3]), torch.rand([2, 3])],
      (x, t) => F.klDiv(x, t, { reduction: 'batchmean' })],
    ['adaptiveMaxPool2d', () => [torch.randn([1, 1, 4, 4])], (x) => F.adaptiveMaxPool2d(x, 2)],
    ['softsign', () => [torch.randn([3])], (x) => F.softsign(x)],
    ['tanhshrink', () => [torch.randn([3])], (x) => F.tanhshrink(x)],
    ['softmin', () => [torch.randn([3])], (x) => F.softmin(x, 0)],
    ['embedding with maxNorm', () => [i64([0]), torch.randn([2, 3])], (i, w) => F.embedding(i, w, { maxNorm: 1 })],
  ];
  for (const [name, make, run] of cases) {
    it(`${name} leaves only its result alive`, () => {
      const inputs = make();
      const before = torch.memory().tensors;
      const y = run(...inputs);
      assert.equal(torch.memory().tensors, before + 1);
      y.dispose();
      for (const x of inputs) x.dispose();
    });
  }
});
