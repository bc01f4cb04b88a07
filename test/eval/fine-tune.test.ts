// fineTune: learns the labels end to end, restores the encoder (or keeps the
// new weights when asked), is reproducible for a seed, frees what it creates,
// and rejects bad input.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { fineTune } from '../../lib/eval/fine-tune';
import { seededEncoder } from '../../lib/eval/floors';
import { synthetic } from '../../lib/data/synthetic';
import { disposeDataset, makeDataset, randomSplit, ImageDataset } from '../../lib/data/dataset';
import { RandomHorizontalFlip } from '../../lib/data/transforms/flip';
import { views } from '../../lib/data/transforms/multi-crop';
import { SmallCnn } from '../../lib/models/small-cnn';
import { Encoder } from '../../lib/models/encoder';

function snapshot(enc: Encoder): number[] {
  return torch.scope(() => [...enc.stateDict().values()].map((t) => t.double().sum().item() as number));
}

describe('eval: fine-tune', function () {
  this.timeout(120000);
  let train: ImageDataset;
  let test: ImageDataset;
  const factory = () => new SmallCnn({ inChannels: 1, width: 4 });
  before(() => {
    const full = synthetic({ n: 600, channels: 1, size: 12, classes: 4, seed: 3 });
    [train, test] = randomSplit(full, [480, 120], { seed: 0 });
    disposeDataset(full);
  });
  after(() => {
    disposeDataset(train);
    disposeDataset(test);
  });

  it('trains encoder and head on the labels, then restores the encoder', async () => {
    const enc = seededEncoder(factory, 0);
    enc.norms[1].eval();
    const before = snapshot(enc);
    const lines: string[] = [];
    const r = await fineTune(enc, train, test, { epochs: 3, batchSize: 32, lr: 0.05, log: (l) => lines.push(l) });
    assert.ok(r.top1 > 0.9, `fine-tuned top-1 ${r.top1}`);
    assert.ok(Number.isFinite(r.trainLoss) && r.trainLoss < Math.log(4), `loss ${r.trainLoss}`);
    assert.equal(lines.length, 3);
    assert.match(lines[2], /^fine-tune: epoch 3\/3: loss \d+\.\d{4}$/);
    assert.deepEqual(snapshot(enc), before);
    assert.equal(enc.training, true);
    assert.equal(enc.norms[1].training, false);
  });

  it('is reproducible for a seed, with a MultiView augmentation, and keeps the weights when asked', async () => {
    const options = { epochs: 1, batchSize: 64, seed: 4, augmentation: views(new RandomHorizontalFlip(), 2) };
    const a = await fineTune(seededEncoder(factory, 1), train, test, options);
    const b = await fineTune(seededEncoder(factory, 1), train, test, options);
    assert.deepEqual(a, b);
    const enc = seededEncoder(factory, 1);
    const before = snapshot(enc);
    await fineTune(enc, train, test, { ...options, keepWeights: true });
    assert.notDeepEqual(snapshot(enc), before);
  });

  it('frees every tensor it creates', async () => {
    const enc = seededEncoder(factory, 2);
    await fineTune(enc, train, test, { epochs: 1, batchSize: 128, optimizer: 'adamw' });
    const before = torch.memory().tensors;
    await fineTune(enc, train, test, { epochs: 1, batchSize: 128, optimizer: 'adamw' });
    assert.equal(torch.memory().tensors, before);
  });

  it('throws actionable errors', async () => {
    const enc = factory();
    const unlabelled = makeDataset({ name: 'nolabels', images: test.images, mean: [0], std: [1] });
    await assert.rejects(fineTune(enc, unlabelled, test), /Dataset 'nolabels' \(trainDataset\) has no labels/);
    await assert.rejects(fineTune(enc, train, test, { batchSize: 1000 }),
      /batchSize 1000 is larger than dataset .* \(480 images\)/);
    await assert.rejects(fineTune(enc, train, test, { device: 'cuda' }),
      /The encoder's parameters are on cpu but options.device is cuda/);
    await assert.rejects(fineTune(enc, train, test, { augmentation: {} as RandomHorizontalFlip }),
      /Expected a Transform or MultiView .* for options.augmentation/);
    assert.deepEqual(snapshot(enc), snapshot(enc));
  });
});
