// The Trainer's `distributed` option: checked like the other options, and
// inert in a single process (the data-parallel runs are in
// distributed-trainer.test.ts).
import * as assert from 'node:assert/strict';
import { resolveOptions } from '../../lib/train/options';
import { isDataParallel } from '../../lib/train/data-parallel';
import { synthetic } from '../../lib/data/synthetic';

describe('Trainer option distributed', () => {
  const data = synthetic({ n: 16, channels: 1, size: 8, classes: 2 });
  after(() => { data.images.dispose(); data.labels?.dispose(); });

  it('defaults to SyncBatchNorm without findUnusedParameters, and checks its fields', () => {
    assert.deepEqual(resolveOptions({ data, steps: 1, batchSize: 4 }).distributed, { syncBatchNorm: true, findUnusedParameters: false });
    assert.deepEqual(resolveOptions({ data, steps: 1, batchSize: 4, distributed: { syncBatchNorm: false, findUnusedParameters: true } })
      .distributed, { syncBatchNorm: false, findUnusedParameters: true });
    assert.throws(() => resolveOptions({ data, steps: 1, batchSize: 4, distributed: { syncBatchNorm: 'yes' as unknown as boolean } }),
      /Expected true or false for distributed.syncBatchNorm but received "yes"/);
    assert.throws(() => resolveOptions({ data, steps: 1, batchSize: 4, distributed: 3 as never }),
      /Expected an object \(\{ syncBatchNorm, findUnusedParameters \}\) for distributed but received 3/);
  });

  it('is not data-parallel without a process group', () => {
    assert.equal(isDataParallel(), false);
  });
});
