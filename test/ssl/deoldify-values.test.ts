// DeOldify by value (no training, no Python): the NoGAN phases by step for
// its fractions, the grayscale input from the luma weights, each phase's loss
// rebuilt from the method's own generator, critic and frozen feature network
// (feature weights 20, 70, 10; the GAN generator's 1 and 1.5), the critic's
// gradients dropped only in a GAN generator step, colorize, examples, the
// pretrained weights and the refusals.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { binaryCrossEntropyWithLogits, l1Loss } from '../../lib/nn/functional/loss';
import { adaptiveAvgPool2d } from '../../lib/nn/functional/pooling';
import { saveSafetensors } from '../../lib/torch/safetensors';
import { create as createModel } from '../../lib/models/registry';
import { DeOldify, NoGanPhase } from '../../lib/ssl/deoldify';
import { encoderStages } from '../../lib/ssl/pretext/unet-generator';
import { TrainProgress } from '../../lib/ssl/method';
import { refuses } from '../helpers/refuses';
import { near, nearAll } from '../helpers/assert-close';

const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
const num = (t: Tensor): number => Number(t.item());
const at = (step: number, totalSteps: number): TrainProgress => ({ step, totalSteps, epoch: 0, stepsPerEpoch: totalSteps });
const spec = { size: 8, channels: 3, mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3] };


function batch(seed: number): Tensor {
  const x = torch.rand([2, 3, 8, 8], { generator: new torch.Generator().manualSeed(seed) });
  return x.sub(torch.tensor(spec.mean).view([1, 3, 1, 1])).div(torch.tensor(spec.std).view([1, 3, 1, 1]));
}

function make(options: Record<string, unknown> = {}): DeOldify {
  torch.manualSeed(1);
  const m = new DeOldify({ encoder: 'small_cnn', encoderOptions: { width: 2 }, criticWidth: 4, ...options });
  m.augmentation(spec);
  return m;
}

describe('ssl DeOldify by value (phases, gray input, losses, critic, colorize)', function () {
  this.timeout(60000);

  it('phaseAt: generator, then critic (criticFraction), then GAN critic and generator alternating (ganFraction)', () => {
    const m = make({ criticFraction: 0.2, ganFraction: 0.3 });
    const phases = Array.from({ length: 10 }, (_, s) => m.phaseAt(at(s, 10)));
    assert.deepEqual(phases, ['generator', 'generator', 'generator', 'generator', 'generator', 'critic', 'critic',
      'gan-critic', 'gan-generator', 'gan-critic']);
    assert.equal(m.phaseAt(undefined), 'generator');
    const d = make();
    assert.deepEqual([d.criticFraction, d.ganFraction, d.criticWidth, d.pretrained], [0.1, 0.03, 4, undefined]);
    // 100 steps: generator to 86, critic 87..96, GAN from 97.
    assert.deepEqual([86, 87, 96, 97, 98, 99].map((s) => d.phaseAt(at(s, 100))), ['generator', 'critic', 'critic', 'gan-critic',
      'gan-generator', 'gan-critic']);
    assert.equal(new DeOldify({ encoder: 'small_cnn', encoderOptions: { width: 2 } }).criticWidth, 64);
    refuses(() => make({ criticFraction: 0.6, ganFraction: 0.5 }), 'Expected criticFraction + ganFraction <= 1 for DeOldify but received 0.6 + 0.5');
    make({ criticFraction: 0.5, ganFraction: 0.5 });
  });

  it('grayInput: the luma 0.299 R + 0.587 G + 0.114 B of the unnormalised pixels, in every channel, normalised again', () => {
    const m = make();
    const x = batch(2);
    const rgb = values(x.mul(torch.tensor(spec.std).view([1, 3, 1, 1])).add(torch.tensor(spec.mean).view([1, 3, 1, 1])));
    const expected: number[] = [];
    for (let b = 0; b < 2; b++) {
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < 64; p++) {
          const y = 0.299 * rgb[b * 192 + p] + 0.587 * rgb[b * 192 + 64 + p] + 0.114 * rgb[b * 192 + 128 + p];
          expected.push((y - spec.mean[c]) / spec.std[c]);
        }
      }
    }
    nearAll(values(m.grayInput(x)), expected, 'gray');
    assert.deepEqual(values(m.imageMean), spec.mean.map(Math.fround));
    assert.deepEqual(values(m.imageStd), spec.std.map(Math.fround));
    refuses(() => m.grayInput(torch.zeros([2, 1, 8, 8])), 'Expected RGB images of shape (B, 3, H, W) for DeOldify but received shape [2, 1, 8, 8]');
    refuses(() => m.grayInput(torch.zeros([3, 8, 8])), 'Expected RGB images of shape (B, 3, H, W) for DeOldify but received shape [3, 8, 8]');
    refuses(() => m.grayInput(7 as unknown as Tensor), 'Expected RGB images of shape (B, 3, H, W) for DeOldify but received 7');
    refuses(() => m.augmentation({ ...spec, channels: 1, mean: [0.5], std: [0.5] }),
      'DeOldify needs colour (3-channel RGB) images (it learns to restore the colours of their grayscale versions) but the data has ' +
      '1-channel images of 8 x 8 px; use --data photos, cifar10:<dir>, stl10:<dir> or a folder of colour images');
  });

  it('each phase\'s loss: feature loss (L1 + 20, 70, 10 x the last three stages\' L1), critic BCE, GAN generator 1 x adv + 1.5 x feature', () => {
    const m = make();
    m.train();
    const x = batch(3);
    const ref = torch.noGrad(() => {
      const gray = m.grayInput(x);
      const stages = encoderStages(m.encoder, gray);
      const pred = m.decoder.forward(stages, gray);
      const fp = encoderStages(m.featureNet, pred).slice(-3);
      const ft = encoderStages(m.featureNet, x).slice(-3);
      let feature = num(l1Loss(pred, x));
      [20, 70, 10].forEach((w, i) => { feature += w * num(l1Loss(fp[i], ft[i])); });
      const r = m.critic.forward(x);
      const f = m.critic.forward(pred);
      const critic = (num(binaryCrossEntropyWithLogits(r, torch.onesLike(r))) + num(binaryCrossEntropyWithLogits(f, torch.zerosLike(f)))) / 2;
      const adversarial = num(binaryCrossEntropyWithLogits(f, torch.onesLike(f)));
      return { feature, critic, gan: adversarial + 1.5 * feature, embedding: values(adaptiveAvgPool2d(stages[stages.length - 1], 1).flatten(1)),
        pred: values(pred) };
    });
    near(num(m.featureLoss(m.generate(m.grayInput(x)).pred, x)), ref.feature, 'featureLoss');
    const expected: Record<NoGanPhase, number> = { generator: ref.feature, critic: ref.critic, 'gan-critic': ref.critic, 'gan-generator': ref.gan };
    for (const phase of ['generator', 'critic', 'gan-critic', 'gan-generator'] as const) {
      const out = m.phaseLoss(x, phase);
      near(num(out.loss), expected[phase], phase);
      nearAll(values(out.pred), ref.pred, `${phase} pred`);
      assert.equal(out.pred.requiresGrad, phase === 'generator' || phase === 'gan-generator', `${phase}: generator gradients`);
    }
    const o = make({ criticFraction: 0.2, ganFraction: 0.2 });
    o.train();
    const outs = [[0, 10], [6, 10], [8, 10], [9, 10]].map(([s, T]) => o.trainingStep([x], at(s, T)));
    assert.deepEqual(outs.map((r) => r.logs!.phase), [0, 1, 2, 3]);
    nearAll(values(outs[0].embedding!), ref.embedding, 'embedding: the last stage pooled');
    assert.equal(outs[0].embedding!.requiresGrad, false);
    near(num(o.trainingStep([x]).loss), ref.feature, 'no progress: the generator phase');
    refuses(() => o.trainingStep([x, x], at(0, 1)),
      'DeOldify expects one view [x] of shape (B, C, H, W) (as its augmentation() gives) but received 2 item(s)');
  });

  it('beforeOptimizerStep zeroes the critic\'s gradients only after a GAN generator step; the feature net stays frozen and in eval', () => {
    const m = make({ criticFraction: 0.2, ganFraction: 0.2 });
    m.train();
    assert.equal(m.featureNet.training, false);
    assert.ok(m.featureNet.parameters().every((p) => !p.requiresGrad));
    assert.deepEqual(values(m.featureNet.parameters()[0]), values(m.encoder.parameters()[0]), 'a copy of the encoder');
    const x = batch(4);
    const criticGrad = (step: number): number => {
      m.zeroGrad();
      const p = at(step, 10);
      m.trainingStep([x], p).loss.backward();
      m.beforeOptimizerStep(p);
      const g = m.critic.parameters()[0].grad;
      return g === undefined || g === null ? 0 : values(g).reduce((a, v) => a + Math.abs(v), 0);
    };
    assert.ok(criticGrad(8) > 0, 'GAN critic step: the critic learns');
    assert.equal(criticGrad(9), 0, 'GAN generator step: the critic\'s gradients are dropped');
    assert.ok(criticGrad(6) > 0, 'critic step');
    const groups = m.parameterGroups(0.01);
    const inGroups = groups.flatMap((g) => g.params);
    assert.ok(m.featureNet.parameters().every((p) => !inGroups.includes(p)));
    assert.equal(inGroups.length, m.parameters().filter((p) => p.requiresGrad).length);
    assert.deepEqual(groups.map((g) => g.weightDecay), [0.01, 0]);
  });

  it('colorize and examples: back to [0, 1] pixels; pretrained weights loaded into the encoder, a mismatch named', () => {
    const m = make();
    m.eval();
    const x = batch(5);
    const mean = torch.tensor(spec.mean).view([1, 3, 1, 1]);
    const std = torch.tensor(spec.std).view([1, 3, 1, 1]);
    const pred = torch.noGrad(() => m.generate(m.grayInput(x)).pred);
    nearAll(values(m.colorize(x)), values(pred.mul(std).add(mean).clamp(0, 1)), 'colorize');
    const ex = m.examples(x);
    nearAll(values(ex.input), values(m.grayInput(x).mul(std).add(mean).narrow(1, 0, 1).clamp(0, 1)), 'input');
    nearAll(values(ex.target), values(x.mul(std).add(mean).clamp(0, 1)), 'target');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deoldify-'));
    try {
      torch.manualSeed(9);
      const donor = createModel('small_cnn', { width: 2, inChannels: 3, numClasses: 0 });
      const file = path.join(dir, 'enc.safetensors');
      saveSafetensors(file, donor.stateDict());
      const loaded = make({ pretrained: file });
      assert.equal(loaded.pretrained, file);
      for (const [k, t] of donor.stateDict()) assert.deepEqual(values(loaded.encoder.stateDict().get(k)!), values(t), k);
      for (const [k, t] of donor.stateDict()) assert.deepEqual(values(loaded.featureNet.stateDict().get(k)!), values(t), `feature net ${k}`);
      const other = path.join(dir, 'other.safetensors');
      saveSafetensors(other, createModel('small_cnn', { width: 4, inChannels: 3, numClasses: 0 }).stateDict());
      assert.throws(() => make({ pretrained: other }), (err: Error) => err.message.startsWith(`DeOldify option pretrained: the weights in '${other}' ` +
        'do not fit the encoder: '));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    refuses(() => make({ pretrained: '' }), "Expected a safetensors file path for DeOldify option pretrained but received ''");
    refuses(() => make({ pretrained: 3 }), 'Expected a safetensors file path for DeOldify option pretrained but received 3');
  });
  it('the encoder: RGB whatever encoderOptions say, a factory, an instance refused; train() sets training; names in refusals', () => {
    const m = make({ encoderOptions: { width: 2, inChannels: 1 } });
    assert.equal(m.encoder.stateDict().get('conv1.weight')!.shape[1], 3, 'inChannels 3 for a registry name');
    m.train();
    assert.deepEqual([m.training, m.decoder.training, m.featureNet.training], [true, true, false]);
    m.train(false);
    assert.equal(m.training, false);
    const f = new DeOldify({ encoder: () => createModel('small_cnn', { width: 2, inChannels: 3, numClasses: 0 }) as never, criticWidth: 4 });
    assert.equal(f.encoder.stateDict().get('conv1.weight')!.shape[1], 3);
    assert.notEqual(f.encoder, f.featureNet);
    const inst = createModel('small_cnn', { width: 2, inChannels: 3, numClasses: 0 });
    refuses(() => new DeOldify({ encoder: inst as never }), 'DeOldify needs two copies of the encoder (online and target/teacher) but received ' +
      "an Encoder instance (SmallCnn); pass a registry name such as encoder: 'resnet18' (with encoderOptions) or a factory such as encoder: " +
      "() => models.create('resnet18', { numClasses: 0 })");
    refuses(() => new DeOldify({ encoder: 'small_cnn', recipe: { lrr: 1 } as never }), "Unknown option(s) 'lrr' for DeOldify option recipe; " +
      'expected some of optimizer, lr, lrScaling, finalLrRatio, weightDecay, weightDecayEnd, momentum, betas, warmupEpochs, clipGrad');
    refuses(() => m.grayInput(torch.zeros([2, 3, 8])), 'Expected RGB images of shape (B, 3, H, W) for DeOldify but received shape [2, 3, 8]');
    // Loading pretrained weights leaves no tensor behind but the method's own.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deoldify-'));
    try {
      const file = path.join(dir, 'enc.safetensors');
      saveSafetensors(file, createModel('small_cnn', { width: 2, inChannels: 3, numClasses: 0 }).stateDict());
      const before = torch.memory().tensors;
      const loaded = make({ pretrained: file });
      assert.equal(torch.memory().tensors - before, loaded.stateDict().size, 'the loaded tensors are freed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
