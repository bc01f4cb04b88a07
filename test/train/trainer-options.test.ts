// Each Trainer option changes the step it should, checked against closed-form
// weights: a method whose loss is sum(C * w) has the constant gradient C, so
// with plain SGD the weights after k steps are known exactly (w0 - lr * C per
// step; clipped, decayed, with momentum or AdamW: each its own formula). The
// resumed and the graph-rehearsed runs are held to the same absolute numbers,
// so a bug shared by both sides of a comparison still fails (issue 21).
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { isAutocastEnabled } from '../../lib/torch/autocast';
import { synthetic } from '../../lib/data/synthetic';
import { ImageDataset, disposeDataset } from '../../lib/data/dataset';
import { SmallCnn } from '../../lib/models/small-cnn';
import { Method, ImageSpec, OptimizerRecipe, StepOutput, TrainProgress } from '../../lib/ssl/method';
import { MultiView, views } from '../../lib/data/transforms/multi-crop';
import { Normalize } from '../../lib/data/transforms/normalize';
import { RandomResizedCrop } from '../../lib/data/transforms/random-resized-crop';
import { Compose } from '../../lib/data/transforms/compose';
import { ParamGroup } from '../../lib/optim/optimizer';
import { Trainer, TrainerOptions, LogRecord, StepRecord, KnnRecord } from '../../lib/train';
import { extractFeatures } from '../../lib/eval/features';
import { knn } from '../../lib/eval/knn';

const W0 = [1, -2];
const C = [3, 4]; // the gradient; |C| = 5
const BATCH = 16;
const N = 64; // 4 steps per epoch
/** The recipe's peak learning rate at batch 16: 0.256 * 16 / 256 (linear scaling). */
const LR = 0.016;

/** The values of a tensor as numbers. */
const numbers = (t: Tensor): number[] => Array.from(t.to('float64').toTypedArray() as Float64Array);

/** What the method saw in one step. */
interface Seen { autocast: boolean; channelsLast: boolean; shape: number[]; indices: number[]; progress: TrainProgress }

/** loss = sum(C * w): the gradient of w is C whatever the batch; the encoder is carried, not trained. */
class ConstantGradient extends Method {
  readonly name = 'simclr' as const;
  override readonly capturable = true;
  readonly encoder: SmallCnn;
  readonly w: Tensor;
  readonly c: Tensor;
  readonly recipe: OptimizerRecipe;
  readonly seen: Seen[] = [];

  constructor(recipe: Partial<OptimizerRecipe> = {}, inChannels = 1) {
    super();
    this.encoder = this.registerModule('encoder', new SmallCnn({ inChannels, width: 4 }));
    this.w = this.registerParameter('w', torch.tensor(W0).requiresGrad_(true));
    this.c = this.registerBuffer('c', torch.tensor(C));
    this.recipe = { optimizer: 'sgd', lr: 0.256, lrScaling: 'linear', momentum: 0, weightDecay: 0, warmupEpochs: 0,
      finalLrRatio: 1, ...recipe };
  }

  augmentation(spec: ImageSpec): MultiView {
    return views(new Normalize({ mean: spec.mean, std: spec.std }), 1);
  }

  trainingStep(v: Tensor[], progress: TrainProgress): StepOutput {
    const x = v[0];
    this.seen.push({
      autocast: isAutocastEnabled('cpu'), channelsLast: x.stride()[1] === 1, shape: x.shape.slice(),
      // Reading the indices is a host read, which a (rehearsed) capture forbids.
      indices: progress.indices === undefined || torch.cuda.isCapturing() ? [] : numbers(progress.indices),
      progress: { ...progress, indices: undefined },
    });
    return { loss: this.w.mul(this.c).sum() };
  }

  override parameterGroups(weightDecay: number): ParamGroup[] {
    return [{ params: [this.w], weightDecay }];
  }

  override config(): Record<string, unknown> {
    return { encoder: 'small_cnn' };
  }

  weights(): number[] {
    return numbers(this.w.detach());
  }
}

const data: ImageDataset = synthetic({ n: N, channels: 1, size: 8, classes: 4, seed: 1 });

function options(extra: Partial<TrainerOptions> = {}): TrainerOptions {
  return { data, batchSize: BATCH, steps: 1, progress: 'none', handleSigint: false, ...extra };
}

async function train(extra: Partial<TrainerOptions> = {}, recipe: Partial<OptimizerRecipe> = {}): Promise<ConstantGradient> {
  const m = new ConstantGradient(recipe);
  await new Trainer(m, options(extra)).fit();
  return m;
}

/** w0 - sum of the per-step updates (each a vector). */
function closedForm(updates: number[][]): number[] {
  return W0.map((w, i) => updates.reduce((acc, u) => acc - u[i], w));
}

function assertClose(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < 1e-5, `${what}: [${actual}] != [${expected}]`));
}

const times = (k: number, v: number[]): number[] => v.map((x) => k * x);

describe('Trainer: each option reaches the step (closed-form weights)', function () {
  this.timeout(120000);
  const made: string[] = [];
  const tmpDir = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-trainer-options-'));
    made.push(dir);
    return dir;
  };
  after(() => { for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true }); });

  // Trainer options and recipe overrides -> the weights after the run, in closed form.
  const CASES: { what: string; extra?: Partial<TrainerOptions>; recipe?: Partial<OptimizerRecipe>; expect: number[] }[] = [
    { what: 'the recipe alone (peak lr = 0.256 * 16 / 256)', expect: closedForm([times(LR, C)]) },
    { what: 'lr (absolute, no batch scaling)', extra: { lr: 0.1 }, expect: closedForm([times(0.1, C)]) },
    { what: 'batchSize (scales the recipe lr)', extra: { batchSize: 32 }, expect: closedForm([times(0.032, C)]) },
    { what: 'steps', extra: { steps: 3 }, expect: closedForm([times(LR, C), times(LR, C), times(LR, C)]) },
    { what: 'epochs (4 steps each)', extra: { steps: undefined, epochs: 2 }, expect: closedForm(Array(8).fill(times(LR, C))) },
    { what: 'clipGrad (norm 5 -> 1)', extra: { clipGrad: 1 }, expect: closedForm([times(LR / 5, C)]) },
    { what: 'recipe clipGrad', recipe: { clipGrad: 2 }, expect: closedForm([times((2 * LR) / 5, C)]) },
    { what: 'clipGrad 0 turns the recipe\'s clipping off', extra: { clipGrad: 0 }, recipe: { clipGrad: 2 }, expect: closedForm([times(LR, C)]) },
    { what: 'clipGrad above the norm leaves the gradient', extra: { clipGrad: 50 }, expect: closedForm([times(LR, C)]) },
    { what: 'optimizer.lr', extra: { optimizer: { lr: 0.512 } }, expect: closedForm([times(0.032, C)]) },
    { what: 'optimizer.lrScaling none', extra: { optimizer: { lrScaling: 'none' } }, expect: closedForm([times(0.256, C)]) },
    { what: 'optimizer.lrScaling sqrt', extra: { optimizer: { lrScaling: 'sqrt', lr: 0.01 } }, expect: closedForm([times(0.04, C)]) },
    { what: 'optimizer.weightDecay (SGD adds wd * w)', extra: { optimizer: { weightDecay: 0.5 } },
      expect: closedForm([times(LR, C.map((c, i) => c + 0.5 * W0[i]))]) },
    {
      what: 'optimizer.momentum (buffers g, then 1.9 g)', extra: { steps: 2, optimizer: { momentum: 0.9 } },
      expect: closedForm([times(LR, C), times(1.9 * LR, C)]),
    },
    { what: 'optimizer.optimizer adamw (first step: lr * sign(g))', extra: { optimizer: { optimizer: 'adamw' } },
      expect: closedForm([[LR, LR]]) },
    // Warm-up of 0.75 epochs = 3 steps in a 4-step run: linspace(0, base, 3), as DINO's schedule, then base.
    { what: 'optimizer.warmupEpochs (lr 0, base / 2, base, base)', extra: { steps: 4, optimizer: { warmupEpochs: 0.75 } },
      expect: closedForm([times(0, C), times(LR / 2, C), times(LR, C), times(LR, C)]) },
    // Warm-up of 5 epochs = 20 steps, as long as the 20-step run: cut to a tenth (2 steps: 0, base), then base.
    { what: 'a warm-up as long as the run is cut to a tenth of it (lr 0, then base)', extra: { steps: 20, optimizer: { warmupEpochs: 5 } },
      expect: closedForm([times(0, C), ...Array(19).fill(times(LR, C))]) },
    { what: 'optimizer.finalLrRatio (cosine: base, then half way)', extra: { steps: 2, optimizer: { finalLrRatio: 0 } },
      expect: closedForm([times(LR, C), times(LR / 2, C)]) },
  ];
  for (const c of CASES) {
    it(c.what, async () => {
      const m = await train(c.extra, c.recipe);
      assertClose(m.weights(), c.expect, c.what);
    });
  }

  it('optimizer.weightDecayEnd schedules the decay (0 at step 0, 0.5 at step 1 of 2)', async () => {
    const m = await train({ steps: 2, optimizer: { weightDecayEnd: 1 } });
    const w1 = closedForm([times(LR, C)]);
    assertClose(m.weights(), w1.map((w, i) => w - LR * (C[i] + 0.5 * w)), 'weightDecayEnd');
  });

  it('precision: bfloat16 runs the step under autocast, float32 does not', async () => {
    assert.deepEqual((await train({ precision: 'bfloat16' })).seen.map((s) => s.autocast), [true]);
    assert.deepEqual((await train({ precision: 'float32' })).seen.map((s) => s.autocast), [false]);
    assert.deepEqual((await train({})).seen.map((s) => s.autocast), [false]); // auto on the CPU
  });

  it('channelsLast: true hands the step channels-last views; auto on the CPU does not', async () => {
    // 3 channels: with 1, a contiguous tensor already counts as channels-last and keeps its strides.
    const rgb = synthetic({ n: 32, channels: 3, size: 8, classes: 4, seed: 1 });
    const seen = async (channelsLast?: boolean): Promise<boolean[]> => {
      const m = new ConstantGradient({}, 3);
      await new Trainer(m, options({ data: rgb, channelsLast })).fit();
      return m.seen.map((s) => s.channelsLast);
    };
    assert.deepEqual(await seen(true), [true]);
    assert.deepEqual(await seen(false), [false]);
    assert.deepEqual(await seen(undefined), [false]);
    disposeDataset(rgb);
  });

  it('seed: the first batch is the seeded permutation\'s first images', async () => {
    for (const seed of [0, 7]) {
      const m = await train({ seed });
      const expected = torch.scope(() => numbers(
        torch.randperm(N, { generator: new torch.Generator().manualSeed(seed) }).narrow(0, 0, BATCH)));
      assert.deepEqual(m.seen[0].indices, expected, `seed ${seed}`);
    }
  });

  it('augmentation: the step receives the given views', async () => {
    const crop = views(new Compose([new RandomResizedCrop({ size: 5, scale: [0.5, 1] })]), 1, { size: 5 });
    const m = await train({ augmentation: crop });
    assert.deepEqual(m.seen[0].shape, [BATCH, 1, 5, 5]);
  });

  it('logEvery: a step record every n steps (and the last)', async () => {
    const records: LogRecord[] = [];
    await train({ steps: 4, logEvery: 3, onLog: (r) => records.push(r) });
    // The 0-based step just taken: step 3 is the 3rd, step 4 ends the run and the epoch.
    assert.deepEqual(records.filter((r): r is StepRecord => r.type === 'step').map((r) => r.step), [2, 3]);
  });

  it('the progress each step sees: step, totalSteps, epoch, stepsPerEpoch', async () => {
    const m = await train({ steps: 6 });
    assert.deepEqual(m.seen.map((s) => [s.progress.step, s.progress.totalSteps, s.progress.epoch, s.progress.stepsPerEpoch]),
      [[0, 6, 0, 4], [1, 6, 0, 4], [2, 6, 0, 4], [3, 6, 0, 4], [4, 6, 1, 4], [5, 6, 1, 4]]);
  });

  it('monitor: k-NN every everyEpochs (and at the end) on the seeded subsets it states, with its k', async () => {
    const test = synthetic({ n: 48, channels: 1, size: 8, classes: 4, seed: 2 });
    const records: LogRecord[] = [];
    const m = await train({ steps: undefined, epochs: 3, seed: 3, onLog: (r) => records.push(r),
      monitor: { train: data, test, everyEpochs: 2, trainSubset: 40, testSubset: 30, k: 5 } });
    const knnRecords = records.filter((r): r is KnnRecord => r.type === 'knn');
    assert.deepEqual(knnRecords.map((r) => [r.epoch, r.step]), [[1, 8], [2, 12]]);
    // The encoder is not trained by this method: every evaluation sees the same weights.
    const expected = torch.scope(() => {
      const subset = (n: number, size: number, offset: number): Tensor =>
        torch.randperm(n, { generator: new torch.Generator().manualSeed(3 + offset) }).narrow(0, 0, size);
      const common = { mean: data.mean, std: data.std };
      const bank = extractFeatures(m.encoder, data, { ...common, indices: subset(N, 40, 1000003) });
      const queries = extractFeatures(m.encoder, test, { ...common, indices: subset(48, 30, 2000003) });
      assert.equal(queries.features.shape[0], 30);
      return knn(bank, queries, { k: [5], temperature: 0.07 }).top1[5];
    });
    for (const r of knnRecords) assert.deepEqual(r.top1, { 5: expected });
    disposeDataset(test);
  });

  it('a resumed run with momentum ends at the closed-form weights of the uninterrupted run', async () => {
    const dir = tmpDir();
    const abort = new AbortController();
    const first = new ConstantGradient({ momentum: 0.9 });
    let steps = 0;
    await new Trainer(first, options({ steps: 4, out: dir, signal: abort.signal,
      onLog: (r) => { if (r.type === 'step' && ++steps === 2) abort.abort(); }, logEvery: 1 })).fit();
    assert.equal(first.seen.length, 2);
    const resumed = new ConstantGradient({ momentum: 0.9 });
    await new Trainer(resumed, options({ steps: 4, out: dir, resume: dir })).fit();
    assert.equal(resumed.seen.length, 2);
    // Momentum buffers 1, 1.9, 2.71, 3.439 times g: the buffer must come back from the checkpoint.
    assertClose(resumed.weights(), closedForm([1, 1.9, 2.71, 3.439].map((k) => times(k * LR, C))), 'resumed');
  });

  it('a warm-up cut to the run is announced with both lengths; a shorter one is not', async () => {
    const said = async (warmupEpochs: number): Promise<string> => {
      let text = '';
      const stream = { write: (s: string): boolean => { text += s; return true; }, isTTY: false };
      await train({ steps: 20, progress: 'lines', stream, optimizer: { warmupEpochs } });
      return text;
    };
    assert.match(await said(5), /warning: the recipe's warm-up of 20 steps \(5 epochs\) is not shorter than the run \(20 steps\): cut to 2 steps/);
    assert.doesNotMatch(await said(4.75), /warm-up/);
  });

  it('the CUDA-graph path reads each step\'s learning rate from the device (prepareStep): warm-up then constant', async () => {
    // Warm-up of 4 steps: lr = linspace(0, base, 4), then base; the 4th and 5th steps are rehearsed captures.
    const m = await train({ steps: 5, cudaGraph: 'rehearse', optimizer: { warmupEpochs: 1 } });
    assertClose(m.weights(), closedForm([0, 1 / 3, 2 / 3, 1, 1].map((k) => times(k * LR, C))), 'graph rehearsal with warm-up');
  });

  it('the CUDA-graph path (rehearsed on the CPU) reaches the same closed-form weights', async () => {
    // 3 eager warm-up steps, then the rehearsed capture rules.
    const m = await train({ steps: 5, cudaGraph: 'rehearse', clipGrad: 1, optimizer: { momentum: 0.9 } });
    assert.equal(m.seen.length, 5);
    assertClose(m.weights(), closedForm([1, 1.9, 2.71, 3.439, 4.0951].map((k) => times((k * LR) / 5, C))), 'graph rehearsal');
  });
});
