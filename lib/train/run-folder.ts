// A run folder's files other than checkpoints and metrics: config.json
// (what was run, to rebuild or compare it) and the loss and k-NN plots.
import * as fs from 'fs';
import * as path from 'path';
import * as torch from '../torch';
import { writeFileAtomic } from '../torch/atomic-file';
import { writePlot } from './plot';
import { KnnRecord, LogRecord, StepRecord } from './options';

/**
 * Throws unless `out` is new, empty, or the run being resumed: a fresh run
 * must not mix its metrics and checkpoints with an earlier one's.
 *
 * @example checkRunFolder('runs/a', false);
 */
export function checkRunFolder(out: string, resuming: boolean): void {
  if (resuming) return;
  const ckDir = path.join(out, 'checkpoints');
  if (fs.existsSync(path.join(out, 'metrics.jsonl')) || (fs.existsSync(ckDir) && fs.readdirSync(ckDir).length > 0)) {
    throw new Error(`The run folder '${out}' already holds a run: resume it (resume: '${out}', --resume ${out}) or ` +
      'choose another folder');
  }
}

/**
 * Writes `<out>/config.json` (atomically) with the versions of Node,
 * libtorch and selfsup added under `versions`, `time` (when this process
 * started the run) and `started` (when the run first started: a resumed run,
 * one whose `config.resumedFrom` is set, keeps the earlier config.json's, so
 * that its TensorBoard events keep one file and one clock).
 *
 * @example writeConfig('runs/a', { method: 'simclr', methodConfig: method.config(), trainer: {...} });
 */
export function writeConfig(out: string, config: Record<string, unknown>): void {
  fs.mkdirSync(out, { recursive: true });
  const time = new Date().toISOString();
  const file = path.join(out, 'config.json');
  const started = config.resumedFrom !== undefined && config.resumedFrom !== null ? startedOf(file) : undefined;
  const full = { ...config, versions: versions(), time, started: started ?? time };
  writeFileAtomic(file, `${JSON.stringify(full, null, 2)}\n`);
}

/** When the run of a config.json first started (`started`, else `time` of a file written before `started` existed). */
function startedOf(file: string): string | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { started?: unknown; time?: unknown };
    const value = saved.started ?? saved.time;
    return typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? value : undefined;
  } catch {
    return undefined; // A damaged config.json: the run's clock restarts here.
  }
}

/**
 * Redraws `loss.png` from the step records (the y axis from 0) and, once the
 * monitor has run, `knn.png` (top-1 in % against epochs completed, a marker
 * per evaluation, the floors as dashed lines when known).
 *
 * @example await writePlots('runs/a', history, { method: 'simclr', stepsPerEpoch: 234, floors: { 'raw pixels': 0.83 } });
 */
export async function writePlots(out: string, history: readonly LogRecord[],
  run: { method: string; stepsPerEpoch: number; floors?: Record<string, number> }): Promise<void> {
  const steps = history.filter((r): r is StepRecord => r.type === 'step');
  // NOTE: every method's loss is >= 0 except a few contrastive bounds near it; showing 0 keeps a small drop small.
  const losses = steps.map((r) => r.loss).filter(Number.isFinite);
  await writePlot(path.join(out, 'loss.png'), {
    title: `${run.method} training loss`, xLabel: 'step', yLabel: 'loss',
    series: [{ name: 'loss', points: steps.map((r) => [r.step, r.loss] as const) }],
    yInclude: losses.length > 0 && Math.min(...losses) >= 0 ? [0] : [],
  });
  const knn = history.filter((r): r is KnnRecord => r.type === 'knn');
  if (knn.length === 0) return;
  await writePlot(path.join(out, 'knn.png'), {
    title: `${run.method} online k-NN top-1 (%), fixed subsets`, xLabel: 'epoch', yLabel: 'top-1 (%)',
    series: Object.keys(knn[0].top1).map((k) => ({
      name: `k=${k}`, markers: true,
      points: knn.map((r) => [r.step / run.stepsPerEpoch, 100 * (r.top1[k] ?? NaN)] as const),
    })),
    // The floors on the same subsets, so the axis shows the curve against them.
    references: Object.entries(run.floors ?? {}).map(([name, v]) => ({ name, y: 100 * v })),
  });
}

/** Versions recorded in config.json. */
function versions(): Record<string, string> {
  const out: Record<string, string> = { node: process.version };
  try {
    out.libtorch = torch.config().torchVersion;
  } catch {
    // The addon reports no version: leave it out.
  }
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'selfsup' && pkg.version !== undefined) {
        out.selfsup = pkg.version;
        break;
      }
    }
    if (path.dirname(dir) === dir) break;
  }
  return out;
}
