import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { writeImageGrid } from '../../lib/data/image-grid';
import { maskedCrc32c, tfRecord } from '../../lib/export/tensorboard/tfrecord';
import { writeRunEvents } from '../../lib/export/tensorboard/run-events';
import { runEmbed } from '../../lib/cli/embed';
import { program } from '../../lib/cli/main';
import { crc32cRef, readEvents, readRecords } from '../helpers/tfevents-reader';
import { makeSyntheticRun } from './synthetic-run';

describe('export: TensorBoard event files', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-tb-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('frames records with the masked CRC32C of the format (checked by an independent reader)', () => {
    assert.equal(crc32cRef(Buffer.from('123456789')), 0xe3069283); // the CRC-32C check value
    // A record of TensorFlow's own: the masked CRC of 8 zero bytes (an empty record's length).
    assert.equal(maskedCrc32c(Buffer.alloc(8)), (((crc32cRef(Buffer.alloc(8)) >>> 15) | (crc32cRef(Buffer.alloc(8)) << 17)) + 0xa282ead8) >>> 0);
    const data = Buffer.from('hello event');
    const rec = tfRecord(data);
    assert.equal(rec.length, 16 + data.length);
    assert.deepEqual(readRecords(rec), [data]);
    const bad = Buffer.from(rec);
    bad[14] ^= 1;
    assert.throws(() => readRecords(bad), /bad data CRC/);
  });

  it('writes a run folder\'s scalars, pictures, weight histograms and projector files, by value', async () => {
    const run = path.join(dir, 'run');
    const encoder = makeSyntheticRun(run);
    const t0 = '2026-12-04T10:00:00.000Z';
    const config = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(run, 'config.json'), JSON.stringify({ ...config, time: t0 }));
    const lines = [
      { type: 'step', step: 0, epoch: 0, loss: 5.5, lr: 0.001, wd: 0.05, imgPerSec: 800, embStd: 0.12, time: 1.5, eta: 9, logs: { acc: 0.25 } },
      { type: 'step', step: 10, epoch: 0, loss: 4.25, lr: 0.002, wd: 0.05, imgPerSec: 820, embStd: null, time: 3, eta: 8 },
      { type: 'knn', step: 20, epoch: 0, top1: { 20: 0.75 }, time: 4 },
      { type: 'epoch', step: 20, epoch: 0, loss: 4.5, seconds: 4, time: 4 },
    ];
    // The last line is torn, as while a run is writing it.
    fs.writeFileSync(path.join(run, 'metrics.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{"type":"st`);
    await writeImageGrid(path.join(run, 'loss.png'), [torch.rand([2, 3, 8, 8])]);
    await runEmbed(run, { split: 'test', log: () => undefined, limit: 50 });

    const info = writeRunEvents(run);
    assert.equal(path.dirname(info.file), path.join(run, 'tensorboard'));
    assert.match(path.basename(info.file), /^events\.out\.tfevents\.\d+\.selfsup$/);
    const events = readEvents(fs.readFileSync(info.file));
    assert.equal(events[0].fileVersion, 'brain.Event:2');
    assert.equal(events[0].wallTime, Date.parse(t0) / 1000);
    const scalar = (tag: string) => events.flatMap((e) => e.values.filter((v) => v.tag === tag).map((v) => [e.step, v.simpleValue, e.wallTime]));
    assert.deepEqual(scalar('train/loss'), [[0, 5.5, Date.parse(t0) / 1000 + 1.5], [10, 4.25, Date.parse(t0) / 1000 + 3]]);
    assert.deepEqual(scalar('train/lr').map((s) => s[1]), [Math.fround(0.001), Math.fround(0.002)]);
    assert.deepEqual(scalar('train/emb_std').map((s) => s[1]), [Math.fround(0.12)]); // null is left out
    assert.deepEqual(scalar('train/acc').map((s) => s[1]), [0.25]);
    assert.deepEqual(scalar('knn/top1_k20'), [[20, 0.75, Date.parse(t0) / 1000 + 4]]);
    assert.deepEqual(scalar('epoch/loss').map((s) => s[1]), [4.5]);
    assert.equal(info.scalars, 12); // 6 + 4 (embStd null) step scalars, one k-NN, one epoch loss
    const image = events.flatMap((e) => e.values).find((v) => v.tag === 'loss')?.image;
    assert.ok(image);
    assert.deepEqual([image.width, image.height, image.colorspace], [12, 22, 3]);
    assert.ok(image.png.equals(fs.readFileSync(path.join(run, 'loss.png'))));
    const histos = events.flatMap((e) => e.values).filter((v) => v.histo !== undefined);
    assert.equal(histos.length, info.histograms);
    const w = encoder.convs[0].weight;
    const h = histos.find((v) => v.tag === 'weights/conv1.weight')?.histo;
    assert.ok(h);
    assert.equal(h.num, w.numel());
    assert.equal(h.bucket.reduce((a, b) => a + b, 0), w.numel());
    assert.equal(h.min, w.min().item());
    assert.equal(h.max, w.max().item());
    assert.ok(info.projector);
    assert.match(fs.readFileSync(info.projector, 'utf8'), /tensor_path: "tensors.tsv"\n {2}metadata_path: "metadata.tsv"/);
    const rows = fs.readFileSync(path.join(run, 'tensorboard', 'tensors.tsv'), 'utf8').trim().split('\n');
    assert.equal(rows.length, 50);
    assert.equal(rows[0].split('\t').length, 16);
  });

  it('selfsup tensorboard writes the file from the command line and names a folder that is not a run', async () => {
    const run = path.join(dir, 'run2');
    makeSyntheticRun(run);
    fs.writeFileSync(path.join(run, 'metrics.jsonl'), `${JSON.stringify({ type: 'step', step: 3, loss: 1, time: 1 })}\n`);
    const out = path.join(dir, 'logs');
    await program().exitOverride().parseAsync(['tensorboard', run, '--out', out], { from: 'user' });
    const files = fs.readdirSync(out).filter((f) => f.startsWith('events.out.tfevents.'));
    assert.equal(files.length, 1);
    assert.deepEqual(readEvents(fs.readFileSync(path.join(out, files[0]))).flatMap((e) => e.values.filter((v) => v.simpleValue !== undefined).map((v) => v.tag)), ['train/loss']);
    fs.mkdirSync(path.join(dir, 'empty'));
    assert.throws(() => writeRunEvents(path.join(dir, 'empty')), /is not a run folder: it has neither metrics\.jsonl nor config\.json/);
  });
});

describe('cli: selfsup train --tensorboard', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-tb-train-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('leaves an event file with the run\'s losses in <run>/tensorboard', async function () {
    this.timeout(120000);
    const out = path.join(dir, 'run');
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await program().exitOverride().parseAsync(['train', 'simclr', '--data', 'synthetic', '--encoder-options', '{"width":4}',
        '--steps', '3', '--batch-size', '32', '--no-eval', '--knn-every', '0', '--progress', 'none', '--out', out, '--tensorboard'],
      { from: 'user' });
    } finally {
      process.stdout.write = write;
    }
    const tb = path.join(out, 'tensorboard');
    const file = fs.readdirSync(tb).find((f) => f.startsWith('events.out.tfevents.'));
    assert.ok(file);
    const losses = readEvents(fs.readFileSync(path.join(tb, file))).flatMap((e) => e.values.filter((v) => v.tag === 'train/loss'));
    const logged = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; loss: number })
      .filter((r) => r.type === 'step');
    assert.ok(logged.length > 0);
    assert.deepEqual(losses.map((v) => v.simpleValue), logged.map((r) => Math.fround(r.loss)));
  });

  it('--resume --tensorboard continues the same event file: steps on from the checkpoint, each step once', async function () {
    this.timeout(180000);
    const out = path.join(dir, 'resumed');
    const train = async (args: string[]): Promise<void> => {
      const write = process.stdout.write.bind(process.stdout);
      const err = process.stderr.write.bind(process.stderr);
      process.stdout.write = (() => true) as typeof process.stdout.write;
      process.stderr.write = (() => true) as typeof process.stderr.write;
      try {
        await program().exitOverride().parseAsync(['train', ...args, '--no-eval', '--progress', 'none', '--tensorboard'], { from: 'user' });
      } finally {
        process.stdout.write = write;
        process.stderr.write = err;
      }
    };
    await train(['simclr', '--data', 'synthetic', '--encoder-options', '{"width":4}', '--steps', '25', '--batch-size', '32',
      '--knn-every', '0', '--checkpoint-every', '10', '--out', out]);
    const tb = path.join(out, 'tensorboard');
    const [first] = fs.readdirSync(tb).filter((f) => f.startsWith('events.out.tfevents.'));
    const before = readEvents(fs.readFileSync(path.join(tb, first)));
    const config1 = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as { time: string; started: string };
    assert.equal(config1.started, config1.time);
    // A crash after step 25 but before its checkpoint: the run resumes from step 20 and trains 20..24 again.
    fs.readdirSync(path.join(out, 'checkpoints')).filter((f) => f.startsWith('step-00000025.'))
      .forEach((f) => fs.rmSync(path.join(out, 'checkpoints', f)));
    fs.writeFileSync(path.join(tb, first), ''); // only the resumed run can fill it again
    await train(['--resume', out]);

    const config2 = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as { time: string; started: string };
    assert.equal(config2.started, config1.time, 'the run keeps its first start');
    assert.notEqual(config2.time, config1.time);
    assert.deepEqual(fs.readdirSync(tb).filter((f) => f.startsWith('events.out.tfevents.')), [first], 'one event file');
    assert.equal(first, `events.out.tfevents.${Math.floor(Date.parse(config1.time) / 1000)}.selfsup`);
    const after = readEvents(fs.readFileSync(path.join(tb, first)));
    assert.equal(after[0].wallTime, Date.parse(config1.time) / 1000);
    const lossSteps = (events: typeof after) => events.filter((e) => e.values.some((v) => v.tag === 'train/loss')).map((e) => e.step);
    const steps = lossSteps(after);
    const logged = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')
      .map((l) => JSON.parse(l) as { type: string; step: number; time: number }).filter((r) => r.type === 'step');
    assert.deepEqual(steps, logged.map((r) => r.step));
    assert.deepEqual(steps, [...new Set(steps)].sort((a, b) => a - b), `each step once, in order: ${steps.join(', ')}`);
    assert.ok(steps.some((s) => s < 20) && steps.some((s) => s >= 20), steps.join(', '));
    assert.equal(steps.at(-1), 24);
    // Steps before the checkpoint keep their records (and wall times); the resumed ones follow on the same clock.
    const wall = (events: typeof after, step: number) => events.find((e) => e.step === step && e.values.some((v) => v.tag === 'train/loss'))?.wallTime;
    for (const s of lossSteps(before).filter((s) => s < 20)) assert.equal(wall(after, s), wall(before, s), `step ${s}`);
    for (const r of logged) assert.equal(wall(after, r.step), Date.parse(config1.time) / 1000 + r.time);
  });
});
