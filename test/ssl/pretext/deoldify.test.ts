// DeOldify: each NoGAN phase's loss and every gradient against a PyTorch
// re-implementation (test/helpers/colour_ref.py: the U-Net on small_cnn's
// stages, DeOldify's FeatureLoss, the patch critic, fastai's GAN losses), the
// phase schedule, the critic's gradients dropped on generator steps, the
// pretrained weights, the loss falling, a short Trainer run through every
// phase, and errors.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { AdamW } from '../../../lib/optim/adamw';
import { DeOldify, NoGanPhase } from '../../../lib/ssl/deoldify';
import { create, list } from '../../../lib/ssl/registry';
import { create as createModel } from '../../../lib/models/registry';
import { Trainer } from '../../../lib/train/trainer';
import { synthetic } from '../../../lib/data/synthetic';
import { disposeDataset } from '../../../lib/data/dataset';
import { assertAllClose } from '../../data/transforms/reference';
import { pretextReference } from '../../helpers/pretext-ref';

const WIDTH = 8;
const small = { encoder: 'small_cnn', encoderOptions: { width: WIDTH }, criticWidth: 8 };
const MEAN = [0.5, 0.45, 0.4];
const STD = [0.25, 0.2, 0.3];
const spec = { size: 16, channels: 3, mean: MEAN, std: STD, dataset: 'colour/train' };
const progress = (step: number, totalSteps: number) => ({ step, totalSteps, epoch: 0, stepsPerEpoch: totalSteps });

describe('ssl/pretext: DeOldify (NoGAN colorizer)', function () {
  this.timeout(300000);
  const x = torch.scope(() => {
    const d = synthetic({ n: 4, channels: 3, size: 16, seed: 5 });
    const out = d.images.to('float32').div(255).sub(torch.tensor(MEAN).view([1, 3, 1, 1])).div(torch.tensor(STD).view([1, 3, 1, 1]));
    disposeDataset(d);
    return out;
  });

  it('is in the registry and rebuilds from its config', () => {
    assert.ok(list().includes('deoldify'));
    const m = create('deoldify', small as never);
    assert.deepEqual([...create('deoldify', m.config() as never).stateDict().keys()], [...m.stateDict().keys()]);
  });

  for (const phase of ['generator', 'critic', 'gan-generator'] as NoGanPhase[]) {
    it(`${phase} phase: loss and gradients equal PyTorch`, () => {
      torch.manualSeed(0);
      const m = new DeOldify(small);
      m.augmentation(spec);
      const inputs: Record<string, Tensor> = { x };
      for (const [k, v] of m.stateDict()) inputs[`w.${k}`] = v;
      const [ref] = pretextReference([{ op: 'deoldify_step', inputs,
        args: { width: WIDTH, criticWidth: 8, phase } }], 'colour_ref.py');
      m.train();
      m.zeroGrad();
      const loss = m.phaseLoss(x, phase).loss;
      loss.backward();
      assert.ok(Math.abs((loss.item() as number) - (ref.loss.item() as number)) < 1e-4 * Math.max(1, loss.item() as number),
        `loss ${loss.item()} vs ${ref.loss.item()}`);
      const withGrad = [...m.namedParameters()].filter(([, p]) => p.grad !== undefined);
      assert.deepEqual(withGrad.map(([k]) => k).sort(),
        Object.keys(ref).filter((k) => k.startsWith('grad.')).map((k) => k.slice(5)).sort(), 'the same parameters get gradients');
      for (const [k, p] of withGrad) {
        const e = ref[`grad.${k}`];
        assertAllClose(p.grad!, e, 5e-4 * Math.max(1e-3, e.abs().max().item() as number) + 1e-6, `grad ${k}`);
      }
    });
  }

  it('schedules the phases from criticFraction and ganFraction, and drops the critic grads on GAN generator steps', () => {
    const m = new DeOldify({ ...small, criticFraction: 0.2, ganFraction: 0.1 });
    const at = (s: number) => m.phaseAt(progress(s, 100));
    assert.deepEqual([at(0), at(69), at(70), at(89), at(90), at(91), at(98), at(99)],
      ['generator', 'generator', 'critic', 'critic', 'gan-critic', 'gan-generator', 'gan-critic', 'gan-generator']);
    m.augmentation(spec);
    m.train();
    for (const [s, criticKeeps] of [[90, true], [91, false]] as [number, boolean][]) {
      m.zeroGrad();
      m.trainingStep([x], progress(s, 100)).loss.backward();
      m.beforeOptimizerStep(progress(s, 100));
      assert.equal(m.critic.conv1.weight.grad !== undefined, criticKeeps, `step ${s}`);
    }
    assert.equal(new DeOldify({ ...small, criticWidth: 5 }).critic.conv1.outChannels, 5);
  });

  it('starts from the pretrained encoder weights; the feature network is a frozen copy that stays in eval mode', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deoldify-'));
    try {
      torch.manualSeed(7);
      const source = createModel('small_cnn', { width: WIDTH, numClasses: 0 });
      const file = path.join(dir, 'encoder.safetensors');
      torch.saveSafetensors(file, source.stateDict());
      torch.manualSeed(8);
      const m = new DeOldify({ ...small, pretrained: file });
      for (const [k, v] of source.stateDict()) {
        assertAllClose(m.encoder.stateDict().get(k)!, v, 0, `encoder ${k}`);
        assertAllClose(m.featureNet.stateDict().get(k)!, v, 0, `feature_net ${k}`);
      }
      m.train();
      assert.equal(m.featureNet.training, false);
      assert.ok(m.featureNet.parameters().every((p) => !p.requiresGrad));
      assert.ok(m.parameterGroups(0).every((g) => g.params.every((p) => p.requiresGrad)));
      assert.throws(() => new DeOldify({ ...small, pretrained: path.join(dir, 'missing.safetensors') }), /missing\.safetensors/);
      const resnet = createModel('resnet18', { numClasses: 0, smallImages: true });
      torch.saveSafetensors(path.join(dir, 'resnet.safetensors'), resnet.stateDict());
      assert.throws(() => new DeOldify({ ...small, pretrained: path.join(dir, 'resnet.safetensors') }),
        /DeOldify option pretrained: the weights in '.*resnet\.safetensors' do not fit the encoder/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the generator phase lowers its loss on a fixed batch; colorize and examples give images in [0, 1]', () => {
    torch.manualSeed(0);
    const m = new DeOldify(small);
    m.augmentation(spec);
    m.train();
    const opt = new AdamW(m.parameterGroups(0), { lr: 1e-3, weightDecay: 0 }); // the recipe's optimizer and rate
    const losses: number[] = [];
    for (let i = 0; i <= 20; i++) {
      torch.scope(() => {
        opt.zeroGrad();
        const loss = m.phaseLoss(x, 'generator').loss;
        losses.push(loss.item() as number);
        if (i < 20) { loss.backward(); opt.step(); }
      });
    }
    assert.ok(losses[20] < 0.7 * losses[0], `loss ${losses[0]} -> ${losses[20]}`);
    m.eval();
    const rgb = m.colorize(x);
    assert.deepEqual(rgb.shape, [4, 3, 16, 16]);
    assert.ok((rgb.min().item() as number) >= 0 && (rgb.max().item() as number) <= 1);
    const e = m.examples(x);
    assert.deepEqual(e.input.shape, [4, 1, 16, 16]);
    const rgb01 = x.mul(torch.tensor(STD).view([1, 3, 1, 1])).add(torch.tensor(MEAN).view([1, 3, 1, 1]));
    const luma = rgb01.mul(torch.tensor([0.299, 0.587, 0.114]).view([1, 3, 1, 1])).sum([1], true);
    assertAllClose(e.input, luma.clamp(0, 1), 1e-5, 'gray input is the luma');
  });

  it('refuses grey data, bad fractions and encoders without stages, naming what was wrong', () => {
    const grey = { size: 28, channels: 1, mean: [0.5], std: [0.5], dataset: 'fashion-mnist/train' };
    assert.throws(() => new DeOldify(small).augmentation(grey),
      /DeOldify needs colour \(3-channel RGB\) images .* but dataset 'fashion-mnist\/train' has 1-channel images/);
    assert.throws(() => new DeOldify({ ...small, criticFraction: 0.7, ganFraction: 0.5 }), /criticFraction \+ ganFraction <= 1/);
    assert.throws(() => new DeOldify({ ...small, encoder: 'vit_tiny_patch4_224', encoderOptions: { imgSize: 16 } }),
      /small_cnn or ResNet encoder for the U-Net generator/);
    assert.throws(() => new DeOldify({ ...small, pretrained: 3 as never }), /safetensors file path for DeOldify option pretrained/);
    assert.throws(() => new DeOldify(small).grayInput(x.narrow(1, 0, 1)), /Expected RGB images of shape \(B, 3, H, W\) for DeOldify/);
  });

  it('trains with the Trainer through all three phases', async () => {
    const data = synthetic({ n: 8, channels: 3, size: 16, seed: 2 });
    try {
      torch.manualSeed(0);
      const m = new DeOldify({ ...small, criticFraction: 0.3, ganFraction: 0.4 });
      const critic0 = m.critic.conv1.weight.clone();
      const frozen0 = m.featureNet.stateDict().get('conv1.weight')!.clone();
      const seen: NoGanPhase[] = [];
      const original = m.phaseAt.bind(m);
      m.phaseAt = (p) => { const ph = original(p); seen.push(ph); return ph; };
      const result = await new Trainer(m, { data, steps: 10, batchSize: 4, progress: 'none' }).fit();
      assert.equal(result.steps, 10);
      assert.deepEqual([...new Set(seen)], ['generator', 'critic', 'gan-critic', 'gan-generator']);
      assert.ok((m.critic.conv1.weight.sub(critic0).abs().max().item() as number) > 0, 'the critic trained');
      assertAllClose(m.featureNet.stateDict().get('conv1.weight')!, frozen0, 0, 'the feature network stayed frozen');
    } finally {
      disposeDataset(data);
    }
  });
});
