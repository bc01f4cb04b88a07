// The held-out task metrics by value, for the methods and paths that
// test/ssl/pretext/task-metrics.test.ts does not reach: the report's line
// (each metric kind, its floor's name, the image count), which rows are
// evaluated and in which batches, the seconds, eval mode (no batch-norm
// statistics move), the relative-position, damaged-jigsaw, split-brain and
// DeOldify metrics against sums written out here over the same draws, and the
// exact refusals.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { Linear } from '../../../lib/nn/layers/linear';
import { synthetic } from '../../../lib/data/synthetic';
import { disposeDataset, ImageDataset } from '../../../lib/data/dataset';
import { normalize, toFloatImages } from '../../../lib/data/transforms/normalize';
import { labToRgb, rgbToLab } from '../../../lib/data/transforms/lab';
import { Rotation } from '../../../lib/ssl/rotation';
import { RelativePosition } from '../../../lib/ssl/relative-position';
import { Jigsaw } from '../../../lib/ssl/jigsaw';
import { ContextEncoder } from '../../../lib/ssl/context-encoder';
import { DamagedJigsaw } from '../../../lib/ssl/damaged-jigsaw';
import { Colorization } from '../../../lib/ssl/colorization';
import { SplitBrain } from '../../../lib/ssl/split-brain';
import { DeOldify } from '../../../lib/ssl/deoldify';
import { SimCLR } from '../../../lib/ssl/simclr';
import { SmallCnn } from '../../../lib/models/small-cnn';
import { TASK_EVAL_OPTIONS, evaluateTask, formatTaskReport } from '../../../lib/ssl/pretext/task-metrics';

const plain = (t: Tensor): number[] => Array.from(t.flatten().to('float64').toTypedArray() as Float64Array);
const gen = (seed: number): torch.Generator => new torch.Generator().manualSeed(seed);

/** Forces the last Linear of a Linear-ReLU-Linear head to answer `k` for every input. */
function forceAnswer(head: { at(i: number): unknown }, k: number): void {
  const last = head.at(2) as Linear;
  torch.noGrad(() => {
    last.weight.zero_();
    const bias = torch.zeros(last.bias!.shape);
    bias.narrow(0, k, 1).fill_(5);
    last.bias!.copy_(bias);
  });
}

/** The (normalised, [0, 1]) images of `rows` of `data`. */
function batch(data: ImageDataset, rows: number[]): { x01: Tensor; xn: Tensor } {
  const x01 = toFloatImages(data.images.indexSelect(0, torch.tensor(rows, { dtype: 'int64' })));
  return { x01, xn: normalize(x01, data.mean, data.std) };
}

/** Sum of squared differences and the count. */
function sq(a: number[], b: number[]): [number, number] {
  return [a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0), a.length];
}

const near = (got: number, want: number, what: string): void =>
  assert.ok(Math.abs(got - want) <= 1e-6 * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want}`);

describe('ssl/pretext: task metrics by value', function () {
  this.timeout(120000);
  let gray: ImageDataset;
  let colour: ImageDataset;
  before(() => {
    gray = synthetic({ n: 30, channels: 1, size: 24, classes: 3, seed: 4 });
    colour = synthetic({ n: 12, channels: 3, size: 32, classes: 3, seed: 5 });
  });
  after(() => {
    disposeDataset(gray);
    disposeDataset(colour);
  });

  it('formatTaskReport: accuracies in percent with their chance, errors to 4 places with their floor\'s name, the image count', () => {
    const r = {
      method: 'damaged_jigsaw', dataset: 'cifar10/test', images: 12345, seconds: 1, metrics: [
        { name: 'permutationAccuracy', value: 0.91234, floor: 0.01, higherIsBetter: true },
        { name: 'inpaintingError', value: 0.012345, floor: 0.05, higherIsBetter: false },
        { name: 'colorizationError', value: 0.00321, floor: 0.004, higherIsBetter: false },
      ],
    };
    assert.equal(formatTaskReport(r), 'permutationAccuracy 91.2% (chance 1.0%); inpaintingError 0.0123 (floor 0.0500: the mean ' +
      'colour); colorizationError 0.0032 (floor 0.0040: the gray image) on 12,345 held-out cifar10/test images');
    assert.equal(formatTaskReport({ ...r, images: 7, metrics: [r.metrics[0]] }),
      'permutationAccuracy 91.2% (chance 1.0%) on 7 held-out cifar10/test images');
    assert.deepEqual(TASK_EVAL_OPTIONS.keys, ['maxImages', 'batchSize', 'seed', 'device']);
  });

  it('evaluates maxImages rows evenly spaced over the split, in batches, in eval mode, on the given device; times itself', () => {
    torch.manualSeed(0);
    const m = new Colorization({ encoder: 'small_cnn', encoderOptions: { width: 4 }, hiddenDim: 8 });
    m.augmentation({ size: 32, channels: 3, mean: colour.mean, std: colour.std, dataset: colour.name });
    m.train();
    const bn = (m.encoder.branches[0].net as SmallCnn).norms[0];
    const before = plain(bn.runningMean!);
    const now = Date.now;
    let calls = 0;
    Date.now = () => (calls++ === 0 ? 1000 : 3500);
    let r;
    try {
      r = evaluateTask(m, colour, { mean: colour.mean, std: colour.std, maxImages: 5, batchSize: 2, device: 'cpu' });
    } finally {
      Date.now = now;
    }
    assert.equal(r.seconds, 2.5);
    assert.equal(m.training, true, 'back in training mode');
    assert.deepEqual(plain(bn.runningMean!), before, 'no batch-norm statistics moved: eval mode');
    assert.equal(r.images, 5);
    assert.equal(r.method, 'colorization');
    assert.equal(r.dataset, colour.name);
    // Rows floor(i * 12 / 5): 0, 2, 4, 7, 9; the model in eval mode.
    m.eval();
    const { x01, xn } = batch(colour, [0, 2, 4, 7, 9]);
    const made = plain(m.colorize(xn));
    const px = plain(x01);
    const lab = rgbToLab(x01);
    const grayImage = plain(labToRgb(torch.cat([lab.narrow(1, 0, 1), torch.zeros([5, 2, 32, 32])], 1)));
    const [s, n] = sq(made, px);
    const [f] = sq(grayImage, px);
    assert.equal(r.metrics.length, 1);
    assert.equal(r.metrics[0].name, 'colorizationError');
    assert.equal(r.metrics[0].higherIsBetter, false);
    near(r.metrics[0].value, s / n, 'value');
    near(r.metrics[0].floor, f / n, 'floor');
    // The method stays in eval mode when it was.
    evaluateTask(m, colour, { mean: colour.mean, std: colour.std, maxImages: 2 });
    assert.equal(m.training, false);
    // All of a split smaller than maxImages (default 2000), each image once.
    assert.equal(evaluateTask(m, colour, { mean: colour.mean, std: colour.std }).images, 12);
    // One mean and std for every channel, as normalize takes them (was a raw aten::view error on colour data).
    const one = { mean: [0.45], std: [0.25], maxImages: 4 };
    assert.deepEqual(evaluateTask(m, colour, one).metrics,
      evaluateTask(m, colour, { mean: [0.45, 0.45, 0.45], std: [0.25, 0.25, 0.25], maxImages: 4 }).metrics);
    assert.throws(() => evaluateTask(m, colour, { mean: [0.4, 0.5], std: [0.25], maxImages: 4 }),
      { name: 'RangeError', message: 'Expected 3 numbers (one per channel) for mean but received [0.4,0.5]' });
  });

  it('rotation, jigsaw and context encoder on heads left as drawn: each count and error summed by hand over the same draws', () => {
    torch.manualSeed(1);
    // 12 images in batches of 6: the loop ends at start = 12 = n (a jigsaw cannot take an empty batch).
    const rows = Array.from({ length: 12 }, (_, i) => Math.floor((i * 30) / 12));
    const chunks = [rows.slice(0, 6), rows.slice(6)];
    const rot = new Rotation({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 8 });
    const jig = new Jigsaw({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, numPermutations: 3, hiddenDim: 8 });
    const ce = new ContextEncoder({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, imageSize: 24,
      discriminatorWidth: 4 });
    const [r, j, c] = [rot, jig, ce].map((m) => evaluateTask(m, gray, { mean: gray.mean, std: gray.std, batchSize: 6, seed: 5,
      maxImages: 12 }));
    const gj = gen(5);
    const gc = gen(5);
    const right = [0, 0];
    const err = [0, 0, 0];
    torch.noGrad(() => {
      for (const m of [rot, jig, ce]) m.eval();
      for (const chunk of chunks) {
        const { x01, xn } = batch(gray, chunk);
        const { images, labels } = rot.rotations(xn);
        right[0] += plain(rot.rotationHead.forward(rot.encoder.forward(images)).argmax(1).eq(labels)).filter((v) => v === 1).length;
        const task = jig.drawTask(xn, gj);
        right[1] += plain(jig.taskLoss(xn, task).logits.argmax(1).eq(task.labels)).filter((v) => v === 1).length;
        const hole = ce.drawTask(xn, gc);
        const pred = plain(ce.inpaint(xn, hole.hole).prediction);
        const w = plain(hole.weights);
        const px = plain(x01);
        for (let i = 0; i < px.length; i++) {
          if (w[i] <= 0) continue;
          err[0] += (pred[i] * gray.std[0] + gray.mean[0] - px[i]) ** 2;
          err[1] += (gray.mean[0] - px[i]) ** 2;
          err[2] += 1;
        }
      }
    });
    assert.deepEqual(r.metrics, [{ name: 'rotationAccuracy', value: right[0] / 48, floor: 0.25, higherIsBetter: true }]);
    assert.ok(right[0] > 0 && right[0] < 48, `${right[0]} of 48 rotations right`);
    assert.deepEqual(j.metrics, [{ name: 'permutationAccuracy', value: right[1] / 12, floor: 1 / 3, higherIsBetter: true }]);
    assert.equal(c.metrics[0].name, 'inpaintingError');
    near(c.metrics[0].value, err[0] / err[2], 'inpainting');
    near(c.metrics[0].floor, err[1] / err[2], 'inpainting floor');
  });

  it('relative position: a head forced to one answer scores the share of pairs drawn with that label; chance 1/8', () => {
    torch.manualSeed(0);
    const m = new RelativePosition({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 8, patchSize: 6,
      gap: 1, jitter: 1 });
    // The labels of the same draws by hand: 20 images evenly spaced over 30, batches of 8, one generator seeded 3.
    const rows = Array.from({ length: 20 }, (_, i) => Math.floor((i * 30) / 20));
    const g = gen(3);
    const labels: number[] = [];
    for (let s = 0; s < 20; s += 8) labels.push(...plain(m.drawTask(batch(gray, rows.slice(s, s + 8)).xn, g).labels));
    const k = labels[0];
    const share = labels.filter((l) => l === k).length / 20;
    assert.ok(share > 0 && share < 1, `${share} of the labels are ${k}`);
    forceAnswer(m.pairHead, k);
    const r = evaluateTask(m, gray, { mean: gray.mean, std: gray.std, batchSize: 8, seed: 3, maxImages: 20 });
    assert.deepEqual(r.metrics, [{ name: 'positionAccuracy', value: share, floor: 1 / 8, higherIsBetter: true }]);
    const other = evaluateTask(m, gray, { mean: gray.mean, std: gray.std, batchSize: 8, seed: 4, maxImages: 20 });
    assert.notEqual(other.metrics[0].value, r.metrics[0].value, 'the seed reaches the draws');
  });

  it('damaged jigsaw: permutation accuracy, the missing tile\'s error (floor: the mean colour), the present tiles\' (floor: gray)', () => {
    torch.manualSeed(0);
    const m = new DamagedJigsaw({ encoder: 'small_cnn', encoderOptions: { inChannels: 3, width: 4 }, hiddenDim: 8,
      colorizationHiddenDim: 8, numPermutations: 5 });
    const r = evaluateTask(m, colour, { mean: colour.mean, std: colour.std, batchSize: 5, seed: 2, maxImages: 8 });
    const rows = Array.from({ length: 8 }, (_, i) => Math.floor((i * 12) / 8));
    const g = gen(2);
    const mean = colour.mean;
    const std = colour.std;
    m.eval();
    const acc = [0, 0];
    const inp = [0, 0, 0];
    const col = [0, 0, 0];
    for (let s = 0; s < 8; s += 5) {
      torch.noGrad(() => {
        const { xn } = batch(colour, rows.slice(s, s + 5));
        const B = xn.shape[0];
        const task = m.drawTask(xn, g);
        const out = m.taskLoss(xn, task);
        const tiles = m.puzzle(xn, task).tiles; // (B, 9, 3, P, P) normalised
        const P = tiles.shape[3];
        const toPixels = (t: Tensor, dim: number): Tensor => t.mul(torch.tensor(std).view([3, 1, 1])).add(torch.tensor(mean).view([3, 1, 1]))
          .narrow(dim, 0, 3);
        const tiles01 = toPixels(tiles, 2);
        const grayTiles = labToRgb(torch.cat([rgbToLab(tiles01.reshape([B * 9, 3, P, P]).clamp(0, 1)).narrow(1, 0, 1),
          torch.zeros([B * 9, 2, P, P])], 1)).view([B, 9, 3, P, P]);
        const missing = plain(task.missing);
        const labels = plain(task.labels);
        const predicted = plain(out.logits.argmax(1));
        for (let b = 0; b < B; b++) {
          acc[0] += predicted[b] === labels[b] ? 1 : 0;
          acc[1] += 1;
          const target = plain(tiles01.select(0, b).select(0, missing[b]));
          const [v, n] = sq(plain(toPixels(out.inpainted.select(0, b), 0)), target);
          const meanTile = target.map((_, i) => mean[Math.floor(i / (P * P))]);
          inp[0] += v;
          inp[1] += sq(meanTile, target)[0];
          inp[2] += n;
          for (let k = 0; k < 9; k++) {
            if (k === missing[b]) continue;
            const truth = plain(tiles01.select(0, b).select(0, k));
            const [cv, cn] = sq(plain(toPixels(out.colorized.select(0, b).select(0, k), 0)), truth);
            col[0] += cv;
            col[1] += sq(plain(grayTiles.select(0, b).select(0, k)), truth)[0];
            col[2] += cn;
          }
        }
      });
    }
    assert.deepEqual(r.metrics.map((x) => [x.name, x.higherIsBetter]),
      [['permutationAccuracy', true], ['inpaintingError', false], ['colorizationError', false]]);
    near(r.metrics[0].value, acc[0] / acc[1], 'accuracy');
    assert.equal(r.metrics[0].floor, 1 / 5);
    near(r.metrics[1].value, inp[0] / inp[2], 'inpainting');
    near(r.metrics[1].floor, inp[1] / inp[2], 'inpainting floor');
    near(r.metrics[2].value, col[0] / col[2], 'colorization');
    near(r.metrics[2].floor, col[1] / col[2], 'colorization floor');
  });

  it('split-brain and DeOldify: colorize() against the pixels; floors: L with ab = 0, and the luma input in every channel', () => {
    torch.manualSeed(0);
    const spec = { size: 32, channels: 3, mean: colour.mean, std: colour.std, dataset: colour.name };
    const sb = new SplitBrain({ encoder: 'small_cnn', encoderOptions: { width: 4 }, hiddenDim: 8 });
    sb.augmentation(spec);
    const dd = new DeOldify({ encoder: 'small_cnn', encoderOptions: { width: 4 }, criticWidth: 4 });
    dd.augmentation(spec);
    const { x01, xn } = batch(colour, Array.from({ length: 12 }, (_, i) => i));
    const px = plain(x01);
    for (const [m, floorImage] of [
      [sb, (): number[] => plain(labToRgb(torch.cat([rgbToLab(x01).narrow(1, 0, 1), torch.zeros([12, 2, 32, 32])], 1)))],
      [dd, (): number[] => plain(dd.examples(xn).input.expand([12, 3, 32, 32]))],
    ] as const) {
      const r = evaluateTask(m, colour, { mean: colour.mean, std: colour.std, batchSize: 5 });
      m.eval();
      const [s, n] = sq(plain(m.colorize(xn)), px);
      const [f] = sq(floorImage(), px);
      assert.equal(r.metrics[0].name, 'colorizationError', m.name);
      near(r.metrics[0].value, s / n, `${m.name} value`);
      near(r.metrics[0].floor, f / n, `${m.name} floor`);
      assert.ok(Math.abs(r.metrics[0].floor - r.metrics[0].value) > 1e-4, `${m.name}: value and floor differ`);
    }
  });

  it('refuses a method without a task and bad options, with the exact messages', () => {
    const simclr = new SimCLR({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 8, outDim: 4 });
    assert.throws(() => evaluateTask(simclr, gray, { mean: gray.mean, std: gray.std }), {
      name: 'TypeError',
      message: 'Expected a pretext method (rotation, jigsaw, relative_position, context_encoder, damaged_jigsaw, colorization, ' +
        "split_brain, deoldify) for evaluateTask but received 'simclr'",
    });
    const m = new Rotation({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 8 });
    assert.throws(() => evaluateTask(m, gray, { mean: gray.mean, std: gray.std, maxImages: 0 }),
      { message: 'Expected positive integer for evaluateTask options.maxImages but received 0' });
    assert.throws(() => evaluateTask(m, gray, { mean: gray.mean, std: gray.std, batchSize: 1.5 }),
      { message: 'Expected positive integer for evaluateTask options.batchSize but received 1.5' });
    // maxImages 1 and batchSize 1 are allowed: one image, one batch.
    forceAnswer(m.rotationHead, 0);
    assert.deepEqual(evaluateTask(m, gray, { mean: gray.mean, std: gray.std, maxImages: 1, batchSize: 1 }).metrics,
      [{ name: 'rotationAccuracy', value: 0.25, floor: 0.25, higherIsBetter: true }]);
  });
});
