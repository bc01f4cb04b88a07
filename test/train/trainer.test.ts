import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn } from 'child_process';
import sharp from 'sharp';
import * as torch from '../../lib/torch';
import { synthetic } from '../../lib/data/synthetic';
import { ImageDataset } from '../../lib/data/dataset';
import { Trainer, TrainerOptions, LogRecord, StepRecord } from '../../lib/train';
import { readSafetensorsHeader } from '../../lib/torch/safetensors';
import { SigintHandler } from '../../lib/train/interrupt';
import { ToyMethod, ToyOptions } from './toy-method';

const data: ImageDataset = synthetic({ n: 64, channels: 1, size: 8, classes: 4, seed: 1 });

const made: string[] = [];

/** A fresh temporary folder, removed after this file's tests. */
function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-train-'));
  made.push(dir);
  return dir;
}

function toy(options: ToyOptions = {}): ToyMethod {
  torch.manualSeed(123);
  return new ToyMethod(options);
}

function base(extra: Partial<TrainerOptions> = {}): TrainerOptions {
  return { data, batchSize: 16, steps: 8, progress: 'none', logEvery: 1, handleSigint: false, ...extra };
}

function paramBytes(m: ToyMethod): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, t] of m.stateDict()) {
    const a = t.toTypedArray();
    out.set(k, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  }
  return out;
}

function stepLosses(records: LogRecord[]): Map<number, number> {
  return new Map(records.filter((r): r is StepRecord => r.type === 'step').map((r) => [r.step, r.loss]));
}

describe('Trainer', () => {
  after(() => { for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true }); });
  it('resumes exactly: an aborted and resumed run equals an uninterrupted one', async () => {
    // 64 images / 16 = 4 steps per epoch; stop after step 3, mid-epoch, with
    // LARS, a warmup, a cosine lr and a cosine weight decay all in play.
    const full: LogRecord[] = [];
    const a = toy();
    const ra = await new Trainer(a, base({ out: path.join(tmpDir(), 'a'), onLog: (r) => full.push(r) })).fit();
    assert.equal(ra.steps, 8);
    assert.equal(ra.interrupted, false);

    const dir = path.join(tmpDir(), 'b');
    const controller = new AbortController();
    const first: LogRecord[] = [];
    const b1 = toy();
    const rb1 = await new Trainer(b1, base({
      out: dir, signal: controller.signal,
      onLog: (r) => { first.push(r); if (r.type === 'step' && r.step === 2) controller.abort(); },
    })).fit();
    assert.equal(rb1.interrupted, true);
    assert.equal(rb1.steps, 3);
    assert.ok(rb1.checkpoint?.endsWith('step-00000003.json'));
    assert.ok(!fs.existsSync(path.join(dir, 'encoder.safetensors')));

    const second: LogRecord[] = [];
    const b2 = toy(); // fresh weights: everything must come from the checkpoint
    const rb2 = await new Trainer(b2, base({ out: dir, resume: dir, onLog: (r) => second.push(r) })).fit();
    assert.equal(rb2.steps, 8);
    assert.equal(rb2.interrupted, false);

    const want = stepLosses(full);
    const got = stepLosses(second);
    assert.deepEqual([...got.keys()], [3, 4, 5, 6, 7]);
    for (const [s, loss] of got) assert.equal(loss, want.get(s), `loss at step ${s}`);
    for (const [s, loss] of stepLosses(first)) assert.equal(loss, want.get(s), `loss at step ${s} before the abort`);
    const pa = paramBytes(a);
    const pb = paramBytes(b2);
    assert.deepEqual([...pb.keys()], [...pa.keys()]);
    for (const [k, v] of pa) assert.ok(v.equals(pb.get(k)!), `parameter ${k} differs after resume`);

    // metrics.jsonl holds each step once, in order, across the two processes' worth of runs.
    const lines = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
    assert.deepEqual(lines.filter((r) => r.type === 'step').map((r) => r.step), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(lines.filter((r) => r.type === 'epoch').map((r) => r.epoch), [0, 1]);
    // Only the newest two checkpoints are kept.
    assert.deepEqual(fs.readdirSync(path.join(dir, 'checkpoints')).sort(),
      ['step-00000004.json', 'step-00000004.safetensors', 'step-00000008.json', 'step-00000008.safetensors']);

    // Going back to the step-4 checkpoint cuts metrics.jsonl back to it, and replays the same steps.
    const b3 = toy();
    const replay: LogRecord[] = [];
    await new Trainer(b3, base({ out: dir, resume: path.join(dir, 'checkpoints', 'step-00000004.json'),
      onLog: (r) => replay.push(r) })).fit();
    for (const [s, loss] of stepLosses(replay)) assert.equal(loss, want.get(s), `replayed loss at step ${s}`);
    const again = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
    assert.deepEqual(again.map((r) => `${r.type}${r.step}`), lines.map((r) => `${r.type}${r.step}`));
    for (const [k, v] of paramBytes(b3)) assert.ok(v.equals(pa.get(k)!), `parameter ${k} differs after the replay`);
  });

  it('resumes exactly at an epoch boundary with AdamW, clipping and bf16 autocast on CPU', async () => {
    const options = (extra: Partial<TrainerOptions>): TrainerOptions => base({
      optimizer: { optimizer: 'adamw', lr: 1e-3, weightDecay: 0.05, weightDecayEnd: undefined }, clipGrad: 0.5,
      precision: 'bfloat16', ...extra,
    });
    const full: LogRecord[] = [];
    const a = toy();
    await new Trainer(a, options({ onLog: (r) => full.push(r) })).fit();
    const dir = path.join(tmpDir(), 'adamw');
    const controller = new AbortController();
    const r1 = await new Trainer(toy(), options({
      out: dir, signal: controller.signal, onLog: (r) => { if (r.type === 'step' && r.step === 3) controller.abort(); },
    })).fit();
    assert.equal(r1.steps, 4);
    const second: LogRecord[] = [];
    const b = toy();
    await new Trainer(b, options({ out: dir, resume: path.join(dir, 'checkpoints', 'step-00000004.safetensors'),
      onLog: (r) => second.push(r) })).fit();
    const want = stepLosses(full);
    assert.deepEqual([...stepLosses(second).keys()], [4, 5, 6, 7]);
    for (const [s, loss] of stepLosses(second)) assert.equal(loss, want.get(s), `loss at step ${s}`);
    const pa = paramBytes(a);
    for (const [k, v] of paramBytes(b)) assert.ok(v.equals(pa.get(k)!), `parameter ${k} differs after resume`);
    // bf16 autocast really ran: the losses differ from a float32 run's.
    const f32: LogRecord[] = [];
    await new Trainer(toy(), options({ precision: 'float32', steps: 2, onLog: (r) => f32.push(r) })).fit();
    assert.notEqual(stepLosses(f32).get(1), want.get(1));
  });

  it('keeps the live-tensor count flat across steps and frees its own tensors at the end', async () => {
    // Let the collector finish with earlier tests' garbage first, so that only this run moves the count.
    for (let i = 0; i < 2; i++) {
      global.gc?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const m = toy();
    const before = torch.memory().tensors;
    const counts: number[] = [];
    await new Trainer(m, base({ steps: 16, onLog: (r) => { if (r.type === 'step') counts.push(torch.memory().tensors); } })).fit();
    // Same position in the epoch (4 steps each) -> same count; no growth from epoch to epoch.
    for (let i = 4; i < 16; i++) assert.equal(counts[i], counts[i % 4], `live tensors at step ${i}: ${counts.join(', ')}`);
    assert.equal(torch.memory().tensors, before, 'tensors left alive after fit()');
  });

  it('calls the method hooks in order with the progress of each step', async () => {
    const m = toy();
    await new Trainer(m, base({ steps: 5 })).fit();
    assert.deepEqual(m.calls, [0, 1, 2, 3, 4].flatMap((s) => [
      `train ${s}/5 epoch ${s < 4 ? 0 : 1}`, `before ${s} grad`, `after ${s}`]));
  });

  it('stops on a non-finite loss with the step, the epoch and a hint, saving no checkpoint', async () => {
    const dir = path.join(tmpDir(), 'nan');
    await assert.rejects(new Trainer(toy({ nanAtStep: 5 }), base({ out: dir, checkpointEvery: 100 })).fit(),
      /^Error: Loss is NaN at step 5 \(epoch 1\): .*lower the learning rate \(--lr, now .*clip-grad/i);
    const ck = path.join(dir, 'checkpoints');
    // The epoch-0 checkpoint exists; nothing was written at or after the NaN.
    assert.deepEqual(fs.readdirSync(ck).sort(), ['step-00000004.json', 'step-00000004.safetensors']);
    const steps = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as LogRecord).filter((r) => r.type === 'step').map((r) => r.step);
    assert.deepEqual(steps, [0, 1, 2, 3, 4]);
  });

  it('rejects bad options before any work', () => {
    assert.throws(() => new Trainer(toy(), base({ batchSize: 100 })),
      /batchSize 100 is larger than the dataset 'synthetic.*' \(64 images\)/);
    assert.throws(() => new Trainer(toy(), { ...base(), epochs: 2, steps: 3 }), /either epochs or steps/);
    assert.throws(() => new Trainer(toy(), base({ precision: 'fp8' as 'auto' })), /precision/);
    assert.throws(() => new Trainer(toy(), base({ monitor: { train: { ...data, labels: undefined }, test: data } })),
      /labelled ImageDataset for monitor.train/);
    assert.throws(() => new Trainer(toy(), base({ handleSigint: 'no' as unknown as boolean })),
      /^TypeError: Expected true or false for handleSigint but received 'no'$/);
    assert.throws(() => new Trainer(toy(), base({ monitor: { train: data, test: data, k: 0 } })),
      /^RangeError: Expected positive integer for monitor.k but received 0$/);
  });

  it('writes a run folder: config, metrics, checkpoints, plots and encoder weights', async () => {
    const dir = path.join(tmpDir(), 'run');
    const labelled = synthetic({ n: 48, channels: 1, size: 8, classes: 4, seed: 2 });
    const m = toy();
    const result = await new Trainer(m, base({
      out: dir, epochs: 2, steps: undefined, logEvery: 2, checkpointEvery: 3, config: { dataset: 'synthetic' },
      monitor: { train: data, test: labelled, trainSubset: 40, testSubset: 30, k: 5 },
    })).fit();
    assert.equal(result.steps, 8);
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.equal(config.method, 'simclr');
    assert.deepEqual(config.methodConfig, { encoder: 'small_cnn', width: 4, outDim: 8 });
    assert.equal(config.trainer.batchSize, 16);
    assert.equal(config.trainer.totalSteps, 8);
    assert.equal(config.trainer.peakLr, (0.3 * 16) / 256);
    assert.equal(config.trainer.warmupSteps, 2);
    assert.deepEqual(config.config, { dataset: 'synthetic' });
    assert.match(config.versions.node, /^v\d+/);
    const records = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const steps = records.filter((r) => r.type === 'step');
    assert.deepEqual(steps.map((r) => r.step), [1, 3, 5, 7]);
    for (const r of steps) {
      for (const k of ['loss', 'lr', 'wd', 'imgPerSec', 'embStd', 'time', 'eta']) assert.equal(typeof r[k], 'number', k);
      assert.ok(r.embStd > 0 && r.embStd <= 1, `embStd ${r.embStd}`);
      assert.equal(r.logs.half, r.loss / 2);
    }
    assert.equal(steps[0].lr, (0.3 * 16) / 256); // step 1 is the last warmup step: the peak
    const knn = records.filter((r) => r.type === 'knn');
    assert.deepEqual(knn.map((r) => [r.epoch, r.step]), [[0, 4], [1, 8]]);
    for (const r of knn) assert.ok(r.top1['5'] >= 0 && r.top1['5'] <= 1);
    assert.deepEqual(result.knn.map((r) => r.top1), knn.map((r) => r.top1));
    for (const png of ['loss.png', 'knn.png']) {
      const meta = await sharp(path.join(dir, png)).metadata();
      assert.equal(meta.format, 'png');
      assert.equal(meta.width, 640);
    }
    // Checkpoints at 3, 4 (epoch end), 6, 8 (end); the newest two are kept.
    assert.deepEqual(fs.readdirSync(path.join(dir, 'checkpoints')).filter((f) => f.endsWith('.json')).sort(),
      ['step-00000006.json', 'step-00000008.json']);
    const ck = readSafetensorsHeader(path.join(dir, 'checkpoints', 'step-00000008.safetensors'));
    const ckKeys = [...ck.tensors.keys()];
    assert.ok(ckKeys.includes('model.encoder.conv1.weight') && ckKeys.includes('model.projector.weight'));
    assert.ok(ckKeys.some((k) => /^optimizer\.state\.\d+\.momentum_buffer$/.test(k)));
    const enc = readSafetensorsHeader(path.join(dir, 'encoder.safetensors'));
    assert.deepEqual([...enc.tensors.keys()].sort(), [...m.encoder.stateDict().keys()].sort());
    assert.equal(result.encoder, path.join(dir, 'encoder.safetensors'));
  });

  it("prints plain progress lines when the stream is not a TTY", async () => {
    const chunks: string[] = [];
    await new Trainer(toy(), base({
      progress: 'auto', stream: { write: (t: string) => chunks.push(t), isTTY: false }, steps: 4,
    })).fit();
    const lines = chunks.join('').trim().split('\n');
    assert.ok(lines.length >= 2, lines.join('\n'));
    for (const line of lines) {
      assert.match(line, /^epoch 1\/1 step [1-4]\/4 loss \d+\.\d{4} lr \S+ wd \S+ emb-std \d\.\d{4} \d+ img\/s ETA \d+:\d\d$/);
    }
    assert.match(lines[lines.length - 1], /step 4\/4 .* ETA 0:00$/);
  });

  it('draws a bar in place on a TTY', async () => {
    const chunks: string[] = [];
    await new Trainer(toy(), base({ stream: { write: (t: string) => chunks.push(t), isTTY: true, columns: 200 }, progress: 'auto', steps: 4 })).fit();
    const text = chunks.join('');
    const frames = text.split('\r').filter((f) => f !== '');
    assert.equal(frames.length, 4);
    assert.match(frames[0], /^\[#{5}\.{15}\] epoch 1\/1 step 1\/4 loss \d+\.\d{4} /);
    assert.match(frames[3], /^\[#{20}\] epoch 1\/1 step 4\/4 .*ETA 0:00\x1b\[K\n$/);
  });

  it('refuses a checkpoint of another method, naming both methods and the mismatched keys', async () => {
    const dir = path.join(tmpDir(), 'other');
    await new Trainer(toy(), base({ out: dir, steps: 2 })).fit();
    await assert.rejects(new Trainer(toy({ name: 'byol', outDim: 6 }), base({ out: dir, resume: dir })).fit(), (err: Error) => {
      assert.match(err.message, /saved by method 'simclr', but this run trains 'byol'/);
      assert.match(err.message, /projector\.weight/);
      return true;
    });
    await assert.rejects(new Trainer(toy(), base({ out: path.join(tmpDir(), 'fresh'), resume: path.join(dir, 'nope') })).fit(),
      /Cannot resume from '.*nope': no such file or folder/);
    await assert.rejects(new Trainer(toy(), base({ out: dir })).fit(), /already holds a run: resume it/);
  });

  it('saves a checkpoint on Ctrl-C and resumes from it', async function () {
    this.timeout(60000);
    const dir = path.join(tmpDir(), 'sigint');
    const child = spawn(process.execPath, [path.join(__dirname, 'sigint-child.js'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        const before = stdout;
        stdout += d.toString();
        if (!before.includes('STEP') && stdout.includes('STEP')) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    assert.equal(code, 0, `child exit ${code}\n${stdout}\n${stderr}`);
    assert.match(stderr, /Interrupted: checkpoint saved to .*step-\d{8}\.json/);
    assert.match(stdout, /RESULT interrupted=true steps=(\d+)/);
    const saved = Number(/steps=(\d+)/.exec(stdout)![1]);
    assert.ok(saved >= 1 && saved < 1000, `steps ${saved}`);
    assert.ok(fs.existsSync(path.join(dir, 'checkpoints', `step-${String(saved).padStart(8, '0')}.safetensors`)));
    const r = await new Trainer(toy(), base({ out: dir, resume: dir, steps: saved + 2 })).fit();
    assert.equal(r.steps, saved + 2);
    assert.equal(r.interrupted, false);
  });
});

describe('train/interrupt', () => {
  it('asks to stop on the first SIGINT, exits with 130 on the second, and leaves no listener behind', () => {
    const before = process.listenerCount('SIGINT');
    let notified = 0;
    const h = new SigintHandler(() => { notified++; });
    h.install();
    assert.equal(process.listenerCount('SIGINT'), before + 1);
    const exit = process.exit;
    const codes: (number | string | null | undefined)[] = [];
    process.exit = ((code?: number) => { codes.push(code); }) as typeof process.exit;
    try {
      process.emit('SIGINT');
      assert.equal(h.requested, true);
      assert.equal(notified, 1);
      assert.deepEqual(codes, []);
      process.emit('SIGINT');
      assert.deepEqual(codes, [130]);
    } finally {
      process.exit = exit;
      h.remove();
    }
    assert.equal(process.listenerCount('SIGINT'), before);
  });

  it('removes its SIGINT handler when fit() ends, also on error', async () => {
    const before = process.listenerCount('SIGINT');
    await new Trainer(toy(), base({ handleSigint: true, steps: 1 })).fit();
    assert.equal(process.listenerCount('SIGINT'), before);
    await assert.rejects(new Trainer(toy({ nanAtStep: 0 }), base({ handleSigint: true })).fit(), /Loss is NaN at step 0/);
    assert.equal(process.listenerCount('SIGINT'), before);
  });
});
