// SimCLR on 2 Gloo ranks: the step's NT-Xent takes the other ranks'
// projections as negatives (SimCLR's global batch, `gatherDistributed`), so
// each rank's loss equals ntXent of its projections with gathering and not
// without. Short (two small processes), so that `npm run mutate --
// lib/ssl/simclr.ts --all-tests` can score the step's rank-only option.
// The worker is test/ssl/workers/simclr-ranks.ts.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { requireGloo, runNodeWorker } from '../torch/distributed/ranks';

describe('SimCLR on 2 ranks', function () {
  this.timeout(180000);
  before(function () {
    requireGloo();
  });

  it('the step\'s loss has every rank\'s projections as negatives', async () => {
    const reports = await runNodeWorker(path.join(__dirname, 'workers', 'simclr-ranks.js'));
    assert.equal(reports.length, 2);
    for (const r of reports) {
      assert.ok((r.global as number) < 1e-6, `rank ${String(r.rank)}: the loss differs from the gathered NT-Xent by ${String(r.global)}`);
      assert.ok((r.local as number) > 1e-3, `rank ${String(r.rank)}: the loss is the local batch's NT-Xent`);
    }
  });
});
