// The online k-NN monitor by value: its seeded subsets (capped at the
// datasets' sizes), its accuracy and its floors equal to k-NN computed here on
// the same subsets, and the class count taken from the labels when the data
// names no classes.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { synthetic } from '../../lib/data/synthetic';
import { ImageDataset, disposeDataset } from '../../lib/data/dataset';
import { SmallCnn } from '../../lib/models/small-cnn';
import { extractFeatures } from '../../lib/eval/features';
import { rawPixelFeatures } from '../../lib/eval/floors';
import { knn } from '../../lib/eval/knn';
import { KnnMonitor } from '../../lib/train/monitor';

/** The subset the monitor draws: the first `size` of a permutation seeded with seed + offset. */
const subset = (n: number, size: number, seed: number, offset: number): Tensor =>
  torch.randperm(n, { generator: new torch.Generator().manualSeed(seed + offset) }).narrow(0, 0, Math.min(n, size));

describe('train/monitor: the online k-NN by value', () => {
  let train: ImageDataset;
  let test: ImageDataset;
  before(() => {
    train = synthetic({ n: 60, channels: 1, size: 8, classes: 4, seed: 1 });
    test = synthetic({ n: 40, channels: 1, size: 8, classes: 4, seed: 2 });
  });
  after(() => {
    disposeDataset(train);
    disposeDataset(test);
  });

  it('evaluate and floors: k-NN (T = 0.07) on the seeded subsets, raw pixels and the random encoder', () => {
    const run = { seed: 5, device: 'cpu' as const, mean: train.mean, std: train.std };
    const m = new KnnMonitor({ train, test, everyEpochs: 1, trainSubset: 50, testSubset: 100, k: 3 }, run);
    assert.deepEqual(m.subsetSizes, { train: 50, test: 40 }); // the test subset capped at its 40 images
    torch.manualSeed(0);
    const encoder = new SmallCnn({ inChannels: 1, width: 4 });
    const want = torch.scope(() => {
      const trainIdx = subset(60, 50, 5, 1000003);
      const testIdx = subset(40, 100, 5, 2000003);
      const common = { mean: train.mean, std: train.std };
      const enc = knn(extractFeatures(encoder, train, { ...common, indices: trainIdx }),
        extractFeatures(encoder, test, { ...common, indices: testIdx }), { k: [3], temperature: 0.07 }).top1[3];
      const pixels = knn(rawPixelFeatures(train, { indices: trainIdx }), rawPixelFeatures(test, { indices: testIdx }),
        { k: [3], temperature: 0.07 }).top1[3];
      return { enc, pixels };
    });
    assert.deepEqual(m.evaluate(encoder), { 3: want.enc });
    assert.deepEqual(m.floors(encoder), { 'raw pixels': want.pixels, 'random encoder': want.enc });
    assert.deepEqual(m.floors(), { 'raw pixels': want.pixels });
    assert.notEqual(want.enc, want.pixels); // the two floors are told apart
    // Another seed draws other subsets.
    const other = new KnnMonitor({ train, test, everyEpochs: 1, trainSubset: 20, testSubset: 20, k: 3 }, { ...run, seed: 6 });
    const wantOther = torch.scope(() => knn(rawPixelFeatures(train, { indices: subset(60, 20, 6, 1000003) }),
      rawPixelFeatures(test, { indices: subset(40, 20, 6, 2000003) }), { k: [3], temperature: 0.07 }).top1[3]);
    assert.deepEqual(other.floors(), { 'raw pixels': wantOther });
    m.dispose();
    other.dispose();
  });

  it('without class names, the class count comes from the labels of both subsets', () => {
    const unnamed = (ds: ImageDataset): ImageDataset => ({ ...ds, classes: undefined });
    const run = { seed: 0, device: 'cpu' as const, mean: train.mean, std: train.std };
    const m = new KnnMonitor({ train: unnamed(train), test: unnamed(test), everyEpochs: 1, trainSubset: 60, testSubset: 40, k: 5 }, run);
    const want = torch.scope(() => knn(rawPixelFeatures(train, { indices: subset(60, 60, 0, 1000003) }),
      rawPixelFeatures(test, { indices: subset(40, 40, 0, 2000003) }), { k: [5], temperature: 0.07, numClasses: 4 }).top1[5]);
    assert.deepEqual(m.floors(), { 'raw pixels': want });
    m.dispose();
  });
});
