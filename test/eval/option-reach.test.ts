// Defaults and options of the frozen-feature evaluations reaching where they
// act, by value (issue 21), on features small enough to work out by hand:
// knn's default temperature and k, numClasses turning top-5 on, and its
// device; retrieval's default ks and pairRetrieval's; seededEncoder's default seed.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { ImageTextModel, knn, pairRetrieval, retrievalRecall, seededEncoder } from '../../lib/eval';
import { TextInputs } from '../../lib/models/bert';
import { SmallCnn } from '../../lib/models/small-cnn';

/** Unit vectors in the plane at these angles (degrees), as (N, 2) features. */
function circle(degrees: number[]): Tensor {
  return torch.tensor(degrees.map((d) => [Math.cos((d * Math.PI) / 180), Math.sin((d * Math.PI) / 180)]), { dtype: 'float32' });
}
const labels = (v: number[]): Tensor => torch.tensor(v, { dtype: 'int64' });

describe('eval: options reach where they act (values)', () => {
  it('knn: the default temperature is 0.07 (a close neighbour outvotes two far ones), the default k [20, 200]', () => {
    // Test point at 0 degrees, label 0; neighbour of class 0 at 10 degrees, two of class 1 at 60 and 61.
    // T 0.07: exp((cos 10 - 1) / T) = 0.80 against 2 x exp((cos 60 - 1) / T) = 0.002: class 0.
    // T 1: 0.985 against 1.21: class 1.
    const train = { features: circle([10, 60, 61]), labels: labels([0, 1, 1]) };
    const test = { features: circle([0]), labels: labels([0]) };
    assert.deepEqual(knn(train, test, { k: 3 }).top1, { 3: 1 });
    assert.deepEqual(knn(train, test, { k: 3, temperature: 1 }).top1, { 3: 0 });
    const many = { features: circle(Array.from({ length: 200 }, (_, i) => i)), labels: labels(Array.from({ length: 200 }, (_, i) => i % 2)) };
    assert.deepEqual(Object.keys(knn(many, test).top1), ['20', '200']);
  });

  it('knn: numClasses turns top-5 on (5 or more) or off; device is where the similarities are', () => {
    const train = { features: circle([10, 20, 30]), labels: labels([0, 1, 2]) };
    const test = { features: circle([0, 24]), labels: labels([0, 2]) }; // 24: nearest is class 1's 20
    assert.deepEqual(knn(train, test, { k: 1 }), { top1: { 1: 0.5 } });
    assert.deepEqual(knn(train, test, { k: 1, numClasses: 4 }), { top1: { 1: 0.5 } });
    // Top-5 with k = 1: only the one neighbour's class has a vote, so top-5 = top-1.
    assert.deepEqual(knn(train, test, { k: 1, numClasses: 5 }), { top1: { 1: 0.5 }, top5: { 1: 0.5 } });
    assert.deepEqual(knn(train, test, { k: [1, 3], numClasses: 5 }), { top1: { 1: 0.5, 3: 0.5 }, top5: { 1: 0.5, 3: 1 } });
    assert.deepEqual(knn(train, test, { k: 1, device: 'cpu' }), { top1: { 1: 0.5 } });
  });

  it('retrievalRecall: recall at the default ks 1, 5, 10; pairRetrieval passes ks on', () => {
    // 12 one-hot pairs, captions shifted by one: image i scores 1 with caption i + 1 and 0 with the others, its own
    // partner included; likewise each caption.
    const eye = torch.eye(12);
    const shifted = eye.roll([1], [0]);
    const r = retrievalRecall(eye, shifted);
    assert.deepEqual(Object.keys(r.imageToText), ['1', '5', '10']);
    // Image i's partner has 1 caption strictly above it (rank 1): recall@1 0, recall@5 and @10 1.
    assert.deepEqual(r.imageToText, { 1: 0, 5: 1, 10: 1 });
    assert.deepEqual(r.textToImage, { 1: 0, 5: 1, 10: 1 });
    assert.equal(r.pairs, 12);
    const model: ImageTextModel = {
      encodeImage: (x: Tensor) => x.flatten(1),
      encodeText: (t: TextInputs) => torch.eye(12).index([t.inputIds.select(1, 0)]),
      eval: () => undefined,
      train: () => undefined,
    };
    const images = torch.eye(12).view([12, 1, 3, 4]);
    const inputIds = labels(Array.from({ length: 12 }, (_, i) => (i + 11) % 12)).view([12, 1]);
    assert.deepEqual(pairRetrieval(model, { images, inputIds }, { ks: [2] }).imageToText, { 2: 1 });
    assert.deepEqual(pairRetrieval(model, { images, inputIds }).imageToText, { 1: 0, 5: 1, 10: 1 });
  });

  it('seededEncoder: the default seed is 0', () => {
    const build = (): SmallCnn => new SmallCnn({ inChannels: 1, width: 2 });
    const a = seededEncoder(build);
    const b = seededEncoder(build, 0);
    const c = seededEncoder(build, 1);
    assert.ok(a.stateDict().get('conv1.weight')!.equal(b.stateDict().get('conv1.weight')!));
    assert.ok(!a.stateDict().get('conv1.weight')!.equal(c.stateDict().get('conv1.weight')!));
  });
});
