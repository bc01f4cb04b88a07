import * as assert from 'node:assert/strict';
import { torch } from '../../lib';

describe('cuda', () => {
  it('reports availability consistently with the build', () => {
    const config = torch.config();
    assert.equal(typeof torch.cuda.isAvailable(), 'boolean');
    if (!config.builtWithCuda) {
      assert.equal(torch.cuda.isAvailable(), false);
      assert.equal(torch.cuda.deviceCount(), 0);
      assert.equal(torch.memory().cuda, undefined);
    } else if (torch.cuda.isAvailable()) {
      assert.ok(torch.cuda.deviceCount() >= 1);
    }
  });

  it('moves data to the GPU and back when there is one, and says why not otherwise', () => {
    if (!torch.cuda.isAvailable()) {
      assert.throws(() => torch.tensor([1, 2, 3]).cuda(), /aten::to.dtype_layout: PyTorch is not linked with support for cuda devices/);
      return;
    }
    const x = torch.tensor([1, 2, 3]).cuda();
    assert.equal(x.device, 'cuda:0');
    assert.deepEqual(x.toArray(), [1, 2, 3]);
    torch.cuda.synchronize();
    assert.ok((torch.memory().cuda?.allocatedBytes ?? 0) > 0);
  });

  it('without a GPU, memoryStats and resetPeakMemoryStats are refused by name; emptyCache is a no-op', function () {
    if (torch.cuda.isAvailable()) this.skip(); // test/torch/cuda-parity checks them on a GPU
    for (const f of [() => torch.cuda.memoryStats(), () => torch.cuda.resetPeakMemoryStats()]) {
      assert.throws(f, /^Error: CUDA is not available: this libtorch \d+\.\d+\.\d+\S* build has no CUDA support or no GPU is visible$/);
    }
    torch.cuda.emptyCache();
  });

  it('knows the libtorch version it runs on', () => {
    assert.match(torch.config().torchVersion, /^\d+\.\d+\.\d+/);
  });
});
