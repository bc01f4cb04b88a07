// Rotation, Jigsaw and RelativePosition by value, one step each on a tiny
// fixed batch (no training, no Python): the task's inputs written out by hand
// (the four rotations as index maps, the tiles in the permutation's order and
// standardised, the centre and neighbour patches and each chromatic guard),
// the step's loss equal to the cross-entropy of the method's own modules on
// those inputs, and each option changing the step where it acts.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { crossEntropy } from '../../lib/nn/functional/loss';
import { Rotation } from '../../lib/ssl/rotation';
import { Jigsaw, jigsawGeometry, standardizeTiles } from '../../lib/ssl/jigsaw';
import { RelativePosition } from '../../lib/ssl/relative-position';
import { jigsawPermutations } from '../../lib/ssl/pretext/permutations';
import { gridOrigins, patchesAt } from '../../lib/ssl/pretext/grid-patches';
import { create as createModel } from '../../lib/models/registry';
import { Encoder } from '../../lib/models/encoder';
import { TrainProgress } from '../../lib/ssl/method';
import { refuses } from '../helpers/refuses';
import { near, nearAll } from '../helpers/assert-close';

const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
const num = (t: Tensor): number => Number(t.item());
const progress: TrainProgress = { step: 0, totalSteps: 1, epoch: 0, stepsPerEpoch: 1 };
const encoder = (inChannels = 3): { encoder: string; encoderOptions: Record<string, unknown> } =>
  ({ encoder: 'small_cnn', encoderOptions: { inChannels, width: 2 } });


/** Images fixed by a seed. */
const images = (seed: number, shape: number[]): Tensor => torch.randn(shape, { generator: new torch.Generator().manualSeed(seed) });

/** Linear layer sizes of a classifier Sequential: [in, hidden, out]. */
const sizes = (head: { children(): IterableIterator<unknown> }): string[] => [...head.children()].map(String);

describe('ssl pretext methods by value (rotation, jigsaw, relative position)', function () {
  this.timeout(60000);

  it('Rotation.rotations: 0, 90, 180, 270 degrees counter-clockwise (torch.rot90) in four blocks, labels 0..3', () => {
    const x = torch.arange(18, { dtype: 'float32' }).view([2, 1, 3, 3]);
    const { images: r, labels } = new Rotation({ ...encoder(1), hiddenDim: 4 }).rotations(x);
    const img = x.toArray() as number[][][][];
    // rot90 by k: out[i][j] = in[j][n-1-i] (k = 1), in[n-1-i][n-1-j] (k = 2), in[n-1-j][i] (k = 3).
    const maps = [(i: number, j: number) => [i, j], (i: number, j: number) => [j, 2 - i], (i: number, j: number) => [2 - i, 2 - j],
      (i: number, j: number) => [2 - j, i]];
    const expected: number[] = [];
    for (const m of maps) {
      for (let b = 0; b < 2; b++) for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expected.push(img[b][0][m(i, j)[0]][m(i, j)[1]]);
    }
    assert.deepEqual(values(r), expected);
    assert.deepEqual(values(labels), [0, 0, 1, 1, 2, 2, 3, 3]);
    assert.equal(labels.dtype, 'int64');
    refuses(() => new Rotation(encoder(1)).rotations(torch.zeros([2, 1, 3, 4])), 'Rotation expects square (B, C, H, W) images but received [2, 1, 3, 4]');
    refuses(() => new Rotation(encoder(1)).rotations(torch.zeros([2, 3, 3])), 'Rotation expects square (B, C, H, W) images but received [2, 3, 3]');
  });

  it('Rotation.trainingStep: cross-entropy of the head on the encoder of the four rotations; embedding, accuracy, hiddenDim', () => {
    torch.manualSeed(1);
    const method = new Rotation({ ...encoder(), hiddenDim: 6 });
    assert.deepEqual(sizes(method.rotationHead), ['Linear(in_features=8, out_features=6, bias=True)', 'ReLU()',
      'Linear(in_features=6, out_features=4, bias=True)']);
    assert.equal(new Rotation(encoder()).hiddenDim, 512);
    method.train();
    const x = images(2, [3, 3, 8, 8]);
    const out = method.trainingStep([x], progress);
    const expected = torch.noGrad(() => {
      const { images: r, labels } = method.rotations(x);
      const h = method.encoder.forward(r);
      const logits = method.rotationHead.forward(h);
      const acc = values(logits.argmax(1).eq(labels).to('float32')).reduce((a, b) => a + b, 0) / 12;
      return { loss: num(crossEntropy(logits, labels)), embedding: values(h.narrow(0, 0, 3)), acc };
    });
    near(num(out.loss), expected.loss, 'loss');
    nearAll(values(out.embedding!), expected.embedding, 'embedding: the unrotated images\' features');
    assert.equal(out.embedding!.requiresGrad, false);
    near(num(out.logs!.rotationAccuracy as Tensor), expected.acc, 'accuracy');
    assert.equal(out.loss.requiresGrad, true);
    refuses(() => method.trainingStep([x, x], progress),
      'Rotation expects one view [x] of shape (B, C, H, W) (as its augmentation() gives) but received 2 item(s)');
    refuses(() => method.augmentation({ size: 3, channels: 3, mean: [0, 0, 0], std: [1, 1, 1] }),
      'Rotation needs images of at least 4 x 4 px (square images to rotate) but the data has 3 x 3 px images');
    assert.equal(method.name, 'rotation');
    assert.deepEqual(method.config(), { encoder: 'small_cnn', encoderOptions: { inChannels: 3, width: 2 }, hiddenDim: 6 });
  });

  it('jigsawGeometry: a third of the side per cell, tiles 64/75 of a cell (or tileSize), the rest a gap, half of it jitter', () => {
    assert.deepEqual(jigsawGeometry(64), { grid: 3, patchSize: 18, gap: 3, jitter: 1 });
    assert.deepEqual(jigsawGeometry(96), { grid: 3, patchSize: 27, gap: 5, jitter: 2 });
    assert.deepEqual(jigsawGeometry(9), { grid: 3, patchSize: 3, gap: 0, jitter: 0 });
    assert.deepEqual(jigsawGeometry(2), { grid: 3, patchSize: 1, gap: 0, jitter: 0 });
    assert.deepEqual(jigsawGeometry(64, 12), { grid: 3, patchSize: 12, gap: 9, jitter: 4 });
    assert.deepEqual(jigsawGeometry(12, 5), { grid: 3, patchSize: 5, gap: 0, jitter: 0 });
  });

  it('standardizeTiles: each tile and channel to mean 0 and unbiased std 1; a constant tile is only centred', () => {
    const t = torch.tensor([1, 2, 4, 7, 5, 5, 5, 5, -1, 0, 3, 2], { dtype: 'float32' }).view([1, 3, 1, 2, 2]);
    const rows = [[1, 2, 4, 7], [5, 5, 5, 5], [-1, 0, 3, 2]];
    const expected = rows.flatMap((r) => {
      const m = r.reduce((a, b) => a + b, 0) / 4;
      const sd = Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / 3);
      return r.map((v) => (v - m) / (sd === 0 ? 1 : sd));
    });
    nearAll(values(standardizeTiles(t)), expected, 'standardised');
    assert.deepEqual(standardizeTiles(t).shape, [1, 3, 1, 2, 2]);
  });

  it('Jigsaw: tiles in the drawn permutation\'s order, standardised; the step is the head\'s cross-entropy on them', () => {
    torch.manualSeed(3);
    const method = new Jigsaw({ ...encoder(), numPermutations: 4, permutationSeed: 2, hiddenDim: 5 });
    assert.deepEqual(method.permutations, jigsawPermutations(4, { seed: 2 }).perms);
    assert.notDeepEqual(method.permutations, jigsawPermutations(4, { seed: 0 }).perms);
    assert.deepEqual(sizes(method.jigsawHead), ['Linear(in_features=72, out_features=5, bias=True)', 'ReLU()',
      'Linear(in_features=5, out_features=4, bias=True)']);
    method.train();
    const x = images(4, [2, 3, 9, 9]);
    const task = method.drawTask(x, new torch.Generator().manualSeed(7));
    assert.deepEqual(task.origins.shape, [2, 9, 2]);
    const labels = values(task.labels);
    assert.ok(labels.every((l) => l >= 0 && l < 4));
    const tiles = patchesAt(x, task.origins, 3); // (2, 9, 3, 3, 3)
    const ordered = torch.stack(labels.map((l, b) => torch.stack(method.permutations[l].map((i) => tiles.select(0, b).select(0, i)), 0)), 0);
    const expectedTiles = values(standardizeTiles(ordered));
    nearAll(values(method.tiles(x, task)), expectedTiles, 'tiles');
    const { loss, logits, features } = method.taskLoss(x, task);
    const f = method.encoder.forward(torch.tensor(expectedTiles, { dtype: 'float32' }).view([18, 3, 3, 3]));
    nearAll(values(features), values(f), 'features');
    const l = method.jigsawHead.forward(f.reshape([2, -1]));
    nearAll(values(logits), values(l), 'logits');
    near(num(loss), num(crossEntropy(l, task.labels)), 'loss');
    // trainingStep draws its task from the global generator.
    torch.manualSeed(9);
    const out = method.trainingStep([x], progress);
    torch.manualSeed(9);
    const same = method.drawTask(x);
    const replay = method.taskLoss(x, same);
    near(num(out.loss), num(replay.loss), 'step loss');
    nearAll(values(out.embedding!), values(replay.features.view([2, 9, -1]).mean([1])), 'embedding: mean over the tiles');
    near(num(out.logs!.permutationAccuracy as Tensor), values(replay.logits.argmax(1).eq(same.labels).to('float32')).reduce((a, b) => a + b) / 2,
      'accuracy');
    refuses(() => method.trainingStep([], progress),
      'Jigsaw expects one view [x] of shape (B, C, H, W) (as its augmentation() gives) but received 0 item(s)');
    method.dispose();
  });

  it('Jigsaw tileSize and the defaults (100 permutations, seed 0, hidden 512)', () => {
    const method = new Jigsaw({ ...encoder(), numPermutations: 3, tileSize: 2 });
    const x = images(5, [1, 3, 9, 9]);
    const task = method.drawTask(x, new torch.Generator().manualSeed(1));
    assert.deepEqual(method.tiles(x, task).shape, [9, 3, 2, 2]);
    const d = new Jigsaw(encoder());
    assert.deepEqual([d.numPermutations, d.permutationSeed, d.hiddenDim, d.tileSize, d.imageNormStats], [100, 0, 512, undefined, false]);
    assert.deepEqual(d.permutations, jigsawPermutations(100, { seed: 0 }).perms);
    refuses(() => d.augmentation({ size: 2, channels: 3, mean: [0, 0, 0], std: [1, 1, 1], dataset: 'tiny' }),
      "Jigsaw needs images of at least 3 x 3 px (a 3x3 grid of 1 px patches, gap 0, jitter 0) but dataset 'tiny' has images of " +
        '2 x 2 px; use larger images (--image-size for folders) or a smaller patchSize/gap/jitter');
    method.dispose();
    d.dispose();
  });

  it('imageNormStats: after the step the encoder\'s batch-norm statistics are those of the whole images, not the tiles\'', () => {
    for (const [name, make] of [
      ['jigsaw', (o: object) => new Jigsaw({ ...encoder(), numPermutations: 2, ...o })],
      ['relative_position', (o: object) => new RelativePosition({ ...encoder(), patchSize: 2, ...o })],
    ] as const) {
      const x = images(6, [2, 3, 12, 12]);
      const run = (imageNormStats: boolean): number[] => {
        torch.manualSeed(2);
        const m = make({ imageNormStats });
        torch.manualSeed(8);
        m.train();
        torch.scope(() => {
          m.trainingStep([x], progress);
          m.afterOptimizerStep(progress);
        });
        return m.encoder.buffers().flatMap(values);
      };
      const expected = (() => {
        torch.manualSeed(2);
        const m = make({});
        m.train();
        torch.noGrad(() => m.encoder.forward(x));
        return m.encoder.buffers().flatMap(values);
      })();
      nearAll(run(true), expected, `${name}: whole images`);
      assert.notDeepEqual(run(false), expected, `${name}: without the option the tiles' statistics stay`);
    }
  });

  it('RelativePosition: the geometry\'s defaults and options; centre and neighbour patches by label; the loss', () => {
    const d = new RelativePosition({ ...encoder(), hiddenDim: 3 });
    assert.deepEqual(d.geometry(32), { grid: 3, patchSize: 7, gap: 3, jitter: 2 });
    assert.deepEqual(d.geometry(8), { grid: 3, patchSize: 1, gap: 0, jitter: 2 });
    assert.deepEqual(new RelativePosition({ ...encoder(), patchSize: 4, gap: 1, jitter: 0 }).geometry(32),
      { grid: 3, patchSize: 4, gap: 1, jitter: 0 });
    assert.deepEqual(new RelativePosition({ ...encoder(), patchSize: 4 }).geometry(32), { grid: 3, patchSize: 4, gap: 2, jitter: 2 });
    assert.deepEqual(sizes(d.pairHead), ['Linear(in_features=16, out_features=3, bias=True)', 'ReLU()',
      'Linear(in_features=3, out_features=8, bias=True)']);
    assert.deepEqual([new RelativePosition(encoder()).chromatic, new RelativePosition(encoder()).hiddenDim], ['projection', 512]);
    torch.manualSeed(4);
    const method = new RelativePosition({ ...encoder(), chromatic: 'none', patchSize: 2, gap: 1, jitter: 1 });
    method.train();
    const x = images(7, [8, 3, 12, 12]);
    const task = method.drawTask(x, new torch.Generator().manualSeed(3));
    assert.equal(task.noise, undefined);
    const labels = values(task.labels);
    const patches = patchesAt(x, task.origins, 2);
    // Labels 0..7 are the eight neighbours: cells 0, 1, 2, 3, 5, 6, 7, 8 of the 3 x 3 grid (4 is the centre).
    const cells = [0, 1, 2, 3, 5, 6, 7, 8];
    const centre = patches.select(1, 4);
    const neighbour = torch.stack(labels.map((l, b) => patches.select(0, b).select(0, cells[l])), 0);
    const pairs = method.pairs(x, task);
    nearAll(values(pairs), [...values(centre), ...values(neighbour)], 'pairs');
    assert.ok(new Set(labels).size > 3, 'several labels drawn');
    const f = method.encoder.forward(pairs);
    const logits = method.pairHead.forward(torch.cat(f.chunk(2, 0), 1));
    const { loss, features } = method.taskLoss(x, task);
    near(num(loss), num(crossEntropy(logits, task.labels)), 'loss');
    nearAll(values(features), values(f.narrow(0, 0, 8)), 'features: the centres\'');
    torch.manualSeed(5);
    const out = method.trainingStep([x], progress);
    torch.manualSeed(5);
    const againTask = method.drawTask(x);
    const again = method.taskLoss(x, againTask);
    near(num(out.loss), num(again.loss), 'step loss');
    nearAll(values(out.embedding!), values(again.features), 'embedding');
    near(num(out.logs!.positionAccuracy as Tensor), accuracyOf(again.logits, againTask.labels), 'positionAccuracy');
    refuses(() => method.trainingStep([], progress),
      'RelativePosition expects one view [x] of shape (B, C, H, W) (as its augmentation() gives) but received 0 item(s)');
  });

  it('RelativePosition chromatic guards: projection removes the green-magenta axis, drop keeps one channel and noise', () => {
    const x = images(9, [2, 3, 9, 9]);
    const g = [-1, 2, -1].map((v) => v / Math.sqrt(6));
    const pairsOf = (chromatic: 'projection' | 'drop' | 'none', grey = false): { pairs: number[]; raw: number[]; task: ReturnType<RelativePosition['drawTask']> } => {
      const m = new RelativePosition({ ...encoder(grey ? 1 : 3), chromatic, patchSize: 2, gap: 0, jitter: 0 });
      const input = grey ? x.narrow(1, 0, 1) : x;
      const task = m.drawTask(input, new torch.Generator().manualSeed(6));
      const none = new RelativePosition({ ...encoder(grey ? 1 : 3), chromatic: 'none', patchSize: 2, gap: 0, jitter: 0 });
      return { pairs: values(m.pairs(input, task)), raw: values(none.pairs(input, task)), task };
    };
    const proj = pairsOf('projection');
    // (4, 3, 2, 2): per pixel p - g (p . g).
    const expected: number[] = [];
    for (let n = 0; n < 4; n++) {
      for (let c = 0; c < 3; c++) {
        for (let k = 0; k < 4; k++) {
          const p = [0, 1, 2].map((cc) => proj.raw[n * 12 + cc * 4 + k]);
          const d = p[0] * g[0] + p[1] * g[1] + p[2] * g[2];
          expected.push(p[c] - g[c] * d);
        }
      }
    }
    nearAll(proj.pairs, expected, 'projection');
    const drop = pairsOf('drop');
    assert.deepEqual(drop.task.noise!.shape, [2, 3, 2, 2]);
    const keep = values(drop.task.keep);
    const noise = values(drop.task.noise!);
    const dropped: number[] = [];
    for (let n = 0; n < 4; n++) {
      const b = n % 2;
      const kept = [0, 1, 2, 3].map((k) => drop.raw[n * 12 + keep[b] * 4 + k]);
      const m = kept.reduce((a, v) => a + v, 0) / 4;
      const sd = Math.sqrt(kept.reduce((a, v) => a + (v - m) ** 2, 0) / 3) / 100;
      for (let c = 0; c < 3; c++) for (let k = 0; k < 4; k++) dropped.push(c === keep[b] ? drop.raw[n * 12 + c * 4 + k] : noise[b * 12 + c * 4 + k] * sd);
    }
    nearAll(drop.pairs, dropped, 'drop');
    const grey = pairsOf('drop', true);
    assert.equal(grey.task.noise, undefined, 'no noise for one channel');
    assert.deepEqual(grey.pairs, grey.raw, 'one channel: no guard');
    assert.deepEqual(pairsOf('projection', true).pairs, pairsOf('projection', true).raw);
  });
  it('the three methods take an Encoder instance, name themselves in refusals, and draw their tasks from the generator in order', () => {
    const recipeKeys = 'optimizer, lr, lrScaling, finalLrRatio, weightDecay, weightDecayEnd, momentum, betas, warmupEpochs, clipGrad';
    for (const [name, make] of [
      ['Rotation', (o: object) => new Rotation(o as never)],
      ['Jigsaw', (o: object) => new Jigsaw({ numPermutations: 2, ...o } as never)],
      ['RelativePosition', (o: object) => new RelativePosition(o as never)],
    ] as const) {
      const inst = createModel('small_cnn', { width: 2, numClasses: 0 }) as Encoder;
      assert.equal(make({ encoder: inst }).encoder, inst, `${name} takes an instance`);
      refuses(() => make({ encoder: 5 }), `Expected a registry name, a factory () => Encoder or an Encoder for ${name} option encoder but received 5`);
      refuses(() => make({ ...encoder(), recipe: { lrr: 1 } }), `Unknown option(s) 'lrr' for ${name} option recipe; expected some of ${recipeKeys}`);
    }
    const x = images(10, [3, 3, 12, 12]);
    const rp = new RelativePosition({ ...encoder(), chromatic: 'drop', patchSize: 2, gap: 1, jitter: 1 });
    const task = rp.drawTask(x, new torch.Generator().manualSeed(4));
    const g = new torch.Generator().manualSeed(4);
    const geometry = rp.geometry(12);
    assert.deepEqual(values(task.origins), values(gridOrigins(3, 12, 12, geometry, g)));
    assert.deepEqual(values(task.labels), values(torch.randint(0, 8, [3], { generator: g })));
    assert.deepEqual(values(task.keep), values(torch.randint(0, 3, [3], { generator: g })));
    assert.deepEqual(values(task.noise!), values(torch.randn([3, 3, 2, 2], { generator: g })));
    const jig = new Jigsaw({ ...encoder(), numPermutations: 5 });
    const jt = jig.drawTask(x, new torch.Generator().manualSeed(6));
    const h = new torch.Generator().manualSeed(6);
    assert.deepEqual(values(jt.origins), values(gridOrigins(3, 12, 12, jigsawGeometry(12), h)));
    assert.deepEqual(values(jt.labels), values(torch.randint(0, 5, [3], { generator: h })));
    const live = torch.memory().tensors;
    const owned = jig.stateDict().size + 1; // and the permutation table
    jig.dispose();
    assert.equal(live - torch.memory().tensors, owned, 'dispose frees the permutation table');
  });
});

/** The share of rows whose arg-max is the label. */
function accuracyOf(logits: Tensor, labels: Tensor): number {
  const l = values(logits.argmax(1));
  const t = values(labels);
  return l.filter((v, i) => v === t[i]).length / l.length;
}
