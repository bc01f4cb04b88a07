// The pretext CPU presets changed by issue 16's floor work (docs/pretext.md,
// "Against the floors"): what each sets reaches the method `selfsup train
// <method>` builds, and acts where it should (the holes the context encoder
// fills, the colorization run's length, its colour evaluation and its conv3
// read-out, split-brain's globally pooled read-out).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as os from 'node:os';
import * as torch from '../../lib/torch';
import { buildMethod, resolveRunConfig } from '../../lib/cli/train';
import { ContextEncoder } from '../../lib/ssl/context-encoder';
import { Colorization } from '../../lib/ssl/colorization';
import { SplitBrain } from '../../lib/ssl/split-brain';
import { Jigsaw, jigsawGeometry } from '../../lib/ssl/jigsaw';
import { RelativePosition } from '../../lib/ssl/relative-position';
import { SmallCnn } from '../../lib/models/small-cnn';
import { labInput } from '../../lib/ssl/pretext/lab-encoder';
import { adaptiveAvgPool2d } from '../../lib/nn/functional/pooling';

const out = path.join(os.tmpdir(), 'selfsup-pretext-presets-unused');
const fashion = [1000, 1, 28, 28];

describe('cli: the pretext presets that beat their floors', () => {
  it('context_encoder: 3 epochs of random regions covering a quarter of each 28 px image, not the centre square, seen 2x upsampled, lr 8e-3, whole-image statistics, read out on a 5x5 grid', () => {
    const c = resolveRunConfig('context_encoder', { eval: true, out });
    assert.deepEqual([c.encoderOptions, c.methodOptions, c.optimizer, c.epochs, c.batchSize],
      [{ width: 16, pool: 5, inputScale: 2 }, { mask: 'region', imageNormStats: true }, { lr: 8e-3 }, 3, 128]);
    const { method, encoder } = buildMethod(c, fashion);
    const random = encoder();
    try {
      assert.ok(method instanceof ContextEncoder);
      assert.equal(method.imageNormStats, true, 'the preset reaches the method');
      assert.equal(method.recipe.lrScaling, 'none', 'the preset lr 8e-3 is the peak rate, not scaled by the batch');
      // The trained encoder and its random floor: the 14 x 14 last map averaged over a 5x5 grid (64 x 25 features).
      for (const e of [method.encoder, random]) {
        assert.ok(e instanceof SmallCnn);
        assert.deepEqual([e.inputScale, e.pool, e.featureDim], [2, 5, 1600]);
        e.eval();
        torch.noGrad(() => torch.scope(() => {
          const x = torch.randn([2, 1, 28, 28]);
          const want = adaptiveAvgPool2d(e.forwardFeatures(x), 5).flatten(1); // (2, 64 x 25)
          const got = e.forward(x);
          assert.deepEqual(got.shape, [2, 1600]);
          assert.ok((got.sub(want).abs().max().item() as number) < 1e-6);
        }));
      }
      // 28 px images upsampled 2x: 14 x 14 last maps, so the channel-wise bottleneck is 196 x 196 per channel and the
      // decoder one up-convolution (28 / 14 = 2).
      assert.deepEqual(method.bottleneck.weight.shape, [64, 196, 196]);
      assert.equal(method.decoder.length, 1);
      const hole = method.drawTask(torch.randn([4, 1, 28, 28]), new torch.Generator().manualSeed(0)).hole;
      assert.deepEqual(Array.from(hole.sum([1, 2, 3]).toTypedArray() as Float32Array), [196, 196, 196, 196]);
      // Not the centre square: its hole would be the centre 14 x 14 shrunk by the 1 px overlap (144 px).
      assert.notEqual(hole.narrow(2, 8, 12).narrow(3, 8, 12).sum().item(), 4 * 144);
    } finally {
      random.dispose();
      method.dispose();
    }
  });

  it('colorization: 3 epochs, colourAtEvaluation (a Lab backbone), read out at conv3 on a 2x2 grid, the floor alike', () => {
    const c = resolveRunConfig('colorization', { eval: true, out });
    assert.deepEqual([c.methodOptions, c.epochs, c.batchSize, c.imageSize], [{ hiddenDim: 64, colourAtEvaluation: true }, 3, 64, 32]);
    assert.deepEqual(c.encoderOptions, { width: 16, pool: 2, readoutLayer: 3 });
    const { method, encoder } = buildMethod(c, [64, 3, 32, 32]);
    const random = encoder();
    try {
      assert.ok(method instanceof Colorization);
      assert.equal(method.config().colourAtEvaluation, true);
      assert.equal(method.encoder.branches[0].net.parameters()[0].shape[1], 3, 'backbone input channels: L, a, b');
      // The head still reads conv5's map (4 x 16 channels at 1/4 of the image); the report reads conv3's.
      assert.deepEqual(method.encoder.mapChannels, [64]);
      assert.equal(method.colorizationHead.parameters()[0].shape[1], 64);
      // The trained encoder and its random floor: conv3's 32 channels averaged over a 2x2 grid (128 features), the
      // values of conv1-3 applied by hand to the Lab input.
      for (const e of [method.encoder, random]) {
        const net = (e as typeof method.encoder).branches[0].net as SmallCnn;
        assert.ok(net instanceof SmallCnn);
        assert.deepEqual([net.readoutLayer, net.pool, e.featureDim], [3, 2, 128]);
        e.eval();
        torch.noGrad(() => torch.scope(() => {
          const x = torch.rand([2, 3, 32, 32]);
          let y = labInput(method.encoder.lab(x), 'Lab'); // (2, 3, 32, 32)
          for (let i = 0; i < 3; i++) y = net.relu.forward(net.norms[i].forward(net.convs[i].forward(y)));
          const want = adaptiveAvgPool2d(y, 2).flatten(1); // (2, 32 x 4): conv3's 16 x 16 map on a 2x2 grid
          const got = e.forward(x);
          assert.deepEqual(got.shape, [2, 128]);
          assert.ok((got.sub(want).abs().max().item() as number) < 1e-5);
        }));
      }
    } finally {
      method.dispose();
      random.dispose();
    }
  });

  it('split_brain: 2 epochs, two width-8 halves each pooled globally (32 + 32 features, not 288 + 288)', () => {
    const c = resolveRunConfig('split_brain', { eval: true, out });
    assert.deepEqual([c.encoderOptions, c.methodOptions, c.epochs, c.batchSize, c.imageSize],
      [{ width: 8, pool: 1 }, { hiddenDim: 64 }, 2, 64, 32]);
    const { method, encoder } = buildMethod(c, [64, 3, 32, 32]);
    const random = encoder();
    try {
      assert.ok(method instanceof SplitBrain);
      assert.deepEqual(method.encoder.branches.map((b) => b.net.featureDim), [32, 32]);
      assert.deepEqual(torch.noGrad(() => method.encoder.eval().forward(torch.rand([2, 3, 32, 32]))).shape, [2, 64]);
      // The random-encoder floor is read out the same way.
      assert.equal(random.featureDim, 64);
    } finally {
      method.dispose();
      random.dispose();
    }
  });

  it('relative_position: patches seen 2x upsampled by a 3x3-pooled encoder, 4 epochs, the floor alike', () => {
    const c = resolveRunConfig('relative_position', { eval: true, out });
    assert.deepEqual([c.encoderOptions, c.methodOptions, c.epochs, c.batchSize], [{ width: 16, pool: 3, inputScale: 2 }, {}, 4, 128]);
    const { method, encoder } = buildMethod(c, fashion);
    const random = encoder();
    try {
      assert.ok(method instanceof RelativePosition);
      for (const e of [method.encoder, random]) {
        assert.ok(e instanceof SmallCnn);
        assert.deepEqual([e.inputScale, e.pool, e.featureDim], [2, 3, 576]);
        // A 6 px patch upsampled to 12 px leaves a 3 x 3 last map (at 28 px without upsampling: 2 x 2).
        torch.scope(() => assert.deepEqual(e.forwardFeatures(torch.randn([2, 1, 6, 6])).shape, [2, 64, 3, 3]));
      }
      assert.equal(method.pairHead.parameters()[0].shape[1], 2 * 576, 'the head sees both 3x3-pooled patches');
    } finally {
      random.dispose();
      method.dispose();
    }
  });

  it('jigsaw: 7 px tiles (gap 2, jitter 1) seen 2x upsampled by a 3x3-pooled encoder, lr 0.4 per 256, 2 epochs', () => {
    const c = resolveRunConfig('jigsaw', { eval: true, out });
    assert.deepEqual([c.encoderOptions, c.methodOptions, c.optimizer, c.epochs, c.batchSize],
      [{ width: 16, pool: 3, inputScale: 2 }, { tileSize: 7, imageNormStats: true }, { lr: 0.4 }, 2, 128]);
    const { method, encoder } = buildMethod(c, fashion);
    const random = encoder();
    try {
      assert.ok(method instanceof Jigsaw);
      assert.equal(method.imageNormStats, true, 'the preset reaches the method');
      assert.deepEqual(jigsawGeometry(28, method.tileSize), { grid: 3, patchSize: 7, gap: 2, jitter: 1 });
      // The trained tile encoder and the random-encoder floor are the same architecture: 7 px tiles and whole
      // 28 px items both upsampled 2x before conv1 (a 7 px tile's last map is 4 x 4, an item's 14 x 14), 576 features.
      for (const e of [method.encoder, random]) {
        assert.ok(e instanceof SmallCnn);
        assert.deepEqual([e.inputScale, e.pool, e.featureDim], [2, 3, 576]);
        torch.scope(() => {
          assert.deepEqual(e.forwardFeatures(torch.randn([2, 1, 7, 7])).shape, [2, 64, 4, 4]);
          assert.deepEqual(e.forwardFeatures(torch.randn([2, 1, 28, 28])).shape, [2, 64, 14, 14]);
        });
      }
      assert.equal(method.jigsawHead.parameters()[0].shape[1], 9 * 576, 'the head sees the 9 concatenated 3x3-pooled tiles');
      // Tiles at the drawn origins sit 9 px apart give or take the jitter: gaps of 2 +- 2 px between neighbours.
      const origins = method.drawTask(torch.randn([64, 1, 28, 28]), new torch.Generator().manualSeed(0)).origins;
      const steps = origins.narrow(1, 1, 1).sub(origins.narrow(1, 0, 1)).select(2, 1); // x of tile 1 minus tile 0
      const d = Array.from(steps.toTypedArray() as BigInt64Array, Number);
      assert.ok(d.every((v) => v >= 7 && v <= 11) && new Set(d).size > 1, `tile spacing ${d.join(',')}`);
    } finally {
      random.dispose();
      method.dispose();
    }
  });
});
