// DistributedDataParallel's options reach c10d's Reducer (2 Gloo ranks):
// findUnusedParameters (as PyTorch: without it a parameter the loss does not
// use stops the next iteration with the Reducer's error; with it training
// goes on and the unused gradient stays undefined) and gradientAsBucketView
// (the gradients are views of one bucket).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { requireGloo, runNodeWorker } from '../../torch/distributed/ranks';

describe('nn.parallel.DistributedDataParallel options (2 ranks, Gloo)', function () {
  this.timeout(180000);
  before(function () {
    requireGloo();
  });

  it('findUnusedParameters and gradientAsBucketView reach the Reducer', async () => {
    const reports = await runNodeWorker(path.join(__dirname, 'workers', 'ddp-options.js'));
    for (const r of reports) {
      assert.match(String(r.withoutFind), /Expected to have finished reduction in the prior iteration/);
      assert.match(String(r.withoutFind), /findUnusedParameters: true/);
      assert.equal(r.withFind, null);
      assert.equal(r.usedGradsEqual, true, 'the used layer\'s gradients are averaged over ranks');
      assert.equal(r.unusedGradUndefined, true);
      assert.ok(typeof r.bucketSum_true === 'number' && r.bucketSum_true < 1e-5, `gradients as bucket views: ${String(r.bucketSum_true)}`);
      assert.match(String(r.bucketSum_false), /out of bounds for storage/);
    }
  });
});
