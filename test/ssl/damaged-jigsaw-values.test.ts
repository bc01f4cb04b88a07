// DamagedJigsaw by value, one task on a tiny fixed batch (no training, no
// Python): the puzzle (tiles in the permutation's order; the damaged tiles
// gray from the luma weights times the pixel std, standardised, the missing
// one zeroed) written out by hand, the three losses rebuilt from the method's
// own heads (the colour head as one MLP over [gray pixel, tile features]),
// their weights, the options where they act, and the refusals.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { crossEntropy } from '../../lib/nn/functional/loss';
import { rgbToLab, labToRgb } from '../../lib/data/transforms/lab';
import { DamagedJigsaw } from '../../lib/ssl/damaged-jigsaw';
import { jigsawGeometry, standardizeTiles } from '../../lib/ssl/jigsaw';
import { jigsawPermutations } from '../../lib/ssl/pretext/permutations';
import { patchesAt } from '../../lib/ssl/pretext/grid-patches';
import { TrainProgress } from '../../lib/ssl/method';
import { refuses } from '../helpers/refuses';
import { create as createModel } from '../../lib/models/registry';
import { Encoder } from '../../lib/models/encoder';
import { near, nearAll } from '../helpers/assert-close';

const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
const num = (t: Tensor): number => Number(t.item());
const progress: TrainProgress = { step: 0, totalSteps: 1, epoch: 0, stepsPerEpoch: 1 };
const spec = { size: 9, channels: 3, mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3] };


function batch(seed: number, C = 3): Tensor {
  const x = torch.rand([2, C, 9, 9], { generator: new torch.Generator().manualSeed(seed) });
  const m = torch.tensor(spec.mean.slice(0, C)).view([1, C, 1, 1]);
  const s = torch.tensor(spec.std.slice(0, C)).view([1, C, 1, 1]);
  return x.sub(m).div(s);
}

function make(options: Record<string, unknown> = {}, C = 3): DamagedJigsaw {
  torch.manualSeed(1);
  const m = new DamagedJigsaw({ encoder: 'small_cnn', encoderOptions: { width: 2, inChannels: C }, numPermutations: 4, hiddenDim: 6,
    colorizationHiddenDim: 5, imageSize: 9, ...options });
  if (C === 3) m.augmentation(spec);
  return m;
}

describe('ssl DamagedJigsaw by value (puzzle, three losses, weights, options)', function () {
  this.timeout(60000);

  it('the puzzle: tiles in permutation order; gray = standardised sum of luma x std over channels, in every channel; missing zeroed', () => {
    const m = make();
    assert.deepEqual([m.tileSize, m.imageSize], [3, 9]);
    assert.deepEqual(m.pixelStd, spec.std);
    assert.deepEqual(m.pixelMean, spec.mean);
    const x = batch(2);
    const task = m.drawTask(x, new torch.Generator().manualSeed(3));
    assert.deepEqual(task.origins.shape, [2, 9, 2]);
    const labels = values(task.labels);
    const missing = values(task.missing);
    const grid = patchesAt(x, task.origins, 3);
    const tiles = torch.stack(labels.map((l, b) => torch.stack(m.permutations[l].map((i) => grid.select(0, b).select(0, i)), 0)), 0);
    const { tiles: got, damaged } = m.puzzle(x, task);
    assert.deepEqual(values(got), values(tiles));
    const t = values(tiles); // (2, 9, 3, 3, 3)
    const w = [0.2989, 0.587, 0.114].map((v, c) => v * spec.std[c]);
    const expected: number[] = [];
    for (let b = 0; b < 2; b++) {
      for (let n = 0; n < 9; n++) {
        const luma = Array.from({ length: 9 }, (_, p) => [0, 1, 2].reduce((s, c) => s + w[c] * t[((b * 9 + n) * 3 + c) * 9 + p], 0));
        const mu = luma.reduce((a, v) => a + v, 0) / 9;
        const sd = Math.sqrt(luma.reduce((a, v) => a + (v - mu) ** 2, 0) / 8);
        for (let c = 0; c < 3; c++) for (let p = 0; p < 9; p++) expected.push(n === missing[b] ? 0 : (luma[p] - mu) / sd);
      }
    }
    nearAll(values(damaged), expected, 'damaged', 1e-4);
    assert.deepEqual(m.permutations, jigsawPermutations(4, { seed: 0 }).perms);
  });

  it('taskLoss: weighted jigsaw cross-entropy, inpainting MSE of the missing tile, colour MSE of ab/110 over the present tiles', () => {
    for (const weights of [{}, { jigsawWeight: 2, inpaintingWeight: 0.5, colorizationWeight: 3 }]) {
      const m = make(weights);
      m.train();
      const x = batch(4);
      const task = m.drawTask(x, new torch.Generator().manualSeed(5));
      const missing = values(task.missing);
      const ref = torch.noGrad(() => {
        const { tiles, damaged } = m.puzzle(x, task);
        const f = m.encoder.forward(damaged.view([18, 3, 3, 3]));
        const joined = f.reshape([2, -1]);
        const jig = num(crossEntropy(m.jigsawHead.forward(joined), task.labels));
        const inpainted = m.inpaintingHead.forward(joined).view([2, 3, 3, 3]);
        const target = torch.stack(missing.map((k, b) => tiles.select(0, b).select(0, k)), 0);
        const inp = num(inpainted.sub(target).square().mean());
        const gray = damaged.view([18, 3, 9]).transpose(1, 2); // (18, 9, 3)
        const ab = m.colorizationHead.forward(torch.cat([gray, f.unsqueeze(1).expand([18, 9, f.shape[1]])], 2)); // (18, 9, 2)
        const std = torch.tensor(spec.std).view([1, 3, 1, 1]);
        const mean = torch.tensor(spec.mean).view([1, 3, 1, 1]);
        const lab = rgbToLab(tiles.reshape([18, 3, 3, 3]).mul(std).add(mean).clamp(0, 1));
        const abT = values(lab.narrow(1, 1, 2).div(110).flatten(2).transpose(1, 2));
        const abV = values(ab);
        let sum = 0;
        for (let n = 0; n < 18; n++) {
          if (n % 9 === missing[Math.floor(n / 9)]) continue;
          for (let i = 0; i < 18; i++) sum += (abV[n * 18 + i] - abT[n * 18 + i]) ** 2;
        }
        const col = sum / (16 * 2 * 9);
        const colorized = values(labToRgb(torch.cat([lab.narrow(1, 0, 1), ab.mul(110).transpose(1, 2).reshape([18, 2, 3, 3])], 1))
          .sub(mean).div(std));
        return { jig, inp, col, features: values(f), inpainted: values(inpainted), colorized };
      });
      const out = m.taskLoss(x, task);
      near(num(out.jigsaw), ref.jig, 'jigsaw');
      near(num(out.inpainting), ref.inp, 'inpainting');
      near(num(out.colorization), ref.col, 'colorization', 1e-4);
      const w = { jigsawWeight: 1, inpaintingWeight: 1, colorizationWeight: 1, ...weights };
      near(num(out.loss), w.jigsawWeight * ref.jig + w.inpaintingWeight * ref.inp + w.colorizationWeight * ref.col, JSON.stringify(weights), 1e-4);
      nearAll(values(out.features), ref.features, 'features');
      nearAll(values(out.inpainted), ref.inpainted, 'inpainted');
      nearAll(values(out.colorized), ref.colorized, 'colorized', 1e-3);
      assert.deepEqual(out.colorized.shape, [2, 9, 3, 3, 3]);
      // The step draws from the global generator; its logs are the parts.
      torch.manualSeed(7);
      const step = m.trainingStep([x], progress);
      torch.manualSeed(7);
      const same = m.taskLoss(x, m.drawTask(x));
      near(num(step.loss), num(same.loss), 'step loss');
      near(num(step.logs!.inpaintingError as Tensor), num(same.inpainting), 'inpaintingError');
      near(num(step.logs!.colorizationError as Tensor), num(same.colorization), 'colorizationError');
      nearAll(values(step.embedding!), values(same.features.view([2, 9, -1]).mean([1])), 'embedding');
      assert.equal(step.embedding!.requiresGrad, false);
      m.dispose();
    }
  });

  it('the heads\' sizes follow hiddenDim, colorizationHiddenDim, numPermutations, tileSize and the channels; defaults', () => {
    const m = make({ tileSize: 2 });
    const sizes = (s: { children(): IterableIterator<unknown> }): string[] => [...s.children()].filter((c) => String(c).startsWith('Linear'))
      .map((c) => String(c).replace(/Linear\(in_features=(\d+), out_features=(\d+), bias=True\)/, '$1-$2'));
    assert.deepEqual(sizes(m.jigsawHead), ['72-6', '6-4']);
    assert.deepEqual(sizes(m.inpaintingHead), ['72-6', '6-12']);
    assert.deepEqual(sizes(m.colorizationHead), ['11-5', '5-2']);
    assert.equal(m.tileSize, 2);
    const x = batch(6);
    assert.deepEqual(m.puzzle(x, m.drawTask(x, new torch.Generator().manualSeed(1))).damaged.shape, [2, 9, 3, 2, 2]);
    const grey = make({}, 1);
    assert.deepEqual(sizes(grey.inpaintingHead), ['72-6', '6-9']);
    assert.deepEqual(sizes(grey.colorizationHead), ['9-5', '5-2']);
    const g = batch(8, 1);
    const task = grey.drawTask(g, new torch.Generator().manualSeed(2));
    const { tiles, damaged } = grey.puzzle(g, task);
    const expected = standardizeTiles(tiles).mul(torch.arange(9).ne(task.missing.view([2, 1])).to('float32').view([2, 9, 1, 1, 1]));
    nearAll(values(damaged), values(expected), 'one channel: the tiles themselves standardised');
    refuses(() => grey.taskLoss(x, task), 'DamagedJigsaw was built for 1-channel images (the encoder\'s inChannels) but received images of shape ' +
      '[2, 3, 9, 9]');
    const d = new DamagedJigsaw({ encoder: 'small_cnn', encoderOptions: { width: 2 } });
    assert.deepEqual([d.numPermutations, d.permutationSeed, d.hiddenDim, d.colorizationHiddenDim, d.imageSize, d.tileSize, d.jigsawWeight,
      d.inpaintingWeight, d.colorizationWeight, d.imageNormStats], [100, 0, 512, 64, 32, 9, 1, 1, 1, false]);
    assert.equal(new DamagedJigsaw({ encoder: 'small_cnn', encoderOptions: { width: 2 }, numPermutations: 3, permutationSeed: 4 }).permutations
      .join(';'), jigsawPermutations(3, { seed: 4 }).perms.join(';'));
    assert.deepEqual(jigsawGeometry(32).patchSize, 9);
    refuses(() => m.augmentation({ ...spec, channels: 1, mean: [0.5], std: [0.5] }),
      'DamagedJigsaw needs colour (3-channel RGB) images (its tiles lose their colour and the network restores it) but the data has ' +
      '1-channel images of 9 x 9 px; use --data photos, cifar10:<dir>, stl10:<dir> or a folder of colour images');
    refuses(() => m.trainingStep([x, x], progress),
      'DamagedJigsaw expects one view [x] of shape (B, C, H, W) (as its augmentation() gives) but received 2 item(s)');
    const [decay, noDecay] = m.parameterGroups(0.1);
    assert.deepEqual([decay.weightDecay, noDecay.weightDecay], [0.1, 0]);
    assert.equal(decay.params.length + noDecay.params.length, m.parameters().length);
    for (const k of [m, grey, d]) k.dispose();
  });
  it('names in refusals, an instance taken, the grid checked on the shorter side, dispose, imageNormStats after the step', () => {
    const inst = createModel('small_cnn', { width: 2, numClasses: 0 }) as Encoder;
    assert.equal(new DamagedJigsaw({ encoder: inst, imageSize: 9 }).encoder, inst);
    refuses(() => new DamagedJigsaw({ encoder: 5 as never }),
      'Expected a registry name, a factory () => Encoder or an Encoder for DamagedJigsaw option encoder but received 5');
    refuses(() => new DamagedJigsaw({ encoder: 'small_cnn', recipe: { lrr: 1 } as never }), "Unknown option(s) 'lrr' for DamagedJigsaw option " +
      'recipe; expected some of optimizer, lr, lrScaling, finalLrRatio, weightDecay, weightDecayEnd, momentum, betas, warmupEpochs, clipGrad');
    assert.throws(() => new DamagedJigsaw({ encoder: 'small_cnn', imageSize: 8, tileSize: 3 }),
      (e: Error) => e.message.startsWith('DamagedJigsaw needs images of at least 9 x 9 px'));
    const m = make();
    assert.throws(() => m.augmentation({ ...spec, size: 6, dataset: 'small' }), (e: Error) => e.message.startsWith('DamagedJigsaw needs images of ' +
      'at least 9 x 9 px') && e.message.includes("dataset 'small'"));
    // 9 rows but 6 columns: the grid does not fit the shorter side.
    assert.throws(() => m.drawTask(torch.zeros([1, 3, 9, 6])), (e: Error) => e.message.startsWith('DamagedJigsaw needs images of at least 9 x 9 px'));
    const live = torch.memory().tensors;
    const owned = m.stateDict().size + 1;
    m.dispose();
    assert.equal(live - torch.memory().tensors, owned, 'dispose frees the permutation table');
    const x = batch(12);
    const stats = (imageNormStats: boolean): number[] => {
      const k = make({ imageNormStats });
      k.train();
      torch.manualSeed(3);
      torch.scope(() => {
        k.trainingStep([x], progress);
        k.afterOptimizerStep(progress);
      });
      return k.encoder.buffers().flatMap(values);
    };
    const whole = (() => {
      const k = make();
      k.train();
      torch.noGrad(() => k.encoder.forward(x));
      return k.encoder.buffers().flatMap(values);
    })();
    nearAll(stats(true), whole, 'whole images\' statistics');
    assert.notDeepEqual(stats(false), whole);
  });
});
