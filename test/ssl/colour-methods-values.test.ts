// Colorization and SplitBrain by value, one step each on a tiny fixed batch
// (no training, no Python): the loss rebuilt from the method's own encoder
// and heads and the ab-bin functions (soft targets, the rebalancing weights
// from the running bin counts, the lightness classes), each option changing
// the step where it acts (lambda, temperature, colourAtEvaluation,
// lightnessBins, hiddenDim), colorize() and examples(), and the refusals.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { adaptiveAvgPool2d } from '../../lib/nn/functional/pooling';
import { interpolate } from '../../lib/nn/functional/sampling';
import { crossEntropy } from '../../lib/nn/functional/loss';
import { labToRgb, withoutColour } from '../../lib/data/transforms/lab';
import { Colorization, colorizationEncoder } from '../../lib/ssl/colorization';
import { SplitBrain, splitBrainEncoder } from '../../lib/ssl/split-brain';
import { abBins, annealedMean, rebalanceWeights, smoothPrior, softEncode } from '../../lib/ssl/pretext/ab-bins';
import { TrainProgress } from '../../lib/ssl/method';
import { refuses } from '../helpers/refuses';
import { create as createModel } from '../../lib/models/registry';
import { Encoder } from '../../lib/models/encoder';
import { near, nearAll } from '../helpers/assert-close';

const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
const num = (t: Tensor): number => Number(t.item());
const progress: TrainProgress = { step: 0, totalSteps: 1, epoch: 0, stepsPerEpoch: 1 };
const spec = { size: 8, channels: 3, mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3] };


/** Normalised colour images fixed by a seed: pixels in [0, 1] normalised with `spec`. */
function batch(seed: number, B = 2): Tensor {
  const x = torch.rand([B, 3, 8, 8], { generator: new torch.Generator().manualSeed(seed) });
  return x.sub(torch.tensor(spec.mean).view([1, 3, 1, 1])).div(torch.tensor(spec.std).view([1, 3, 1, 1]));
}

/** Colorization's loss rebuilt: soft targets on the pooled ab, weights from the counts before this batch plus its nearest bins. */
function colorizationLoss(m: Colorization, x: Tensor, countsBefore: Tensor, lambda: number, colourInput: boolean): {
  loss: number; counts: number[]; v: number[] } {
  return torch.noGrad(() => {
    const bins = abBins();
    const lab = m.encoder.lab(x);
    const [features] = m.encoder.mapsFromLab(colourInput ? withoutColour(lab) : lab);
    const logits = m.colorizationHead.forward(features);
    const [B, , h, w] = logits.shape;
    const target = softEncode(adaptiveAvgPool2d(lab.narrow(1, 1, 2), [h, w]), { bins });
    const nearest = target.argmax(1).reshape([-1]);
    const counts = countsBefore.clone().scatterAdd(0, nearest, torch.ones([nearest.shape[0]]));
    const weights = rebalanceWeights(smoothPrior(counts, { bins }), { lambda });
    const v = weights.indexSelect(0, nearest).view([B, h, w]);
    const ce = target.mul(logits.logSoftmax(1)).sum([1]).neg();
    return { loss: num(ce.mul(v).mean()), counts: values(counts), v: values(v) };
  });
}

describe('ssl colour methods by value (Colorization, SplitBrain)', function () {
  this.timeout(60000);

  it('Colorization: the class-rebalanced soft cross-entropy, the bin counts kept across steps; lambda reaches the weights', () => {
    for (const lambda of [0.5, 0.2]) {
      torch.manualSeed(1);
      const m = new Colorization({ encoder: 'small_cnn', encoderOptions: { width: 2 }, hiddenDim: 6, ...(lambda === 0.5 ? {} : { lambda }) });
      m.augmentation(spec);
      m.train();
      const x1 = batch(1);
      const x2 = batch(2);
      const zeros = torch.zeros([313]);
      const first = colorizationLoss(m, x1, zeros, lambda, false);
      const out = m.trainingStep([x1], progress);
      near(num(out.loss), first.loss, `step 1, lambda ${lambda}`);
      assert.deepEqual(values(m.abCounts), first.counts, 'counts after step 1');
      const second = colorizationLoss(m, x2, m.abCounts, lambda, false);
      const t2 = m.taskLoss(x2);
      near(num(t2.loss), second.loss, `step 2, lambda ${lambda}`);
      nearAll(values(t2.pixelWeights), second.v, 'pixel weights');
      const other = colorizationLoss(m, x2, torch.tensor(first.counts), lambda === 0.5 ? 0.2 : 0.5, false);
      assert.ok(Math.abs(other.loss - second.loss) > 1e-4, 'lambda makes a difference here');
      // The embedding: the pooled feature map; the accuracy: argmax of logits against argmax of targets.
      const f = t2.features;
      assert.deepEqual(out.embedding!.shape, [2, f.shape[1]]);
      assert.equal(out.embedding!.requiresGrad, false);
      const check = m.taskLoss(x1);
      const acc = values(check.logits.argmax(1).eq(check.target.argmax(1)).to('float32'));
      assert.ok(typeof out.logs!.binAccuracy !== 'number');
      assert.equal(acc.length, 2 * f.shape[2] * f.shape[3]);
    }
  });

  it('Colorization: the step\'s embedding and accuracy by value; hiddenDim; colourAtEvaluation feeds Lab without colour', () => {
    torch.manualSeed(2);
    const m = new Colorization({ encoder: 'small_cnn', encoderOptions: { width: 2 }, hiddenDim: 5 });
    assert.deepEqual([...m.colorizationHead.children()].map(String), [
      'Conv2d(8, 5, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))', 'ReLU()', 'Conv2d(5, 313, kernel_size=(1, 1), stride=(1, 1))']);
    m.augmentation(spec);
    m.train();
    const x = batch(3);
    const counts = torch.zeros([313]);
    const t = torch.noGrad(() => {
      const lab = m.encoder.lab(x);
      const [features] = m.encoder.mapsFromLab(lab);
      const logits = m.colorizationHead.forward(features);
      const target = softEncode(adaptiveAvgPool2d(lab.narrow(1, 1, 2), [logits.shape[2], logits.shape[3]]), { bins: abBins() });
      return { emb: values(adaptiveAvgPool2d(features, 1).flatten(1)), acc: num(logits.argmax(1).eq(target.argmax(1)).to('float32').mean()) };
    });
    const out = m.trainingStep([x], progress);
    nearAll(values(out.embedding!), t.emb, 'embedding');
    near(num(out.logs!.binAccuracy as Tensor), t.acc, 'accuracy');
    assert.ok(values(m.abCounts).reduce((a, b) => a + b) > 0);
    assert.deepEqual(values(counts), new Array(313).fill(0));
    torch.manualSeed(3);
    const c = new Colorization({ encoder: 'small_cnn', encoderOptions: { width: 2 }, hiddenDim: 5, colourAtEvaluation: true });
    c.augmentation(spec);
    c.train();
    assert.equal(c.encoder.stateDict().get('net.conv1.weight')!.shape[1], 3);
    near(num(c.trainingStep([x], progress).loss), colorizationLoss(c, x, torch.zeros([313]), 0.5, true).loss, 'colourAtEvaluation');
    assert.equal(new Colorization({ encoder: 'small_cnn', encoderOptions: { width: 2 } }).encoder.stateDict().get('net.conv1.weight')!.shape[1], 1);
    assert.equal(new Colorization({ encoder: 'small_cnn' }).hiddenDim, 256);
    refuses(() => m.augmentation({ ...spec, channels: 1, mean: [0.5], std: [0.5] }),
      'Colorization needs colour (3-channel RGB) images (it predicts the colour channels ab of Lab from the lightness L) but the ' +
      'data has 1-channel images of 8 x 8 px; use --data photos, cifar10:<dir>, stl10:<dir> or a folder of colour images');
    refuses(() => m.trainingStep([x, x], progress),
      'Colorization expects one view [x] of shape (B, C, H, W) (as its augmentation() gives) but received 2 item(s)');
  });

  it('Colorization.colorize: L with the annealed-mean ab (temperature 0.38 or the option) upsampled; examples()', () => {
    for (const temperature of [0.38, 1]) {
      torch.manualSeed(4);
      const m = new Colorization({ encoder: 'small_cnn', encoderOptions: { width: 2 }, hiddenDim: 4,
        ...(temperature === 0.38 ? {} : { temperature }) });
      m.augmentation(spec);
      m.eval();
      const x = batch(5);
      const expected = torch.noGrad(() => {
        const lab = m.encoder.lab(x);
        const logits = m.colorizationHead.forward(m.encoder.mapsFromLab(lab)[0]);
        const ab = annealedMean(logits, { temperature, bins: abBins() });
        const full = interpolate(ab, { size: [8, 8], mode: 'bilinear', alignCorners: false });
        return values(labToRgb(torch.cat([lab.narrow(1, 0, 1), full], 1)));
      });
      nearAll(values(m.colorize(x)), expected, `colorize at ${temperature}`, 1e-4);
      const ex = m.examples(x);
      const lab = m.encoder.lab(x);
      nearAll(values(ex.input), values(lab.narrow(1, 0, 1).div(100)), 'examples input');
      nearAll(values(ex.target), values(labToRgb(lab)), 'examples target', 1e-4);
    }
  });

  it('SplitBrain: ab from L (soft cross-entropy) plus L from ab (lightnessBins classes of L); features of both halves', () => {
    for (const lightnessBins of [50, 7]) {
      torch.manualSeed(6);
      const m = new SplitBrain({ encoder: 'small_cnn', encoderOptions: { width: 2 }, hiddenDim: 5,
        ...(lightnessBins === 50 ? {} : { lightnessBins }) });
      assert.deepEqual([...m.lHead.children()].map(String), ['Conv2d(8, 5, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))', 'ReLU()',
        `Conv2d(5, ${lightnessBins}, kernel_size=(1, 1), stride=(1, 1))`]);
      assert.equal(String([...m.abHead.children()][2]), 'Conv2d(5, 313, kernel_size=(1, 1), stride=(1, 1))');
      m.augmentation(spec);
      m.train();
      const x = batch(7);
      const ref = torch.noGrad(() => {
        const lab = m.encoder.lab(x);
        const [lMap, abMap] = m.encoder.mapsFromLab(lab);
        const abLogits = m.abHead.forward(lMap);
        const lLogits = m.lHead.forward(abMap);
        const small = adaptiveAvgPool2d(lab, [abLogits.shape[2], abLogits.shape[3]]);
        const abTarget = softEncode(small.narrow(1, 1, 2), { bins: abBins() });
        const lValues = values(small.select(1, 0));
        const lClasses = lValues.map((l) => Math.min(lightnessBins - 1, Math.max(0, Math.floor(l / (100 / lightnessBins)))));
        const lTarget = torch.tensor(lClasses, { dtype: 'int64' }).view(small.select(1, 0).shape);
        const abLoss = num(abTarget.mul(abLogits.logSoftmax(1)).sum([1]).neg().mean());
        const lLoss = num(crossEntropy(lLogits, lTarget));
        return { abLoss, lLoss, lClasses, features: [...values(adaptiveAvgPool2d(lMap, 1).flatten(1)), ...values(adaptiveAvgPool2d(abMap, 1).flatten(1))],
          abAcc: num(abLogits.argmax(1).eq(abTarget.argmax(1)).to('float32').mean()), lAcc: num(lLogits.argmax(1).eq(lTarget).to('float32').mean()) };
      });
      const t = m.taskLoss(x);
      assert.deepEqual(values(t.lTarget), ref.lClasses, `lightness classes (${lightnessBins} bins)`);
      assert.ok(new Set(ref.lClasses).size > 1);
      const out = m.trainingStep([x], progress);
      near(num(out.loss), ref.abLoss + ref.lLoss, 'loss');
      near(num(out.logs!.abLoss as Tensor), ref.abLoss, 'abLoss');
      near(num(out.logs!.lLoss as Tensor), ref.lLoss, 'lLoss');
      near(num(out.logs!.abAccuracy as Tensor), ref.abAcc, 'abAccuracy');
      near(num(out.logs!.lAccuracy as Tensor), ref.lAcc, 'lAccuracy');
      // features: each half pooled, side by side per image.
      const half = ref.features.length / 4;
      const expectedFeatures = [0, 1].flatMap((b) => [...ref.features.slice(b * half, b * half + half), ...ref.features.slice(2 * half + b * half, 2 * half + b * half + half)]);
      nearAll(values(out.embedding!), expectedFeatures, 'embedding');
      assert.equal(out.embedding!.requiresGrad, false);
    }
    const d = new SplitBrain({ encoder: 'small_cnn', encoderOptions: { width: 2 } });
    assert.deepEqual([d.hiddenDim, d.lightnessBins], [256, 50]);
    refuses(() => new SplitBrain({ encoder: (() => null) as never }),
      'Expected a registry name for SplitBrain option encoder (each half is built from it with its own input channels) but received ' +
      String(() => null));
    refuses(() => d.augmentation({ ...spec, channels: 1, mean: [0.5], std: [0.5] }),
      'SplitBrain needs colour (3-channel RGB) images (its halves predict ab from L and L from ab) but the data has 1-channel images ' +
      'of 8 x 8 px; use --data photos, cifar10:<dir>, stl10:<dir> or a folder of colour images');
    refuses(() => d.trainingStep([], progress),
      'SplitBrain expects one view [x] of shape (B, C, H, W) (as its augmentation() gives) but received 0 item(s)');
  });

  it('SplitBrain: the halves take L (1 channel) and ab (2); colorize with the default temperature; examples with L at 50', () => {
    const enc = splitBrainEncoder('small_cnn', { width: 2 });
    const sd = enc.stateDict();
    assert.deepEqual([sd.get('l_to_ab.conv1.weight')!.shape[1], sd.get('ab_to_l.conv1.weight')!.shape[1]], [1, 2]);
    assert.equal(colorizationEncoder('small_cnn', { width: 2 }).mapChannels[0], 8);
    torch.manualSeed(8);
    const m = new SplitBrain({ encoder: 'small_cnn', encoderOptions: { width: 2 }, hiddenDim: 4 });
    m.augmentation(spec);
    m.eval();
    const x = batch(9);
    const expected = torch.noGrad(() => {
      const lab = m.encoder.lab(x);
      const ab = annealedMean(m.abHead.forward(m.encoder.mapsFromLab(lab)[0]), { bins: abBins() });
      const full = interpolate(ab, { size: [8, 8], mode: 'bilinear', alignCorners: false });
      return values(labToRgb(torch.cat([lab.narrow(1, 0, 1), full], 1)));
    });
    nearAll(values(m.colorize(x)), expected, 'colorize', 1e-4);
    const ex = m.examples(x);
    const lab = m.encoder.lab(x);
    nearAll(values(ex.input), values(lab.narrow(1, 0, 1).div(100)), 'input');
    nearAll(values(ex.target), values(labToRgb(lab)), 'target', 1e-4);
    nearAll(values(ex.colourInput), values(labToRgb(torch.cat([torch.fullLike(lab.narrow(1, 0, 1), 50), lab.narrow(1, 1, 2)], 1))),
      'colour input', 1e-4);
  });
  it('the encoders: names in refusals, factories and instances, ab_bins not saved, L at 100 in the last class', () => {
    const recipeKeys = 'optimizer, lr, lrScaling, finalLrRatio, weightDecay, weightDecayEnd, momentum, betas, warmupEpochs, clipGrad';
    refuses(() => new Colorization({ encoder: 'small_cnn', encoderOptions: { numClasses: 3 } }),
      "Colorization: expected models.create('small_cnn') to give a feature encoder (numClasses 0) but it has numClasses 3; build it with numClasses: 0");
    refuses(() => new SplitBrain({ encoder: 'small_cnn', encoderOptions: { numClasses: 3 } }),
      "SplitBrain: expected models.create('small_cnn') to give a feature encoder (numClasses 0) but it has numClasses 3; build it with numClasses: 0");
    refuses(() => new Colorization({ encoder: 5 as never }), 'Expected a registry name, a factory () => Encoder or an Encoder for Colorization option encoder but received 5');
    refuses(() => new Colorization({ encoder: 'small_cnn', recipe: { lrr: 1 } as never }),
      `Unknown option(s) 'lrr' for Colorization option recipe; expected some of ${recipeKeys}`);
    refuses(() => new SplitBrain({ encoder: 'small_cnn', recipe: { lrr: 1 } as never }),
      `Unknown option(s) 'lrr' for SplitBrain option recipe; expected some of ${recipeKeys}`);
    // A factory (its own input channels) and an instance are taken as they are.
    const fromFactory = new Colorization({ encoder: () => createModel('small_cnn', { width: 2, inChannels: 1, numClasses: 0 }) as Encoder });
    assert.equal(fromFactory.encoder.stateDict().get('net.conv1.weight')!.shape[1], 1);
    const inst = createModel('small_cnn', { width: 2, inChannels: 1, numClasses: 0 }) as Encoder;
    assert.equal(new Colorization({ encoder: inst }).encoder.branches[0].net, inst);
    assert.equal(colorizationEncoder('small_cnn', { width: 2 }).stateDict().get('net.conv1.weight')!.shape[1], 1, 'L by default');
    for (const m of [fromFactory, new SplitBrain({ encoder: 'small_cnn', encoderOptions: { width: 2 } })]) {
      assert.ok(![...m.stateDict().keys()].includes('ab_bins'), 'the bins are not saved');
      assert.ok([...m.buffers()].length > 0);
    }
    // White pixels: L = 100 is in the last lightness class.
    const m = new SplitBrain({ encoder: 'small_cnn', encoderOptions: { width: 2 }, lightnessBins: 4 });
    m.augmentation(spec);
    const white = torch.ones([1, 3, 8, 8]).sub(torch.tensor(spec.mean).view([1, 3, 1, 1])).div(torch.tensor(spec.std).view([1, 3, 1, 1]));
    assert.ok(values(m.taskLoss(white).lTarget).every((v) => v === 3), 'class bins - 1');
  });
});
