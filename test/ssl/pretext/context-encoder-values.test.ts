// The context encoder by value (no Python, no training): each refusal by its
// whole message, the derived overlap, an Encoder instance taken as is, the
// encoder's train/eval mode after the constructor's probe, the decoder's
// layers for four encoders (widths and depths), the prediction resized
// bilinearly (written out here) when the decoder's size differs from the
// input's and left alone when it does not, the step's logs equal to the loss
// computed by hand from the method's own networks, and the parameter groups;
// on CUDA (skipped without a GPU) the zero terms on the images' device.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { Module } from '../../../lib/nn/module';
import { Conv2d } from '../../../lib/nn/layers/conv';
import { Linear } from '../../../lib/nn/layers/linear';
import { ContextEncoder, ContextEncoderOptions } from '../../../lib/ssl/context-encoder';
import { create as createModel } from '../../../lib/models/registry';
import { Encoder } from '../../../lib/models/encoder';
import { ImageSpec } from '../../../lib/ssl/method';
import { refuses } from '../../helpers/refuses';
import { near, nearAll } from '../../helpers/assert-close';

const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
const num = (t: Tensor): number => Number(t.item());
const base = (o: Partial<ContextEncoderOptions> = {}): ContextEncoderOptions => ({
  encoder: 'small_cnn', encoderOptions: { inChannels: 3, width: 2 }, imageSize: 16, discriminatorWidth: 2, ...o,
});
const spec = (size: number, channels: number, dataset?: string): ImageSpec =>
  ({ size, channels, mean: new Array(channels).fill(0), std: new Array(channels).fill(1), dataset });
const images = (seed: number, shape: number[]): Tensor => torch.randn(shape, { generator: new torch.Generator().manualSeed(seed) });
const layers = (m: ContextEncoder): string[] => [...m.decoder.children()].map(String);
const softplus = (v: number): number => Math.log1p(Math.exp(-Math.abs(v))) + Math.max(v, 0);
const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;

/** An encoder without forwardFeatures (a flat MLP). */
class FlatEncoder extends Module implements Encoder {
  readonly featureDim = 4;
  readonly numClasses = 0;
  readonly fc = this.registerModule('fc', new Linear(3 * 16 * 16, 4));
  forward(x: Tensor): Tensor { return this.fc.forward(x.flatten(1)); }
}

/** forwardFeatures without any convolution (no 4-d parameter). */
class NoConvEncoder extends FlatEncoder {
  forwardFeatures(x: Tensor): Tensor { return this.forward(x).view([-1, 4, 1, 1]); }
}

/** A convolution whose forwardFeatures pools to (B, D): no maps. */
class PooledEncoder extends Module implements Encoder {
  readonly featureDim = 5;
  readonly numClasses = 0;
  readonly conv = this.registerModule('conv', new Conv2d(3, 5, 3));
  forwardFeatures(x: Tensor): Tensor { return this.conv.forward(x).mean([2, 3]); }
  forward(x: Tensor): Tensor { return this.forwardFeatures(x); }
}

/** One 8x8 stride-8 convolution: (B, D, H / 8, W / 8) maps. */
class Stride8Encoder extends Module implements Encoder {
  readonly numClasses = 0;
  readonly conv: Conv2d;
  constructor(readonly featureDim: number) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(3, featureDim, 8, { stride: 8 }));
  }
  forwardFeatures(x: Tensor): Tensor { return this.conv.forward(x); }
  forward(x: Tensor): Tensor { return this.forwardFeatures(x).mean([2, 3]); }
}

/**
 * PyTorch's bilinear resize with alignCorners false of one (H, W) plane to (outH, outW): source coordinate
 * (i + 0.5) * in / out - 0.5, clamped at 0, the upper neighbour clamped to the last row/column.
 */
function bilinear(plane: number[][], outH: number, outW: number): number[][] {
  const inH = plane.length;
  const inW = plane[0].length;
  const axis = (i: number, n: number, out: number): [number, number, number] => {
    const src = Math.max(0, ((i + 0.5) * n) / out - 0.5);
    const lo = Math.floor(src);
    return [lo, Math.min(lo + 1, n - 1), src - lo];
  };
  const out: number[][] = [];
  for (let i = 0; i < outH; i++) {
    const [y0, y1, fy] = axis(i, inH, outH);
    const row: number[] = [];
    for (let j = 0; j < outW; j++) {
      const [x0, x1, fx] = axis(j, inW, outW);
      row.push((1 - fy) * ((1 - fx) * plane[y0][x0] + fx * plane[y0][x1]) + fy * ((1 - fx) * plane[y1][x0] + fx * plane[y1][x1]));
    }
    out.push(row);
  }
  return out;
}

describe('ssl/pretext: ContextEncoder by value', function () {
  this.timeout(60000);

  it('refuses an overlap that empties the hole, a bad recipe or encoderOptions, by the whole message', () => {
    refuses(() => new ContextEncoder(base({ overlap: 2 })),
      'Expected ContextEncoder option overlap below imageSize / 8 (2) so the central hole is not empty but received 2');
    refuses(() => new ContextEncoder(base({ imageSize: 24, overlap: 3 })),
      'Expected ContextEncoder option overlap below imageSize / 8 (3) so the central hole is not empty but received 3');
    // At 8 px (the smallest size the method takes) the derived overlap is 0, not the scaled 1 that would empty
    // the hole; 1 given is refused.
    const small = new ContextEncoder(base({ imageSize: 8, adversarial: false }));
    assert.equal(small.overlap, 0);
    const step = small.trainingStep([images(8, [2, 3, 8, 8])]);
    assert.ok(Number.isFinite(num(step.loss)) && num(step.loss) > 0);
    small.dispose();
    refuses(() => new ContextEncoder(base({ imageSize: 8, overlap: 1 })),
      'Expected ContextEncoder option overlap below imageSize / 8 (1) so the central hole is not empty but received 1');
    refuses(() => new ContextEncoder(base({ recipe: { lrr: 1 } as never })),
      "Unknown option(s) 'lrr' for ContextEncoder option recipe; expected some of optimizer, lr, lrScaling, finalLrRatio, " +
        'weightDecay, weightDecayEnd, momentum, betas, warmupEpochs, clipGrad');
    refuses(() => new ContextEncoder(base({ encoderOptions: 5 as never })),
      'Expected an options object for ContextEncoder option encoderOptions but received 5');
    refuses(() => new ContextEncoder({ imageSize: 16, encoder: () => createModel('small_cnn', { width: 2, numClasses: 3 }) as Encoder }),
      'ContextEncoder: expected the encoder factory to give a feature encoder (numClasses 0) but it has numClasses 3; ' +
        'build it with numClasses: 0');
  });

  it('refuses encoders that give no (B, D, h, w) maps, naming the encoder and the shape', () => {
    refuses(() => new ContextEncoder({ encoder: new FlatEncoder(), imageSize: 16 }),
      'ContextEncoder needs a convolutional encoder with forwardFeatures giving (B, D, h, w) maps (small_cnn, resnet18, ...) ' +
        'but received FlatEncoder');
    refuses(() => new ContextEncoder({ encoder: new NoConvEncoder(), imageSize: 16 }),
      'ContextEncoder needs a convolutional encoder but NoConvEncoder has no convolution');
    refuses(() => new ContextEncoder({ encoder: new PooledEncoder(), imageSize: 16 }),
      'ContextEncoder needs (B, D, h, w) feature maps from PooledEncoder.forwardFeatures but received shape [1, 5] ' +
        "(a ViT's tokens cannot be used)");
    refuses(() => new ContextEncoder({ encoder: 'vit_tiny_patch4_224', encoderOptions: { imgSize: 16, inChannels: 3 }, imageSize: 16 }),
      'ContextEncoder needs (B, D, h, w) feature maps from VisionTransformer.forwardFeatures but received shape [1, 17, 192] ' +
        "(a ViT's tokens cannot be used)");
  });

  it('augmentation: refuses small images and images of another size or channel count, with and without a dataset name', () => {
    const m = new ContextEncoder(base({ adversarial: false }));
    refuses(() => m.augmentation(spec(4, 3)),
      'ContextEncoder needs images of at least 8 x 8 px (a hole and its context) but the data has 4 x 4 px images');
    refuses(() => m.augmentation(spec(6, 3, 'tiny')),
      "ContextEncoder needs images of at least 8 x 8 px (a hole and its context) but dataset 'tiny' has 6 x 6 px images");
    refuses(() => m.augmentation(spec(28, 3)),
      "ContextEncoder was built for 3-channel images of 16 x 16 px (options imageSize and the encoder's inChannels) but " +
        'the images are 3-channel images of 28 x 28 px; build it with imageSize: 28');
    refuses(() => m.augmentation(spec(28, 3, 'photos/train')),
      "ContextEncoder was built for 3-channel images of 16 x 16 px (options imageSize and the encoder's inChannels) but " +
        "dataset 'photos/train' has 3-channel images of 28 x 28 px; build it with imageSize: 28");
    refuses(() => m.augmentation(spec(16, 1)),
      "ContextEncoder was built for 3-channel images of 16 x 16 px (options imageSize and the encoder's inChannels) but " +
        'the images are 1-channel images of 16 x 16 px; build it with imageSize: 16');
    refuses(() => m.augmentation(spec(16, 1, 'fashion-mnist')),
      "ContextEncoder was built for 3-channel images of 16 x 16 px (options imageSize and the encoder's inChannels) but " +
        "dataset 'fashion-mnist' has 1-channel images of 16 x 16 px; build it with imageSize: 16");
    const view = m.augmentation(spec(16, 3, 'ok'));
    assert.deepEqual([view.numViews, view.groups], [1, [{ size: [16, 16], views: [0] }]]);
    assert.equal(m.channels, 3);
    assert.equal(new ContextEncoder(base({ encoderOptions: { inChannels: 1, width: 2 }, adversarial: false })).channels, 1);
  });

  it('trainingStep refuses anything but one (B, C, H, W) view, naming ContextEncoder', () => {
    const m = new ContextEncoder(base({ adversarial: false }));
    const x = images(1, [2, 3, 16, 16]);
    refuses(() => m.trainingStep([]),
      'ContextEncoder expects one view [x] of shape (B, C, H, W) (as its augmentation() gives) but received 0 item(s)');
    refuses(() => m.trainingStep([x, x]),
      'ContextEncoder expects one view [x] of shape (B, C, H, W) (as its augmentation() gives) but received 2 item(s)');
  });

  it('overlap: round(imageSize * 4 / 128), at least 1, unless given', () => {
    const derived = [9, 16, 32, 48, 64, 96, 112].map((imageSize) =>
      new ContextEncoder(base({ imageSize, encoderOptions: { inChannels: 3, width: 1 }, adversarial: false })).overlap);
    assert.deepEqual(derived, [1, 1, 1, 2, 2, 3, 4]);
    assert.equal(new ContextEncoder(base({ imageSize: 48, overlap: 5, adversarial: false })).overlap, 5);
    assert.equal(new ContextEncoder(base({ overlap: 0, adversarial: false })).overlap, 0);
  });

  it('takes an Encoder instance as is (one network), and leaves its train/eval mode as it was after the probe', () => {
    const enc = createModel('small_cnn', { inChannels: 3, width: 2, numClasses: 0 }) as Encoder;
    const before = enc.buffers().flatMap(values);
    assert.equal(enc.training, true);
    const m = new ContextEncoder({ encoder: enc, imageSize: 16, adversarial: false });
    assert.equal(m.encoder, enc);
    assert.equal(enc.training, true, 'train mode restored after the eval-mode probe');
    assert.deepEqual(enc.buffers().flatMap(values), before, 'the probe moved no batch-norm statistics');
    assert.equal(m.config().encoder, 'custom');
    const frozen = createModel('small_cnn', { inChannels: 3, width: 2, numClasses: 0 }) as Encoder;
    frozen.eval();
    new ContextEncoder({ encoder: frozen, imageSize: 16, adversarial: false });
    assert.equal(frozen.training, false, 'eval mode kept');
    // A name builds a fresh encoder in train mode, and so it stays.
    assert.equal(new ContextEncoder(base()).encoder.training, true);
  });

  it('decoder: up-convolutions halving the channels (at least 16), bias only on the last, one per doubling', () => {
    const conv = (cin: number, cout: number, bias: boolean): string =>
      `ConvTranspose2d(${cin}, ${cout}, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1)${bias ? '' : ', bias=False'})`;
    const bn = (c: number): string => `BatchNorm2d(${c}, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)`;
    // small_cnn width 2: D = 8 on 4 x 4 maps of 16 px images, two doublings; 8 / 2 is below 16.
    assert.deepEqual(layers(new ContextEncoder(base({ adversarial: false }))), [conv(8, 16, false), bn(16), 'ReLU()', conv(16, 3, true)]);
    // width 16: D = 64, halved to 32.
    assert.deepEqual(layers(new ContextEncoder(base({ encoderOptions: { inChannels: 3, width: 16 }, adversarial: false }))),
      [conv(64, 32, false), bn(32), 'ReLU()', conv(32, 3, true)]);
    // inputScale 2: 8 x 8 maps of 16 px images, one doubling: the last layer alone, to 1 channel.
    assert.deepEqual(layers(new ContextEncoder(base({ encoderOptions: { inChannels: 1, width: 2, inputScale: 2 },
      adversarial: false }))), [conv(8, 1, true)]);
    // Maps of a stride-8 convolution (D = 50, 2 x 2 at 16 px): three doublings, 50 -> 25 -> max(16, 12).
    assert.deepEqual(layers(new ContextEncoder({ encoder: new Stride8Encoder(50), imageSize: 16, adversarial: false })),
      [conv(50, 25, false), bn(25), 'ReLU()', conv(25, 16, false), bn(16), 'ReLU()', conv(16, 3, true)]);
  });

  it("inpaint: the decoder's output resized bilinearly (alignCorners false) to the input's size when it differs, else itself", () => {
    const planes = (t: Tensor): number[][][][] => t.toArray() as number[][][][];
    const resized = (t: Tensor, H: number, W: number): number[] => planes(t).flatMap((b) => b.flatMap((c) => bilinear(c, H, W).flat()));
    const spy = (m: ContextEncoder): Tensor[] => {
      const seen: Tensor[] = [];
      const forward = m.decoder.forward.bind(m.decoder);
      (m.decoder as { forward(z: Tensor): Tensor }).forward = (z: Tensor) => {
        const y = forward(z);
        seen.push(y);
        return y;
      };
      return seen;
    };
    torch.manualSeed(2);
    // small_cnn at 18 px: 9, then 5 px maps; two doublings give 20 px, resized to 18.
    const m18 = new ContextEncoder(base({ imageSize: 18, adversarial: false }));
    m18.eval();
    const seen18 = spy(m18);
    const x18 = images(3, [2, 3, 18, 18]);
    const { prediction } = torch.noGrad(() => m18.inpaint(x18, m18.drawTask(x18, new torch.Generator().manualSeed(1)).hole));
    assert.deepEqual(seen18[0].shape, [2, 3, 20, 20]);
    assert.deepEqual(prediction.shape, [2, 3, 18, 18]);
    nearAll(values(prediction), resized(seen18[0], 18, 18), 'prediction 20 -> 18 px');
    // At 16 px (4 x 4 maps, 16 px out) the prediction is the decoder's output itself; images 16 x 15 and 15 x 16 give the
    // same 4 x 4 maps and a 16 x 16 output, resized along the one side that differs.
    torch.manualSeed(4);
    const m = new ContextEncoder(base({ adversarial: false }));
    m.eval();
    const seen = spy(m);
    for (const [H, W] of [[16, 16], [16, 15], [15, 16]]) {
      const x = images(H * W, [2, 3, H, W]);
      const hole = torch.zeros([2, 1, H, W]);
      const out = torch.noGrad(() => m.inpaint(x, hole).prediction);
      const decoded = seen[seen.length - 1];
      assert.deepEqual(decoded.shape, [2, 3, 16, 16]);
      assert.deepEqual(out.shape, [2, 3, H, W]);
      if (H === 16 && W === 16) assert.equal(out, decoded, 'not resized: the same tensor');
      else nearAll(values(out), resized(decoded, H, W), `prediction 16 x 16 -> ${H} x ${W}`);
    }
  });

  it('trainingStep: the loss and its logs equal the weighted L2 and the cross-entropies of the discriminator, by hand', () => {
    for (const adversarial of [true, false]) {
      torch.manualSeed(3);
      const m = new ContextEncoder(base({ adversarial, adversarialWeight: 0.2, mask: 'block' }));
      m.train();
      const x = images(5, [2, 3, 16, 16]);
      torch.manualSeed(7);
      const out = m.trainingStep([x]);
      torch.manualSeed(7);
      const task = m.drawTask(x);
      const { prediction, features } = torch.noGrad(() => m.inpaint(x, task.hole));
      const p = values(prediction);
      const xs = values(x);
      const w = values(task.weights); // (2, 1, 16, 16)
      const weightOf = (k: number): number => w[Math.floor(k / (3 * 256)) * 256 + (k % 256)];
      let sum = 0;
      xs.forEach((v, k) => { sum += weightOf(k) * (p[k] - v) ** 2; });
      const reconstruction = sum / (w.filter((v) => v > 0).length * 3);
      const logs = out.logs as Record<string, Tensor>;
      assert.deepEqual(Object.keys(logs), ['reconstructionError', 'adversarialLoss', 'discriminatorLoss']);
      near(num(logs.reconstructionError), reconstruction, 'reconstructionError', 1e-4);
      nearAll(values(out.embedding!), values(features), 'embedding: the pooled maps of the masked images');
      assert.deepEqual([out.embedding!.requiresGrad, ...Object.values(logs).map((t) => t.requiresGrad)], [false, false, false, false]);
      if (!adversarial) {
        assert.deepEqual([num(logs.adversarialLoss), num(logs.discriminatorLoss)], [0, 0]);
        near(num(out.loss), reconstruction, 'loss: the reconstruction alone', 1e-4);
        continue;
      }
      const completed = torch.tensor(xs.map((v, k) => (weightOf(k) > 0 ? p[k] : v)), { dtype: 'float32' }).view([2, 3, 16, 16]);
      const real = values(torch.noGrad(() => m.discriminator!.forward(x)));
      const fake = values(torch.noGrad(() => m.discriminator!.forward(completed)));
      const adversarialLoss = mean(fake.map((v) => softplus(-v)));
      const discriminatorLoss = mean(real.map((v) => softplus(-v))) + mean(fake.map((v) => softplus(v)));
      near(num(logs.adversarialLoss), adversarialLoss, 'adversarialLoss: -log D(completed)', 1e-4);
      near(num(logs.discriminatorLoss), discriminatorLoss, 'discriminatorLoss', 1e-4);
      near(num(out.loss), 0.8 * reconstruction + 0.2 * adversarialLoss + discriminatorLoss, 'loss', 1e-4);
    }
  });

  it('parameterGroups: decay and no-decay groups of the generator at weightDecay, the discriminator at lrScale 0.1', () => {
    const keysOf = (m: ContextEncoder, ps: Tensor[]): string[] => {
      const names = new Map([...m.namedParameters()].map(([k, t]) => [t, k]));
      return ps.map((t) => names.get(t) ?? '?');
    };
    const summary = (m: ContextEncoder, weightDecay: number): object[] =>
      m.parameterGroups(weightDecay).map(({ params, ...rest }) => ({ ...rest, keys: keysOf(m, params) }));
    const decay = ['encoder.conv1.weight', 'encoder.conv2.weight', 'encoder.conv3.weight', 'encoder.conv4.weight',
      'encoder.conv5.weight', 'bottleneck.weight', 'bottleneck_conv.weight', 'decoder.0.weight', 'decoder.3.weight'];
    const noDecay = [1, 2, 3, 4, 5].flatMap((i) => [`encoder.bn${i}.weight`, `encoder.bn${i}.bias`])
      .concat(['bottleneck.bias', 'bottleneck_conv.bias', 'decoder.1.weight', 'decoder.1.bias', 'decoder.3.bias']);
    const generator = (weightDecay: number): object[] => [{ weightDecay, name: 'decay', keys: decay },
      { weightDecay: 0, larsExclude: true, name: 'no_decay', keys: noDecay }];
    const adv = new ContextEncoder(base());
    const discriminator = [0, 1, 2].flatMap((i) => [`discriminator.convs.${i}.weight`, `discriminator.convs.${i}.bias`]);
    assert.deepEqual(summary(adv, 0.05),
      [...generator(0.05), { weightDecay: 0.05, lrScale: 0.1, name: 'discriminator', keys: discriminator }]);
    assert.deepEqual(summary(adv, 0), [...generator(0), { weightDecay: 0, lrScale: 0.1, name: 'discriminator', keys: discriminator }]);
    assert.deepEqual(summary(new ContextEncoder(base({ adversarial: false })), 0.05), generator(0.05));
  });
});

describe('ssl/pretext: ContextEncoder on CUDA, by value', function () {
  this.timeout(120000);
  before(function () { if (!torch.cuda.isAvailable()) this.skip(); });

  it("without the adversary the zero adversarial and discriminator terms are on the images' device", () => {
    torch.manualSeed(1);
    const m = new ContextEncoder(base({ adversarial: false }));
    m.to('cuda');
    const out = m.trainingStep([images(1, [2, 3, 16, 16]).to('cuda')]);
    const logs = out.logs as Record<string, Tensor>;
    assert.deepEqual([out.loss, logs.reconstructionError, logs.adversarialLoss, logs.discriminatorLoss].map((t) => t.device),
      ['cuda:0', 'cuda:0', 'cuda:0', 'cuda:0']);
    assert.deepEqual([num(logs.adversarialLoss), num(logs.discriminatorLoss)], [0, 0]);
  });
});
