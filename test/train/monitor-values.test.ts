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

  it('the class count is the largest label of either subset plus one (k-NN refuses a label past it)', () => {
    // One image relabelled 4 in the train set, then in the test set: the count is 5 either way.
    const relabel = (ds: ImageDataset, at: number): ImageDataset => {
      const values = [...ds.labels!.toTypedArray()].map(Number);
      values[at] = 4;
      return { ...ds, labels: torch.tensor(values, { dtype: 'int64' }), classes: undefined };
    };
    const run = { seed: 0, device: 'cpu' as const, mean: train.mean, std: train.std };
    const cases: [ImageDataset, ImageDataset][] = [[relabel(train, 7), { ...test, classes: undefined }],
      [{ ...train, classes: undefined }, relabel(test, 3)]];
    for (const [tr, te] of cases) {
      const m = new KnnMonitor({ train: tr, test: te, everyEpochs: 1, trainSubset: 60, testSubset: 40, k: 5 }, run);
      const want = torch.scope(() => knn(rawPixelFeatures(tr, { indices: subset(60, 60, 0, 1000003) }),
        rawPixelFeatures(te, { indices: subset(40, 40, 0, 2000003) }), { k: [5], temperature: 0.07, numClasses: 5 }).top1[5]);
      assert.deepEqual(m.floors(), { 'raw pixels': want });
      m.dispose();
    }
    cases[0][0].labels!.dispose();
    cases[1][1].labels!.dispose();
    // Unlabelled data: no class count, and nothing read from missing labels when built.
    for (const [tr, te] of [[{ ...train, labels: undefined, classes: undefined }, test], [{ ...train, classes: undefined }, { ...test, labels: undefined, classes: undefined }]]) {
      const m = new KnnMonitor({ train: tr, test: te, everyEpochs: 1, trainSubset: 10, testSubset: 10, k: 5 }, run);
      assert.deepEqual(m.subsetSizes, { train: 10, test: 10 });
      m.dispose();
    }
  });

  it('encodes with the run\'s batch size, mean and std (not the datasets\'), and dispose frees the subsets', () => {
    const live = torch.memory().tensors;
    const run = { seed: 2, device: 'cpu' as const, mean: [0.25], std: [0.5], batchSize: 7 };
    const m = new KnnMonitor({ train, test, everyEpochs: 1, trainSubset: 9, testSubset: 8, k: 3 }, run);
    const inputs: number[][] = [];
    class Recording extends SmallCnn {
      override forward(x: Tensor): Tensor {
        inputs.push([x.shape[0], torch.scope(() => Number(x.to('float64').sum().item()))]);
        return super.forward(x);
      }
    }
    torch.manualSeed(0);
    const encoder = new Recording({ inChannels: 1, width: 2 });
    m.evaluate(encoder);
    // The sum of each batch of the normalised subset images: (x / 255 - 0.25) / 0.5.
    const sums = torch.scope(() => [[train, subset(60, 9, 2, 1000003)], [test, subset(40, 8, 2, 2000003)]].flatMap(([ds, idx]) => {
      const x = (ds as ImageDataset).images.indexSelect(0, idx as Tensor).to('float32').div(255).sub(0.25).div(0.5);
      const n = x.shape[0];
      return [0, 7].filter((s) => s < n).map((s) => [Math.min(7, n - s), Number(x.narrow(0, s, Math.min(7, n - s)).to('float64').sum().item())]);
    }));
    assert.deepEqual(inputs.map((r) => r[0]), [7, 2, 7, 1]);
    inputs.forEach((r, i) => assert.ok(Math.abs(r[1] - sums[i][1]) < 1e-3, `batch ${i}: ${r[1]} != ${sums[i][1]}`));
    encoder.parameters().forEach((p) => p.dispose());
    encoder.buffers().forEach((b) => b.dispose());
    m.dispose();
    assert.equal(torch.memory().tensors, live);
  });
});
