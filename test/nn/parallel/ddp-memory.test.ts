// The memory target of DistributedDataParallel: c10d's Reducer adds exactly
// one copy of the gradients (its buckets), and none with gradientAsBucketView
// (the gradients are views of the buckets). Runs scripts/ddp-memory.ts on 2
// Gloo ranks with a small MLP (784-64-64-10): bytes counted by the profiler's
// allocator hook, so the numbers are exact.
import * as assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import * as path from 'node:path';
import * as torch from '../../../lib/torch';

const SCRIPT = path.resolve(__dirname, '../../../scripts/ddp-memory.js');

describe('DistributedDataParallel memory (2 ranks)', function () {
  this.timeout(180000);
  before(function () {
    if (!torch.distributed.isBackendAvailable('gloo')) throw new Error('this addon has no gloo backend (libgloo-dev)');
  });

  it('holds one extra copy of the gradients (its buckets), none with gradientAsBucketView', () => {
    const r = childProcess.spawnSync(process.execPath, [SCRIPT, '--width', '64', '--json'], { encoding: 'utf8', timeout: 150000 });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const reports = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number | boolean>[];
    const gradBytes = (784 * 64 + 64 + 64 * 64 + 64 + 64 * 10 + 10) * 4; // 55,050 float32 parameters
    for (const rank of reports) {
      assert.deepEqual(rank, {
        rank: rank.rank, parameters: gradBytes / 4, gradBytes,
        plain: 2 * gradBytes, // weights and gradients
        ddp: 3 * gradBytes, ddpExtra: gradBytes, ddpGradsAreViews: false,
        asViews: 2 * gradBytes, asViewsExtra: 0, asViewsGradsAreViews: true,
      });
    }
    assert.deepEqual(reports.map((x) => x.rank), [0, 1]);
  });
});
