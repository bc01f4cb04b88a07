// Where the library's own collectives put host values (the ranks' losses and
// generator states, sharded features): the CPU for Gloo, the rank's GPU for
// NCCL. The Gloo path runs on 2 ranks in test/train/distributed-trainer.test.ts
// and test/train/monitor-ranks.test.ts; the NCCL path waits for a GPU build with
// c10d (docs/distributed.md, "libtorch 2.x and NCCL").
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { collectiveDevice, toCollectiveDevice } from '../../../lib/torch/distributed/collective-device';

describe('torch.distributed collective device', () => {
  it('is the CPU for Gloo and cuda:<LOCAL_RANK> for NCCL', () => {
    assert.equal(collectiveDevice('gloo', { LOCAL_RANK: '3' }), 'cpu');
    assert.equal(collectiveDevice('nccl', { LOCAL_RANK: '3' }), 'cuda:3');
    assert.equal(collectiveDevice('nccl', {}), 'cuda:0');
    assert.throws(() => collectiveDevice('nccl', { LOCAL_RANK: '-1' }), /Expected a non-negative integer in LOCAL_RANK but received '-1'/);
  });

  it('needs a process group when the backend is not given', () => {
    assert.equal(torch.distributed.isInitialized(), false);
    assert.throws(() => collectiveDevice(), /getBackend/);
  });

  it('keeps a tensor already on the device, and copies one that is not', () => {
    torch.scope(() => {
      const t = torch.tensor([1.5, 2], { dtype: 'float64' });
      assert.equal(toCollectiveDevice(t, 'cpu'), t);
      if (torch.cuda.isAvailable()) {
        const g = toCollectiveDevice(t, 'cuda:0');
        assert.equal(g.device, 'cuda:0');
        assert.deepEqual(g.cpu().toArray(), [1.5, 2]);
        assert.equal(toCollectiveDevice(g, 'cuda:0'), g);
      }
    });
  });
});
