// writeReconstruction's refusals by their exact messages (each check on its
// own), the option names in value refusals, and the columns it writes: no
// tensor outlives the call and the method's mode is restored.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { VisionTransformer } from '../../lib/models/vit';
import { MAE } from '../../lib/ssl/mae';
import { writeReconstruction } from '../../lib/ssl/mae-reconstruction';

const tinyVit = (): VisionTransformer =>
  new VisionTransformer({ imgSize: 16, patchSize: 4, embedDim: 16, depth: 1, numHeads: 2, numClasses: 0 });

async function settle(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    global.gc?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('ssl: writeReconstruction by value (refusals, tensors, mode)', function () {
  this.timeout(60000);

  it('refuses each bad argument by its message; writes the grid, frees its tensors and restores the mode', async () => {
    torch.manualSeed(1);
    const mae = new MAE({ encoder: tinyVit(), decoderDim: 8, decoderDepth: 1, decoderHeads: 2 });
    const x = torch.randn([2, 3, 16, 16], { generator: new torch.Generator().manualSeed(2) });
    const stats = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
    const rejects = async (call: () => Promise<unknown>, message: string): Promise<void> => {
      await assert.rejects(call, (e: Error) => {
        assert.equal(e.message, message);
        return true;
      });
    };
    await rejects(() => writeReconstruction('x.png', {} as never, x, stats), 'Expected an MAE method for writeReconstruction');
    await rejects(() => writeReconstruction('x.png', mae, x.view([2, 3, 256]), stats),
      'Expected normalised images of shape (B, C, H, W) for writeReconstruction but received shape [2, 3, 256]');
    await rejects(() => writeReconstruction('x.png', mae, 'img' as never, stats),
      'Expected normalised images of shape (B, C, H, W) for writeReconstruction but received img');
    await rejects(() => writeReconstruction('x.png', mae, x, { mean: [0.5], std: [0.25, 0.25, 0.25] }),
      'Expected mean and std with 3 values (one per channel) for writeReconstruction but received [0.5] and [0.25,0.25,0.25]');
    await rejects(() => writeReconstruction('x.png', mae, x, { mean: [0.5, 0.5, 0.5], std: [0.25] }),
      'Expected mean and std with 3 values (one per channel) for writeReconstruction but received [0.5,0.5,0.5] and [0.25]');
    await rejects(() => writeReconstruction('x.png', mae, x, { mean: 0.5 as never, std: [0.25, 0.25, 0.25] }),
      'Expected mean and std with 3 values (one per channel) for writeReconstruction but received 0.5 and [0.25,0.25,0.25]');
    await rejects(() => writeReconstruction('x.png', mae, x, { mean: [0.5, 0.5, 0.5], std: 0.25 as never }),
      'Expected mean and std with 3 values (one per channel) for writeReconstruction but received [0.5,0.5,0.5] and 0.25');
    await rejects(() => writeReconstruction('x.png', mae, x, { ...stats, maskValue: 2 }),
      'Expected a number in [0, 1] for options.maskValue but received 2');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mae-rec-'));
    try {
      mae.train();
      // Tensors that earlier tests forgot are freed by the finalizer whenever V8 collects, which can be during
      // the call's await: collect them first, so that the count moves only by what the call leaves.
      await settle();
      const before = torch.memory().tensors;
      const info = await writeReconstruction(path.join(dir, 'r.png'), mae, x, { ...stats, n: 1, scale: 2,
        generator: new torch.Generator().manualSeed(3) });
      assert.equal(torch.memory().tensors, before, 'no tensor outlives the call');
      assert.equal(mae.training, true, 'train mode restored');
      assert.ok(fs.existsSync(path.join(dir, 'r.png')));
      assert.ok(info !== undefined);
      mae.eval();
      await writeReconstruction(path.join(dir, 's.png'), mae, x, stats);
      assert.equal(mae.training, false, 'eval mode restored');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  it('refuses array-like mean and std that are not arrays; the mask is the generator\'s (same seed, same picture)', async () => {
    torch.manualSeed(4);
    const mae = new MAE({ encoder: tinyVit(), decoderDim: 8, decoderDepth: 1, decoderHeads: 2 });
    const x = torch.randn([2, 3, 16, 16], { generator: new torch.Generator().manualSeed(5) });
    const std = [0.25, 0.25, 0.25];
    // A string of 3 characters has a length of 3 but is no list of numbers.
    await assert.rejects(() => writeReconstruction('x.png', mae, x, { mean: 'abc' as never, std }), (e: Error) => {
      assert.equal(e.message, 'Expected mean and std with 3 values (one per channel) for writeReconstruction but received "abc" and [0.25,0.25,0.25]');
      return true;
    });
    await assert.rejects(() => writeReconstruction('x.png', mae, x, { mean: std, std: 'abc' as never }), (e: Error) => {
      assert.equal(e.message, 'Expected mean and std with 3 values (one per channel) for writeReconstruction but received [0.25,0.25,0.25] and "abc"');
      return true;
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mae-rec-'));
    try {
      const picture = async (name: string, seed: number): Promise<Buffer> => {
        await writeReconstruction(path.join(dir, name), mae, x, { mean: [0.5, 0.5, 0.5], std, scale: 1,
          generator: new torch.Generator().manualSeed(seed) });
        return fs.readFileSync(path.join(dir, name));
      };
      const a = await picture('a.png', 7);
      const b = await picture('b.png', 7);
      const c = await picture('c.png', 8);
      assert.ok(a.equals(b), 'the same seed draws the same mask');
      assert.ok(!a.equals(c), 'another seed draws another mask');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      x.dispose();
      mae.dispose();
    }
  });
});
