// DistributedDataParallel with SyncBatchNorm on 2 Node ranks (Gloo over
// 127.0.0.1): half a batch per rank equals one process on the whole batch,
// step after step (loss, gradients, weights, running statistics).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { describeRuns, freePort, requireGloo, runRanks } from '../../torch/distributed/ranks';

describe('nn.parallel.DistributedDataParallel + SyncBatchNorm (2 ranks, Gloo)', function () {
  this.timeout(180000);
  before(function () {
    requireGloo();
  });

  it('equals a single process on the concatenated batch, and noSync accumulates locally', async () => {
    const port = await freePort();
    const node = { command: process.execPath, args: [path.join(__dirname, 'workers', 'ddp.js')] };
    const runs = await runRanks([node, node], { MASTER_PORT: String(port) }, 120000);
    assert.ok(runs.every((r) => r.code === 0 && r.report?.done), describeRuns(runs));
    for (const r of runs.map((x) => x.report as Record<string, unknown>)) {
      assert.match(String(r.types), /SyncBatchNorm/);
      assert.doesNotMatch(String(r.types), /BatchNorm1d/);
      const steps = r.steps as Record<string, number>[];
      assert.equal(steps.length, 3);
      for (const [i, s] of steps.entries()) {
        for (const [k, v] of Object.entries(s)) assert.ok(v < 1e-5, `rank ${String(r.rank)} step ${i}: ${k} differs by ${v}`);
      }
      assert.equal(r.noSyncDiffers, true, 'noSync gradients should be the local ones');
      assert.ok((r.accumulated as number) < 1e-5, `accumulated gradient differs by ${String(r.accumulated)}`);
    }
  });
});
