// extractFeatures: shapes, equality with the encoder's eval-mode forward on
// normalised images, subsets, restored training flags, no leaks, errors;
// rawPixelFeatures and seededEncoder (the floors).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { extractFeatures, inEvalMode } from '../../lib/eval/features';
import { rawPixelFeatures, seededEncoder } from '../../lib/eval/floors';
import { synthetic } from '../../lib/data/synthetic';
import { disposeDataset, makeDataset, ImageDataset } from '../../lib/data/dataset';
import { SmallCnn } from '../../lib/models/small-cnn';

/** Asserts |actual - expected| <= atol + rtol * |expected| everywhere (same shape). */
function assertClose(actual: torch.Tensor, expected: torch.Tensor, tol: { rtol: number; atol: number }): void {
  assert.deepEqual(actual.shape, expected.shape);
  torch.scope(() => {
    const excess = actual.sub(expected).abs().sub(expected.abs().mul(tol.rtol).add(tol.atol));
    assert.ok(actual.numel() === 0 || (excess.max().item() as number) <= 0,
      `max |difference| ${actual.numel() && actual.sub(expected).abs().max().item()}`);
  });
}

describe('eval: features', function () {
  this.timeout(120000);
  let ds: ImageDataset;
  let enc: SmallCnn;
  before(() => {
    ds = synthetic({ n: 50, channels: 3, size: 12, classes: 5, seed: 0 });
    torch.manualSeed(0);
    enc = new SmallCnn({ inChannels: 3, width: 4 });
    // Non-trivial running statistics, so eval mode (running stats) differs from training mode (batch stats).
    torch.noGrad(() => enc.forward(torch.randn([16, 3, 12, 12]).mul(2).add(0.5)));
  });
  after(() => disposeDataset(ds));

  it('equals encoder.forward on [0, 1] images normalised by mean and std, in eval mode, in any batch size', () => {
    torch.scope(() => {
      const { features, labels } = extractFeatures(enc, ds, { batchSize: 16 });
      assert.deepEqual(features.shape, [50, 16]);
      assert.equal(features.dtype, 'float32');
      assert.equal(features.device, 'cpu');
      assert.deepEqual(labels.toArray(), ds.labels!.toArray());
      const mean = torch.tensor(ds.mean).view([1, 3, 1, 1]);
      const std = torch.tensor(ds.std).view([1, 3, 1, 1]);
      const x = ds.images.float().div(255).sub(mean).div(std);
      enc.eval();
      const expected = torch.noGrad(() => enc.forward(x));
      enc.train();
      assertClose(features, expected, { rtol: 1e-4, atol: 1e-5 });
      // Other batch sizes and explicit mean/std.
      assertClose(extractFeatures(enc, ds, { batchSize: 50 }).features, expected, { rtol: 1e-4, atol: 1e-5 });
      const plain = extractFeatures(enc, ds, { batchSize: 7, mean: [0, 0, 0], std: [1, 1, 1] }).features;
      enc.eval();
      assertClose(plain, torch.noGrad(() => enc.forward(ds.images.float().div(255))), { rtol: 1e-4, atol: 1e-5 });
      enc.train();
      // Training mode would use batch statistics (and update the running ones: so this check comes last).
      const training = torch.noGrad(() => enc.forward(x));
      assert.ok(features.sub(training).abs().max().item() as number > 1e-3);
    });
  });

  it('extracts a subset given by indices, in their order', () => {
    torch.scope(() => {
      const all = extractFeatures(enc, ds);
      const idx = torch.tensor([7, 3, 49, 3], { dtype: 'int64' });
      const some = extractFeatures(enc, ds, { indices: idx, batchSize: 3 });
      assertClose(some.features, all.features.indexSelect(0, idx), { rtol: 1e-4, atol: 1e-5 });
      assert.deepEqual(some.labels.toArray(), all.labels.indexSelect(0, idx).toArray());
    });
  });

  it('runs batches of 64 by default (512 made 56 px evaluations pay page faults: docs/pretext.md)', () => {
    const sizes: number[] = [];
    const spy = Object.assign(Object.create(enc) as SmallCnn, {
      forward: (x: torch.Tensor) => { sizes.push(x.shape[0]); return enc.forward(x); },
    });
    torch.scope(() => extractFeatures(spy, ds, { indices: torch.arange(150, { dtype: 'int64' }).remainder(50) }));
    assert.deepEqual(sizes, [64, 64, 22]);
  });

  it("restores each submodule's training flag, and grad mode, even when forward throws", () => {
    enc.train();
    enc.norms[2].eval();
    torch.scope(() => extractFeatures(enc, ds));
    assert.equal(enc.training, true);
    assert.equal(enc.norms[2].training, false);
    assert.equal(enc.norms[1].training, true);
    assert.equal(torch.isGradEnabled(), true);
    const broken = makeDataset({ name: 'grey', images: torch.zeros([4, 1, 12, 12], { dtype: 'uint8' }), mean: [0], std: [1] });
    assert.throws(() => extractFeatures(enc, broken));
    assert.equal(enc.training, true);
    assert.equal(enc.norms[2].training, false);
    assert.equal(torch.isGradEnabled(), true);
    enc.norms[2].train();
    // inEvalMode on its own.
    assert.equal(inEvalMode(enc, () => enc.norms[0].training), false);
    assert.equal(enc.norms[0].training, true);
  });

  it('frees everything but its result, and works inside a scope', () => {
    torch.scope(() => {
      extractFeatures(enc, ds); // warm up (lazy operator handles)
    });
    const before = torch.memory().tensors;
    const r = extractFeatures(enc, ds, { batchSize: 8, indices: torch.arange(20) });
    assert.equal(torch.memory().tensors, before + 2 + 1); // features, labels (and the indices argument)
    r.features.dispose();
    r.labels.dispose();
    torch.scope(() => {
      extractFeatures(enc, ds, { batchSize: 8 });
    });
    assert.equal(torch.memory().tensors, before + 1);
  });

  it('gives -1 labels for an unlabelled dataset, and an empty result for no indices', () => {
    torch.scope(() => {
      const unlabelled = makeDataset({ name: 'u', images: ds.images.narrow(0, 0, 5), mean: ds.mean, std: ds.std });
      assert.deepEqual(extractFeatures(enc, unlabelled).labels.toArray(), [-1, -1, -1, -1, -1]);
      const none = extractFeatures(enc, ds, { indices: torch.zeros([0], { dtype: 'int64' }) });
      assert.deepEqual(none.features.shape, [0, 16]);
      assert.deepEqual(none.labels.shape, [0]);
    });
  });

  it('throws actionable errors', () => {
    torch.scope(() => {
      assert.throws(() => extractFeatures(enc, ds, { batchSize: 0 }),
        /Expected positive integer for options.batchSize but received 0/);
      assert.throws(() => extractFeatures(enc, ds, { indices: torch.tensor([0, 50], { dtype: 'int64' }) }),
        /Expected options.indices in 0..49 \(dataset 'synthetic.*' has 50 images\) but found indices from 0 to 50/);
      assert.throws(() => extractFeatures(enc, ds, { indices: torch.tensor([0.5]) }),
        /Expected a 1-D int64 tensor of dataset positions for options.indices but received float32/);
      assert.throws(() => extractFeatures(enc, { ...ds, images: torch.zeros([2, 3]) }),
        /Expected an ImageDataset with \(N, C, H, W\) images for extractFeatures but received images of shape \[2, 3\]/);
      assert.throws(() => extractFeatures(enc, ds, { device: 'cuda' }),
        /The encoder's parameters are on cpu but options.device is cuda: move the encoder first/);
    });
  });

  it('rawPixelFeatures: flattened [0, 1] pixels, or normalised ones, with labels', () => {
    torch.scope(() => {
      const raw = rawPixelFeatures(ds, { batchSize: 9 });
      assert.deepEqual(raw.features.shape, [50, 3 * 12 * 12]);
      assertClose(raw.features, ds.images.float().div(255).flatten(1), { rtol: 0, atol: 1e-7 });
      assert.deepEqual(raw.labels.toArray(), ds.labels!.toArray());
      const norm = rawPixelFeatures(ds, { mean: ds.mean, std: ds.std, indices: torch.tensor([4, 2], { dtype: 'int64' }) });
      const x = ds.images.indexSelect(0, torch.tensor([4, 2], { dtype: 'int64' })).float().div(255)
        .sub(torch.tensor(ds.mean).view([1, 3, 1, 1])).div(torch.tensor(ds.std).view([1, 3, 1, 1]));
      assertClose(norm.features, x.flatten(1), { rtol: 1e-5, atol: 1e-6 });
      assert.throws(() => rawPixelFeatures(ds, { mean: [0, 0, 0] }), /Expected both options.mean and options.std/);
      assert.throws(() => rawPixelFeatures(ds, { indices: torch.tensor([-1], { dtype: 'int64' }) }),
        /Expected options.indices in 0..49/);
    });
  });

  it('seededEncoder builds the same random encoder for a seed and leaves the global stream alone', () => {
    torch.manualSeed(123);
    const expectedNext = torch.rand([3]).toArray();
    torch.manualSeed(123);
    const a = seededEncoder(() => new SmallCnn({ inChannels: 3, width: 4 }), 0);
    assert.deepEqual(torch.rand([3]).toArray(), expectedNext);
    const b = seededEncoder(() => new SmallCnn({ inChannels: 3, width: 4 }), 0);
    const c = seededEncoder(() => new SmallCnn({ inChannels: 3, width: 4 }), 1);
    assert.ok(a.stateDict().get('conv1.weight')!.equal(b.stateDict().get('conv1.weight')!));
    assert.ok(!a.stateDict().get('conv1.weight')!.equal(c.stateDict().get('conv1.weight')!));
    assert.throws(() => seededEncoder(undefined as unknown as () => SmallCnn), /Expected a function that builds an encoder/);
  });
});
