// Colorization and SplitBrain: one step's loss and every gradient against
// PyTorch re-implementations written from the papers
// (test/helpers/colour_ref.py: skimage's Lab, the authors' NNEncode and
// PriorFactor in numpy), the loss falling on a fixed batch, the registry,
// options reaching where they act, decoding, and errors.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { SGD } from '../../../lib/optim/sgd';
import { Method } from '../../../lib/ssl/method';
import { Colorization } from '../../../lib/ssl/colorization';
import { SplitBrain } from '../../../lib/ssl/split-brain';
import { create, list } from '../../../lib/ssl/registry';
import { abBins, annealedMean, rebalanceWeights, smoothPrior } from '../../../lib/ssl/pretext/ab-bins';
import { interpolate } from '../../../lib/nn/functional/sampling';
import { labToRgb } from '../../../lib/data/transforms/lab';
import { Trainer } from '../../../lib/train/trainer';
import { synthetic } from '../../../lib/data/synthetic';
import { disposeDataset } from '../../../lib/data/dataset';
import { assertAllClose } from '../../data/transforms/reference';
import { pretextReference } from '../../helpers/pretext-ref';
import { loadEncoder } from '../../../lib/cli/load-encoder';
import { buildMethod } from '../../../lib/cli/train';
import { MAIN_JOB } from '../../../lib/cli/main-job';
import { LabEncoder } from '../../../lib/ssl/pretext/lab-encoder';
import { methodEncoder } from '../../../lib/ssl/method-encoder';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const WIDTH = 8;
const HIDDEN = 16;
const small = { encoder: 'small_cnn', encoderOptions: { width: WIDTH }, hiddenDim: HIDDEN };
const MEAN = [0.5, 0.45, 0.4];
const STD = [0.25, 0.2, 0.3];
const spec = { size: 32, channels: 3, mean: MEAN, std: STD, dataset: 'colour/train' };

function weights(method: Method): Record<string, Tensor> {
  return Object.fromEntries([...method.stateDict()].map(([k, v]) => [`w.${k}`, v]));
}

function jsStep(method: Method, run: () => Tensor): { loss: number; grads: Map<string, Tensor> } {
  method.train();
  method.zeroGrad();
  const loss = run();
  loss.backward();
  return { loss: loss.item() as number, grads: new Map([...method.namedParameters()].map(([k, p]) => [k, p.grad!.clone()])) };
}

function compare(method: Method, js: { loss: number; grads: Map<string, Tensor> }, ref: Record<string, Tensor>): void {
  assert.ok(Math.abs(js.loss - (ref.loss.item() as number)) < 1e-4 * Math.max(1, Math.abs(js.loss)),
    `loss ${js.loss} vs ${ref.loss.item()}`);
  for (const [k] of method.namedParameters()) {
    const e = ref[`grad.${k}`];
    assert.ok(e !== undefined, `reference gradient of ${k}`);
    const scale = Math.max(1e-3, e.abs().max().item() as number);
    assertAllClose(js.grads.get(k)!, e, 5e-4 * scale + 1e-6, `grad ${k}`);
  }
}

function lossDrop(method: Method, run: () => Tensor, steps = 20, lr = 0.05): [number, number] {
  method.train();
  const opt = new SGD(method.parameterGroups(0), { lr, momentum: 0.9 });
  let first = NaN;
  let last = NaN;
  for (let i = 0; i <= steps; i++) {
    torch.scope(() => {
      opt.zeroGrad();
      const loss = run();
      if (i === 0) first = loss.item() as number;
      last = loss.item() as number;
      if (i < steps) { loss.backward(); opt.step(); }
    });
  }
  return [first, last];
}

describe('ssl/pretext: Colorization and SplitBrain', function () {
  this.timeout(300000);
  // Smooth colour images, normalised with MEAN / STD as the augmentation would.
  const x = torch.scope(() => {
    const d = synthetic({ n: 4, channels: 3, size: 32, seed: 3 });
    const m = torch.tensor(MEAN).view([1, 3, 1, 1]);
    const s = torch.tensor(STD).view([1, 3, 1, 1]);
    const out = d.images.to('float32').div(255).sub(m).div(s);
    disposeDataset(d);
    return out;
  });
  const bins = abBins();

  it('are in the registry and rebuild from their config', () => {
    for (const name of ['colorization', 'split_brain'] as const) {
      assert.ok(list().includes(name));
      const m = create(name, { ...small, encoderOptions: { width: WIDTH, inChannels: 3 } } as never);
      const again = create(name, m.config() as never);
      assert.deepEqual([...again.stateDict().keys()], [...m.stateDict().keys()]);
      assert.equal(m.name, name);
    }
  });

  it('Colorization: loss, gradients and rebalancing weights equal PyTorch (lambda 0.25)', () => {
    torch.manualSeed(0);
    const m = new Colorization({ ...small, lambda: 0.25 });
    m.augmentation(spec);
    const [ref] = pretextReference([{ op: 'colorization_step', inputs: { x, bins, ...weights(m) },
      args: { width: WIDTH, hiddenDim: HIDDEN, lambda: 0.25 } }], 'colour_ref.py');
    compare(m, jsStep(m, () => m.taskLoss(x).loss), ref);
    // The step counted its 4 x 8 x 8 output pixels into the prior; the weights follow from them and lambda.
    assert.equal(m.abCounts.sum().item(), 4 * 8 * 8);
    assertAllClose(rebalanceWeights(smoothPrior(m.abCounts), { lambda: 0.25 }), ref.weights, 1e-4, 'weights');
  });

  it('SplitBrain: loss and gradients equal PyTorch (both halves, lightnessBins 20)', () => {
    torch.manualSeed(0);
    const m = new SplitBrain({ ...small, lightnessBins: 20 });
    m.augmentation(spec);
    const [ref] = pretextReference([{ op: 'split_brain_step', inputs: { x, bins, ...weights(m) },
      args: { width: WIDTH, hiddenDim: HIDDEN, lightnessBins: 20 } }], 'colour_ref.py');
    let parts: number[] = [];
    compare(m, jsStep(m, () => {
      const t = m.taskLoss(x);
      parts = [t.abLoss.item() as number, t.lLoss.item() as number];
      return t.loss;
    }), ref);
    assert.ok(Math.abs(parts[0] - (ref.abLoss.item() as number)) < 1e-4, 'ab -> L loss');
    assert.ok(Math.abs(parts[1] - (ref.lLoss.item() as number)) < 1e-4, 'L -> ab loss');
  });

  it('each training step lowers its loss on a fixed batch', () => {
    torch.manualSeed(0);
    const c = new Colorization(small);
    const s = new SplitBrain(small);
    c.augmentation(spec);
    s.augmentation(spec);
    // NOTE: a soft cross entropy cannot fall below the (weighted) entropy of its soft targets; the colorization
    // check is on the part above that floor.
    const floor = torch.noGrad(() => {
      const t = c.taskLoss(x);
      return t.target.mul(t.target.clampMin(1e-12).log()).sum([1]).neg().mul(t.pixelWeights).mean().item() as number;
    });
    const [c0, c1] = lossDrop(c, () => c.taskLoss(x).loss, 20, 0.5); // 313 classes from a uniform start: a larger step
    assert.ok(c1 - floor < 0.7 * (c0 - floor), `colorization: loss ${c0} -> ${c1} (floor ${floor})`);
    const [s0, s1] = lossDrop(s, () => s.taskLoss(x).loss, 20, 0.5);
    assert.ok(s1 < 0.7 * s0, `split_brain: loss ${s0} -> ${s1}`);
  });

  it('the evaluated encoder reads RGB normalised as the training data: augmentation sets it, forward gives the features', () => {
    const c = new Colorization(small);
    c.augmentation(spec);
    assertAllClose(c.encoder.rgbMean.flatten(), torch.tensor(MEAN), 1e-7, 'rgb_mean');
    assertAllClose(c.encoder.rgbStd.flatten(), torch.tensor(STD), 1e-7, 'rgb_std');
    assert.ok(c.stateDict().has('encoder.rgb_mean') && c.stateDict().has('encoder.net.conv1.weight'));
    assert.deepEqual(c.encoder.forward(x).shape, [4, 4 * WIDTH]);
    const s = new SplitBrain(small);
    assert.deepEqual(s.encoder.forward(x).shape, [4, 8 * WIDTH], 'split-brain features are both halves concatenated');
    assert.deepEqual(s.encoder.branches.map((b) => b.net.parameters()[0].shape[1]), [1, 2], 'L and ab inputs');
  });

  it('options reach where they act: hiddenDim, temperature (colorize decodes with it), lightnessBins', () => {
    torch.manualSeed(0);
    const m = new Colorization({ ...small, temperature: 0.9 });
    m.augmentation(spec);
    assert.equal(m.colorizationHead.parameters()[0].shape[0], HIDDEN);
    m.eval();
    const rgb = m.colorize(x);
    const expected = torch.noGrad(() => {
      const lab = m.encoder.lab(x);
      const logits = m.colorizationHead.forward(m.encoder.mapsFromLab(lab)[0]);
      const ab = interpolate(annealedMean(logits, { temperature: 0.9 }), { size: [32, 32], mode: 'bilinear', alignCorners: false });
      return labToRgb(torch.cat([lab.narrow(1, 0, 1), ab], 1));
    });
    assertAllClose(rgb, expected, 1e-5, 'colorize');
    const other = new Colorization(small);
    other.loadStateDict(m.stateDict());
    other.eval();
    assert.ok((other.colorize(x).sub(rgb).abs().max().item() as number) > 1e-3, 'temperature 0.38 decodes differently');
    assert.ok((rgb.min().item() as number) >= 0 && (rgb.max().item() as number) <= 1);
    const s = new SplitBrain({ ...small, lightnessBins: 7 });
    assert.equal(s.lHead.forward(torch.zeros([1, 4 * WIDTH, 2, 2])).shape[1], 7);
    assert.deepEqual([s.abHead, s.lHead].map((h) => h.parameters()[0].shape[0]), [HIDDEN, HIDDEN], 'hiddenDim');
  });

  it('examples give the task input and target for previews', () => {
    const c = new Colorization(small);
    c.augmentation(spec);
    const e = c.examples(x);
    assert.deepEqual(e.input.shape, [4, 1, 32, 32]);
    assert.deepEqual(e.target.shape, [4, 3, 32, 32]);
    const rgb = x.mul(torch.tensor(STD).view([1, 3, 1, 1])).add(torch.tensor(MEAN).view([1, 3, 1, 1]));
    assertAllClose(e.target, rgb, 1e-3, 'the target is the original image');
    const s = new SplitBrain(small);
    s.augmentation(spec);
    assert.deepEqual(s.examples(x).colourInput.shape, [4, 3, 32, 32]);
  });

  it('colourAtEvaluation: the task gives the backbone L only, the evaluated encoder (and methodEncoder\'s copy) the whole Lab image', () => {
    torch.manualSeed(1);
    const gray = (m: Colorization): Tensor => torch.scope(() => {
      const lab = m.encoder.lab(x);
      const rgb = labToRgb(torch.cat([lab.narrow(1, 0, 1), torch.zerosLike(lab.narrow(1, 1, 2))], 1));
      return rgb.sub(torch.tensor(MEAN).view([1, 3, 1, 1])).div(torch.tensor(STD).view([1, 3, 1, 1]));
    });
    for (const colour of [false, true]) {
      const m = new Colorization({ ...small, colourAtEvaluation: colour });
      m.augmentation(spec);
      m.eval();
      assert.equal(m.encoder.branches[0].net.parameters()[0].shape[1], colour ? 3 : 1, 'backbone input channels');
      const xg = gray(m);
      // The task (loss features, colours) is the same for the image and its gray version: L only.
      assertAllClose(m.taskLoss(x).features, m.taskLoss(xg).features, 1e-3, `task features (colour ${colour})`);
      assertAllClose(m.colorize(x), m.colorize(xg), 1e-3, `colorize (colour ${colour})`);
      // The evaluated features see the colour only with colourAtEvaluation.
      const diff = m.encoder.forward(x).sub(m.encoder.forward(xg)).abs().max().item() as number;
      assert.ok(colour ? diff > 1e-2 : diff < 1e-3, `forward differs by ${diff} (colour ${colour})`);
      // The run's own encoder architecture, built from its method options, takes these weights strictly.
      const copy = methodEncoder('colorization', 'small_cnn', { width: WIDTH, inChannels: 3 }, undefined,
        m.config() as Record<string, unknown>);
      const weights = new Map([...m.encoder.stateDict()]);
      copy.loadStateDict(weights, { strict: true });
      copy.eval();
      assertAllClose(copy.forward(x), m.encoder.forward(x), 1e-5, `methodEncoder copy (colour ${colour})`);
      m.train();
    }
  });

  it('heads read the feature map\'s channels, not the pooled featureDim (small_cnn pool 3: 9x the features), and SplitBrain colorizes', () => {
    const pooled = { ...small, encoderOptions: { width: 4, pool: 3 } };
    const c = new Colorization(pooled);
    const s = new SplitBrain(pooled);
    for (const m of [c, s]) {
      m.augmentation(spec);
      assert.deepEqual(m.encoder.mapChannels, m instanceof SplitBrain ? [16, 16] : [16]);
      assert.equal(m.encoder.featureDim, (m instanceof SplitBrain ? 2 : 1) * 16 * 9);
      // What the frozen-encoder report reads: every branch pooled to its backbone's 3x3 grid, featureDim wide.
      assert.deepEqual(m.encoder.eval().forward(x).shape, [4, (m instanceof SplitBrain ? 2 : 1) * 16 * 9]);
      m.train();
      assert.ok(Number.isFinite(m.trainingStep([x]).loss.item()));
      assert.deepEqual(m.eval().colorize(x).shape, [4, 3, 32, 32]);
      m.train();
    }
    // SplitBrain.colorize is its L -> ab half's annealed mean joined with the input's L.
    s.eval();
    const lab = s.encoder.lab(x);
    const ab = annealedMean(s.abHead.forward(s.encoder.mapsFromLab(lab)[0]).detach(), { bins: abBins() });
    assertAllClose(s.colorize(x), labToRgb(torch.cat([lab.narrow(1, 0, 1),
      interpolate(ab, { size: [32, 32], mode: 'bilinear', alignCorners: false })], 1)), 1e-4, 'SplitBrain.colorize');
  });

  it('refuse grey data, other views and encoders, naming what was wrong', () => {
    const grey = { size: 28, channels: 1, mean: [0.5], std: [0.5], dataset: 'fashion-mnist/train' };
    assert.throws(() => new Colorization(small).augmentation(grey),
      /Colorization needs colour \(3-channel RGB\) images .* but dataset 'fashion-mnist\/train' has 1-channel images of 28 x 28 px/);
    assert.throws(() => new SplitBrain(small).augmentation(grey), /SplitBrain needs colour/);
    assert.throws(() => new Colorization(small).trainingStep([x, x]), /Colorization expects one view/);
    assert.throws(() => new Colorization(small).taskLoss(x.narrow(1, 0, 1)), /Expected RGB images of shape \(B, 3, H, W\)/);
    assert.throws(() => new SplitBrain({ ...small, encoder: (() => null) as never }), /registry name for SplitBrain option encoder/);
    assert.throws(() => new Colorization({ ...small, lambda: 2 }), /Colorization option lambda/);
    assert.throws(() => new Colorization({ ...small, temprature: 1 } as never), /Unknown option\(s\) 'temprature'/);
    assert.throws(() => new Colorization(small).encoder.setNormalisation([0.5], [0.5]), /Expected 3 means and 3 stds/);
  });

  it('train with the Trainer on colour data (the augmentation sets the encoder input normalisation)', async () => {
    const data = synthetic({ n: 16, channels: 3, size: 16, seed: 1 });
    try {
      torch.manualSeed(0);
      const m = new SplitBrain(small);
      const result = await new Trainer(m, { data, steps: 2, batchSize: 8, progress: 'none' }).fit();
      assert.equal(result.steps, 2);
      assertAllClose(m.encoder.rgbMean.flatten().to('float64'), torch.tensor(data.mean as number[]).to('float64'), 1e-6, 'mean');
      const grey = synthetic({ n: 16, channels: 1, size: 16, seed: 0 });
      try {
        assert.throws(() => new Trainer(new Colorization(small), { data: grey, steps: 1, batchSize: 8 }),
          new RegExp(`but dataset '${grey.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' has 1-channel images`));
      } finally {
        disposeDataset(grey);
      }
    } finally {
      disposeDataset(data);
    }
  });

  it('a run folder\'s encoder loads into the encoder its method trains (selfsup eval/embed); the floor is a random copy of it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'colour-run-'));
    try {
      for (const method of ['colorization', 'split_brain'] as const) {
        const config = { ...MAIN_JOB, method, data: 'photos', imageSize: 32, encoder: 'small_cnn', encoderOptions: { width: WIDTH },
          methodOptions: { hiddenDim: HIDDEN }, out: dir };
        const { method: m, encoder: floor } = buildMethod(config, [8, 3, 32, 32]);
        m.augmentation(spec);
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ config }));
        torch.saveSafetensors(path.join(dir, 'encoder.safetensors'), m.encoder.stateDict());
        const { encoder } = loadEncoder(dir, [1, 3, 32, 32]);
        m.encoder.eval();
        assertAllClose(encoder.forward(x), m.encoder.forward(x), 1e-5, `${method} features`);
        const random = floor();
        assert.ok(random instanceof LabEncoder && random.featureDim === m.encoder.featureDim, `${method} floor architecture`);
        assertAllClose(random.rgbMean.flatten(), torch.tensor(MEAN), 1e-7, `${method} floor normalisation`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
