// The data-parallel Trainer by value, on 2 Gloo ranks and a method whose loss
// is w . [mean of the rank's dataset indices, 1] (workers/dp-values.ts): each
// rank's share of the global batch, the logged loss (the mean of the ranks'),
// the weights after each step (SGD on the averaged gradient), rank 0's state
// broadcast at the start, the run folder written by rank 0 alone (config.json's
// distributed record, metrics.jsonl = rank 0's onLog, the checkpoint's
// generators of every rank), the sharded monitor's shares, a stop asked by
// rank 1 stopping both, per-rank batch norm, findUnusedParameters and its
// absence, the refusals. Short (one 2-rank run of a few seconds) so that
// mutation runs can afford it per mutant.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { DataParallel } from '../../lib/train/data-parallel';
import { findCheckpoint } from '../../lib/train/checkpoint';
import { LogRecord } from '../../lib/train/options';
import { Method } from '../../lib/ssl/method';
import { describeRuns, freePort, requireGloo, runRanks, tempDir } from '../torch/distributed/ranks';

const WORKER = path.join(__dirname, 'workers', 'dp-values.js');
const LR = 0.256 * 8 / 256;

interface FitA {
  steps: number; interrupted: boolean; loss: number; encoder: boolean; indices: number[][]; own: number[]; w: number[]; b: number[];
  records: LogRecord[]; norms: string[]; evalRows: number; generators: { rngState: string }; left: number;
  expected: { rngState: string; augmentationState: string };
}
interface Report {
  rank: number; world: number; a: FitA; b: { steps: number; interrupted: boolean; text: string; norms: string[] };
  refusals: string[]; c: string;
}

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));

describe('Trainer, data-parallel, by value (2 Gloo ranks, closed-form loss)', function () {
  this.timeout(120_000);
  let tmp: { dir: string; remove: () => void };
  let reports: Report[];

  before(async function () {
    requireGloo();
    tmp = tempDir();
  });
  after(() => tmp.remove());

  it('DataParallel refuses a process without a group of 2 ranks or more, by message', () => {
    assert.throws(() => new DataParallel({} as Method, []), {
      message: 'DataParallel needs the default process group with more than one rank ' +
        '(await torch.distributed.initProcessGroup() under selfsup launch or torchrun)' });
  });

  it('shares, losses, weights, broadcast, the run folder by rank 0, generators, monitor shares, stops and refusals', async () => {
    const out = path.join(tmp.dir, 'a');
    const spec = { command: process.execPath, args: [WORKER, out] };
    const runs = await runRanks([spec, spec], { MASTER_PORT: String(await freePort()) }, 60_000);
    assert.ok(runs.every((r) => r.code === 0 && r.report?.done === true), describeRuns(runs));
    reports = runs.map((r) => r.report as unknown as Report);
    const [r0, r1] = reports;
    assert.deepEqual(reports.map((r) => [r.rank, r.world]), [[0, 2], [1, 2]]);

    // Each rank's share of global batch k: positions 8k + r, 8k + r + 2, ... of the seeded permutation (seed 3, epoch 0) of the 26 images (the last 2 dropped).
    const perm = [...torch.randperm(26, { generator: new torch.Generator().manualSeed(3) }).toTypedArray()].map(Number);
    for (const r of reports) {
      assert.deepEqual(r.a.indices, [0, 1].map((k) => [0, 1, 2, 3].map((j) => perm[8 * k + r.rank + 2 * j])), `rank ${r.rank}'s shares`);
    }
    // SGD on the gradient averaged over the ranks, from rank 0's w = [0.1, -0.2] (rank 1's [7, 7] overwritten).
    let w = [0.1, -0.2];
    const losses: number[] = [];
    for (let k = 0; k < 2; k++) {
      const m = (r0.a.indices[k].reduce((s, i) => s + i, 0) + r1.a.indices[k].reduce((s, i) => s + i, 0)) / 8;
      losses.push(w[0] * m + w[1]);
      w = [w[0] - LR * m, w[1] - LR];
    }
    for (const r of reports) {
      r.a.w.forEach((x, i) => assert.ok(close(x, w[i]), `rank ${r.rank}: w ${r.a.w} != ${w}`));
      assert.deepEqual(r.a.b, [5], `rank ${r.rank}: rank 0's buffer`);
      assert.ok(close(r.a.loss, losses[1]), `rank ${r.rank}: last loss ${r.a.loss} != ${losses[1]}`);
      assert.deepEqual([r.a.steps, r.a.interrupted, r.a.encoder, r.a.left], [2, false, r.rank === 0, 0]);
      assert.deepEqual(r.a.norms, ['SyncBatchNorm'], 'syncBatchNorm by default');
      // The seeds are seed + rank: the global generator moved once per step, the augmentation one once per batch.
      assert.equal(r.a.generators.rngState, r.a.expected.rngState, `rank ${r.rank}'s global generator`);
    }
    // The monitor, sharded: each rank encodes its share of the 11 train and 7 test images, for the floor and at the end.
    assert.deepEqual(reports.map((r) => r.a.evalRows), [2 * (6 + 4), 2 * (5 + 3)]);
    // Rank 0 alone reports to onLog; metrics.jsonl holds exactly its records (written once).
    assert.deepEqual(r1.a.records, []);
    const steps = r0.a.records.filter((x) => x.type === 'step') as { step: number; loss: number }[];
    assert.deepEqual(steps.map((x) => x.step), [0, 1]);
    steps.forEach((x, k) => assert.ok(close(x.loss, losses[k]), `step ${k}: ${x.loss} != ${losses[k]}`));
    // The logged loss is the mean of the ranks' float32 losses taken in float64, exactly.
    assert.deepEqual(steps.map((x) => x.loss), [0, 1].map((k) => (r0.a.own[k] + r1.a.own[k]) / 2));
    const lines = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
    assert.deepEqual(lines, r0.a.records);
    assert.deepEqual(r0.a.records.map((x) => [x.type, x.step]), [['step', 0], ['step', 1], ['knn', 2]]);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as { trainer: Record<string, unknown> };
    assert.deepEqual([config.trainer.distributed, config.trainer.batchSize, config.trainer.stepsPerEpoch],
      [{ worldSize: 2, batchPerRank: 4, backend: 'gloo', syncBatchNorm: true, findUnusedParameters: false }, 8, 3]);
    // The checkpoint: every rank's generators in rank order.
    const ck = JSON.parse(fs.readFileSync(findCheckpoint(out).json, 'utf8')) as { worldSize: number; step: number; ranks: unknown[];
      rngState: string; augmentationState: string };
    assert.deepEqual([ck.worldSize, ck.step, ck.ranks], [2, 2, reports.map((r) => r.a.expected)]);
    // Written by rank 0 alone: its own generators at the top level too.
    assert.deepEqual({ rngState: ck.rngState, augmentationState: ck.augmentationState }, r0.a.expected);
    assert.deepEqual(fs.readdirSync(out).sort(), ['checkpoints', 'config.json', 'encoder.safetensors', 'knn.png', 'loss.png', 'metrics.jsonl']);
    assert.equal(fs.existsSync(`${out}-rank1`), false, 'rank 1 writes nothing into its out');

    // B: rank 1's stop stops both after the first step; batch norm per rank; rank 0 alone prints.
    for (const r of reports) assert.deepEqual([r.b.steps, r.b.interrupted, r.b.norms], [1, true, ['BatchNorm2d']], `rank ${r.rank}: fit B`);
    assert.equal(r1.b.text, '');
    assert.match(r0.b.text, /^warning: the recipe's warm-up of 300 steps \(100 epochs\) is not shorter than the run \(3 steps\)/);
    assert.match(r0.b.text, /Interrupted: no run folder \(out\) was given, so nothing was saved\n$/);

    for (const r of reports) {
      assert.deepEqual(r.refusals, [
        'Expected true or false for distributed.syncBatchNorm but received "yes"',
        'batchSize 7 (the global batch) does not split evenly among 2 ranks: use a multiple of 2',
        'cudaGraph: "rehearse" cannot be used in a data-parallel run (2 ranks): its collectives block on the host; use cudaGraph \'auto\' or false',
      ]);
      assert.match(r.c, /Expected to have finished reduction in the prior iteration/, `rank ${r.rank}: fit C`);
    }

    // A group of one rank: not data-parallel.
    const single = await runRanks([{ command: process.execPath, args: [WORKER, path.join(tmp.dir, 'single'), 'single'] }],
      { MASTER_PORT: String(await freePort()) }, 60_000);
    assert.ok(single[0].code === 0, describeRuns(single));
    assert.deepEqual(single[0].report?.single, { dataParallel: false, worldSize: 1, rank: 0,
      refusal: 'DataParallel needs the default process group with more than one rank ' +
        '(await torch.distributed.initProcessGroup() under selfsup launch or torchrun)' });
  });
});
