// The sweep that chose the main job (`selfsup train` with no arguments):
// each candidate is a `selfsup train` run recorded by record-run.js into
// docs/runs/<name>/, and the table compares them with the floors. Not a test:
// each candidate takes about 6 minutes on 2 idle cores.
//
//   node dist/scripts/sweep-main-job.js          # print the table of what is recorded
//   node dist/scripts/sweep-main-job.js --run    # record the candidates not recorded yet, then print
//
// The README's "Choosing the main job" table is this script's output, and
// test/readme-figures.test.ts fails when the two differ.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resultRow } from './results-table';

const root = path.join(__dirname, '..', '..');

/** One candidate of the sweep: its run folder, what differs from the main job, and the arguments. */
export interface SweepCandidate { name: string; change: string; args: string[] }

const enc = (options: Record<string, number>): string[] => ['--encoder-options', JSON.stringify({ inChannels: 1, ...options })];

/** The candidates, in the order the table lists them. main-job is the chosen one. */
export const SWEEP: readonly SweepCandidate[] = [
  { name: 'exp-pool1', change: 'global average pooling (the main job until 2026-12-05)', args: enc({ width: 16, pool: 1 }) },
  { name: 'exp-w32', change: 'global pooling, width 32, batch 128, 4 epochs', args: [...enc({ width: 32, pool: 1 }), '--batch-size', '128', '--epochs', '4'] },
  { name: 'exp-pool2', change: 'last map pooled to a 2x2 grid (featureDim 256)', args: enc({ width: 16, pool: 2 }) },
  { name: 'main-job', change: 'last map pooled to a 3x3 grid (featureDim 576): the main job', args: [] },
];

/** The sweep's table, header included, as markdown lines (candidates without a recording are left out). */
export function sweepTable(): string[] {
  const head = ['run (docs/runs/)', 'change', 'wall m:s (load)', 'k-NN@20', 'k-NN@200', 'linear',
    'random enc. k-NN@20 / linear', 'raw pixels k-NN@20 / linear'];
  const recorded = SWEEP.filter((c) => fs.existsSync(path.join(root, 'docs', 'runs', c.name, 'eval.json')));
  const rows = recorded.map((c) => {
    const [name, , , wall, , , ...cells] = resultRow(c.name);
    return [name, c.change, wall, ...cells];
  });
  return [head, head.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
}

function main(): void {
  if (process.argv.includes('--run')) {
    for (const c of SWEEP) {
      if (fs.existsSync(path.join(root, 'docs', 'runs', c.name, 'eval.json'))) continue;
      const r = spawnSync(process.execPath, [path.join(__dirname, 'record-run.js'), c.name, ...c.args], { stdio: 'inherit' });
      if (r.status !== 0) throw new Error(`recording ${c.name} failed (exit ${r.status})`);
    }
  }
  console.log(sweepTable().join('\n'));
}

if (require.main === module) main();
