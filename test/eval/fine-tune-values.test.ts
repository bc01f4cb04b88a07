// fineTune's optimizer by value: two full-batch steps of a small_cnn encoder
// (keepWeights, epochs 2, lr 0.01 on a cosine: 0.01 then 0.005). The head
// starts at zero, so the encoder gets no gradient in step 1 (only the
// decoupled decay p (1 - lr wd) acts); in step 2 AdamW moves every weight with
// a gradient by 0.005 x 0.744137 (Adam's second step after a zero gradient:
// (0.1 / 0.19) / sqrt(0.001 / 0.001999)), with the weight decay given. SGD
// moves them by lr (g + wd p): not one magnitude for all.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { fineTune } from '../../lib/eval/fine-tune';
import { ImageDataset } from '../../lib/data/dataset';
import { create } from '../../lib/models/registry';
import { Encoder } from '../../lib/models/encoder';

function dataset(): ImageDataset {
  const g = new torch.Generator().manualSeed(41);
  const images = torch.rand([4, 1, 8, 8], { generator: g }).mul(255).to('uint8');
  return { name: 'toy', images, labels: torch.tensor([0, 1, 0, 1], { dtype: 'int64' }), mean: [0.5], std: [0.25], length: 4 };
}

/** Each weight's move in one step (after removing the decay lr wd p), as a flat list. */
async function moves(optimizer: 'sgd' | 'adamw', lr: number, weightDecay: number): Promise<number[]> {
  torch.manualSeed(42);
  const encoder = create('small_cnn', { inChannels: 1, width: 2, numClasses: 0 }) as Encoder;
  const before = encoder.parameters().map((p) => p.detach().clone());
  await fineTune(encoder, dataset(), dataset(), { epochs: 2, batchSize: 4, lr, weightDecay, optimizer, keepWeights: true });
  return encoder.parameters().flatMap((p, i) =>
    Array.from(p.detach().sub(before[i].mul((1 - lr * weightDecay) * (1 - (lr / 2) * weightDecay))).flatten().toTypedArray() as Float32Array));
}

describe('eval: fineTune\'s optimizer by value', function () {
  this.timeout(60000);

  it('AdamW: every weight with a gradient moves by one magnitude after the decay lr wd p; SGD does not', async () => {
    const adamw = await moves('adamw', 0.01, 0.5);
    const moved = adamw.filter((d) => Math.abs(d) > 1e-7);
    assert.ok(moved.length > adamw.length / 2, `${moved.length} of ${adamw.length} weights moved`);
    // Adam's eps (1e-8 next to |g|) shortens the moves of the smallest gradients: compare the median.
    const off = moved.map((d) => Math.abs(Math.abs(d) - 0.005 * 0.744137)).sort((a, b) => a - b);
    assert.ok(off[Math.floor(off.length / 2)] < 1e-6, `median AdamW move off by ${off[Math.floor(off.length / 2)]} (weight decay 0.05: 8e-4)`);
    const sgd = (await moves('sgd', 0.01, 0.5)).filter((d) => Math.abs(d) > 1e-7);
    assert.ok(sgd.filter((d) => Math.abs(Math.abs(d) - 0.005 * 0.744137) > 1e-3).length > sgd.length / 2, 'SGD moves by lr g');
  });

  it('the head has one row per class of the dataset (classes), not per label seen: the first loss is ln 3', async () => {
    // Labels 0 and 1 only, three classes named: a zero head gives the uniform 1/3, so one full-batch epoch's loss is ln 3.
    torch.manualSeed(43);
    const encoder = create('small_cnn', { inChannels: 1, width: 2, numClasses: 0 }) as Encoder;
    const { trainLoss } = await fineTune(encoder, { ...dataset(), classes: ['a', 'b', 'c'] }, dataset(), { epochs: 1, batchSize: 4 });
    assert.ok(Math.abs(trainLoss - Math.log(3)) < 1e-6, `first loss ${trainLoss}`);
  });
});
