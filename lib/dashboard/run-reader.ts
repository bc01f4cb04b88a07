// Reading run folders for the dashboard: which folders are runs, a run's
// summary (config, evaluation, pictures, downsampled curves), and the
// records appended to metrics.jsonl since an offset. Files being written
// are read safely: only whole lines count, a partial last line waits.
import * as fs from 'fs';
import * as path from 'path';
import { CurveCache, CurveSet, downsampleCurve, sampleCurves, SAMPLE_ABOVE_BYTES } from './curves';

export { pointsOf, readRecordsFrom } from './metrics-lines';

type Json = Record<string, unknown>;

/** A run as the list shows it. */
export interface RunEntry {
  name: string;
  method?: string;
  encoder?: string;
  hasMetrics: boolean;
}

/** The curves of a run: [step, value] points per series, reduced to the page's pixel columns. */
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
  /** The curves are a sample of the lines (a first paint); `steps` and `offset` count only the sample. */
  sampled?: boolean;
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

/** The pixel columns a curve is reduced to when the page does not say (M4: at most 4 points each). */
export const DEFAULT_BUCKETS = 500;

/**
 * A run's summary for the page, with every curve reduced on the server to
 * `buckets` pixel columns (at most 4 points each, see m4Indices): a run with
 * 10^5 lines must not ship them all to the browser. The curves come from
 * `cache` (read incrementally: a second call costs only the lines added).
 * With `exact` false, a long metrics file not read yet is sampled instead
 * (`sampled: true`, see sampleCurves) so that the page paints at once; the
 * page then asks again with `exact` true.
 *
 * @example summarizeRun('runs', 'simclr-20261204-101500', 400).series.loss.length // <= 1600
 */
export function summarizeRun(root: string, name: string, buckets = DEFAULT_BUCKETS, cache = new CurveCache(),
  exact = true): RunSummary {
  if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`Expected a positive integer for buckets but received ${buckets}`);
  const dir = runDir(root, name);
  const file = path.join(dir, 'metrics.jsonl');
  const sample = !exact && !cache.has(file) && fs.existsSync(file) && fs.statSync(file).size > SAMPLE_ABOVE_BYTES;
  const set: CurveSet = sample ? sampleCurves(file, 2 * buckets) : cache.read(file);
  const series: Series = {};
  for (const [s, c] of set.curves) series[s] = downsampleCurve(c, buckets);
  const images = fs.readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
  return {
    name, config: readJson(path.join(dir, 'config.json')), eval: readJson(path.join(dir, 'eval.json')), images, series,
    steps: set.steps, offset: set.offset, ...(sample ? { sampled: true } : {}),
    message: set.records === 0 ? `Run '${name}' has no metrics yet: the page updates as soon as training logs its first step` : undefined,
  };
}
