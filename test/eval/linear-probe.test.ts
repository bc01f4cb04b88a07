// Linear probe: separable features are learned, the same loop in PyTorch
// (same order, same zero start) ends at the same weights and accuracy,
// options behave, nothing leaks, errors are actionable.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { fitLinearClassifier, linearProbe } from '../../lib/eval/linear-probe';
import { TensorFolder, blobs, runEvalRef } from './reference';

type ProbeRef = { top1: number; trainTop1: number; weight: number[]; bias: number[] };

describe('eval: linear probe', function () {
  this.timeout(120000);
  let folder: TensorFolder;
  before(() => {
    folder = new TensorFolder();
  });
  after(() => folder.cleanup());

  it('learns linearly separable features (> 95%) with the defaults', () => {
    torch.scope(() => {
      // Offset and scale the features: the probe standardises them.
      const shift = (s: { features: torch.Tensor; labels: torch.Tensor }) => ({ ...s, features: s.features.mul(30).add(100) });
      const train = shift(blobs({ n: 1200, d: 16, classes: 4, spread: 0.15, seed: 1 }));
      const test = shift(blobs({ n: 400, d: 16, classes: 4, spread: 0.15, seed: 2 }));
      const r = linearProbe(train, test);
      assert.ok(r.top1 > 0.95, `top-1 ${r.top1}`);
      assert.ok(r.trainTop1 > 0.95, `train top-1 ${r.trainTop1}`);
      const adamw = linearProbe(train, test, { optimizer: 'adamw', epochs: 5 });
      assert.ok(adamw.top1 > 0.95, `AdamW top-1 ${adamw.top1}`);
    });
  });

  it('follows the same path as a PyTorch loop (standardise, zero start, SGD 0.9, cosine, seeded order)', () => {
    torch.scope(() => {
      const train = blobs({ n: 700, d: 12, classes: 5, spread: 2.0, seed: 3 });
      const test = blobs({ n: 300, d: 12, classes: 5, spread: 2.0, seed: 4 });
      const options = { epochs: 3, batchSize: 64, lr: 0.2, weightDecay: 1e-3, seed: 7 };
      const [ref] = runEvalRef<ProbeRef>([{ op: 'linear_probe', train: folder.set(train), test: folder.set(test),
        numClasses: 5, ...options }]);
      const ours = linearProbe(train, test, options);
      assert.ok(ref.top1 > 0.4 && ref.top1 < 0.9, `reference accuracy ${ref.top1} is informative`);
      // Same predictions on every test and training feature (PyTorch's mean is float32: compare counts).
      assert.equal(Math.round(ours.top1 * 300), Math.round(ref.top1 * 300), `top-1 ${ours.top1} vs PyTorch ${ref.top1}`);
      assert.equal(Math.round(ours.trainTop1 * 700), Math.round(ref.trainTop1 * 700),
        `train top-1 ${ours.trainTop1} vs ${ref.trainTop1}`);
      // The weights themselves, from the same standardised features.
      const mean = train.features.mean([0], true);
      const x = train.features.sub(mean).div(train.features.var([0], false, true).add(1e-6).sqrt());
      const { weight, bias } = fitLinearClassifier(x, train.labels,
        { numClasses: 5, optimizer: 'sgd', ...options });
      const refW = torch.tensor(ref.weight, { shape: [5, 12] });
      assert.ok((weight.sub(refW).abs().max().item() as number) < 1e-4, 'weight as PyTorch');
      assert.ok((bias.sub(torch.tensor(ref.bias)).abs().max().item() as number) < 1e-4, 'bias as PyTorch');
      assert.ok((refW.abs().max().item() as number) > 0.1, 'the weights moved');
    });
  });

  it('depends on the seed only through the batch order, and frees what it creates', () => {
    const train = blobs({ n: 300, d: 8, classes: 3, spread: 1.5, seed: 5 });
    const test = blobs({ n: 100, d: 8, classes: 3, spread: 1.5, seed: 6 });
    const a = linearProbe(train, test, { epochs: 2, seed: 1 });
    const before = torch.memory().tensors;
    const b = linearProbe(train, test, { epochs: 2, seed: 1 });
    assert.equal(torch.memory().tensors, before);
    assert.deepEqual(a, b);
    // One full batch per epoch: the order cannot matter.
    const c = linearProbe(train, test, { epochs: 2, seed: 1, batchSize: 300 });
    const d = linearProbe(train, test, { epochs: 2, seed: 9, batchSize: 300 });
    assert.deepEqual(c, d);
    [train.features, train.labels, test.features, test.labels].forEach((t) => t.dispose());
  });

  it('throws actionable errors', () => {
    torch.scope(() => {
      const train = blobs({ n: 30, d: 8, classes: 3, spread: 1, seed: 7 });
      const test = blobs({ n: 10, d: 8, classes: 3, spread: 1, seed: 8 });
      assert.throws(() => linearProbe(train, { features: test.features.narrow(1, 0, 5), labels: test.labels }),
        /train features have 8 dimensions but test features have 5/);
      assert.throws(() => linearProbe({ features: train.features, labels: torch.full([30], -1, { dtype: 'int64' }) }, test),
        /train.labels has label -1: evaluation needs a labelled dataset/);
      assert.throws(() => linearProbe(train, test, { epochs: 0 }), /Expected positive integer for options.epochs but received 0/);
      assert.throws(() => linearProbe(train, test, { optimizer: 'lbfgs' as 'sgd' }),
        /Expected one of 'sgd', 'adamw' for options.optimizer but received 'lbfgs'/);
      assert.throws(() => linearProbe(train, test, { lr: -1 }), /Expected a non-negative number for options.lr but received -1/);
    });
  });
});
