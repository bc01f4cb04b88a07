// The README's figures come from recorded runs (docs/runs/): its main-job
// table and times must be the recorded run's, and what the CLI says about the
// main job must match the README.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command } from 'commander';
import { program } from '../lib/cli/main';
import { MAIN_JOB_MINUTES } from '../lib/cli/main-job';
import { recordedRuns, resultTable } from '../scripts/results-table';
import { SWEEP, sweepTable } from '../scripts/sweep-main-job';
import { pretextTable } from '../scripts/pretext-table';

const root = path.join(__dirname, '..', '..');
const readme = (): string => fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const recorded = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(root, 'docs', 'runs', 'main-job', file), 'utf8'));

interface EvalRow { name: string; knn: Record<string, number>; linear?: number; seconds: number }

/** The first ``` block after "## The main job": row name -> the three numbers. */
function mainJobTable(text: string): Map<string, number[]> {
  const section = text.slice(text.indexOf('## The main job'));
  const block = /```\n([\s\S]*?)```/.exec(section)![1];
  const rows = new Map<string, number[]>();
  for (const line of block.trim().split('\n').slice(1)) {
    const m = /^(.*?)\s{2,}([\d.]+)\s+([\d.]+)\s+([\d.]+)$/.exec(line.trim());
    assert.ok(m, `unreadable table line: ${line}`);
    rows.set(m[1], [Number(m[2]), Number(m[3]), Number(m[4])]);
  }
  return rows;
}

describe('README figures', () => {
  it('the main-job table is the recorded run\'s eval.json (docs/runs/main-job)', () => {
    const ev = recorded('eval.json') as { rows: EvalRow[] };
    const table = mainJobTable(readme());
    assert.deepEqual([...table.keys()], ev.rows.map((r) => r.name));
    for (const r of ev.rows) {
      const expected = [r.knn['20'], r.knn['200'], r.linear ?? NaN].map((v) => Number((100 * v).toFixed(1)));
      assert.deepEqual(table.get(r.name), expected, r.name);
    }
  });

  it('the main job\'s times are the recorded run\'s (run.json)', () => {
    const run = recorded('run.json') as { wallSeconds: number; trainingSeconds: number; imagesPerSecond: number;
      evaluationSeconds: number };
    const text = readme().replace(/\s+/g, ' ');
    const wall = `${Math.floor(run.wallSeconds / 60)} min ${String(run.wallSeconds % 60).padStart(2, '0')} s wall`;
    assert.ok(text.includes(wall), `README lacks "${wall}"`);
    const n = (v: number): string => Math.round(v).toLocaleString('en-US');
    const training = `${n(run.trainingSeconds)} s of training at ${n(run.imagesPerSecond)} images/s, ${n(run.evaluationSeconds)} s of evaluation`;
    assert.ok(text.includes(training), `README lacks "${training}"`);
  });

  it('the results table is the recorded runs\' (docs/runs/<name>: eval.json, run.json, config.json)', () => {
    const text = readme();
    const start = text.indexOf('### Every method against its floors');
    assert.ok(start > 0, 'README lacks the "Every method against its floors" section');
    const lines = text.slice(start).split('\n');
    const first = lines.findIndex((l) => l.startsWith('|'));
    const end = lines.findIndex((l, i) => i > first && !l.startsWith('|'));
    assert.deepEqual(lines.slice(first, end), resultTable());
    assert.ok(recordedRuns().includes('main-job'));
  });

  it('the sweep that chose the main job is the recorded runs\' (scripts/sweep-main-job.ts)', () => {
    const text = readme();
    const start = text.indexOf('### Choosing the main job');
    assert.ok(start > 0, 'README lacks the "Choosing the main job" section');
    const lines = text.slice(start).split('\n');
    const first = lines.findIndex((l) => l.startsWith('|'));
    const end = lines.findIndex((l, i) => i > first && !l.startsWith('|'));
    assert.deepEqual(lines.slice(first, end), sweepTable());
    // every candidate is recorded, and the chosen one is the main job's own recording
    assert.equal(sweepTable().length, SWEEP.length + 2);
    assert.ok(SWEEP.some((c) => c.name === 'main-job' && c.args.length === 0));
  });

  it('the pretext-task table is the recorded runs\' task records (docs/runs/<name>/eval.json "task")', () => {
    const text = readme();
    const start = text.indexOf('### Each pretext task on its own task');
    assert.ok(start > 0, 'README lacks the "Each pretext task on its own task" section');
    const lines = text.slice(start).split('\n');
    const first = lines.findIndex((l) => l.startsWith('|'));
    const end = lines.findIndex((l, i) => i > first && !l.startsWith('|'));
    assert.deepEqual(lines.slice(first, end), pretextTable());
  });

  it('train --help and the quick start give the same duration', () => {
    const train = program().commands.find((c) => c.name() === 'train') as Command;
    assert.match(train.description(), new RegExp(`in about ${MAIN_JOB_MINUTES} minutes on 2 idle CPU cores`));
    assert.match(readme(), new RegExp(`npm run train .*\\(about ${MAIN_JOB_MINUTES} minutes on 2 idle cores\\)`));
  });

  it('the command list names every command', () => {
    const list = /and the `selfsup` command \(([^)]*)\)/.exec(readme().replace(/\s+/g, ' '))![1];
    const named = [...list.matchAll(/`(\w+)`/g)].map((m) => m[1]).sort();
    assert.deepEqual(named, program().commands.map((c) => c.name()).sort());
  });
});
