// What the data-parallel Trainer tests share: running the dist-train worker
// on W ranks, checking that every rank finished, and reading a run folder's
// step records and its newest checkpoint's method state.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { findCheckpoint, readCheckpoint } from '../../lib/train/checkpoint';
import { DistRunConfig } from './dist-run';
import { describeRuns, freePort, RankResult, runRanks } from '../torch/distributed/ranks';

const WORKER = path.join(__dirname, 'workers', 'dist-train.js');
/** Hang-only limit: a healthy rank finishes in seconds; this only stops a hung one. */
export const DEADLINE_MS = 150000;

/** The run `cfg` describes, on `world` ranks of the dist-train worker (a fresh port). */
export async function trainRanks(world: number, cfg: DistRunConfig): Promise<RankResult[]> {
  const spec = { command: process.execPath, args: [WORKER, JSON.stringify(cfg)] };
  return runRanks(Array.from({ length: world }, () => spec), { MASTER_PORT: String(await freePort()) }, DEADLINE_MS);
}

/** Every rank's report, after asserting that each exited 0 having finished (else every rank's output). */
export function finished(runs: RankResult[]): Record<string, unknown>[] {
  assert.ok(runs.every((r) => r.code === 0 && r.report?.done === true), describeRuns(runs));
  return runs.map((r) => r.report!);
}

/** The step records of a run folder's metrics.jsonl: loss and the method's logs. */
export function stepRecords(out: string): { step: number; loss: number; logs?: Record<string, number> }[] {
  return fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l) as { type: string; step: number; loss: number; logs?: Record<string, number> })
    .filter((r) => r.type === 'step');
}

/** The logged losses of a run folder, step by step. */
export function stepLosses(out: string): number[] {
  return stepRecords(out).map((r) => r.loss);
}

/** The method's tensors (`model.*`: weights and buffers) in a run folder's newest checkpoint; the caller disposes them. */
export function checkpointModel(out: string): Map<string, torch.Tensor> {
  const { tensors } = readCheckpoint(findCheckpoint(out));
  for (const [k, t] of tensors) if (!k.startsWith('model.')) t.dispose();
  return new Map([...tensors].filter(([k]) => k.startsWith('model.')));
}
