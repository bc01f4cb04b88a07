// lib/ssl/losses on 2 Gloo ranks, the code that only a process group runs:
// rankAndWorld, gatherFromRanks and sumOverRanks by value; ntXent's and
// mocoV3Loss's global negatives (the mean over ranks of the loss and each
// rank's gradient / W equal one process's on the whole batch); Sinkhorn's
// all-reduced sums and DINO's all-reduced centre (one process's codes and
// centre); the sharded k-means (3 + 2 rows: one process's centroids and
// assignments) and its two refusals; without gatherDistributed the same
// numbers in the group as before it; MoCo v3's step with every rank's keys;
// SwAV's batch check on the global batch. Short on purpose (one worker start,
// about 3 s): a mutation run with --all-tests runs it for every mutant
// (docs/testing.md, "Code that only child processes run").
// The worker is test/ssl/workers/losses-ranks.ts.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { requireGloo, runNodeWorker } from '../torch/distributed/ranks';

const close = (a: number[], b: number[], tol: number, what: string): void => {
  assert.equal(a.length, b.length, `${what}: length`);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol, `${what}[${i}]: ${v} vs ${b[i]}`));
};
const differs = (a: number[], b: number[], what: string): void =>
  assert.ok(a.some((v, i) => Math.abs(v - b[i]) > 1e-6), `${what}: should differ from one process's`);

describe('lib/ssl/losses on 2 ranks', function () {
  this.timeout(180000);
  before(function () {
    requireGloo();
  });

  it('gather helpers, global negatives, Sinkhorn, DINO\'s centre and the sharded k-means equal one process on all rows', async () => {
    const reports = await runNodeWorker(path.join(__dirname, 'workers', 'losses-ranks.js'));
    for (const r of reports) {
      const rank = r.rank as number;
      const at = `rank ${rank}`;
      assert.equal(r.world, 2);
      assert.deepEqual(r.before, [0, 1], `${at}: rankAndWorld without a group`);
      // Without gatherDistributed nothing is gathered or summed over ranks: the same numbers as before the group.
      assert.deepEqual(r.aloneInGroup, r.aloneBefore, `${at}: the losses without gatherDistributed`);
      const m = r.mocoV3Step as Record<string, number>;
      close([m.loss], [m.gathered], 1e-12, `${at}: MoCo v3's step uses every rank's keys`);
      differs([m.local], [m.gathered], `${at}: MoCo v3 without gathering`);
      assert.deepEqual(r.swavErrors, ['', 'SwAV needs batch size + queueLength >= numPrototypes, so that Sinkhorn-Knopp can share ' +
        'its samples among all prototypes: batch 6 (2 ranks x 3) + queueLength 0 < numPrototypes 7; use a larger batch, a queue ' +
        '(queueLength) or fewer prototypes'], at);
      assert.deepEqual(r.gather, { all: [1, 10, 2, 20], shape: [2, 2], rank, world: 2 }, at);
      assert.deepEqual(r.sum, [3, 30], `${at}: sumOverRanks`);
      for (const name of ['ntXent', 'mocoV3'] as const) {
        const l = r[name] as Record<string, number[]>;
        close(l.mean, l.whole, 1e-12, `${at} ${name} loss`);
        differs(l.mine, l.whole, `${at} ${name}: this rank's loss`);
        close(l.grad, l.wholeGrad, 1e-12, `${at} ${name} gradient`);
      }
      const s = r.sinkhorn as Record<string, number[]>;
      close(s.mine, s.whole, 1e-12, `${at} Sinkhorn codes`);
      const d = r.dino as Record<string, number[]>;
      close(d.mine, d.whole, 1e-12, `${at} DINO centre`);
      const k = r.kmeans as Record<string, unknown>;
      close(k.centroids as number[], k.wholeCentroids as number[], 1e-12, `${at} k-means centroids`);
      assert.deepEqual(k.assignments, k.wholeAssignments, `${at} k-means assignments (every rank's rows in rank order)`);
      assert.equal((k.assignments as number[]).length, 5);
      assert.equal(k.assignmentsDtype, 'int64');
      assert.equal((k.local as number[]).length, rank === 0 ? 3 : 2, `${at}: without gathering, this rank's rows`);
      assert.deepEqual(r.kmeansErrors, [
        'sphericalKMeans with gatherDistributed needs options.centroids (k, D), the same on every rank (each rank holds only ' +
        'its share of the bank)',
        'k-means needs k <= the memory bank\'s size: k = 6 clusters but the bank holds 5 embeddings; lower k or enlarge the bank',
        '',
      ], at);
    }
  });
});
