// Reading run folders for the dashboard: which folders are runs, a run's
// summary (config, evaluation, pictures, downsampled curves), and the
// records appended to metrics.jsonl since an offset. Files being written
// are read safely: only whole lines count, a partial last line waits.
import * as fs from 'fs';
import * as path from 'path';

type Json = Record<string, unknown>;

/** A run as the list shows it. */
export interface RunEntry {
  name: string;
  method?: string;
  encoder?: string;
  hasMetrics: boolean;
}

/** The curves of a run: [step, value] points per series, at most `maxPoints` each. */
export type Series = Record<string, [number, number][]>;

/** What the page shows for one run. */
export interface RunSummary {
  name: string;
  config?: Json;
  eval?: Json;
  images: string[];
  series: Series;
  /** Step records in the file (before downsampling). */
  steps: number;
  /** Bytes of metrics.jsonl read (the live stream continues from here). */
  offset: number;
  /** Shown on the page instead of charts (no metrics yet...). */
  message?: string;
}

/** Thrown for a name that is not a run folder of the root (HTTP 404) or leaves it (HTTP 403). */
export class RunPathError extends Error {
  constructor(message: string, readonly status: 403 | 404) {
    super(message);
  }
}

const isRun = (dir: string): boolean =>
  fs.existsSync(path.join(dir, 'config.json')) || fs.existsSync(path.join(dir, 'metrics.jsonl'));

/**
 * The folder of run `name` under `root` ('.' is the root itself); refuses
 * names that leave the root and folders that are not runs.
 *
 * @example runDir('runs', 'simclr-20261204-101500') // 'runs/simclr-20261204-101500'
 */
export function runDir(root: string, name: string): string {
  if (name !== '.' && (name === '' || name.includes('/') || name.includes('\\') || name.includes('..') || name.includes('\0'))) {
    throw new RunPathError(`Refused run name '${name}': a run is a folder directly inside the dashboard's folder`, 403);
  }
  const dir = path.resolve(root, name);
  const base = path.resolve(root);
  if (dir !== base && path.dirname(dir) !== base) throw new RunPathError(`Refused run name '${name}'`, 403);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new RunPathError(`No run '${name}' in ${base}`, 404);
  if (!isRun(dir)) {
    throw new RunPathError(`'${name}' is not a run folder: it has neither config.json nor metrics.jsonl`, 404);
  }
  return dir;
}

function readJson(file: string): Json | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Json;
  } catch {
    return undefined; // missing, or being replaced
  }
}

/**
 * The runs under `root` (and `root` itself, named '.', when it is a run), newest name last.
 * @example listRuns('runs').map((r) => r.name)
 */
export function listRuns(root: string): RunEntry[] {
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new Error(`No folder '${root}' to show runs from`);
  const dirs = isRun(root) ? ['.'] : [];
  for (const d of fs.readdirSync(root, { withFileTypes: true })) if (d.isDirectory() && isRun(path.join(root, d.name))) dirs.push(d.name);
  return dirs.sort().map((name) => {
    const dir = path.join(root, name);
    const config = (readJson(path.join(dir, 'config.json'))?.config ?? {}) as Json;
    return { name, method: config.method as string | undefined, encoder: config.encoder as string | undefined,
      hasMetrics: fs.existsSync(path.join(dir, 'metrics.jsonl')) };
  });
}

/**
 * Parses whole lines from `offset` of a JSONL file; returns the records and
 * the offset after the last whole line (a partial line is left for later).
 *
 * @example const { records, offset } = readRecordsFrom('runs/a/metrics.jsonl', 0);
 */
export function readRecordsFrom(file: string, offset: number): { records: Json[]; offset: number } {
  if (!fs.existsSync(file)) return { records: [], offset };
  const size = fs.statSync(file).size;
  if (size < offset) offset = 0; // rewritten (a resumed run truncates its log): start over
  if (size === offset) return { records: [], offset };
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(size - offset);
  try {
    fs.readSync(fd, buf, 0, buf.length, offset);
  } finally {
    fs.closeSync(fd);
  }
  const end = buf.lastIndexOf(0x0a) + 1;
  const records: Json[] = [];
  for (const line of buf.subarray(0, end).toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as Json);
    } catch {
      // A torn line from a crash: skipped, as MetricsLog.read does.
    }
  }
  return { records, offset: offset + end };
}

/** The chart points of one record. */
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

/** Every `stride`-th point (and the last), so that at most `max` remain. */
function downsample(points: [number, number][], max: number): [number, number][] {
  if (points.length <= max) return points;
  const stride = Math.ceil(points.length / max);
  const out = points.filter((_, i) => i % stride === 0);
  if (out.at(-1) !== points.at(-1)) out.push(points.at(-1) as [number, number]);
  return out;
}

/**
 * A run's summary for the page, with every curve downsampled to `maxPoints`
 * on the server (a run with 10^5 lines must not ship them all to the browser).
 *
 * @example summarizeRun('runs', 'simclr-20261204-101500', 2000).series.loss.length
 */
export function summarizeRun(root: string, name: string, maxPoints = 2000): RunSummary {
  const dir = runDir(root, name);
  const { records, offset } = readRecordsFrom(path.join(dir, 'metrics.jsonl'), 0);
  const all: Record<string, [number, number][]> = {};
  for (const r of records) for (const [s, step, v] of pointsOf(r)) (all[s] ??= []).push([step, v]);
  const series: Series = {};
  for (const [s, pts] of Object.entries(all)) series[s] = downsample(pts, maxPoints);
  const images = fs.readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
  const steps = records.filter((r) => r.type === 'step').length;
  return {
    name, config: readJson(path.join(dir, 'config.json')), eval: readJson(path.join(dir, 'eval.json')), images, series, steps, offset,
    message: records.length === 0 ? `Run '${name}' has no metrics yet: the page updates as soon as training logs its first step` : undefined,
  };
}
