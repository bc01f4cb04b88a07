// lib/eval/sharded-features.ts on 2 Gloo ranks (test/eval/sharded-features
// covers one process and a one-rank group): currentShard is { rank, world: 2 },
// and gatherSharedRows returns every index's row in order on both ranks,
// also when one index leaves rank 1 without rows (the width is gathered
// first). Short (one worker start) for --all-tests mutation runs.
// The worker is test/eval/workers/sharded-ranks.ts.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { requireGloo, runNodeWorker } from '../torch/distributed/ranks';

describe('eval: sharded features on 2 ranks', function () {
  this.timeout(180000);
  before(function () {
    requireGloo();
  });

  it('currentShard and gatherSharedRows (1 index: rank 1 has none; 3 indices: 2 + 1)', async () => {
    const reports = await runNodeWorker(path.join(__dirname, 'workers', 'sharded-ranks.js'));
    reports.forEach((r, rank) => {
      assert.deepEqual(r.shard, { rank, world: 2 });
      assert.deepEqual(r.one, { features: [[4, 8, 12]], shape: [1, 3], labels: [9], dtype: 'int64' }, `rank ${rank}`);
      assert.deepEqual(r.three, { features: [[7, 14, 21], [1, 2, 3], [4, 8, 12]], labels: [12, 6, 9] }, `rank ${rank}`);
    });
  });
});
