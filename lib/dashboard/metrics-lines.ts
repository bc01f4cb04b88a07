// The records of a metrics.jsonl being written: only whole lines count (a
// partial last line waits for its newline), and the chart points of a record.
import * as fs from 'fs';

type Json = Record<string, unknown>;

function parseLines(text: string): Json[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  try {
    // NOTE: one JSON.parse over the whole array is about twice as fast as one per line
    // (10^5 lines); a torn line from a crash makes it throw, and the slow path skips that line.
    return JSON.parse(`[${lines.join(',')}]`) as Json[];
  } catch {
    const records: Json[] = [];
    for (const line of lines) {
      try {
        records.push(JSON.parse(line) as Json);
      } catch {
        // A torn line from a crash: skipped, as MetricsLog.read does.
      }
    }
    return records;
  }
}

/**
 * Parses whole lines from `offset` of a JSONL file; returns the records and
 * the offset after the last whole line (a partial line is left for later).
 * A file shorter than `offset` (rewritten by a resumed run) is read from the start.
 *
 * @example const { records, offset } = readRecordsFrom('runs/a/metrics.jsonl', 0);
 */
export function readRecordsFrom(file: string, offset: number): { records: Json[]; offset: number } {
  if (!fs.existsSync(file)) return { records: [], offset };
  const size = fs.statSync(file).size;
  if (size < offset) offset = 0;
  if (size === offset) return { records: [], offset };
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(size - offset);
  try {
    fs.readSync(fd, buf, 0, buf.length, offset);
  } finally {
    fs.closeSync(fd);
  }
  const end = buf.lastIndexOf(0x0a) + 1;
  if (end === 0) return { records: [], offset };
  return { records: parseLines(buf.subarray(0, end).toString('utf8')), offset: offset + end };
}

/**
 * The chart points of one record: [curve name, step, value].
 * @example pointsOf({ type: 'step', step: 3, loss: 2.5 }) // [['loss', 3, 2.5]]
 */
export function pointsOf(r: Json): [string, number, number][] {
  const out: [string, number, number][] = [];
  const step = typeof r.step === 'number' ? r.step : 0;
  const add = (name: string, v: unknown) => { if (typeof v === 'number' && Number.isFinite(v)) out.push([name, step, v]); };
  if (r.type === 'step') {
    add('loss', r.loss);
    add('lr', r.lr);
    add('img/s', r.imgPerSec);
    add('emb std', r.embStd);
  } else if (r.type === 'knn') {
    for (const [k, v] of Object.entries((r.top1 ?? {}) as Json)) add(`k-NN@${k} (%)`, typeof v === 'number' ? 100 * v : v);
  }
  return out;
}
