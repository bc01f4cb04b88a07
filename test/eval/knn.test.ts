// Weighted k-NN: parity with DINO's knn_classifier (PyTorch) on the same
// features, hand-made cases with exact answers, the Fashion-MNIST raw-pixel
// calibration number, errors, and no leaks.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as torch from '../../lib/torch';
import { knn } from '../../lib/eval/knn';
import { rawPixelFeatures } from '../../lib/eval/floors';
import { fashionMnist, FASHION_MNIST_ROOT } from '../../lib/data/fashion-mnist';
import { disposeDataset } from '../../lib/data/dataset';
import { TensorFolder, blobs, runEvalRef } from './reference';

type KnnRef = { top1: Record<string, number>; top5: Record<string, number> };

/** Points on the unit circle at the given angles (degrees), as (N, 2) features. */
function circle(degrees: number[]): torch.Tensor {
  return torch.tensor(degrees.flatMap((a) => [Math.cos((a * Math.PI) / 180), Math.sin((a * Math.PI) / 180)]),
    { shape: [degrees.length, 2] });
}

function labels(values: number[]): torch.Tensor {
  return torch.tensor(values, { dtype: 'int64' });
}

describe('eval: weighted k-NN', function () {
  this.timeout(120000);
  let folder: TensorFolder;
  before(() => {
    folder = new TensorFolder();
  });
  after(() => folder.cleanup());

  it('gives the same top-1 as DINO\'s knn_classifier (k 20 and 200, T 0.07) on the same features', () => {
    torch.scope(() => {
      // 10 overlapping classes in 32-D: accuracies well away from 0 and 1.
      const train = blobs({ n: 3000, d: 32, classes: 10, spread: 2.5, seed: 1 });
      const test = blobs({ n: 1000, d: 32, classes: 10, spread: 2.5, seed: 2 });
      const [ref] = runEvalRef<KnnRef>([{ op: 'knn', train: folder.set(train), test: folder.set(test),
        k: [20, 200], temperature: 0.07, numClasses: 10 }]);
      const ours = knn(train, test, { k: [20, 200], temperature: 0.07 });
      for (const k of [20, 200]) {
        assert.ok(ref.top1[k] > 0.3 && ref.top1[k] < 0.95, `reference accuracy ${ref.top1[k]} is informative`);
        assert.equal(Math.round(ours.top1[k] * 1000), Math.round(ref.top1[k] * 1000), `top-1 for k=${k}`);
        // Ours counts only classes that received votes; DINO may count a tied zero score too.
        assert.ok(ours.top5![k] <= ref.top5[k] + 1e-9 && ours.top5![k] > ours.top1[k], `top-5 for k=${k}`);
      }
      // One top-k search for all k: asking for one k gives the same number.
      assert.equal(knn(train, test, { k: 20 }).top1[20], ours.top1[20]);
    });
  });

  it('matches DINO on an odd chunk size and with a temperature of 0.5', () => {
    torch.scope(() => {
      const train = blobs({ n: 500, d: 8, classes: 4, spread: 1, seed: 3 });
      const test = blobs({ n: 333, d: 8, classes: 4, spread: 1, seed: 4 });
      const [ref] = runEvalRef<KnnRef>([{ op: 'knn', train: folder.set(train), test: folder.set(test),
        k: [1, 7, 50], temperature: 0.5, numClasses: 4 }]);
      const ours = knn(train, test, { k: [1, 7, 50], temperature: 0.5, chunkSize: 37 });
      for (const k of [1, 7, 50]) assert.equal(Math.round(ours.top1[k] * 333), Math.round(ref.top1[k] * 333), `k=${k}`);
      assert.equal(ours.top5, undefined, 'no top-5 with 4 classes');
    });
  });

  it('classifies two clusters exactly (one mislabelled test point: 3 of 4)', () => {
    torch.scope(() => {
      const train = { features: circle([0, 6, -6, 90, 84, 96]), labels: labels([0, 0, 0, 1, 1, 1]) };
      // The third test point lies in cluster 0 but is labelled 1.
      const test = { features: circle([3, 87, -3, 80]).mul(7), labels: labels([0, 1, 1, 1]) };
      const r = knn(train, test, { k: [1, 3, 6] });
      assert.deepEqual(r.top1, { 1: 0.75, 3: 0.75, 6: 0.75 });
    });
  });

  it('weights votes by exp(similarity / T): a close neighbour outvotes two far ones at T 0.07, not at T 1', () => {
    torch.scope(() => {
      // cos 5 deg = 0.9962, cos 25 deg = 0.9063: exp(0.0899 / 0.07) = 3.6 > 2, exp(0.0899 / 1) = 1.09 < 2.
      const train = { features: circle([5, 25, -25]), labels: labels([0, 1, 1]) };
      const test = { features: circle([0]), labels: labels([0]) };
      assert.deepEqual(knn(train, test, { k: [1, 3], temperature: 0.07 }).top1, { 1: 1, 3: 1 });
      assert.deepEqual(knn(train, test, { k: [1, 3], temperature: 1 }).top1, { 1: 1, 3: 0 });
      // A tiny temperature neither overflows nor changes the nearest-neighbour answer.
      assert.deepEqual(knn(train, test, { k: [3], temperature: 1e-3 }).top1, { 3: 1 });
    });
  });

  it('reports top-5 with at least 5 classes', () => {
    torch.scope(() => {
      // Test point at 0 deg, label 4; neighbours: classes 0..3 closer, class 4 fifth, class 5 never voted.
      const train = { features: circle([1, 2, 3, 4, 5, 170]), labels: labels([0, 1, 2, 3, 4, 5]) };
      const test = { features: circle([0, 0]), labels: labels([4, 5]) };
      const r = knn(train, test, { k: [5] });
      assert.deepEqual(r.top1, { 5: 0 });
      assert.deepEqual(r.top5, { 5: 0.5 });
    });
  });

  it('frees every tensor it creates', () => {
    const train = blobs({ n: 300, d: 16, classes: 5, spread: 1, seed: 5 });
    const test = blobs({ n: 100, d: 16, classes: 5, spread: 1, seed: 6 });
    knn(train, test, { chunkSize: 64, k: [10, 100] });
    const before = torch.memory().tensors;
    knn(train, test, { chunkSize: 64, k: [10, 100] });
    assert.equal(torch.memory().tensors, before);
    [train.features, train.labels, test.features, test.labels].forEach((t) => t.dispose());
  });

  it('throws actionable errors', () => {
    torch.scope(() => {
      const train = blobs({ n: 50, d: 8, classes: 5, spread: 1, seed: 7 });
      const test = blobs({ n: 10, d: 8, classes: 5, spread: 1, seed: 8 });
      assert.throws(() => knn(train, { features: test.features.narrow(1, 0, 4), labels: test.labels }),
        /train features have 8 dimensions but test features have 4: extract both with the same encoder/);
      assert.throws(() => knn(train, test, { k: [20, 200] }),
        /Expected every k in options.k to be at most 50 \(the number of training features\) but received 200/);
      assert.throws(() => knn(train, test, { k: [0] }), /Expected positive integer for options.k\[0\] but received 0/);
      assert.throws(() => knn(train, test, { k: [] }), /at least one value in options.k/);
      assert.throws(() => knn(train, test, { k: 5, temperature: 0 }),
        /Expected a positive number for options.temperature but received 0/);
      assert.throws(() => knn(train, { features: test.features, labels: torch.full([10], -1, { dtype: 'int64' }) }, { k: 5 }),
        /test.labels has label -1: evaluation needs a labelled dataset/);
      assert.throws(() => knn(train, { features: test.features, labels: test.labels.narrow(0, 0, 5) }, { k: 5 }),
        /Expected int64 test.labels of shape \[10\] \(one per feature row\) but received int64 of shape \[5\]/);
      assert.throws(() => knn({ features: train.features.flatten(), labels: train.labels }, test),
        /Expected floating point \(N, D\) train.features but received float32 of shape \[400\]/);
      assert.throws(() => knn(train, test, { k: 5, numClasses: 3 }),
        /Expected labels below options.numClasses \(3\) but found label 4/);
    });
  });

  it('calibrates on Fashion-MNIST: raw pixels, all 60,000 training images, k 20: 84.6% (PyTorch: 84.59%)', function () {
    if (!fs.existsSync(FASHION_MNIST_ROOT)) this.skip();
    const trainSet = fashionMnist({ split: 'train' });
    const testSet = fashionMnist({ split: 'test' });
    try {
      torch.scope(() => {
        const train = rawPixelFeatures(trainSet);
        const test = rawPixelFeatures(testSet);
        const r = knn(train, test, { k: [20, 200], temperature: 0.07 });
        // The number, and what eval_ref.py (DINO's code) gives on the same pixels:
        // top-1 0.8459 (k 20) and 0.7913 (k 200), measured once (57 s in PyTorch, too slow to rerun here).
        // NOTE: within one test image (0.0001), not exactly: OpenBLAS picks its matrix kernel by CPU, and
        // the similarities' rounding then differs in the last bits, which flips a near-tie among the 200
        // neighbours of one image: a Sapphire Rapids machine (AVX512-FP16) gives 0.7914 at k 200, the
        // machines these were measured on 0.7913. A formula bug moves these by far more than one image.
        assert.ok(Math.abs(r.top1[20] - 0.8459) <= 0.0001 + 1e-9, `k-NN@20 ${r.top1[20]}, expected 0.8459`);
        assert.ok(Math.abs(r.top1[200] - 0.7913) <= 0.0001 + 1e-9, `k-NN@200 ${r.top1[200]}, expected 0.7913`);
      });
    } finally {
      disposeDataset(trainSet);
      disposeDataset(testSet);
    }
  });

  it('matches DINO\'s code on a Fashion-MNIST subset (first 10,000 train, first 2,000 test images)', function () {
    if (!fs.existsSync(FASHION_MNIST_ROOT)) this.skip();
    const trainSet = fashionMnist({ split: 'train' });
    const testSet = fashionMnist({ split: 'test' });
    try {
      torch.scope(() => {
        const train = rawPixelFeatures(trainSet, { indices: torch.arange(10000) });
        const test = rawPixelFeatures(testSet, { indices: torch.arange(2000) });
        const r = knn(train, test, { k: [20, 200] });
        const [ref] = runEvalRef<KnnRef>([{ op: 'fmnist_knn', root: FASHION_MNIST_ROOT, trainCount: 10000,
          testCount: 2000, k: [20, 200], temperature: 0.07 }]);
        assert.equal(r.top1[20], ref.top1[20]);
        assert.equal(r.top1[200], ref.top1[200]);
        assert.deepEqual(r.top1, { 20: 0.811, 200: 0.737 }); // as measured with PyTorch when this test was written
      });
    } finally {
      disposeDataset(trainSet);
      disposeDataset(testSet);
    }
  });
});
