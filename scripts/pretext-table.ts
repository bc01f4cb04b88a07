// Prints the README's "Each pretext task on its own task" table from the
// recorded runs in docs/runs/<name>/ whose eval.json has a "task" record
// (written by `selfsup train` for the pretext methods: lib/ssl/pretext/task-metrics.ts),
// one row per metric, beside the run's k-NN and linear probe.
// test/readme-figures.test.ts checks the README's table against the same
// files with `pretextTable`, so the two cannot drift.
//
//   node dist/scripts/pretext-table.js
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recordedRuns } from './results-table';

const runsDir = path.join(__dirname, '..', '..', 'docs', 'runs');

interface TaskMetricRecord { name: string; value: number; floor: number; higherIsBetter: boolean }
interface Recorded {
  rows: { name: string; knn: Record<string, number>; linear?: number }[];
  task?: { dataset: string; images: number; metrics: TaskMetricRecord[] };
}
interface RunConfigFile { config: { method: string; data: string; imageSize: number; epochs?: number; steps?: number } }

/** What each metric is, for the table's second column. */
const MEANING: Record<string, string> = {
  rotationAccuracy: 'rotation accuracy (4-way)',
  permutationAccuracy: 'permutation accuracy',
  positionAccuracy: 'patch position accuracy (8-way)',
  inpaintingError: 'inpainting error (MSE, pixels in [0, 1])',
  colorizationError: 'colorization error (MSE, pixels in [0, 1])',
};

const value = (m: TaskMetricRecord, v: number): string => (m.higherIsBetter ? `${(100 * v).toFixed(1)}%` : v.toFixed(4));

/** The recorded runs with a task record (pretext methods), in results-table order. */
export function pretextRuns(): string[] {
  return recordedRuns().filter((d) => {
    const ev = JSON.parse(fs.readFileSync(path.join(runsDir, d, 'eval.json'), 'utf8')) as Recorded;
    return ev.task !== undefined;
  });
}

/** The table rows of run folder `name`: one per task metric. */
export function pretextRows(name: string): string[][] {
  const read = <T>(file: string): T => JSON.parse(fs.readFileSync(path.join(runsDir, name, file), 'utf8')) as T;
  const ev = read<Recorded>('eval.json');
  const { config } = read<RunConfigFile>('config.json');
  const trained = ev.rows.find((r) => r.name === 'trained encoder');
  if (ev.task === undefined || trained === undefined) throw new Error(`docs/runs/${name}/eval.json has no task record or no trained row`);
  const length = config.epochs !== undefined ? `${config.epochs} ep` : `${config.steps} steps`;
  const data = config.data === 'photos' ? `photos ${config.imageSize} px` : config.data;
  const probe = `${(100 * trained.knn['20']).toFixed(1)} / ${trained.linear === undefined ? '-' : (100 * trained.linear).toFixed(1)}`;
  return ev.task.metrics.map((m) => [`\`${name}\``, `${config.method}, ${data}, ${length}`, MEANING[m.name] ?? m.name,
    value(m, m.value), `${value(m, m.floor)} (${m.higherIsBetter ? 'chance' : m.name.startsWith('inpainting') ? 'mean colour' : 'gray'})`,
    `${ev.task!.images.toLocaleString('en-US')}`, probe]);
}

/** The whole table, header included, as markdown lines. */
export function pretextTable(): string[] {
  const head = ['run (docs/runs/)', 'method, data, length', 'task metric', 'held-out', 'floor', 'test images',
    'k-NN@20 / linear'];
  const runs = pretextRuns();
  const rows = runs.length > 0 ? runs.flatMap(pretextRows)
    : [['(none recorded yet)', '-', '-', '-', '-', '-', '-']];
  return [head, head.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
}

if (require.main === module) console.log(pretextTable().join('\n'));
