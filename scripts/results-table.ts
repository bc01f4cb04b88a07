// Prints the README's "Every method against its floors" table from the
// recorded runs in docs/runs/<name>/ (eval.json, run.json, config.json; see
// scripts/record-run.ts). test/readme-figures.test.ts checks the README's
// table against the same files with `resultRows`, so the two cannot drift.
//
//   node dist/scripts/results-table.js
import * as fs from 'node:fs';
import * as path from 'node:path';

const runsDir = path.join(__dirname, '..', '..', 'docs', 'runs');

interface EvalRow { name: string; featureDim: number; knn: Record<string, number>; linear?: number }
interface Recorded { rows: EvalRow[] }
interface RunInfo { wallSeconds: number; loadAverage: { start: number[]; end: number[] } }
interface RunConfigFile { config: { method: string; encoder: string; epochs?: number; steps?: number; batchSize: number } }

/** The recorded runs the table lists: every folder of docs/runs except experiments (exp-*). */
export function recordedRuns(): string[] {
  return fs.readdirSync(runsDir).filter((d) => !d.startsWith('exp-') && fs.existsSync(path.join(runsDir, d, 'eval.json')))
    .sort((a, b) => (a === 'main-job' ? -1 : b === 'main-job' ? 1 : a.localeCompare(b)));
}

const pct = (v: number | undefined): string => (v === undefined ? '-' : (100 * v).toFixed(1));

/** One table row's cells for the run folder `name`. */
export function resultRow(name: string): string[] {
  const read = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(runsDir, name, file), 'utf8')) as T;
  const ev = read<Recorded>('eval.json');
  const run = read<RunInfo>('run.json');
  const { config } = read<RunConfigFile>('config.json');
  const row = (n: string): EvalRow => {
    const r = ev.rows.find((x) => x.name === n);
    if (!r) throw new Error(`docs/runs/${name}/eval.json has no '${n}' row`);
    return r;
  };
  const trained = row('trained encoder');
  const random = row('random encoder');
  const raw = row('raw pixels');
  const length = config.epochs !== undefined ? `${config.epochs} ep` : `${config.steps} steps`;
  const wall = `${Math.floor(run.wallSeconds / 60)}:${String(run.wallSeconds % 60).padStart(2, '0')}`;
  const load = Math.max(run.loadAverage.start[0], run.loadAverage.end[0]).toFixed(1); // 1-minute averages
  return [`\`${name}\``, `${config.method}, ${config.encoder} (${trained.featureDim}-d), b${config.batchSize}, ${length}`, `${wall} (${load})`,
    pct(trained.knn['20']), pct(trained.knn['200']), pct(trained.linear),
    `${pct(random.knn['20'])} / ${pct(random.linear)}`, `${pct(raw.knn['20'])} / ${pct(raw.linear)}`];
}

/** The whole table, header included, as markdown lines. */
export function resultTable(): string[] {
  const head = ['run (docs/runs/)', 'method, encoder, batch, length', 'wall m:s (load)', 'k-NN@20', 'k-NN@200', 'linear',
    'random enc. k-NN@20 / linear', 'raw pixels k-NN@20 / linear'];
  return [head, head.map(() => '---'), ...recordedRuns().map(resultRow)].map((cells) => `| ${cells.join(' | ')} |`);
}

if (require.main === module) console.log(resultTable().join('\n'));
