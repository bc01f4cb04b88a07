// The Trainer's GPU-speed paths against its plain path: channels-last weights
// and views, and the CUDA-graph step (rehearsed on CPU: the same static
// buffers, device scalars, capturable optimizers and capture rules, run
// eagerly), for each method; on a GPU the real capture + bf16.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as torch from '../../lib/torch';
import { synthetic } from '../../lib/data/synthetic';
import { ImageDataset } from '../../lib/data/dataset';
import { Trainer, TrainerOptions, LogRecord, StepRecord } from '../../lib/train';
import { VisionTransformer } from '../../lib/models/vit';
import { Method } from '../../lib/ssl/method';
import { SimCLR } from '../../lib/ssl/simclr';
import { BYOL } from '../../lib/ssl/byol';
import { DINO } from '../../lib/ssl/dino';
import { MAE } from '../../lib/ssl/mae';
import { ToyMethod } from './toy-method';

const data: ImageDataset = synthetic({ n: 64, channels: 3, size: 16, classes: 4, seed: 3 });
const tinyVit = (): VisionTransformer =>
  new VisionTransformer({ imgSize: 16, patchSize: 4, embedDim: 32, depth: 1, numHeads: 2, numClasses: 0 });

const makers: Record<string, () => Method> = {
  simclr: () => new SimCLR({ encoder: 'small_cnn', encoderOptions: { inChannels: 3, width: 8 }, hiddenDim: 64, outDim: 32 }),
  byol: () => new BYOL({ encoder: 'small_cnn', encoderOptions: { inChannels: 3, width: 8 }, hiddenDim: 64, outDim: 32 }),
  dino: () => new DINO({ encoder: tinyVit, outDim: 64, hiddenDim: 32, bottleneckDim: 16, localCrops: 2, localSize: 8,
    warmupTeacherTemp: 0.04, teacherTemp: 0.07, warmupTeacherTempEpochs: 2, epochs: 4 }),
  mae: () => new MAE({ encoder: tinyVit(), decoderDim: 32, decoderDepth: 1, decoderHeads: 4 }),
};

/** The losses of a seeded run, by step. */
async function losses(name: string, options: Partial<TrainerOptions>): Promise<number[]> {
  torch.manualSeed(5);
  const method = makers[name]();
  const records: LogRecord[] = [];
  const onLog = options.onLog;
  await new Trainer(method, {
    data, batchSize: 16, steps: 16, progress: 'none', logEvery: 1, handleSigint: false, seed: 5,
    ...options, onLog: (r) => { records.push(r); onLog?.(r); },
  }).fit();
  return records.filter((r): r is StepRecord => r.type === 'step').map((r) => r.loss);
}

function assertCurvesClose(a: number[], b: number[], rtol: number, what: string): void {
  assert.equal(a.length, b.length);
  a.forEach((x, i) => {
    assert.ok(Number.isFinite(x) && Math.abs(x - b[i]) <= rtol * Math.max(1, Math.abs(b[i])),
      `${what}: step ${i} loss ${x} vs ${b[i]} (rtol ${rtol})`);
  });
}

describe('Trainer speed options', () => {
  for (const name of Object.keys(makers)) {
    it(`${name}: the rehearsed CUDA-graph step gives the plain path's losses`, async () => {
      const plain = await losses(name, { cudaGraph: false });
      const graphed = await losses(name, { cudaGraph: 'rehearse' });
      // NOTE: the capturable optimizer and the device-scalar EMA round
      // differently from the host-scalar path (e.g. lr * buf as a tensor
      // product): float32 rounding, not a different update.
      assertCurvesClose(graphed, plain, 1e-4, name);
    });
  }

  for (const name of ['simclr', 'byol']) {
    it(`${name}: the rehearsed graph step with channels-last follows the plain loss curve for 200 steps`, async function () {
      this.timeout(120_000);
      const plain = await losses(name, { steps: 200, channelsLast: false, cudaGraph: false });
      const fast = await losses(name, { steps: 200, channelsLast: true, cudaGraph: 'rehearse' });
      assert.equal(plain.length, 200);
      // NOTE: the NHWC convolutions sum in another order and the capturable
      // optimizer rounds its products differently; over 200 steps the float32
      // differences grow to a few 1e-3 of the loss (bf16's resolution is 4e-3),
      // well below the curve's own step-to-step noise.
      assertCurvesClose(fast, plain, 1e-2, `${name} graph + channels-last`);
      assert.ok(plain[199] < plain[0], `the loss fell (${plain[0]} -> ${plain[199]})`);
    });
  }

  it('a graphed DINO run (capturable AdamW, scheduled wd) aborted and resumed equals an uninterrupted one', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-graph-'));
    try {
      const full = await losses('dino', { cudaGraph: 'rehearse', out: path.join(root, 'full') });
      const dir = path.join(root, 'resumed');
      const controller = new AbortController();
      const first = await losses('dino', { cudaGraph: 'rehearse', out: dir, signal: controller.signal,
        onLog: (r) => { if (r.type === 'step' && r.step === 6) controller.abort(); } });
      assert.equal(first.length, 7);
      const rest = await losses('dino', { cudaGraph: 'rehearse', out: dir, resume: dir });
      assert.deepEqual([...first, ...rest], full);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('keeps the live-tensor count flat on the graphed, channels-last path and frees it all at the end', async () => {
    for (let i = 0; i < 2; i++) {
      global.gc?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const method = makers.byol();
    const before = torch.memory().tensors;
    const counts: number[] = [];
    await new Trainer(method, {
      data, batchSize: 16, steps: 16, progress: 'none', logEvery: 1, handleSigint: false, cudaGraph: 'rehearse',
      channelsLast: true, onLog: (r) => { if (r.type === 'step') counts.push(torch.memory().tensors); },
    }).fit();
    // After the warm-up (device scalars, static buffers, optimizer state): the same count at the same place in the epoch.
    for (let i = 8; i < 16; i++) assert.equal(counts[i], counts[i - 4], `live tensors at step ${i}: ${counts.join(', ')}`);
    // What stays: the method's own device scalar (its EMA momentum), freed by method.dispose().
    assert.equal(torch.memory().tensors, before + 1, `tensors left alive after fit(): ${torch.memory().tensors - before}`);
    method.dispose();
  });

  it('a capture without prepareStep is refused, naming the method and the value', () => {
    const p = { step: 0, totalSteps: 10, epoch: 0, stepsPerEpoch: 10 };
    const byol = makers.byol();
    assert.throws(() => torch.cuda.checkCapturable(() => byol.afterOptimizerStep(p)),
      /BYOL reads its step value 'momentum' from the device inside a CUDA graph capture, but method.prepareStep\(progress\) was not called/);
    byol.prepareStep(p);
    torch.cuda.checkCapturable(() => byol.afterOptimizerStep(p)); // prepared: fine
    const dino = makers.dino();
    assert.throws(() => torch.cuda.checkCapturable(() => dino.beforeOptimizerStep(p)), /DINO reads its step value 'lastLayerScale'/);
  });

  it('refuses what cannot run, before training', async () => {
    const toy = new ToyMethod({ inChannels: 3 });
    assert.throws(() => new Trainer(toy, { data, batchSize: 16, steps: 1, cudaGraph: true }),
      /cudaGraph: true needs a CUDA device but device is 'cpu'/);
    assert.throws(() => new Trainer(toy, { data, batchSize: 16, steps: 1, channelsLast: 'yes' as unknown as boolean }),
      /Expected 'auto', true or false for channelsLast but received "yes"/);
    assert.throws(() => new Trainer(toy, { data, batchSize: 16, steps: 1, cudaGraph: 'always' as unknown as boolean }),
      /Expected 'auto', true, false or 'rehearse' for cudaGraph/);
    await assert.rejects(new Trainer(toy, { data, batchSize: 16, steps: 1, cudaGraph: 'rehearse', progress: 'none',
      handleSigint: false }).fit(), /cudaGraph: "rehearse" needs a capturable method, and 'simclr' is not/);
  });

  describe('on a GPU', function () {
    before(function () {
      if (!torch.cuda.isAvailable()) this.skip(); // GPU only
    });

    it('CUDA graph + channels-last + bf16 follow the eager bf16 loss curve for 300 steps (SimCLR, BYOL)', async function () {
      this.timeout(600_000);
      for (const name of ['simclr', 'byol']) {
        const plain = await losses(name, { steps: 300, device: 'cuda', cudaGraph: false, channelsLast: false });
        const fast = await losses(name, { steps: 300, device: 'cuda', cudaGraph: true, channelsLast: true });
        assertCurvesClose(fast, plain, 0.05, `${name} graph+channels-last`);
      }
    });

    it('a graphed MAE run on the GPU resumes with the same masks (the GPU generator is in the checkpoint)', async function () {
      this.timeout(600_000);
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-gpu-'));
      try {
        const full = await losses('mae', { device: 'cuda', cudaGraph: true, steps: 16, out: path.join(root, 'full') });
        const dir = path.join(root, 'resumed');
        const controller = new AbortController();
        const first = await losses('mae', { device: 'cuda', cudaGraph: true, steps: 16, out: dir, signal: controller.signal,
          onLog: (r) => { if (r.type === 'step' && r.step === 6) controller.abort(); } });
        const rest = await losses('mae', { device: 'cuda', cudaGraph: true, steps: 16, out: dir, resume: dir });
        // NOTE: bf16 and atomics in backward make GPU runs not bit-exact; other masks would move the loss by far more.
        assertCurvesClose([...first, ...rest], full, 1e-2, 'resumed MAE');
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    });

    it('DINO and MAE run captured on the GPU with the eager losses (bf16 tolerance)', async function () {
      this.timeout(600_000);
      for (const name of ['dino', 'mae']) {
        const plain = await losses(name, { steps: 100, device: 'cuda', cudaGraph: false });
        const fast = await losses(name, { steps: 100, device: 'cuda', cudaGraph: true });
        assertCurvesClose(fast, plain, 0.05, `${name} graph`);
      }
    });
  });
});
