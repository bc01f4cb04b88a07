import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CurveCache, m4Indices } from '../../lib/dashboard/curves';
import { readRecordsFrom } from '../../lib/dashboard/metrics-lines';

const line = (i: number, loss: number) => `${JSON.stringify({ type: 'step', step: i, loss, lr: 0.1 })}\n`;

describe('dashboard: curves reduced per pixel column (M4) and read incrementally', () => {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-curves-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps each column\'s first, last, lowest and highest point, in order, at most 4 per column', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const n = 10007;
    const steps = Array.from({ length: n }, (_, i) => 3 * i);
    const values = steps.map(() => rand() * 10 - 5);
    const buckets = 100;
    const kept = m4Indices(steps, values, buckets);
    assert.ok(kept.length <= 4 * buckets, `${kept.length} points`);
    assert.deepEqual(kept, [...kept].sort((a, b) => a - b));
    assert.equal(kept[0], 0);
    assert.equal(kept.at(-1), n - 1);
    // Brute force: every column's extremes and ends are among the kept points.
    const width = (steps[n - 1] - steps[0]) / buckets;
    const columns = new Map<number, number[]>();
    steps.forEach((s, i) => {
      const c = Math.min(buckets - 1, Math.floor((s - steps[0]) / width));
      columns.set(c, [...(columns.get(c) ?? []), i]);
    });
    const set = new Set(kept);
    for (const idx of columns.values()) {
      const vals = idx.map((i) => values[i]);
      const lo = idx[vals.indexOf(Math.min(...vals))];
      const hi = idx[vals.indexOf(Math.max(...vals))];
      for (const i of [idx[0], idx.at(-1) as number, lo, hi]) assert.ok(set.has(i), `column point ${i} dropped`);
    }
    assert.deepEqual(m4Indices([0, 1, 2], [1, 2, 3], 100), [0, 1, 2]); // short curves are sent whole
  });

  it('a cache reads only the lines added, waits for a partial line and starts over on a truncated file', () => {
    const file = path.join(dir, 'metrics.jsonl');
    fs.writeFileSync(file, line(0, 3) + line(1, 2) + '{"type":"step","st');
    const cache = new CurveCache();
    let s = cache.read(file);
    assert.deepEqual(s.curves.get('loss'), { steps: [0, 1], values: [3, 2] });
    const offset = s.offset;
    fs.appendFileSync(file, `ep":2,"loss":1.5}\n${line(3, 1)}`);
    s = cache.read(file);
    assert.ok(s.offset > offset);
    assert.deepEqual(s.curves.get('loss')?.values, [3, 2, 1.5, 1]);
    assert.equal(s.steps, 4);
    fs.writeFileSync(file, line(0, 9)); // a resumed run rewrote its log
    assert.deepEqual(cache.read(file).curves.get('loss')?.values, [9]);
    // A torn line in the middle (a crash) is skipped, the others kept.
    fs.writeFileSync(file, `${line(0, 1)}{"type":"st\n${line(2, 3)}`);
    assert.deepEqual(readRecordsFrom(file, 0).records.map((r) => r.loss), [1, 3]);
  });
});
