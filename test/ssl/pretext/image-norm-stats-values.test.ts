// ImageNormStats.afterStep without a beforeTask since the last call does
// nothing (no throw, buffers as they were): a step whose task skipped it, or
// a second afterStep, must not restore stale buffers (the one survivor of
// the session 14 mutation run of image-norm-stats.ts).
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import * as models from '../../../lib/models';
import { ImageNormStats } from '../../../lib/ssl/pretext/image-norm-stats';

const values = (t: torch.Tensor): number[] => Array.from(t.to('float64').toTypedArray() as Float64Array);

describe('ssl/pretext ImageNormStats by value: afterStep without beforeTask', () => {
  it('does nothing before any beforeTask, and nothing the second time after one', () => {
    torch.manualSeed(0);
    const encoder = models.create('small_cnn', { width: 2, inChannels: 1 });
    encoder.train();
    const stats = new ImageNormStats(encoder);
    const images = torch.keep(torch.rand([4, 1, 8, 8], { generator: new torch.Generator().manualSeed(1) }));
    try {
      const before = encoder.buffers().map(values);
      stats.afterStep();
      assert.deepEqual(encoder.buffers().map(values), before, 'no beforeTask yet: buffers untouched');
      torch.scope(() => {
        stats.beforeTask(images);
        torch.noGrad(() => encoder.forward(images.mul(3)));
        stats.afterStep();
      });
      const once = encoder.buffers().map(values);
      assert.notDeepEqual(once, before, 'one update from the whole images');
      torch.scope(() => torch.noGrad(() => encoder.forward(images.mul(5))));
      const moved = encoder.buffers().map(values);
      stats.afterStep();
      assert.deepEqual(encoder.buffers().map(values), moved, 'a second afterStep neither restores nor updates');
    } finally {
      images.dispose();
      encoder.dispose();
    }
  });
});
