// metrics.jsonl and Ctrl-C, by value (issue 21: lines of lib/train run by no
// fast test): the records read back, a torn line skipped, the cut at a resume
// step (step records before it, others at or before it), nothing written
// without a file; the SIGINT handler's first and second signal.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MetricsLog } from '../../lib/train/metrics-log';
import { SigintHandler } from '../../lib/train/interrupt';
import { LogRecord } from '../../lib/train/options';

describe('train: metrics log and Ctrl-C', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-metrics-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('MetricsLog: appends lines, reads them back past blank and torn lines, cuts at a resume step', () => {
    const file = path.join(dir, 'metrics.jsonl');
    const log = new MetricsLog(file);
    assert.deepEqual(log.read(), []);
    const records = [
      { type: 'step', step: 0, epoch: 0, loss: 2 }, { type: 'step', step: 1, epoch: 0, loss: 1 },
      { type: 'epoch', step: 2, epoch: 0, loss: 1.5 }, { type: 'knn', step: 2, epoch: 0, top1: { 20: 0.5 } },
      { type: 'step', step: 2, epoch: 1, loss: 0.5 }, { type: 'epoch', step: 3, epoch: 1, loss: 0.5 },
    ] as unknown as LogRecord[];
    for (const r of records) log.append(r);
    assert.equal(fs.readFileSync(file, 'utf8'), records.map((r) => `${JSON.stringify(r)}\n`).join(''));
    fs.appendFileSync(file, '\n   \n{"type": "step", "st');
    assert.deepEqual(log.read(), records);
    assert.deepEqual(log.truncate(2), records.slice(0, 4));
    assert.equal(fs.readFileSync(file, 'utf8'), records.slice(0, 4).map((r) => `${JSON.stringify(r)}\n`).join(''));
    assert.deepEqual(log.truncate(0), []);
    assert.equal(fs.readFileSync(file, 'utf8'), '');
    // Without a file: nothing written, nothing read.
    const none = new MetricsLog();
    none.append(records[0]);
    assert.deepEqual(none.read(), []);
    assert.deepEqual(none.truncate(5), []);
    assert.deepEqual(new MetricsLog(path.join(dir, 'absent.jsonl')).read(), []);
  });

  it('SigintHandler: listens only while installed, once; the first signal asks to stop, calling onFirst', () => {
    const before = process.listenerCount('SIGINT');
    let first = 0;
    const h = new SigintHandler(() => { first++; });
    h.remove();
    assert.equal(process.listenerCount('SIGINT'), before);
    h.install();
    h.install();
    assert.equal(process.listenerCount('SIGINT'), before + 1);
    assert.equal(h.requested, false);
    process.emit('SIGINT', 'SIGINT');
    assert.equal(h.requested, true);
    assert.equal(first, 1);
    // The second one exits with 130.
    const exit = process.exit;
    const codes: (number | string | null | undefined)[] = [];
    process.exit = ((code?: number) => { codes.push(code); }) as typeof process.exit;
    try {
      process.emit('SIGINT', 'SIGINT');
    } finally {
      process.exit = exit;
    }
    assert.deepEqual(codes, [130]);
    h.remove();
    h.remove();
    assert.equal(process.listenerCount('SIGINT'), before);
    // Installed again after a remove, it listens again.
    h.install();
    assert.equal(process.listenerCount('SIGINT'), before + 1);
    h.remove();
    assert.equal(process.listenerCount('SIGINT'), before);
    // Without onFirst, the first signal only sets `requested`.
    const plain = new SigintHandler();
    plain.install();
    process.emit('SIGINT', 'SIGINT');
    plain.remove();
    assert.equal(plain.requested, true);
  });
});
