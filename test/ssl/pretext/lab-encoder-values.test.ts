// The colour methods' encoder by value: the network inputs of each Lab
// channel choice ((L - 50) / 50, ab / 110), the input normalisation it undoes
// before the Lab conversion (and the clamp to [0, 1]), what each branch is
// given and how the features are joined, the probe of each branch's map
// channels (in eval mode, restoring the mode), and the exact refusals.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { Module } from '../../../lib/nn/module';
import { create } from '../../../lib/models/registry';
import { Encoder } from '../../../lib/models/encoder';
import { SmallCnn } from '../../../lib/models/small-cnn';
import { rgbToLab } from '../../../lib/data/transforms/lab';
import { LabEncoder, labChannelCount, labInput } from '../../../lib/ssl/pretext/lab-encoder';
import { assertAllClose } from '../../data/transforms/reference';

const values = (t: Tensor): number[] => Array.from(t.flatten().to('float64').toTypedArray() as Float64Array);
const gen = (seed: number): torch.Generator => new torch.Generator().manualSeed(seed);

/** A map encoder whose map is its input's channel means broadcast to `D` channels (or, `flat`, a (B, D) matrix). */
class MeanNet extends Module {
  readonly numClasses = 0;
  constructor(readonly featureDim: number, readonly prefersChannelsLast?: boolean, private readonly flat = false) {
    super();
  }
  forwardFeatures(x: Tensor): Tensor {
    const m = x.mean([1], true); // (B, 1, H, W)
    const map = m.expand([x.shape[0], this.featureDim, x.shape[2], x.shape[3]]);
    return this.flat ? map.mean([2, 3]) : map;
  }
  forward(x: Tensor): Tensor {
    return this.forwardFeatures(x).mean([2, 3]).add(x.shape[1] * 100); // the channel count shows in the features
  }
}

/** An encoder without forwardFeatures. */
class NoMapNet extends Module {
  readonly featureDim = 2;
  readonly numClasses = 0;
  forward(x: Tensor): Tensor {
    return x.flatten(1);
  }
}

describe('ssl/pretext: LabEncoder by value', () => {
  it('labInput: L as (L - 50) / 50, ab as ab / 110, both for Lab; channel counts 1, 2, 3', () => {
    const lab = torch.tensor(Float32Array.from([100, 0, 75, 55, -110, 22, -55, 0, 11]), { shape: [1, 3, 1, 3] });
    assert.deepEqual(values(labInput(lab, 'L')), [1, -1, 0.5]);
    assertAllClose(labInput(lab, 'ab'), torch.tensor(Float32Array.from([0.5, -1, 0.2, -0.5, 0, 0.1]), { shape: [1, 2, 1, 3] }), 1e-6);
    assertAllClose(labInput(lab, 'Lab'), torch.tensor(Float32Array.from([1, -1, 0.5, 0.5, -1, 0.2, -0.5, 0, 0.1]),
      { shape: [1, 3, 1, 3] }), 1e-6);
    assert.deepEqual((['L', 'ab', 'Lab'] as const).map(labChannelCount), [1, 2, 3]);
  });

  it('feature size, map channels, keys and repr from its branches; channels-last only if every branch prefers it', () => {
    torch.manualSeed(0);
    const l = create('small_cnn', { inChannels: 1, width: 4 });
    const ab = create('small_cnn', { inChannels: 2, width: 2, pool: 2 });
    const enc = new LabEncoder([{ name: 'l', channels: 'L', net: l }, { name: 'ab', channels: 'ab', net: ab }], 'SplitBrain');
    assert.equal(enc.featureDim, 16 + 32);
    assert.deepEqual(enc.mapChannels, [16, 8]);
    assert.equal(enc.numClasses, 0);
    assert.equal(enc.prefersChannelsLast, true);
    assert.equal(enc.extraRepr(), 'branches=[l: L, ab: ab], featureDim=48');
    const keys = [...enc.stateDict().keys()];
    assert.ok(keys.includes('l.conv1.weight') && keys.includes('ab.conv1.weight'), keys.join(' '));
    assert.deepEqual(keys.filter((k) => k.startsWith('rgb')), ['rgb_mean', 'rgb_std']);
    assert.deepEqual(values(enc.rgbMean), [0, 0, 0]);
    assert.deepEqual(values(enc.rgbStd), [1, 1, 1]);
    assert.deepEqual(enc.branches.map((b) => [b.name, b.channels, b.net]), [['l', 'L', l], ['ab', 'ab', ab]]);
    const mixed = new LabEncoder([{ name: 'a', channels: 'L', net: new MeanNet(3) as unknown as Encoder },
      { name: 'b', channels: 'ab', net: new MeanNet(5, false) as unknown as Encoder }], 'SplitBrain');
    assert.equal(mixed.prefersChannelsLast, false);
    assert.deepEqual(mixed.mapChannels, [3, 5]);
    assert.equal(new LabEncoder([{ name: 'a', channels: 'L', net: new MeanNet(3, true) as unknown as Encoder }], 'X')
      .prefersChannelsLast, true);
  });

  it('probes each map in eval mode: no batch-norm statistics move, the branch keeps its mode', () => {
    torch.manualSeed(0);
    for (const training of [true, false]) {
      const net = create('small_cnn', { inChannels: 3, width: 2 }) as SmallCnn;
      net.train(training);
      const before = values(net.norms[0].runningVar!);
      const enc = new LabEncoder([{ name: 'net', channels: 'Lab', net }], 'Colorization');
      assert.deepEqual(enc.mapChannels, [8]);
      assert.equal(net.training, training, `mode ${training} kept`);
      assert.deepEqual(values(net.norms[0].runningVar!), before, 'running variance unchanged');
      assert.equal(Number(net.norms[0].numBatchesTracked!.item()), 0);
    }
  });

  it('lab(x): the normalisation undone, clamped to [0, 1], then rgbToLab; setNormalisation sets it', () => {
    const enc = new LabEncoder([{ name: 'net', channels: 'L', net: new MeanNet(2) as unknown as Encoder }], 'Colorization');
    const x01 = torch.rand([2, 3, 4, 5], { generator: gen(1) });
    assertAllClose(enc.lab(x01), rgbToLab(x01), 1e-5, 'until set: [0, 1] RGB');
    const mean = [0.2, 0.5, 0.7];
    const std = [0.5, 0.25, 0.1];
    enc.setNormalisation(mean, std);
    assert.deepEqual(values(enc.rgbMean).map((v) => Math.round(v * 1e6) / 1e6), mean);
    assert.deepEqual(values(enc.rgbStd).map((v) => Math.round(v * 1e6) / 1e6), std);
    const m = torch.tensor(Float32Array.from(mean), { shape: [1, 3, 1, 1] });
    const s = torch.tensor(Float32Array.from(std), { shape: [1, 3, 1, 1] });
    const xn = x01.sub(m).div(s);
    assertAllClose(enc.lab(xn), rgbToLab(x01), 1e-4, 'normalised input');
    // Out of range after undoing the normalisation: clamped to [0, 1] first.
    const wide = torch.rand([1, 3, 4, 5], { generator: gen(2) }).mul(3).sub(1); // [-1, 2]
    assertAllClose(enc.lab(wide.sub(m).div(s)), rgbToLab(wide.clamp(0, 1)), 1e-4, 'clamped');
    assert.equal(enc.lab(xn.requiresGrad_()).requiresGrad, false, 'no gradient');
  });

  it('each branch sees its channels: maps and features in branch order, one branch without a concatenation', () => {
    const enc = new LabEncoder([{ name: 'a', channels: 'L', net: new MeanNet(2) as unknown as Encoder },
      { name: 'b', channels: 'ab', net: new MeanNet(3) as unknown as Encoder }], 'SplitBrain');
    assert.equal(enc.featureDim, 5);
    const x = torch.rand([2, 3, 4, 4], { generator: gen(3) });
    const lab = enc.lab(x);
    const [ma, mb] = enc.mapsFromLab(lab);
    assertAllClose(ma, labInput(lab, 'L').expand([2, 2, 4, 4]), 1e-6, 'L branch map');
    assertAllClose(mb, labInput(lab, 'ab').mean([1], true).expand([2, 3, 4, 4]), 1e-6, 'ab branch map');
    const f = enc.forward(x);
    assert.deepEqual(f.shape, [2, 5]);
    assertAllClose(f, torch.cat([labInput(lab, 'L').mean([2, 3]).expand([2, 2]).add(100),
      labInput(lab, 'ab').mean([1, 2, 3]).view([2, 1]).expand([2, 3]).add(200)], 1), 1e-5, 'features');
    const one = new LabEncoder([{ name: 'a', channels: 'Lab', net: new MeanNet(2) as unknown as Encoder }], 'Colorization');
    assertAllClose(one.forward(x), labInput(lab, 'Lab').mean([1, 2, 3]).view([2, 1]).expand([2, 2]).add(300), 1e-5, 'one branch');
  });

  it('refuses encoders without a map, maps that are not 4-d, images that are not RGB and bad statistics, by message', () => {
    assert.throws(() => new LabEncoder([{ name: 'net', channels: 'L', net: new NoMapNet() as unknown as Encoder }], 'SplitBrain'), {
      name: 'TypeError',
      message: 'SplitBrain needs a convolutional encoder whose forwardFeatures gives a (B, D, h, w) map (small_cnn or a ResNet) ' +
        'but received NoMapNet, which has no forwardFeatures',
    });
    // A ViT has forwardFeatures, but of tokens: refused when built, not by a shape error in the first step.
    const vit = create('vit_tiny_patch4_224', { imgSize: 32, inChannels: 1, numClasses: 0 });
    assert.throws(() => new LabEncoder([{ name: 'net', channels: 'L', net: vit }], 'Colorization'), {
      name: 'TypeError',
      message: 'Colorization needs a convolutional encoder whose forwardFeatures gives a (B, D, h, w) map (small_cnn or a ResNet) ' +
        `but received ${vit.typeName}, whose forwardFeatures gives (B, 1 + N, D) tokens`,
    });
    const flat = new LabEncoder([{ name: 'flat', channels: 'L', net: new MeanNet(2, undefined, true) as unknown as Encoder }], 'X');
    assert.throws(() => flat.mapsFromLab(torch.zeros([1, 3, 4, 4])),
      { message: "Expected the flat backbone's forwardFeatures to give a (B, D, h, w) map but it gave shape [1, 2]" });
    const enc = new LabEncoder([{ name: 'net', channels: 'L', net: new MeanNet(2) as unknown as Encoder }], 'Colorization');
    assert.throws(() => enc.lab(torch.zeros([1, 1, 4, 4])),
      { message: 'Expected RGB images of shape (B, 3, H, W) for the colour encoder but received shape [1, 1, 4, 4]' });
    assert.throws(() => enc.lab(torch.zeros([3, 4, 4])),
      { message: 'Expected RGB images of shape (B, 3, H, W) for the colour encoder but received shape [3, 4, 4]' });
    assert.throws(() => enc.lab(torch.zeros([2, 3, 4])), // 3 channels in dim 1, but 3-d
      { message: 'Expected RGB images of shape (B, 3, H, W) for the colour encoder but received shape [2, 3, 4]' });
    assert.throws(() => enc.lab('x' as unknown as Tensor),
      { message: 'Expected RGB images of shape (B, 3, H, W) for the colour encoder but received x' });
    assert.throws(() => enc.setNormalisation([0, 0], [1, 1, 1]),
      { message: 'Expected 3 means and 3 stds (RGB) for LabEncoder.setNormalisation but received 2 and 3' });
    assert.throws(() => enc.setNormalisation([0, 0, 0], [1, 1, 1, 1]),
      { message: 'Expected 3 means and 3 stds (RGB) for LabEncoder.setNormalisation but received 3 and 4' });
  });
});
