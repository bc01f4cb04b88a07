// The console progress of the Trainer, by value (issue 21: the mutation run
// of lib/train found the bar mode and the lines mode's timing run by no fast
// test): every write to a recording stream, the bar's width and truncation,
// which steps print a line in 'lines' mode (each tenth of an epoch, the last
// step, or `linesEverySeconds` since the last line), and the run folder check.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatDuration, formatNumber, Progress } from '../../lib/train/progress';
import { checkRunFolder } from '../../lib/train/run-folder';
import { StepRecord } from '../../lib/train/options';
import { refuses } from '../helpers/refuses';

const record = (o: Partial<StepRecord> = {}): StepRecord => ({
  type: 'step', step: 0, epoch: 0, loss: 1.23456, lr: 0.3, wd: 1e-6, imgPerSec: 1234.4, embStd: 0.08841, time: 1, eta: 3725, ...o,
});

function recorder(columns?: number): { writes: string[]; write(s: string): void; columns?: number } {
  const writes: string[] = [];
  return { writes, write: (s: string) => { writes.push(s); }, columns };
}

describe('train: console progress', () => {
  const now = Date.now;
  let t = 0;
  beforeEach(() => { t = 1_000_000; Date.now = () => t; });
  afterEach(() => { Date.now = now; });

  it('formatDuration and formatNumber', () => {
    const durations: [number, string][] = [[3725, '1:02:05'], [59.4, '0:59'], [59.5, '1:00'], [3600, '1:00:00'], [0, '0:00'],
      [-1, '?'], [NaN, '?'], [Infinity, '?'], [36000 + 61, '10:01:01']];
    for (const [s, text] of durations) assert.equal(formatDuration(s), text, String(s));
    const numbers: [number, string][] = [[0.00135, '1.350e-3'], [0.3, '3.000e-1'], [1234.5, '1.235e3'], [0, '0'], [NaN, 'NaN'],
      [-Infinity, '-Infinity'], [-2e-7, '-2.000e-7']];
    for (const [x, text] of numbers) assert.equal(formatNumber(x), text, String(x));
  });

  it('format: epoch and step 1-based, every field in its format; no emb-std without an embedding', () => {
    const p = new Progress('lines', recorder(), { epochs: 2, stepsPerEpoch: 4 });
    assert.equal(p.format(record(), 0), 'epoch 1/2 step 1/4 loss 1.2346 lr 3.000e-1 wd 1.000e-6 emb-std 0.0884 1234 img/s ETA 1:02:05');
    assert.equal(p.format(record({ epoch: 1, embStd: null, imgPerSec: 99.5, eta: 5 }), 3),
      'epoch 2/2 step 4/4 loss 1.2346 lr 3.000e-1 wd 1.000e-6 100 img/s ETA 0:05');
  });

  it('bar: redrawn in place, 20 cells by the epoch fraction, cut to the terminal width, ended once before a message', () => {
    const s = recorder();
    const p = new Progress('bar', s, { epochs: 2, stepsPerEpoch: 4 });
    const text = 'epoch 1/2 step 1/4 loss 1.2346 lr 3.000e-1 wd 1.000e-6 emb-std 0.0884 1234 img/s ETA 1:02:05';
    p.step(record(), 0);
    p.step(record(), 3, true);
    p.message('k-NN 80.0%');
    p.endLine();
    p.message('done');
    assert.deepEqual(s.writes, [
      `\r[#####...............] ${text}\x1b[K`,
      `\r[####################] ${text.replace('step 1/4', 'step 4/4')}\x1b[K`,
      '\n', 'k-NN 80.0%\n', 'done\n',
    ]);
    // 1 of 3 steps: 6.67 cells round to 7.
    const third = recorder();
    new Progress('bar', third, { epochs: 1, stepsPerEpoch: 3 }).step(record({ embStd: null }), 0);
    assert.equal(third.writes[0].slice(0, 23), '\r[#######.............]');
    // Cut to columns - 1 on a terminal wider than 10 columns; left whole at 10 or without a width.
    const whole = text.length + 23;
    const table: [number | undefined, number][] = [[30, 29], [11, 10], [10, whole], [undefined, whole], [200, whole],
      [whole, whole - 1], [whole + 1, whole], [whole + 2, whole]];
    for (const [columns, length] of table) {
      const w = recorder(columns);
      new Progress('bar', w, { epochs: 2, stepsPerEpoch: 4 }).step(record(), 0);
      assert.equal(w.writes[0].length, 1 + length + 3, String(columns));
      assert.equal(w.writes[0].slice(1, 1 + length), `[#####...............] ${text}`.slice(0, length));
    }
  });

  it('lines: a line per tenth of the epoch, at its last step, on `final`, or after linesEverySeconds', () => {
    const s = recorder();
    const p = new Progress('lines', s, { epochs: 2, stepsPerEpoch: 20 });
    const printed: number[] = [];
    for (let i = 0; i < 20; i++) {
      const before = s.writes.length;
      p.step(record({ embStd: null }), i);
      if (s.writes.length > before) printed.push(i);
    }
    assert.deepEqual(printed, [0, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    assert.equal(s.writes[0], 'epoch 1/2 step 1/20 loss 1.2346 lr 3.000e-1 wd 1.000e-6 1234 img/s ETA 1:02:05\n');
    // The next epoch starts with a line (the last step reset the tenth), and `final` prints mid-tenth.
    p.step(record({ epoch: 1 }), 0);
    p.step(record({ epoch: 1 }), 1);
    p.step(record({ epoch: 1 }), 2);
    p.step(record({ epoch: 1 }), 2, true);
    assert.deepEqual(s.writes.slice(11).map((l) => l.slice(0, 19)), ['epoch 2/2 step 1/20', 'epoch 2/2 step 2/20', 'epoch 2/2 step 3/20']);
    // Within one tenth, a line once 15 s (the default) have passed since the last, not before.
    const w = recorder();
    const q = new Progress('lines', w, { epochs: 1, stepsPerEpoch: 1000 });
    q.step(record(), 0);
    t += 14_999;
    q.step(record(), 1);
    t += 1;
    q.step(record(), 2);
    q.step(record(), 3);
    assert.deepEqual(w.writes.map((l) => l.slice(0, 22)), ['epoch 1/1 step 1/1000 ', 'epoch 1/1 step 3/1000 ']);
    const r = recorder();
    const fast = new Progress('lines', r, { epochs: 1, stepsPerEpoch: 1000, linesEverySeconds: 2 });
    fast.step(record(), 0);
    t += 1999;
    fast.step(record(), 1);
    t += 1;
    fast.step(record(), 2);
    assert.equal(r.writes.length, 2);
    // With 10 steps per epoch every step is a new tenth, the first one (tenth 1) included: no step is skipped
    // at the start of the run or of the next epoch.
    const ten = recorder();
    const tens = new Progress('lines', ten, { epochs: 2, stepsPerEpoch: 10 });
    for (let e = 0; e < 2; e++) for (let i = 0; i < 10; i++) tens.step(record({ epoch: e }), i);
    assert.equal(ten.writes.length, 20);
    refuses(() => new Progress('lines', r, { epochs: 1, stepsPerEpoch: 1, linesEverySeconds: 0 }),
      'Expected a positive number for linesEverySeconds but received 0');
  });

  it('none: writes nothing, not even messages', () => {
    const s = recorder();
    const p = new Progress('none', s, { epochs: 1, stepsPerEpoch: 2 });
    p.step(record(), 0);
    p.step(record(), 1, true);
    p.message('x');
    p.endLine();
    assert.deepEqual(s.writes, []);
  });

  it('checkRunFolder: a folder with metrics or checkpoints holds a run, unless resuming', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-progress-'));
    try {
      const held = `The run folder '${dir}' already holds a run: resume it (resume: '${dir}', --resume ${dir}) or choose another folder`;
      checkRunFolder(dir, false);
      checkRunFolder(path.join(dir, 'new'), false);
      fs.mkdirSync(path.join(dir, 'checkpoints'));
      checkRunFolder(dir, false);
      fs.writeFileSync(path.join(dir, 'checkpoints', 'step-1.json'), '{}');
      refuses(() => checkRunFolder(dir, false), held);
      checkRunFolder(dir, true);
      fs.rmSync(path.join(dir, 'checkpoints'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'metrics.jsonl'), '');
      refuses(() => checkRunFolder(dir, false), held);
      checkRunFolder(dir, true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
