// The held-out task metrics of the pretext methods against hand counts: a
// classifier forced to one answer scores exactly the share of tasks drawn
// with that answer (counted here from the same seeded draws), and the
// inpainting and colorization errors equal sums over every pixel written out
// here (not means of batch means), with their floors.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { Linear } from '../../../lib/nn/layers/linear';
import { synthetic } from '../../../lib/data/synthetic';
import { disposeDataset, ImageDataset } from '../../../lib/data/dataset';
import { normalize, toFloatImages } from '../../../lib/data/transforms/normalize';
import { labToRgb, rgbToLab } from '../../../lib/data/transforms/lab';
import { Rotation } from '../../../lib/ssl/rotation';
import { Jigsaw } from '../../../lib/ssl/jigsaw';
import { ContextEncoder } from '../../../lib/ssl/context-encoder';
import { Colorization } from '../../../lib/ssl/colorization';
import { SimCLR } from '../../../lib/ssl/simclr';
import { evaluateTask, formatTaskReport } from '../../../lib/ssl/pretext/task-metrics';
import { resolveRunConfig, runTrain } from '../../../lib/cli/train';

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

const plain = (t: Tensor): number[] => Array.from(t.flatten().to('float32').toTypedArray() as Float32Array);

describe('ssl/pretext: task metrics on held-out images', function () {
  this.timeout(120000);
  let gray: ImageDataset;
  let colour: ImageDataset;
  before(() => {
    gray = synthetic({ n: 30, channels: 1, size: 24, classes: 3, seed: 4 });
    colour = synthetic({ n: 12, channels: 3, size: 16, classes: 3, seed: 5 });
  });
  after(() => {
    disposeDataset(gray);
    disposeDataset(colour);
  });

  it('rotation: a head that always answers 90 degrees scores exactly 1/4, its chance', () => {
    torch.manualSeed(0);
    const m = new Rotation({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 8 });
    forceAnswer(m.rotationHead, 1);
    const r = evaluateTask(m, gray, { mean: gray.mean, std: gray.std, batchSize: 7 });
    assert.equal(r.images, 30);
    assert.deepEqual(r.metrics, [{ name: 'rotationAccuracy', value: 0.25, floor: 0.25, higherIsBetter: true }]);
    assert.match(formatTaskReport(r), /^rotationAccuracy 25\.0% \(chance 25\.0%\) on 30 held-out synthetic/);
  });

  it('jigsaw: a head that always answers permutation 3 scores the share of puzzles drawn with label 3', () => {
    torch.manualSeed(0);
    const m = new Jigsaw({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, numPermutations: 4, hiddenDim: 8 });
    forceAnswer(m.jigsawHead, 3);
    const r = evaluateTask(m, gray, { mean: gray.mean, std: gray.std, batchSize: 8, seed: 2, maxImages: 20 });
    // The same draws by hand: 20 images evenly spaced over 30, batches of 8, one generator seeded 2.
    const rows = Array.from({ length: 20 }, (_, i) => Math.floor((i * 30) / 20));
    const g = new torch.Generator().manualSeed(2);
    let threes = 0;
    for (let s = 0; s < 20; s += 8) {
      const x = normalize(toFloatImages(gray.images.indexSelect(0, torch.tensor(rows.slice(s, s + 8), { dtype: 'int64' }))),
        gray.mean, gray.std);
      threes += plain(m.drawTask(x, g).labels).filter((l) => l === 3).length;
    }
    assert.ok(threes > 0 && threes < 20, `${threes} of 20 labels are 3: the check can tell`);
    assert.equal(r.metrics[0].name, 'permutationAccuracy');
    assert.equal(r.metrics[0].value, threes / 20);
    assert.equal(r.metrics[0].floor, 1 / 4);
  });

  it('context encoder: the inpainting error is the mean squared pixel error over every predicted pixel; its floor the mean colour\'s', () => {
    torch.manualSeed(0);
    const m = new ContextEncoder({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, imageSize: 24,
      discriminatorWidth: 4 });
    const r = evaluateTask(m, gray, { mean: gray.mean, std: gray.std, batchSize: 4, seed: 1, maxImages: 10 });
    const rows = Array.from({ length: 10 }, (_, i) => Math.floor((i * 30) / 10));
    const g = new torch.Generator().manualSeed(1);
    let sum = 0;
    let floor = 0;
    let count = 0;
    m.eval();
    for (let s = 0; s < 10; s += 4) {
      const x01 = toFloatImages(gray.images.indexSelect(0, torch.tensor(rows.slice(s, s + 4), { dtype: 'int64' })));
      const xn = normalize(x01, gray.mean, gray.std);
      const task = m.drawTask(xn, g);
      const pred = plain(torch.noGrad(() => m.inpaint(xn, task.hole).prediction));
      const w = plain(task.weights);
      const px = plain(x01);
      for (let i = 0; i < px.length; i++) {
        if (w[i] <= 0) continue;
        sum += (pred[i] * gray.std[0] + gray.mean[0] - px[i]) ** 2;
        floor += (gray.mean[0] - px[i]) ** 2;
        count++;
      }
    }
    assert.equal(r.metrics[0].name, 'inpaintingError');
    assert.ok(Math.abs(r.metrics[0].value - sum / count) < 1e-6 * Math.max(1, sum / count), `${r.metrics[0].value} vs ${sum / count}`);
    assert.ok(Math.abs(r.metrics[0].floor - floor / count) < 1e-6, `${r.metrics[0].floor} vs ${floor / count}`);
    assert.equal(r.metrics[0].higherIsBetter, false);
  });

  it('colorization: the error of colorize() against the original pixels, the floor that of L with no colour (ab = 0)', () => {
    torch.manualSeed(0);
    const m = new Colorization({ encoder: 'small_cnn', encoderOptions: { width: 4 }, hiddenDim: 8 });
    m.augmentation({ size: 16, channels: 3, mean: colour.mean, std: colour.std, dataset: colour.name });
    const r = evaluateTask(m, colour, { mean: colour.mean, std: colour.std, batchSize: 5 });
    const x01 = toFloatImages(colour.images);
    const xn = normalize(x01, colour.mean, colour.std);
    m.eval();
    const made = plain(m.colorize(xn));
    const lab = rgbToLab(x01);
    const grayImage = plain(labToRgb(torch.cat([lab.narrow(1, 0, 1), torch.zeros([12, 2, 16, 16])], 1)));
    const px = plain(x01);
    const mse = (a: number[]): number => a.reduce((s, v, i) => s + (v - px[i]) ** 2, 0) / px.length;
    assert.equal(r.metrics[0].name, 'colorizationError');
    assert.ok(Math.abs(r.metrics[0].value - mse(made)) < 1e-6, `${r.metrics[0].value} vs ${mse(made)}`);
    assert.ok(Math.abs(r.metrics[0].floor - mse(grayImage)) < 1e-6, `${r.metrics[0].floor} vs ${mse(grayImage)}`);
  });

  it('the method is left in the mode it was in; a non-pretext method and bad options are refused', () => {
    torch.manualSeed(0);
    const m = new Rotation({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 8 });
    m.train();
    evaluateTask(m, gray, { mean: gray.mean, std: gray.std, maxImages: 4 });
    assert.equal(m.training, true);
    const simclr = new SimCLR({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 8, outDim: 4 });
    assert.throws(() => evaluateTask(simclr, gray, { mean: gray.mean, std: gray.std }), /Expected a pretext method .* 'simclr'/);
    assert.throws(() => evaluateTask(m, gray, { mean: gray.mean, std: gray.std, maxImages: 0 }), /maxImages/);
  });

  it('selfsup train: a pretext run prints its task metric, writes it into eval.json ("task") and draws task.png', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-task-metrics-'));
    try {
      const c = resolveRunConfig('rotation', { eval: true, data: 'synthetic', steps: 2, batchSize: 32, knnEvery: 0,
        evalTrainSubset: 256, encoderOptions: { width: 4 }, methodOptions: { hiddenDim: 8 }, out: dir });
      const printed: string[] = [];
      const run = await runTrain(c, { progress: 'none', stream: { write: () => true }, print: (t) => printed.push(t) });
      const saved = JSON.parse(fs.readFileSync(path.join(dir, 'eval.json'), 'utf8'));
      assert.deepEqual(saved.task, JSON.parse(JSON.stringify(run.task)));
      assert.equal(saved.task.metrics[0].name, 'rotationAccuracy');
      assert.equal(saved.task.images, 256); // the whole synthetic test split
      assert.equal(saved.rows.length, 3); // the frozen-encoder report is still there
      assert.match(printed.join(''), /Pretext task: rotationAccuracy \d+\.\d% \(chance 25\.0%\) on 256 held-out/);
      assert.ok(fs.existsSync(path.join(dir, 'task.png')), 'task.png');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
