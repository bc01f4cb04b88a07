// SwAV across 2 Gloo ranks, as main_swav.py: Sinkhorn's sums all-reduced
// (each rank's codes are its rows of the codes of the concatenated batch)
// and a queue of queueLength / 2 per rank; 3 SGD steps on 2 ranks equal one
// process on the concatenated batch (loss, averaged gradients, the queue),
// in float64. DeepCluster v2 as main_deepclusterv2.py: k-means over every
// rank's share of the bank (sums and counts all-reduced, assignments
// gathered); 4 steps over 2 epochs equal one process (loss, gradients, bank,
// assignments, prototypes). MoCo v2 as main_moco.py: every rank enqueues
// every rank's keys (concat_all_gather); 3 steps equal one process (loss,
// gradients, the queue and its position, the key encoder).
// The worker is test/ssl/workers/clustering-ranks.ts.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { requireGloo, runNodeWorker } from '../torch/distributed/ranks';

describe('SwAV, DeepCluster v2 and MoCo v2 on 2 ranks', function () {
  this.timeout(180000);
  before(function () {
    requireGloo();
  });

  it('distributed Sinkhorn and k-means, queue, bank, loss and gradients equal one process on the whole batch', async () => {
    const reports = await runNodeWorker(path.join(__dirname, 'workers', 'clustering-ranks.js'));
    for (const r of reports) {
      const at = `rank ${String(r.rank)}`;
      const s = r.sinkhorn as Record<string, number>;
      assert.ok(s.codes < 1e-12, `${at}: distributed Sinkhorn codes differ from one process's by ${s.codes}`);
      assert.ok(s.localDiffers > 1e-3, `${at}: without gatherDistributed the codes should be the local batch's (${s.localDiffers})`);
      const swav = r.swav as Record<string, number>;
      assert.equal(swav.queue, 1, `${at}: the queue was used by step 2`);
      assert.ok(swav.loss < 1e-10, `${at}: SwAV loss differs by ${swav.loss}`);
      assert.ok(swav.grad < 1e-9, `${at}: SwAV gradient differs by ${swav.grad}`);
      assert.ok(swav.state < 1e-10, `${at}: SwAV queue differs from one process's by ${swav.state}`);
      assert.equal(r.swavQueueError, 'SwAV option queueLength 12 must be a multiple of the global batch size 8 (2 ranks x 4) ' +
        '(each step replaces one batch of the queue, so that each of the 2 ranks keeps queueLength / 2 of it); use 16');
      const km = r.kmeans as Record<string, number>;
      assert.ok(km.centroids < 1e-12, `${at}: distributed k-means centroids differ from one process's by ${km.centroids}`);
      assert.equal(km.assignments, 0, `${at}: assignments differing from one process's`);
      assert.equal(km.rows, 11, `${at}: the assignments of every rank's rows (6 + 5)`);
      assert.ok(km.localDiffers > 1e-3, `${at}: without gatherDistributed the centroids should be the local rows' (${km.localDiffers})`);
      const dc = r.deepcluster as Record<string, number>;
      assert.ok(dc.loss < 1e-10, `${at}: DeepCluster v2 loss differs by ${dc.loss}`);
      assert.ok(dc.grad < 1e-9, `${at}: DeepCluster v2 gradient differs by ${dc.grad}`);
      assert.ok(dc.state < 1e-10, `${at}: DeepCluster v2 bank, assignments or prototypes differ by ${dc.state}`);
      const moco = r.mocov2 as Record<string, number>;
      assert.ok(moco.loss < 1e-10, `${at}: MoCo v2 loss differs by ${moco.loss}`);
      assert.ok(moco.grad < 1e-9, `${at}: MoCo v2 gradient differs by ${moco.grad}`);
      assert.ok(moco.state < 1e-10, `${at}: MoCo v2 queue, its position or the key encoder differ by ${moco.state}`);
      assert.equal(r.mocoQueueError, 'MoCoV2 option queueLength (global batch size 8: 2 ranks x 4) 12 must be a multiple ' +
        'of the batch size 8 (each step replaces one batch of the queue); use a queue length such as 16');
    }
  });
});
