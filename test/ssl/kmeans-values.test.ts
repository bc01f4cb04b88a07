// sphericalKMeans on a bank of more than 8,192 rows, where the E-step runs
// in slices of 8,192 rows: the assignments are the argmax over the whole
// (N, k) matrix, and one Lloyd iteration's centroids are the normalised
// means of those clusters (a bank of 8,200 rows of 3 values: milliseconds).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { normalize } from '../../lib/nn/functional';
import { sphericalKMeans } from '../../lib/ssl/losses/deepcluster-v2';

describe('ssl: sphericalKMeans over more than one E-step slice', function () {
  this.timeout(60000);

  it('assigns every one of 8,200 rows to its nearest centroid, and moves the centroids to the cluster means', () => {
    const g = new torch.Generator().manualSeed(31);
    const bank = normalize(torch.randn([8200, 3], { dtype: 'float64', generator: g }), { dim: 1 });
    const start = normalize(torch.tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, -1, -1]], { dtype: 'float64' }), { dim: 1 });
    const r0 = sphericalKMeans(bank, 4, { centroids: start, iterations: 0 });
    const expected0 = bank.matmul(start.t()).argmax(1);
    assert.deepEqual(r0.assignments.shape, [8200]);
    assert.equal(Number(r0.assignments.ne(expected0).sum().item()), 0);
    const r1 = sphericalKMeans(bank, 4, { centroids: start, iterations: 1 });
    const means = [0, 1, 2, 3].map((c) => {
      const rows = expected0.eq(c).nonzero().flatten();
      return bank.indexSelect(0, rows).mean(0);
    });
    const centroids = normalize(torch.stack(means, 0), { dim: 1 });
    assert.ok(Number(r1.centroids.sub(centroids).abs().max().item()) < 1e-12);
    assert.equal(Number(r1.assignments.ne(bank.matmul(centroids.t()).argmax(1)).sum().item()), 0);
  });
});
