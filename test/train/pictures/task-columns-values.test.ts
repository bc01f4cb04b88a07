// task.png's columns by value for each pretext method: what each column holds
// (rebuilt here from the method's own task draws), the mosaics' layout (tiles
// at multiples of P + 1, white lines between), the legends' exact text, the
// method's mode and statistics left as they were, and the refusal by message.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { synthetic } from '../../../lib/data/synthetic';
import { ImageDataset, disposeDataset } from '../../../lib/data/dataset';
import { toFloatImages } from '../../../lib/data/transforms/normalize';
import { Rotation } from '../../../lib/ssl/rotation';
import { RelativePosition } from '../../../lib/ssl/relative-position';
import { ContextEncoder } from '../../../lib/ssl/context-encoder';
import { DamagedJigsaw } from '../../../lib/ssl/damaged-jigsaw';
import { Colorization } from '../../../lib/ssl/colorization';
import { SplitBrain } from '../../../lib/ssl/split-brain';
import { DeOldify } from '../../../lib/ssl/deoldify';
import { SimCLR } from '../../../lib/ssl/simclr';
import { SmallCnn } from '../../../lib/models/small-cnn';
import { patchesAt } from '../../../lib/ssl/pretext/grid-patches';
import { isTaskMethod, taskColumns } from '../../../lib/train/pictures/task-columns';

const same = (a: Tensor, b: Tensor, what: string): void => {
  assert.deepEqual(a.shape, b.shape, what);
  assert.ok(a.to('float32').sub(b.to('float32')).abs().max().item() as number < 1e-6, what);
};
const g = (seed: number) => new torch.Generator().manualSeed(seed);

/** The cell (r, c) of a 3 x 3 mosaic of P-pixel tiles. */
const cell = (mosaic: Tensor, r: number, c: number, P: number): Tensor => mosaic.narrow(2, r * (P + 1), P).narrow(3, c * (P + 1), P);

describe('train/pictures: task columns by value', function () {
  this.timeout(60_000);
  let gray: ImageDataset;
  let colour: ImageDataset;
  let xg: Tensor;
  let xc: Tensor;
  before(() => {
    gray = synthetic({ n: 8, channels: 1, size: 24, classes: 4, seed: 1 });
    colour = synthetic({ n: 8, channels: 3, size: 24, classes: 4, seed: 2 });
    xg = torch.keep(toFloatImages(gray.images.narrow(0, 0, 3)));
    xc = torch.keep(toFloatImages(colour.images.narrow(0, 0, 3)));
  });
  after(() => {
    disposeDataset(gray);
    disposeDataset(colour);
    xg.dispose();
    xc.dispose();
  });
  const norm = (x: Tensor, ds: ImageDataset): Tensor =>
    x.sub(torch.tensor(ds.mean).view([1, -1, 1, 1])).div(torch.tensor(ds.std).view([1, -1, 1, 1]));

  it('refuses a method without a task, naming the ones with one', () => {
    torch.manualSeed(0);
    const simclr = new SimCLR({ encoder: new SmallCnn({ inChannels: 1, width: 4 }), hiddenDim: 8, outDim: 4 });
    assert.equal(isTaskMethod(simclr), false);
    assert.throws(() => taskColumns(simclr, xg, gray.mean, gray.std), {
      name: 'TypeError', message: 'Expected a pretext method (rotation, jigsaw, relative_position, context_encoder, damaged_jigsaw, ' +
        "colorization, split_brain, deoldify) for taskColumns but received 'simclr'; use --recipe to preview an augmentation recipe" });
  });

  it('rotation: the image and its four rotations, the labels and the head\'s predictions; the mode left as it was', () => {
    torch.manualSeed(0);
    const m = new Rotation({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 8 });
    assert.equal(isTaskMethod(m), true);
    m.train();
    const out = taskColumns(m, xg, gray.mean, gray.std);
    assert.equal(m.training, true);
    const { images, labels } = m.rotations(xg);
    assert.equal(out.columns.length, 5);
    same(out.columns[0], xg, 'original');
    images.chunk(4, 0).forEach((c, i) => same(out.columns[i + 1], c, `rotation ${i}`));
    assert.deepEqual(out.legend, ['original', 'input rotated 0 deg counter-clockwise = label 0', 'input rotated 90 deg counter-clockwise = label 1',
      'input rotated 180 deg counter-clockwise = label 2', 'input rotated 270 deg counter-clockwise = label 3']);
    same(out.task!.labels, labels, 'labels');
    m.eval();
    const predicted = torch.noGrad(() => m.rotationHead.forward(m.encoder.forward(m.rotations(norm(xg, gray)).images)).argmax(1));
    same(out.task!.predicted, predicted, 'predicted');
    taskColumns(m, xg, gray.mean, gray.std);
    assert.equal(m.training, false);
  });

  it('relative position: centre and neighbour patches, the target and predicted places as 3 x 3 mosaics', () => {
    torch.manualSeed(0);
    const m = new RelativePosition({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, hiddenDim: 8, patchSize: 6, gap: 1, jitter: 1 });
    const out = taskColumns(m, xg, gray.mean, gray.std, g(4));
    const task = m.drawTask(norm(xg, gray), g(4));
    same(out.task!.origins, task.origins, 'origins');
    same(out.task!.labels, task.labels, 'labels');
    const P = m.geometry(24).patchSize;
    const patches = patchesAt(xg, task.origins, P); // (B, 9, C, P, P)
    assert.deepEqual(out.legend, ['original', 'input: centre patch', 'input: neighbour patch', 'target: the neighbour\'s place', 'predicted place']);
    same(out.columns[1], patches.select(1, 4), 'centre');
    const labels = task.labels.toArray() as number[];
    labels.forEach((label, b) => {
      const at = Number(label) + (Number(label) >= 4 ? 1 : 0); // classes 0..7 are the cells around the centre
      same(out.columns[2].select(0, b), patches.select(0, b).select(0, at), `neighbour ${b}`);
      const target = out.columns[3].narrow(0, b, 1);
      assert.deepEqual(target.shape, [1, 1, 3 * P + 2, 3 * P + 2]);
      for (let c = 0; c < 9; c++) {
        const want = c === 4 || c === at ? patches.narrow(0, b, 1).select(1, c) : torch.full([1, 1, P, P], 0.5);
        same(cell(target, Math.floor(c / 3), c % 3, P), want, `target ${b} cell ${c}`);
      }
      same(target.narrow(2, P, 1), torch.ones([1, 1, 1, 3 * P + 2]), 'the white line under the first row');
    });
  });

  it('context encoder: the hole gray, the loss weights scaled, the prediction only in the region', () => {
    torch.manualSeed(0);
    const m = new ContextEncoder({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 }, imageSize: 24, discriminatorWidth: 4 });
    const out = taskColumns(m, xg, gray.mean, gray.std, g(2));
    const task = m.drawTask(norm(xg, gray), g(2));
    same(out.task!.hole, task.hole, 'hole');
    same(out.columns[1], torch.where(task.hole.gt(0), 0.5, xg), 'the hole gray');
    same(out.columns[2], task.weights.div(m.overlapWeight).clamp(0, 1), 'weights');
    const outside = task.weights.eq(0);
    same(torch.where(outside, out.columns[3], 0), torch.where(outside, xg, 0), 'the image outside the region');
    assert.deepEqual(out.legend, ['original (the target)', 'input: the hole filled (gray here, the mean in training)',
      `loss weights (white 1, gray ${m.overlapWeight} on the ${m.overlap} px overlap, scaled)`, 'prediction in the region']);
  });

  it('damaged jigsaw: the legend, four mosaics, the method\'s pixel statistics restored', () => {
    torch.manualSeed(0);
    const m = new DamagedJigsaw({ encoder: 'small_cnn', encoderOptions: { inChannels: 3, width: 4 }, hiddenDim: 8, colorizationHiddenDim: 8,
      numPermutations: 5 });
    const big = synthetic({ n: 3, channels: 3, size: 32, classes: 4, seed: 3 }); // a 3 x 3 grid of 9 px tiles needs 27 px
    const x = toFloatImages(big.images);
    const saved = [[...m.pixelStd], [...m.pixelMean]];
    const out = taskColumns(m, x, big.mean, big.std, g(1));
    assert.deepEqual([m.pixelStd, m.pixelMean], saved);
    assert.deepEqual(out.legend, ['original', 'input: shuffled, gray, one tile missing (black)', 'target: colour tiles in puzzle order',
      'prediction: colorized tiles and the inpainted missing one']);
    const task = m.drawTask(norm(x, big), g(1));
    same(out.task!.missing, task.missing, 'missing');
    same(out.columns[0], x, 'original');
    disposeDataset(big);
  });

  it('colour methods: the gray input, the colours made of it and the target; split-brain\'s two halves', () => {
    torch.manualSeed(0);
    const col = new Colorization({ encoder: 'small_cnn', encoderOptions: { width: 4 }, hiddenDim: 8 });
    col.augmentation({ size: 24, channels: 3, mean: colour.mean, std: colour.std, dataset: colour.name });
    const c = taskColumns(col, xc, colour.mean, colour.std);
    assert.deepEqual(c.legend, ['original', 'input: L (lightness)', 'colorized by the network', 'target: the colour image']);
    const ex = col.examples(norm(xc, colour));
    same(c.columns[1], ex.input.expand([-1, 3, -1, -1]), 'gray');
    same(c.columns[3], ex.target, 'target');
    const dd = new DeOldify({ encoder: 'small_cnn', encoderOptions: { width: 4 }, criticWidth: 4 });
    dd.augmentation({ size: 24, channels: 3, mean: colour.mean, std: colour.std, dataset: colour.name });
    assert.deepEqual(taskColumns(dd, xc, colour.mean, colour.std).legend,
      ['original', 'input: the gray image', 'colorized by the network', 'target: the colour image']);
    const sb = new SplitBrain({ encoder: 'small_cnn', encoderOptions: { width: 4 }, hiddenDim: 8 });
    sb.augmentation({ size: 24, channels: 3, mean: colour.mean, std: colour.std, dataset: colour.name });
    const s = taskColumns(sb, xc, colour.mean, colour.std);
    assert.deepEqual(s.legend, ['original', 'input of the L -> ab half: L', 'input of the ab -> L half: ab drawn at L = 50',
      'colorized from L by the L -> ab half (annealed mean)', 'target: the colour image (through Lab and back)']);
    same(s.columns[2], sb.examples(norm(xc, colour)).colourInput, 'ab input');
  });
});
