// SimCLR's and MoCo v3's losses with global negatives (gatherDistributed) on
// 2 Gloo ranks: the mean of the ranks' losses and each rank's gradient equal
// one process's loss and gradient on the concatenated batch (NT-Xent is
// checked against PyTorch in losses.test.ts); without the option each rank
// only sees its own batch. DINO's centre is updated with every rank's batch.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { requireGloo, runNodeWorker } from '../torch/distributed/ranks';

describe('global negatives (gatherDistributed) on 2 ranks', function () {
  this.timeout(180000);
  before(function () {
    requireGloo();
  });

  it('ntXent and mocoV3Loss: 2 ranks equal 1 process on the whole batch (loss and gradients); DINO\'s centre too', async () => {
    const reports = await runNodeWorker(path.join(__dirname, 'workers', 'global-negatives.js'));
    for (const r of reports) {
      for (const name of ['simclr', 'moco'] as const) {
        const d = r[name] as Record<string, number>;
        assert.ok(d.loss < 1e-10, `rank ${String(r.rank)} ${name}: loss differs by ${d.loss}`);
        assert.ok(d.grad < 1e-10, `rank ${String(r.rank)} ${name}: gradient differs by ${d.grad}`);
        assert.ok(d.localDiffers > 1e-3, `rank ${String(r.rank)} ${name}: without gathering the loss should be the local batch's`);
      }
      // DINO's centre is the mean over every rank's teacher outputs (main_dino.py's all_reduce), the same on all ranks.
      const dino = r.dino as Record<string, number>;
      assert.ok(dino.center < 1e-7, `rank ${String(r.rank)}: DINO centre differs from one process's by ${dino.center}`);
      assert.ok(dino.loss < 1e-5, `rank ${String(r.rank)}: DINO loss differs by ${dino.loss}`);
    }
  });
});
