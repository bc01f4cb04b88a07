// The Reporter by value, on a fixed clock: each record it writes (to the
// history, metrics.jsonl and onLog alike), its speed and ETA arithmetic, the
// epoch means, the k-NN line's exact text, and the plots drawn from the very
// records metrics.jsonl holds.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Reporter, StepPlace } from '../../lib/train/reporter';
import { MetricsLog } from '../../lib/train/metrics-log';
import { LogRecord } from '../../lib/train/options';
import { recordingPlots } from '../helpers/recording-plots';

describe('train/reporter: records, speed, ETA and lines by value', () => {
  const realNow = Date.now;
  let clock = 0;
  let dir: string;
  beforeEach(() => {
    Date.now = () => clock;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-reporter-'));
  });
  afterEach(() => {
    Date.now = realNow;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const place = (step: number, o: Partial<StepPlace> = {}): StepPlace =>
    ({ step, epoch: Math.floor((step - 1) / 10), stepInEpoch: (step - 1) % 10, logNow: true, runDone: false, lr: 0.1, wd: 0, ...o });
  const reads = (loss: number, embStd: number | null = 0.125) => ({ loss, embStd });

  function reporter(extra: { out?: string; floors?: Record<string, number> } = {}) {
    const lines: string[] = [];
    const seen: LogRecord[] = [];
    const history: LogRecord[] = [];
    const log = new MetricsLog(path.join(dir, 'metrics.jsonl'));
    const r = new Reporter({ method: 'simclr', epochs: 10, stepsPerEpoch: 10, totalSteps: 100, batchSize: 4, progress: 'lines',
      stream: { write: (t: string) => lines.push(t) }, elapsedBefore: 5, history, log, onLog: (rec) => seen.push(rec), ...extra });
    return { r, lines, seen, history, log };
  }

  it('step records: the window\'s speed, the run\'s time, the ETA over recent windows (warm-up dropped, >= 60 s kept)', () => {
    clock = 1000;
    const { r, lines, seen, history, log } = reporter();
    assert.equal(r.lastLoss, null);
    clock = 3000;
    r.step(place(1), reads(2), true); // 1 step in 2 s: 2 img/s; ETA 99 steps x 2 s
    clock = 4000;
    r.step(place(2, { logNow: false }), reads(3), true);
    clock = 5000;
    r.step(place(3, { logNow: false }), reads(9), false); // not read: neither lastLoss nor the epoch mean
    assert.equal(r.lastLoss, 3);
    clock = 7000;
    r.step(place(4), { loss: 4, embStd: null, logs: { acc: 0.5 } }, true); // 3 steps in 4 s; the first window dropped
    clock = 77000;
    r.step(place(5), reads(5), true); // 1 step in 70 s: the window before it is dropped (70 >= 60)
    clock = 78000;
    r.step(place(6), reads(6), true); // 1 step in 1 s: kept beside the 70 s one (1 < 60)
    clock = 78000;
    r.step(place(7), reads(7), true); // 0 s: the speed over 1e-9 s
    const want: LogRecord[] = [
      { type: 'step', step: 0, epoch: 0, loss: 2, lr: 0.1, wd: 0, imgPerSec: 2, embStd: 0.125, time: 7, eta: 198 },
      { type: 'step', step: 3, epoch: 0, loss: 4, lr: 0.1, wd: 0, imgPerSec: 3, embStd: null, time: 11, eta: 128, logs: { acc: 0.5 } },
      { type: 'step', step: 4, epoch: 0, loss: 5, lr: 0.1, wd: 0, imgPerSec: 4 / 70, embStd: 0.125, time: 81, eta: 95 * 70 },
      { type: 'step', step: 5, epoch: 0, loss: 6, lr: 0.1, wd: 0, imgPerSec: 4, embStd: 0.125, time: 82, eta: (94 * 71) / 2 },
      { type: 'step', step: 6, epoch: 0, loss: 7, lr: 0.1, wd: 0, imgPerSec: 4 / 1e-9, embStd: 0.125, time: 82, eta: (93 * 71) / 3 },
    ];
    assert.deepEqual(history, want);
    assert.deepEqual(seen, want);
    assert.deepEqual(log.read(), want);
    assert.deepEqual(r.history, want);
    assert.equal(r.lastLoss, 7);
    assert.equal(r.elapsed(), 82);
    // A line per tenth of the epoch (steps 1, 4, 5, 6, 7 of 10).
    assert.deepEqual(lines, [
      'epoch 1/10 step 1/10 loss 2.0000 lr 1.000e-1 wd 0 emb-std 0.1250 2 img/s ETA 3:18\n',
      'epoch 1/10 step 4/10 loss 4.0000 lr 1.000e-1 wd 0 3 img/s ETA 2:08\n',
      'epoch 1/10 step 5/10 loss 5.0000 lr 1.000e-1 wd 0 emb-std 0.1250 0 img/s ETA 1:50:50\n',
      'epoch 1/10 step 6/10 loss 6.0000 lr 1.000e-1 wd 0 emb-std 0.1250 4 img/s ETA 55:37\n',
      'epoch 1/10 step 7/10 loss 7.0000 lr 1.000e-1 wd 0 emb-std 0.1250 4000000000 img/s ETA 36:41\n',
    ]);
  });

  it('the ETA keeps the fewest recent windows that add up to 60 s or more (exactly 60 is enough); no onLog is fine', () => {
    clock = 0;
    const history: LogRecord[] = [];
    const r = new Reporter({ method: 'simclr', epochs: 10, stepsPerEpoch: 10, totalSteps: 100, batchSize: 4, progress: 'none',
      stream: { write: () => assert.fail('progress none writes nothing') }, elapsedBefore: 0, history, log: new MetricsLog(undefined) });
    const etas: number[] = [];
    for (const [s, t] of [[1, 1000], [2, 61_000], [3, 62_000], [4, 122_000]]) {
      clock = t;
      r.step(place(s), reads(1), true);
      etas.push((history.at(-1) as { eta: number }).eta);
    }
    // Windows (s, steps): [1,1] | warm-up dropped: [60,1] | [60,1],[1,1] | [60,1],[1,1],[60,1] -> [60,1] (the last 60 s suffice).
    assert.deepEqual(etas, [99, 98 * 60, (97 * 61) / 2, 96 * 60]);
  });

  it('restartWindow: time outside stepping does not count as speed', () => {
    clock = 0;
    const { r, history } = reporter();
    r.step(place(1, { logNow: false }), reads(1), true);
    clock = 10_000;
    r.restartWindow(); // e.g. after a checkpoint: the step above and the 10 s are forgotten
    clock = 12_000;
    r.step(place(2), reads(1), true);
    assert.equal((history[0] as { imgPerSec: number }).imgPerSec, 2); // 1 step x 4 images in 2 s
  });

  it('epoch records: the mean of the losses read in the epoch, its seconds, reset at each end', async () => {
    clock = 0;
    const { r, history, lines } = reporter();
    r.step(place(1, { logNow: false }), reads(1), true);
    r.step(place(2, { logNow: false }), reads(9), false);
    r.step(place(3, { logNow: false }), reads(4), true);
    clock = 30_000;
    await r.epochEnd(place(10, { epoch: 0 }), true);
    clock = 35_000;
    await r.epochEnd(place(15, { epoch: 1 }), false); // an interrupted epoch: no record, but the sums restart
    r.step(place(16, { logNow: false }), reads(6), true);
    clock = 45_000;
    await r.epochEnd(place(20, { epoch: 1 }), true);
    clock = 50_000;
    await r.epochEnd(place(30, { epoch: 2 }), true); // no loss read: 0
    assert.deepEqual(history, [
      { type: 'epoch', step: 10, epoch: 0, loss: 2.5, seconds: 30, time: 35 },
      { type: 'epoch', step: 20, epoch: 1, loss: 6, seconds: 10, time: 50 },
      { type: 'epoch', step: 30, epoch: 2, loss: 0, seconds: 5, time: 55 },
    ]);
    assert.deepEqual(lines, []);
  });

  it('k-NN: the record and its line, naming the subsets; messages on their own lines', () => {
    clock = 0;
    const { r, history, lines, seen } = reporter();
    clock = 20_000;
    r.knn(place(20, { epoch: 1 }), { 20: 0.8125, 200: 0.79 }, { train: 1000, test: 10000 });
    r.message('saved');
    const record = { type: 'knn', step: 20, epoch: 1, top1: { 20: 0.8125, 200: 0.79 }, time: 25 };
    assert.deepEqual(history, [record]);
    assert.deepEqual(seen, [record]);
    assert.deepEqual(lines, ['k-NN top-1 at step 20 (epoch 2): (k=20) 81.25% (k=200) 79.00% [online monitor on a 1,000/10,000 ' +
      'train/test subset; the final evaluation uses the full sets]\n', 'saved\n']);
  });

  it('plots: loss.png and knn.png drawn from the records metrics.jsonl holds, nothing without a run folder', async () => {
    clock = 0;
    const { r, log } = reporter({ out: dir, floors: { 'raw pixels': 0.8125 } });
    for (let s = 1; s <= 20; s++) {
      clock = s * 1000;
      r.step(place(s, { logNow: s % 5 === 0 }), reads(10 - s / 4), true);
      if (s % 10 === 0) r.knn(place(s, { epoch: s / 10 - 1 }), { 20: s === 10 ? 0.625 : 0.75 }, { train: 10, test: 10 });
    }
    const calls = await recordingPlots(() => r.plots());
    const records = log.read();
    const steps = records.filter((x) => x.type === 'step');
    assert.deepEqual(steps.map((x) => [x.step, x.loss]), [[4, 8.75], [9, 7.5], [14, 6.25], [19, 5]]);
    assert.deepEqual(calls, [
      [path.join(dir, 'loss.png'), { title: 'simclr training loss', xLabel: 'step', yLabel: 'loss',
        series: [{ name: 'loss', points: steps.map((x) => [x.step, x.loss]) }], yInclude: [0] }],
      [path.join(dir, 'knn.png'), { title: 'simclr online k-NN top-1 (%), fixed subsets', xLabel: 'epoch', yLabel: 'top-1 (%)',
        series: [{ name: 'k=20', markers: true, points: [[1, 62.5], [2, 75]] }], references: [{ name: 'raw pixels', y: 81.25 }] }],
    ]);
    assert.deepEqual(await recordingPlots(() => reporter().r.plots()), []);
  });
});
