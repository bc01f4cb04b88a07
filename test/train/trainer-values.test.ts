// What the Trainer writes and returns, by value, on a method whose loss is
// known in closed form (loss = C . w with gradient C: each SGD step lowers it
// by lr |C|^2 = 0.016 * 25 = 0.4): config.json, metrics.jsonl (the same
// records onLog sees), the console lines, the checkpoints kept, the result,
// encoder.safetensors, interruptions (signal and Ctrl-C) with their messages,
// and a resumed run's records and data order continuing the first run's.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { loadSafetensors, readSafetensorsMetadata } from '../../lib/torch/safetensors';
import { synthetic } from '../../lib/data/synthetic';
import { ImageDataset } from '../../lib/data/dataset';
import { SmallCnn } from '../../lib/models/small-cnn';
import { Method, ImageSpec, OptimizerRecipe, StepOutput, TrainProgress } from '../../lib/ssl/method';
import { MultiView, views } from '../../lib/data/transforms/multi-crop';
import { Normalize } from '../../lib/data/transforms/normalize';
import { ParamGroup } from '../../lib/optim/optimizer';
import { Trainer, TrainerOptions, LogRecord } from '../../lib/train';
import { listCheckpoints } from '../../lib/train/checkpoint';
import { recordingPlots } from '../helpers/recording-plots';

const C = [3, 4];
const N = 64; // batch 16: 4 steps per epoch
const LR = 0.016; // 0.256 * 16 / 256

class ClosedForm extends Method {
  readonly name = 'simclr' as const;
  readonly encoder: SmallCnn;
  readonly w: Tensor;
  readonly c: Tensor;
  readonly recipe: OptimizerRecipe = { optimizer: 'sgd', lr: 0.256, lrScaling: 'linear', momentum: 0, weightDecay: 0, warmupEpochs: 0,
    finalLrRatio: 1 };
  /** Each step's dataset indices. */
  readonly indices: number[][] = [];

  constructor() {
    super();
    this.encoder = this.registerModule('encoder', new SmallCnn({ inChannels: 1, width: 4 }));
    this.w = this.registerParameter('w', torch.tensor([1, -2]).requiresGrad_(true));
    this.c = this.registerBuffer('c', torch.tensor(C));
  }

  augmentation(spec: ImageSpec): MultiView {
    return views(new Normalize({ mean: spec.mean, std: spec.std }), 1);
  }

  trainingStep(v: Tensor[], progress: TrainProgress): StepOutput {
    this.indices.push([...(progress.indices as Tensor).toTypedArray()].map(Number));
    return { loss: this.w.mul(this.c).sum() };
  }

  override parameterGroups(weightDecay: number): ParamGroup[] {
    return [{ params: [this.w], weightDecay }];
  }

  override config(): Record<string, unknown> {
    return { encoder: 'small_cnn' };
  }
}

/** The loss at 0-based step k: C . w0 = 3 - 8 = -5, then 0.4 lower per step. */
const lossAt = (k: number): number => -5 - 0.4 * k;
const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-5;

const data: ImageDataset = synthetic({ n: N, channels: 1, size: 8, classes: 4, seed: 1 });

function options(extra: Partial<TrainerOptions> = {}): TrainerOptions {
  return { data, batchSize: 16, steps: 6, progress: 'none', handleSigint: false, ...extra };
}

/** A stream that keeps what is written. */
function stream(): { write: (s: string) => boolean; text: () => string } {
  let text = '';
  return { write: (s: string): boolean => { text += s; return true; }, text: () => text };
}

describe('Trainer: what it writes and returns, by value', function () {
  this.timeout(60_000);
  let dir: string;
  const realNow = Date.now;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-trainer-values-'));
  });
  afterEach(() => {
    Date.now = realNow;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a non-method by message, and a second fit()', async () => {
    for (const [bad, shown] of [[null, 'null'], [undefined, 'undefined'], [5, '5'], [{}, '[object Object]'], [{ trainingStep: 1 }, '[object Object]']]) {
      assert.throws(() => new Trainer(bad as never, options()), {
        name: 'TypeError', message: `Expected a Method (SimCLR, BYOL, DINO, MAE) for Trainer but received ${shown}` });
    }
    const t = new Trainer(new ClosedForm(), options({ steps: 1 }));
    await t.fit();
    await assert.rejects(t.fit(), { message: 'Trainer.fit() was already called: build a new Trainer to train again' });
  });

  it('run length: steps or epochs, the epochs counted up', () => {
    const a = new Trainer(new ClosedForm(), options({ steps: 6 }));
    assert.deepEqual([a.stepsPerEpoch, a.totalSteps, a.epochs, a.rank, a.worldSize], [4, 6, 2, 0, 1]);
    const b = new Trainer(new ClosedForm(), options({ steps: undefined, epochs: 3 }));
    assert.deepEqual([b.stepsPerEpoch, b.totalSteps, b.epochs], [4, 12, 3]);
    // The last, short batch is dropped: 70 images make 4 batches of 16.
    const odd = synthetic({ n: 70, channels: 1, size: 8, classes: 4, seed: 1 });
    assert.equal(new Trainer(new ClosedForm(), options({ data: odd, steps: 1 })).stepsPerEpoch, 4);
    odd.images.dispose();
    odd.labels?.dispose();
  });

  it('a run with a folder: config.json, metrics.jsonl = onLog, lines, checkpoints, encoder.safetensors and the result', async () => {
    Date.now = () => 1_000_000; // a frozen clock: speeds over 1e-9 s, ETAs 0
    const seen: LogRecord[] = [];
    const s = stream();
    const m = new ClosedForm();
    const result = await new Trainer(m, options({ out: dir, logEvery: 2, checkpointEvery: 5, progress: 'lines', stream: s, config: { from: 'test' },
      onLog: (r) => {
        seen.push(r);
        if (r.type === 'step' && r.step === 5) Date.now = () => 1_002_000; // the run's end: 2 s after its start
      } })).fit();
    // config.json
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual({ ...config, versions: undefined, time: undefined, started: undefined }, {
      method: 'simclr', methodConfig: { encoder: 'small_cnn' },
      trainer: { epochs: null, steps: 6, totalSteps: 6, stepsPerEpoch: 4, batchSize: 16, device: 'cpu', seed: 0, precision: 'float32',
        clipGrad: null, checkpointEvery: 5, logEvery: 2, optimizer: { ...m.recipe }, peakLr: LR, warmupSteps: 0, monitor: null },
      data: { name: data.name, length: 64, shape: [1, 8, 8], mean: data.mean, std: data.std },
      config: { from: 'test' }, resumedFrom: null, versions: undefined, time: undefined, started: undefined,
    });
    // Records: steps 2, 4 (also the epoch's end), 6 (the run's end) logged; every step's loss read on the CPU (the epoch's mean).
    const records = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
    assert.deepEqual(seen, records);
    assert.deepEqual(records.map((r) => [r.type, r.step, r.epoch]), [['step', 1, 0], ['step', 3, 0], ['epoch', 4, 0], ['step', 5, 1]]);
    const losses = records.map((r) => (r as { loss: number }).loss);
    [lossAt(1), lossAt(3), (lossAt(0) + lossAt(1) + lossAt(2) + lossAt(3)) / 4, lossAt(5)]
      .forEach((want, i) => assert.ok(close(losses[i], want), `record ${i}: ${losses[i]} != ${want}`));
    // Images per second over the steps since the last record or checkpoint: 2, 2, then 1 (step 5 wrote a checkpoint).
    assert.deepEqual(records.filter((x) => x.type === 'step').map((r) => [r.lr, r.wd, r.imgPerSec, r.embStd, r.time, r.eta]),
      [[LR, 0, 2 * 16 / 1e-9, null, 0, 0], [LR, 0, 2 * 16 / 1e-9, null, 0, 0], [LR, 0, 16 / 1e-9, null, 0, 0]]);
    // The console: a line per logged step, with its place in the epoch.
    assert.deepEqual(s.text().split('\n'), [
      `epoch 1/2 step 2/4 loss ${lossAt(1).toFixed(4)} lr 1.600e-2 wd 0 32000000000 img/s ETA 0:00`,
      `epoch 1/2 step 4/4 loss ${lossAt(3).toFixed(4)} lr 1.600e-2 wd 0 32000000000 img/s ETA 0:00`,
      `epoch 2/2 step 2/4 loss ${lossAt(5).toFixed(4)} lr 1.600e-2 wd 0 16000000000 img/s ETA 0:00`,
      '',
    ]);
    // Checkpoints at step 4 (epoch end), 5 (checkpointEvery) and 6 (the end): the newest two kept.
    assert.deepEqual(listCheckpoints(path.join(dir, 'checkpoints')).map((c) => c.step), [5, 6]);
    // The encoder's weights, and the plots.
    const encoder = path.join(dir, 'encoder.safetensors');
    assert.deepEqual(readSafetensorsMetadata(encoder), { format: 'pt', method: 'simclr' });
    const saved = loadSafetensors(encoder);
    assert.deepEqual([...saved.keys()].sort(), [...m.encoder.stateDict().keys()].sort());
    for (const [k, v] of m.encoder.stateDict()) assert.ok(saved.get(k)!.equal(v), k);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['checkpoints', 'config.json', 'encoder.safetensors', 'loss.png', 'metrics.jsonl']);
    assert.ok(close(result.loss as number, lossAt(5)));
    assert.deepEqual({ ...result, loss: undefined }, {
      method: 'simclr', steps: 6, totalSteps: 6, epochs: 1.5, interrupted: false, loss: undefined, knn: [], seconds: 2,
      imagesPerSecond: 6 * 16 / 2, out: dir, checkpoint: path.join(dir, 'checkpoints', 'step-00000006.json'), encoder,
    });
  });

  it('checkpoints: every checkpointEvery steps, at each epoch end and at the end; none without a folder', async () => {
    const steps = async (extra: Partial<TrainerOptions>): Promise<number[]> => {
      const out = fs.mkdtempSync(path.join(dir, 'ck-'));
      await new Trainer(new ClosedForm(), options({ steps: 3, out, ...extra })).fit();
      return listCheckpoints(path.join(out, 'checkpoints')).map((c) => c.step);
    };
    assert.deepEqual(await steps({}), [3]);
    assert.deepEqual(await steps({ checkpointEvery: 1 }), [2, 3]);
    assert.deepEqual(await steps({ checkpointEvery: 2, steps: 3 }), [2, 3]);
    const none = await new Trainer(new ClosedForm(), options({ steps: 3 })).fit();
    assert.deepEqual([none.out, none.checkpoint, none.encoder], [undefined, undefined, undefined]);
  });

  it('a signal stops the run after this step: the checkpoint, the plots, no encoder, and the message naming them', async () => {
    const ab2 = new AbortController();
    const s2 = stream();
    const out = path.join(dir, 'b');
    let n = 0;
    const stopped = await new Trainer(new ClosedForm(), options({ out, signal: ab2.signal, progress: 'lines', stream: s2, logEvery: 1,
      onLog: (r) => { if (r.type === 'step' && ++n === 2) ab2.abort(); } })).fit();
    const json = path.join(out, 'checkpoints', 'step-00000002.json');
    assert.deepEqual([stopped.interrupted, stopped.steps, stopped.epochs, stopped.checkpoint, stopped.encoder], [true, 2, 0.5, json, undefined]);
    assert.deepEqual(fs.readdirSync(out).sort(), ['checkpoints', 'config.json', 'loss.png', 'metrics.jsonl']);
    assert.equal(s2.text().split('\n').at(-2), `Interrupted: checkpoint saved to ${json}; resume from ${out}`);
    // Without a folder, nothing is saved, and it says so.
    const ab3 = new AbortController();
    const s3 = stream();
    const bare = await new Trainer(new ClosedForm(), options({ signal: ab3.signal, progress: 'lines', stream: s3,
      onLog: () => ab3.abort() })).fit();
    assert.deepEqual([bare.interrupted, bare.steps], [true, 4]); // the first record: the epoch's end (logEvery 50)
    assert.equal(s3.text().split('\n').at(-2), 'Interrupted: no run folder (out) was given, so nothing was saved');
  });

  it('Ctrl-C (handleSigint): the notice, then the interruption on its own line; the handler is removed after the run', async () => {
    Date.now = () => 1_000_000;
    const before = process.listeners('SIGINT');
    const s = stream();
    let n = 0;
    let during = 0;
    const result = await new Trainer(new ClosedForm(), options({ out: dir, handleSigint: true, progress: 'lines', stream: s, logEvery: 1,
      onLog: (r) => {
        if (r.type !== 'step' || ++n !== 1) return;
        const added = process.listeners('SIGINT').filter((l) => !before.includes(l));
        during = added.length;
        for (const l of added) (l as () => void)();
      } })).fit();
    assert.equal(during, 1);
    assert.deepEqual(process.listeners('SIGINT'), before);
    assert.deepEqual([result.interrupted, result.steps], [true, 1]);
    const lines = s.text().split('\n');
    // The notice comes from the handler (called here while the record is emitted, before its line is printed).
    assert.deepEqual(lines, ['Stopping after this step (Ctrl-C again to quit at once)',
      'epoch 1/2 step 1/4 loss -5.0000 lr 1.600e-2 wd 0 16000000000 img/s ETA 0:00',
      `Interrupted: checkpoint saved to ${path.join(dir, 'checkpoints', 'step-00000001.json')}; resume from ${dir}`, '']);
    // Progress 'none': Ctrl-C's outcome is still written (the user pressed it at this terminal); a signal's is not.
    const quiet = stream();
    const out2 = path.join(dir, 'quiet');
    await new Trainer(new ClosedForm(), options({ out: out2, handleSigint: true, progress: 'none', stream: quiet, logEvery: 1,
      onLog: () => { for (const l of process.listeners('SIGINT').filter((x) => !before.includes(x))) (l as () => void)(); } })).fit();
    assert.equal(quiet.text(), `Interrupted: checkpoint saved to ${path.join(out2, 'checkpoints', 'step-00000001.json')}; resume from ${out2}\n`);
    const ab = new AbortController();
    const silent = stream();
    await new Trainer(new ClosedForm(), options({ signal: ab.signal, progress: 'none', stream: silent, logEvery: 1, onLog: () => ab.abort() })).fit();
    assert.equal(silent.text(), '');
    // handleSigint false: no handler at all.
    let count = -1;
    await new Trainer(new ClosedForm(), options({ steps: 1, onLog: () => { count = process.listeners('SIGINT').length; } })).fit();
    assert.equal(count, before.length);
  });

  it('a resumed run: records cut at the checkpoint and continued, config.json naming it, the data order carried on', async () => {
    const whole = new ClosedForm();
    const wholeRecords: LogRecord[] = [];
    await new Trainer(whole, options({ logEvery: 1, onLog: (r) => wholeRecords.push(r), seed: 7 })).fit();
    const abort = new AbortController();
    const first = new ClosedForm();
    let n = 0;
    await new Trainer(first, options({ out: dir, logEvery: 1, signal: abort.signal, seed: 7,
      onLog: (r) => { if (r.type === 'step' && ++n === 5) abort.abort(); } })).fit();
    // Records past the checkpoint (a torn tail) are cut when resuming.
    fs.appendFileSync(path.join(dir, 'metrics.jsonl'), `${JSON.stringify({ type: 'step', step: 99 })}\n`);
    const second = new ClosedForm();
    const result = await new Trainer(second, options({ out: dir, resume: dir, logEvery: 1, seed: 7 })).fit();
    assert.deepEqual([result.steps, result.interrupted], [6, false]);
    assert.deepEqual([...first.indices, ...second.indices], whole.indices);
    const records = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
    assert.deepEqual(records.map((r) => [r.type, r.step]), wholeRecords.map((r) => [r.type, r.step]));
    records.forEach((r, i) => assert.ok(close((r as { loss: number }).loss, (wholeRecords[i] as { loss: number }).loss), `record ${i}`));
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(config.resumedFrom, path.join(dir, 'checkpoints', 'step-00000005.json'));
    // Resuming a finished run trains nothing more.
    const done = await new Trainer(new ClosedForm(), options({ out: dir, resume: dir, seed: 7 })).fit();
    assert.deepEqual([done.steps, done.interrupted, done.loss], [6, false, null]);
  });

  it('a run resumed mid-epoch 0 takes the rest of that epoch, then all of epoch 1; its speed counts this call\'s steps', async () => {
    Date.now = () => 1_000_000;
    const whole = new ClosedForm();
    await new Trainer(whole, options({ steps: 8, seed: 3 })).fit();
    const abort = new AbortController();
    const first = new ClosedForm();
    await new Trainer(first, options({ steps: 8, seed: 3, out: dir, logEvery: 1, signal: abort.signal,
      onLog: (r) => { if (r.type === 'step' && r.step === 1) abort.abort(); } })).fit();
    const second = new ClosedForm();
    const result = await new Trainer(second, options({ steps: 8, seed: 3, out: dir, resume: dir })).fit();
    assert.equal(first.indices.length, 2);
    assert.deepEqual([...first.indices, ...second.indices], whole.indices);
    assert.equal(result.imagesPerSecond, 6 * 16 / 1e-9);
  });

  it('knn.png: the floors on the monitor\'s subsets, the random encoder only before the first step (not on resume)', async () => {
    const test = synthetic({ n: 48, channels: 1, size: 8, classes: 4, seed: 2 });
    const monitor = { train: data, test, everyEpochs: 1, trainSubset: 40, testSubset: 30, k: 5 };
    await recordingPlots(async (calls) => {
      const abort = new AbortController();
      const first = await new Trainer(new ClosedForm(), options({ out: dir, monitor, steps: 8, signal: abort.signal,
        onLog: (r) => { if (r.type === 'knn') abort.abort(); } })).fit();
      assert.deepEqual([first.steps, first.knn.map((r) => [r.step, r.epoch])], [4, [[4, 0]]]);
      const knnPlots = () => calls.filter(([f]) => path.basename(f) === 'knn.png').map(([, p]) => p.references!.map((r) => r.name));
      assert.deepEqual(knnPlots(), [['raw pixels', 'random encoder'], ['raw pixels', 'random encoder']]); // epoch end, interruption
      calls.length = 0;
      const second = await new Trainer(new ClosedForm(), options({ out: dir, monitor, steps: 8, resume: dir })).fit();
      assert.deepEqual(second.knn.map((r) => [r.step, r.epoch]), [[4, 0], [8, 1]]);
      assert.deepEqual(knnPlots(), [['raw pixels']]);
      const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { trainer: { monitor: unknown } };
      assert.deepEqual(config.trainer.monitor, { train: data.name, test: test.name, everyEpochs: 1, trainSubset: 40, testSubset: 30, k: 5 });
      // Every third epoch (the 3rd of 4), and at the run's end.
      const every3 = await new Trainer(new ClosedForm(), options({ monitor: { ...monitor, everyEpochs: 3 }, steps: 16 })).fit();
      assert.deepEqual(every3.knn.map((r) => [r.step, r.epoch]), [[12, 2], [16, 3]]);
      // No folder: no plots at all.
      calls.length = 0;
      await new Trainer(new ClosedForm(), options({ monitor, steps: 4 })).fit();
      assert.deepEqual(calls, []);
    });
  });

  it('a fresh run into a folder that holds a run is refused; the warm-up notice in full, not with progress none', async () => {
    await new Trainer(new ClosedForm(), options({ out: dir, steps: 1 })).fit();
    await assert.rejects(new Trainer(new ClosedForm(), options({ out: dir, steps: 1 })).fit(), {
      message: `The run folder '${dir}' already holds a run: resume it (resume: '${dir}', --resume ${dir}) or choose another folder` });
    const said = async (progress: 'lines' | 'none'): Promise<string> => {
      const s = stream();
      await new Trainer(new ClosedForm(), options({ steps: 20, progress, stream: s, logEvery: 100, optimizer: { warmupEpochs: 5 } })).fit();
      return s.text().split('\n')[0];
    };
    assert.equal(await said('lines'), "warning: the recipe's warm-up of 20 steps (5 epochs) is not shorter than the run (20 steps): cut to " +
      '2 steps, a tenth of the run, so the learning rate reaches its peak (set --config optimizer.warmupEpochs to choose)');
    assert.equal(await said('none'), '');
  });

  it('channelsLast true moves the weights to channels-last; auto on the CPU leaves them', async () => {
    const strides = async (channelsLast: boolean | 'auto'): Promise<number[]> => {
      const m = new ClosedForm();
      await new Trainer(m, options({ steps: 1, channelsLast })).fit();
      return m.encoder.parameters().find((p) => p.dim() === 4)!.stride();
    };
    const [o, i, h, w] = new ClosedForm().encoder.parameters().find((p) => p.dim() === 4)!.shape;
    assert.deepEqual(await strides(true), [i * h * w, 1, w * i, i]);
    assert.deepEqual(await strides('auto'), [i * h * w, h * w, w, 1]);
    assert.ok(o > 0);
  });

  it('cudaGraph rehearse runs the steps after the warm-up under the capture checks (a host read in the step is refused)', async () => {
    class Capturable extends ClosedForm {
      override readonly capturable = true;
    }
    const m = new Capturable(); // its trainingStep reads the batch indices back: not capturable
    await assert.rejects(new Trainer(m, options({ cudaGraph: 'rehearse', steps: 5 })).fit(), /checkCapturable/);
    assert.equal(m.indices.length, 3); // the three eager warm-up steps ran
  });

  it('cudaGraph rehearse needs a capturable method: refused by name', async () => {
    for (const g of ['rehearse'] as const) {
      await assert.rejects(new Trainer(new ClosedForm(), options({ cudaGraph: g })).fit(), {
        message: `cudaGraph: ${JSON.stringify(g)} needs a capturable method, and 'simclr' is not ` +
          '(Method.capturable is false): train it with cudaGraph false' });
    }
  });
});
