// The value check of a pretext method's `imageNormStats` option
// (lib/ssl/pretext/image-norm-stats.ts): after one training step the first
// batch norm's running mean is one momentum-0.1 update towards the whole
// images' batch mean, not towards the task inputs'.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { Method } from '../../lib/ssl/method';
import { SmallCnn } from '../../lib/models/small-cnn';

/** A method whose `encoder` is a `SmallCnn` (inputScale 1), built with `imageNormStats` on or off. */
export type NormStatsMethod = Method & { readonly encoder: unknown };

/**
 * One step (trainingStep, backward, afterOptimizerStep) of `build(false)` and
 * `build(true)` on `images`, which should be far from the task inputs'
 * statistics (scaled and shifted). On: the first batch norm's running mean
 * equals the saved one folded with momentum 0.1 into the whole images' batch
 * mean after conv1, and `num_batches_tracked` moved by exactly 1 (the task
 * pass's update undone). Off: it differs from that by more than 1e-3.
 * @example checkImageNormStats((on) => new Jigsaw({ ...options, imageNormStats: on }), x);
 */
export function checkImageNormStats(build: (imageNormStats: boolean) => NormStatsMethod, images: Tensor,
  name: string): void {
  for (const imageNormStats of [false, true]) {
    torch.manualSeed(0);
    const m = build(imageNormStats);
    const encoder = m.encoder as SmallCnn;
    assert.ok(encoder instanceof SmallCnn && encoder.inputScale === 1, `${name}: a small_cnn encoder at inputScale 1`);
    const bn = encoder.norms[0];
    m.train();
    torch.scope(() => {
      const before = bn.runningMean!.clone();
      const tracked = bn.numBatchesTracked!.item() as number;
      const progress = { step: 0, totalSteps: 1, epoch: 0, stepsPerEpoch: 1 };
      m.trainingStep([images], progress).loss.backward(); // the backward pass checks its saved statistics are unchanged
      m.afterOptimizerStep(progress);
      const conv = torch.noGrad(() => encoder.convs[0].forward(images)); // (B, W, H, W)
      const expected = before.mul(0.9).add(conv.mean([0, 2, 3]).mul(0.1));
      const diff = bn.runningMean!.sub(expected).abs().max().item() as number;
      if (imageNormStats) {
        assert.ok(diff < 1e-5, `${name}: image statistics: |difference| ${diff}`);
        assert.equal(bn.numBatchesTracked!.item(), tracked + 1, `${name}: one update, the task pass's undone`);
      } else {
        assert.ok(diff > 1e-3, `${name}: the task inputs' statistics differ from the images': ${diff}`);
      }
    });
    m.dispose();
  }
}
