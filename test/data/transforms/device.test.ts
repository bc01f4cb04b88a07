import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { RandomErasing, recipes } from '../../../lib/data/transforms';
import { assertAllClose, gen, images } from './reference';

describe('data/transforms: on CUDA', function () {
  before(function () { if (!torch.cuda.isAvailable()) this.skip(); });

  it('gives the CPU views from the same seed (parameters come from the CPU generator)', () => {
    const x = images([8, 3, 32, 32], 20);
    for (const name of ['simclr', 'byol', 'dino', 'mae'] as recipes.RecipeName[]) {
      const r = recipes.RECIPES[name]({ size: 32 });
      const cpu = r.forward(x, gen(1));
      const cuda = r.forward(x.to('cuda'), gen(1));
      cuda.forEach((v, i) => {
        assert.equal(v.device, 'cuda:0');
        // cuDNN may run the blur's convolutions in TF32 (10-bit mantissa) on Ampere and newer.
        assertAllClose(v, cpu[i], 3e-3, `${name} view ${i}`);
      });
    }
  });

  it('keeps erasing boxes on the device', () => {
    const out = new RandomErasing({ p: 1 }).forward(images([4, 3, 16, 16]).to('cuda'), gen(0));
    assert.equal(out.device, 'cuda:0');
  });
});
