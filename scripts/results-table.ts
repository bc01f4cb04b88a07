// Prints the README's "Every method against its floors" table from the
// recorded runs in docs/runs/<name>/ (eval.json, run.json, config.json; see
// scripts/record-run.ts). test/readme-figures.test.ts checks the README's
// table against the same files with `resultRows`, so the two cannot drift.
//
//   node dist/scripts/results-table.js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { create, ModelName } from '../lib/models/registry';

const runsDir = path.join(__dirname, '..', '..', 'docs', 'runs');

interface EvalRow { name: string; featureDim: number; knn: Record<string, number>; linear?: number }
interface Recorded { rows: EvalRow[] }
interface RunInfo {
  wallSeconds: number; trainingSeconds: number; loadAverage: { start: number[]; end: number[] };
  cpu?: { userSeconds: number; systemSeconds: number; maxResidentMB: number };
}
interface RunConfigFile {
  config: { method: string; data: string; encoder: string; epochs?: number; steps?: number; batchSize: number };
  trainer: { totalSteps: number; stepsPerEpoch: number };
}

/** The recorded runs the table lists: every folder of docs/runs except experiments (exp-*). */
export function recordedRuns(): string[] {
  return fs.readdirSync(runsDir).filter((d) => !d.startsWith('exp-') && fs.existsSync(path.join(runsDir, d, 'eval.json')))
    .sort((a, b) => (a === 'main-job' ? -1 : b === 'main-job' ? 1 : a.localeCompare(b)));
}

/** The trained encoder's parameter count, from the architecture the run's config.json names. */
function encoderParameters({ methodConfig }: { methodConfig: { encoder: string; encoderOptions: Record<string, unknown> } }): number {
  const encoder = create(methodConfig.encoder as ModelName, methodConfig.encoderOptions);
  try {
    return encoder.numParameters();
  } finally {
    encoder.dispose();
  }
}

const pct = (v: number | undefined): string => (v === undefined ? '-' : (100 * v).toFixed(1));

/** One table row's cells for the run folder `name`. */
export function resultRow(name: string): string[] {
  const read = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(runsDir, name, file), 'utf8')) as T;
  const ev = read<Recorded>('eval.json');
  const run = read<RunInfo>('run.json');
  const { config, trainer } = read<RunConfigFile>('config.json');
  const params = encoderParameters(read<{ methodConfig: { encoder: string; encoderOptions: Record<string, unknown> } }>('config.json'));
  const row = (n: string): EvalRow => {
    const r = ev.rows.find((x) => x.name === n);
    if (!r) throw new Error(`docs/runs/${name}/eval.json has no '${n}' row`);
    return r;
  };
  const trained = row('trained encoder');
  const random = row('random encoder');
  const raw = row('raw pixels');
  const length = config.epochs !== undefined ? `${config.epochs} ep` : `${config.steps} steps`;
  const minutes = (seconds: number): string => `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, '0')}`;
  const wall = minutes(run.wallSeconds);
  const perEpoch = (run.trainingSeconds / (trainer.totalSteps / trainer.stepsPerEpoch)).toFixed(0);
  // CPU seconds over the 2 cores: about the wall time the run would take on an idle machine.
  const cpu = run.cpu ? `${minutes((run.cpu.userSeconds + run.cpu.systemSeconds) / 2)} / ${(run.cpu.maxResidentMB / 1024).toFixed(1)}` : '-';
  const load = Math.max(run.loadAverage.start[0], run.loadAverage.end[0]).toFixed(1); // 1-minute averages
  return [`\`${name}\``, `${config.method} on ${config.data}, ${config.encoder} (${trained.featureDim}-d), b${config.batchSize}, ${length}`, params.toLocaleString('en-US'),
    `${wall} (${load})`, perEpoch, cpu,
    pct(trained.knn['20']), pct(trained.knn['200']), pct(trained.linear),
    `${pct(random.knn['20'])} / ${pct(random.linear)}`, `${pct(raw.knn['20'])} / ${pct(raw.linear)}`];
}

/** The whole table, header included, as markdown lines. */
export function resultTable(): string[] {
  const head = ['run (docs/runs/)', 'method on data, encoder, batch, length', 'encoder params', 'wall m:s (load)', 's/epoch',
    'CPU m:s / 2 cores, peak GB', 'k-NN@20', 'k-NN@200', 'linear',
    'random enc. k-NN@20 / linear', 'raw pixels k-NN@20 / linear'];
  return [head, head.map(() => '---'), ...recordedRuns().map(resultRow)].map((cells) => `| ${cells.join(' | ')} |`);
}

if (require.main === module) console.log(resultTable().join('\n'));
