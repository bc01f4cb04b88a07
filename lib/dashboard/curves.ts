// A run's curves for the dashboard: every point of metrics.jsonl kept once
// on the server, read incrementally (a cache by file and byte offset), and
// reduced per pixel column before it is sent, so that the page of a run
// with 10^5 metric lines receives a few thousand points, not 10^5.
import * as fs from 'fs';
import { pointsOf, readRecordsFrom } from './metrics-lines';

/** The points of one curve, in file order. */
export interface Curve {
  steps: number[];
  values: number[];
}

/** Every curve of one metrics.jsonl, up to `offset`. */
export interface CurveSet {
  curves: Map<string, Curve>;
  /** Step records read. */
  steps: number;
  /** Records read (of any type). */
  records: number;
  /** Bytes of the file read (whole lines only). */
  offset: number;
}

/**
 * The indices to keep of a curve drawn `buckets` pixels wide: per column of
 * equal step width, its first, last, lowest and highest point (M4: Jugel et
 * al., "M4: A Visualization-Oriented Time Series Data Aggregation", VLDB 2014).
 * A line through these draws the same pixels as a line through every point,
 * with at most 4 points per column.
 *
 * @example m4Indices([0, 1, 2, 3], [5, 1, 7, 2], 1) // [0, 1, 2, 3]
 */
export function m4Indices(steps: readonly number[], values: readonly number[], buckets: number): number[] {
  const n = steps.length;
  if (n <= 4 * buckets) return Array.from({ length: n }, (_, i) => i);
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of steps) { if (s < lo) lo = s; if (s > hi) hi = s; }
  const width = (hi - lo) / buckets || 1;
  const column = (i: number) => Math.min(buckets - 1, Math.floor((steps[i] - lo) / width));
  const out: number[] = [];
  let col = column(0);
  let first = 0;
  let min = 0;
  let max = 0;
  const flush = (last: number) => {
    // NOTE: sorted and deduplicated so that the kept points stay in file order.
    const keep = [...new Set([first, min, max, last])].sort((a, b) => a - b);
    for (const i of keep) out.push(i);
  };
  for (let i = 1; i < n; i++) {
    const c = column(i);
    if (c !== col) {
      flush(i - 1);
      col = c;
      first = min = max = i;
      continue;
    }
    if (values[i] < values[min]) min = i;
    if (values[i] > values[max]) max = i;
  }
  flush(n - 1);
  return out;
}

/**
 * The [step, value] points of a curve reduced to `buckets` pixel columns (M4).
 * @example downsampleCurve({ steps: [0, 1], values: [2, 3] }, 400) // [[0, 2], [1, 3]]
 */
export function downsampleCurve(c: Curve, buckets: number): [number, number][] {
  return m4Indices(c.steps, c.values, buckets).map((i) => [c.steps[i], c.values[i]]);
}

function add(set: CurveSet, records: Record<string, unknown>[]): void {
  for (const r of records) {
    set.records++;
    if (r.type === 'step') set.steps++;
    for (const [name, step, v] of pointsOf(r)) {
      let c = set.curves.get(name);
      if (c === undefined) set.curves.set(name, c = { steps: [], values: [] });
      c.steps.push(step);
      c.values.push(v);
    }
  }
}

/**
 * Keeps the curves of metrics files read so far, so that a page loaded again
 * (or a run being trained) costs only the lines added since: the cache entry
 * is extended from its offset, and read again from the start when the file
 * shrank (a resumed run truncates its log) or was replaced.
 *
 * @example
 * const cache = new CurveCache();
 * const { curves } = cache.read('runs/a/metrics.jsonl');
 */
export class CurveCache {
  private readonly entries = new Map<string, { ino: number; set: CurveSet }>();

  /** Whether `file` has been read before (a read now costs only the lines added since). */
  has(file: string): boolean {
    const entry = this.entries.get(file);
    return entry !== undefined && fs.existsSync(file) && fs.statSync(file).ino === entry.ino;
  }

  /** The curves of `file` up to its last whole line. */
  read(file: string): CurveSet {
    const stat = fs.existsSync(file) ? fs.statSync(file) : undefined;
    let entry = this.entries.get(file);
    if (entry !== undefined && (stat === undefined || stat.ino !== entry.ino || stat.size < entry.set.offset)) entry = undefined;
    if (entry === undefined) {
      entry = { ino: stat?.ino ?? 0, set: { curves: new Map(), steps: 0, records: 0, offset: 0 } };
      this.entries.set(file, entry);
    }
    if (stat !== undefined && stat.size > entry.set.offset) {
      const next = readRecordsFrom(file, entry.set.offset);
      add(entry.set, next.records);
      entry.set.offset = next.offset;
    }
    return entry.set;
  }
}

/** Files below this size are always read whole for the first paint. */
export const SAMPLE_ABOVE_BYTES = 4 << 20;

/**
 * About `count` whole lines at evenly spaced byte offsets of `file` (and its
 * last whole line), read by seeking: a first paint of a long run that costs
 * `count` small reads instead of parsing the whole file. The curves follow
 * the run's shape but not every extreme; the page asks for the exact
 * per-pixel reduction right after.
 *
 * @example const rough = sampleCurves('runs/a/metrics.jsonl', 920);
 */
export function sampleCurves(file: string, count: number): CurveSet {
  const set: CurveSet = { curves: new Map(), steps: 0, records: 0, offset: 0 };
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  const window = Buffer.alloc(4096);
  try {
    const lineAt = (at: number): Record<string, unknown> | undefined => {
      const w = window.subarray(0, fs.readSync(fd, window, 0, window.length, at));
      const start = at === 0 ? 0 : w.indexOf(0x0a) + 1; // the first line that starts inside the window
      const end = w.indexOf(0x0a, start);
      // No line starts and ends in the window (a line longer than it), or only the unfinished last one.
      if ((start === 0 && at !== 0) || end < 0) return undefined;
      try {
        return JSON.parse(w.subarray(start, end).toString('utf8')) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    };
    const records: Record<string, unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const r = lineAt(Math.floor((i * size) / count));
      if (r !== undefined) records.push(r);
    }
    // The last whole line: where the run is now.
    const tail = Math.max(0, size - window.length);
    const got = fs.readSync(fd, window, 0, window.length, tail);
    const lastEnd = window.subarray(0, got).lastIndexOf(0x0a);
    const lastStart = window.subarray(0, Math.max(0, lastEnd)).lastIndexOf(0x0a) + 1;
    if (lastEnd > 0 && (lastStart > 0 || tail === 0)) {
      try {
        records.push(JSON.parse(window.subarray(lastStart, lastEnd).toString('utf8')) as Record<string, unknown>);
      } catch {
        // A torn line: the exact read that follows skips it too.
      }
    }
    add(set, records);
  } finally {
    fs.closeSync(fd);
  }
  return set;
}
