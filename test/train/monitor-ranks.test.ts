// The online k-NN monitor sharded across 2 Gloo ranks (MonitorRun.sharded,
// what the Trainer sets in a data-parallel run): each rank encodes its share
// of the train and test subsets (37 = 19 + 18 and 23 = 12 + 11 images), and
// every rank gets the single-process accuracy and floors by value, encoded
// with rank 0's batch-norm statistics. The worker is workers/monitor-ranks.ts.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { requireGloo, runNodeWorker } from '../torch/distributed/ranks';

describe('KnnMonitor sharded on 2 ranks', function () {
  this.timeout(180000);
  before(function () {
    requireGloo();
  });

  it('each rank encodes its share; the accuracy and the floors equal one process\'s', async () => {
    const reports = (await runNodeWorker(path.join(__dirname, 'workers', 'monitor-ranks.js'))) as { rank: number; ref: { knn: number };
      got: unknown; rows: unknown; unsharded: number; wrecked: { unsharded: number; sharded: number }; oneRef: unknown; oneGot: unknown }[];
    for (const r of reports) {
      assert.deepEqual(r.got, r.ref, `rank ${r.rank}: sharded monitor vs one process`);
      // Rank 1's running means set to 50: the sharded monitor still encodes with rank 0's statistics.
      assert.equal(r.wrecked.sharded, r.ref.knn, `rank ${r.rank}: sharded after rank 1's statistics were wrecked`);
      // A test subset of one image: rank 1's share is empty.
      assert.deepEqual(r.oneGot, r.oneRef, `rank ${r.rank}: one test image`);
    }
    assert.notEqual(reports[1].wrecked.unsharded, reports[1].ref.knn, 'rank 1 alone, with wrecked statistics');
    // Rank r encodes its share of the train and test subsets, for the random encoder's floor and for evaluate.
    assert.deepEqual(reports.map((r) => r.rows), [{ random: 19 + 12, trained: 19 + 12 }, { random: 18 + 11, trained: 18 + 11 }]);
    // Rank 1's own statistics give another accuracy: the sharded monitor used rank 0's.
    assert.notEqual(reports[1].unsharded, (reports[1].ref as { knn: number }).knn, 'rank 1 alone, with its own statistics');
  });
});
