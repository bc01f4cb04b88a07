// The run folder's files by value: config.json (what was given, the versions,
// the run's clock across resumes), the plots' data (equal to the records they
// are drawn from) and the PNGs themselves.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as torch from '../../lib/torch';
import { writeConfig, writePlots } from '../../lib/train/run-folder';
import { LogRecord } from '../../lib/train/options';
import { recordingPlots } from '../helpers/recording-plots';

const PACKAGE_VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;

describe('train/run-folder: config.json and the plots by value', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-run-folder-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const readConfig = (out: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));

  it('config.json: the config, the versions of Node, libtorch and selfsup, and its time as the start of a fresh run', () => {
    const out = path.join(dir, 'a', 'b'); // made with its parents
    const before = Date.now();
    writeConfig(out, { method: 'simclr', trainer: { epochs: 2 } });
    const after = Date.now();
    const text = fs.readFileSync(path.join(out, 'config.json'), 'utf8');
    const c = JSON.parse(text) as Record<string, unknown>;
    assert.equal(text, `${JSON.stringify(c, null, 2)}\n`);
    assert.deepEqual(Object.keys(c), ['method', 'trainer', 'versions', 'time', 'started']);
    assert.deepEqual(c.versions, { node: process.version, libtorch: torch.config().torchVersion, selfsup: PACKAGE_VERSION });
    const time = Date.parse(c.time as string);
    assert.ok(time >= before && time <= after, `${c.time as string}`);
    assert.equal(c.time, new Date(time).toISOString());
    assert.equal(c.started, c.time);
    assert.deepEqual(c.trainer, { epochs: 2 });
    // A fresh run (no resumedFrom, or null) takes its own time as the start even where an earlier config.json says otherwise.
    fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ started: '2020-01-01T00:00:00.000Z' }));
    writeConfig(out, { method: 'simclr', resumedFrom: null });
    assert.equal(readConfig(out).started, readConfig(out).time);
    fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ started: '2020-01-01T00:00:00.000Z' }));
    writeConfig(out, { method: 'simclr' });
    assert.equal(readConfig(out).started, readConfig(out).time);
  });

  it('config.json of a resumed run keeps the first start: started, else time, else (damaged, missing) its own time', () => {
    const cases: Array<[string | undefined, string | undefined]> = [
      [JSON.stringify({ started: '2020-01-01T00:00:00.000Z', time: '2021-01-01T00:00:00.000Z' }), '2020-01-01T00:00:00.000Z'],
      [JSON.stringify({ time: '2021-01-01T00:00:00.000Z' }), '2021-01-01T00:00:00.000Z'],
      [JSON.stringify({ started: 'yesterday' }), undefined],
      [JSON.stringify({ started: 5 }), undefined],
      ['{"started": "2020-01-0', undefined],
      [undefined, undefined],
    ];
    for (const [i, [saved, started]] of cases.entries()) {
      const out = path.join(dir, `r${i}`);
      fs.mkdirSync(out);
      if (saved !== undefined) fs.writeFileSync(path.join(out, 'config.json'), saved);
      writeConfig(out, { method: 'byol', resumedFrom: 'runs/x/checkpoints/step-10.json' });
      const c = readConfig(out);
      assert.equal(c.resumedFrom, 'runs/x/checkpoints/step-10.json');
      assert.equal(c.started, started ?? c.time, `case ${i}: ${saved}`);
    }
  });

  const step = (s: number, loss: number): LogRecord =>
    ({ type: 'step', step: s, epoch: 0, loss, lr: 0.1, wd: 0, imgPerSec: 1, embStd: null, time: s, eta: 0 });

  it('writePlots: loss.png from the step records (from 0 unless a loss is negative), knn.png per k with the floors', async () => {
    const history: LogRecord[] = [
      step(0, 3), step(10, NaN), { type: 'epoch', step: 20, epoch: 0, loss: 9, seconds: 1, time: 1 },
      { type: 'knn', step: 20, epoch: 0, top1: { 20: 0.5, 200: 0.25 }, time: 2 }, step(20, 2),
      { type: 'knn', step: 40, epoch: 1, top1: { 20: 0.75 }, time: 3 },
    ];
    const calls = await recordingPlots(() => writePlots(dir, history, { method: 'dino', stepsPerEpoch: 20, floors: { raw: 0.625, random: 0.5 } }));
    assert.deepEqual(calls, [
      [path.join(dir, 'loss.png'), { title: 'dino training loss', xLabel: 'step', yLabel: 'loss',
        series: [{ name: 'loss', points: [[0, 3], [10, NaN], [20, 2]] }], yInclude: [0] }],
      [path.join(dir, 'knn.png'), { title: 'dino online k-NN top-1 (%), fixed subsets', xLabel: 'epoch', yLabel: 'top-1 (%)',
        series: [{ name: 'k=20', markers: true, points: [[1, 50], [2, 75]] }, { name: 'k=200', markers: true, points: [[1, 25], [2, NaN]] }],
        references: [{ name: 'raw', y: 62.5 }, { name: 'random', y: 50 }] }],
    ]);
    // A negative loss: no 0 forced in; no finite loss: none either; no k-NN records: no knn.png; no floors: no lines.
    const negative = await recordingPlots(() => writePlots(dir, [step(0, 1), step(1, -0.5)], { method: 'm', stepsPerEpoch: 1 }));
    assert.deepEqual(negative.map(([f, p]) => [path.basename(f), p.yInclude]), [['loss.png', []]]);
    const zero = await recordingPlots(() => writePlots(dir, [step(0, 0), step(1, 0.5)], { method: 'm', stepsPerEpoch: 1 }));
    assert.deepEqual(zero.map(([, p]) => p.yInclude), [[0]]);
    const none = await recordingPlots(() => writePlots(dir, [step(0, NaN), { type: 'knn', step: 1, epoch: 0, top1: { 5: 0.5 }, time: 0 }],
      { method: 'm', stepsPerEpoch: 4 }));
    assert.deepEqual(none.map(([, p]) => [p.yInclude, p.references]), [[[], undefined], [undefined, []]]);
    assert.deepEqual(none[1][1].series, [{ name: 'k=5', markers: true, points: [[0.25, 50]] }]);
  });

  it('writePlots writes the PNGs (640 x 400): loss.png always, knn.png once the monitor has run', async () => {
    await writePlots(dir, [step(0, 3), step(1, 2)], { method: 'simclr', stepsPerEpoch: 2 });
    assert.deepEqual(fs.readdirSync(dir), ['loss.png']);
    const m = await sharp(path.join(dir, 'loss.png')).metadata();
    assert.deepEqual([m.format, m.width, m.height], ['png', 640, 400]);
    await writePlots(dir, [step(0, 3), { type: 'knn', step: 2, epoch: 0, top1: { 20: 0.5 }, time: 0 }], { method: 'simclr', stepsPerEpoch: 2 });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['knn.png', 'loss.png']);
  });
});
