// The Trainer on several processes (Gloo over 127.0.0.1): 2 and 4 ranks
// with the global batch split among them train SimCLR (SyncBatchNorm, global
// negatives) to the weights one process reaches on the whole batch, and
// write the run folder once; a run stopped on rank 0 stops every rank and
// resumes exactly; a rank that dies stops the others with an error; an
// unused parameter needs findUnusedParameters; the online k-NN monitor,
// sharded, gives one process's accuracy; `selfsup train
// --nproc-per-node 2` runs the same from the command line, and its final
// evaluation, sharded, gives one process's report.
import * as assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Trainer } from '../../lib/train/trainer';
import { findCheckpoint, readCheckpoint } from '../../lib/train/checkpoint';
import { buildRun } from './dist-run';
import { DEADLINE_MS, checkpointModel as weights, finished as ok, stepLosses, trainRanks as ranks } from './dist-ranks';
import { describeRuns, freePort, requireGloo, tempDir } from '../torch/distributed/ranks';

const BIN = path.resolve(__dirname, '../../../bin/selfsup.js');

function maxWeightDiff(a: string, b: string): number {
  const x = weights(a);
  const y = weights(b);
  assert.deepEqual([...x.keys()].sort(), [...y.keys()].sort());
  let worst = 0;
  for (const [k, t] of x) {
    if (t.dtype !== 'float32') continue;
    worst = Math.max(worst, Number(t.sub(y.get(k)!).abs().max().item()));
  }
  [...x.values(), ...y.values()].forEach((t) => t.dispose());
  return worst;
}

function files(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

/** The online k-NN monitor's records of a run folder: step and top-1 by k. */
function knnRecords(out: string): unknown[] {
  return fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l) as { type: string; step: number; top1: unknown })
    .filter((r) => r.type === 'knn').map((r) => ({ step: r.step, top1: r.top1 }));
}

describe('Trainer, data-parallel (Gloo ranks on 127.0.0.1)', function () {
  this.timeout(4 * DEADLINE_MS);
  let tmp: { dir: string; remove: () => void };
  before(function () {
    requireGloo();
    tmp = tempDir();
  });
  after(() => tmp.remove());

  it('2 and 4 ranks x B/W equal 1 process x B (SimCLR, SyncBatchNorm, global negatives), the run folder written once', async () => {
    const base = { steps: 3, batchSize: 8, aug: 'fixed' as const, checkpointEvery: 1, monitor: true };
    const one = path.join(tmp.dir, 'one');
    const { method, options } = buildRun({ ...base, out: one });
    await new Trainer(method, options).fit();
    for (const world of [2, 4]) {
      const out = path.join(tmp.dir, `w${world}`);
      const reports = ok(await ranks(world, { ...base, out }));
      for (const r of reports) assert.deepEqual(r.types, ['SyncBatchNorm'], `rank ${String(r.rank)}'s norms`);
      // Each rank encodes its share of the monitor's 30 train and 17 test images, twice (random-encoder floor, end).
      const shares = world === 2 ? [15 + 9, 15 + 8] : [8 + 5, 8 + 5, 8 + 5, 6 + 2];
      assert.deepEqual(reports.map((r) => r.evalRows), shares.map((n) => 2 * n), `${world} ranks: images encoded by the monitor`);
      assert.deepEqual(files(out), files(one), 'the same files, written once');
      const [l1, lw] = [stepLosses(one), stepLosses(out)];
      assert.equal(lw.length, 3);
      lw.forEach((l, i) => assert.ok(Math.abs(l - l1[i]) < 1e-5, `${world} ranks, step ${i}: loss ${l} vs ${l1[i]}`));
      // The online k-NN, sharded across the ranks, gives one process's accuracy (the run's end, after step 3).
      assert.deepEqual(knnRecords(out), knnRecords(one), `${world} ranks: k-NN monitor`);
      assert.equal(knnRecords(one).length, 1);
      const diff = maxWeightDiff(out, one);
      assert.ok(diff < 1e-4, `${world} ranks: weights differ from 1 process by ${diff}`);
      const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as { trainer: { distributed: Record<string, unknown> } };
      assert.deepEqual(config.trainer.distributed, { worldSize: world, batchPerRank: 8 / world, backend: 'gloo',
        syncBatchNorm: true, findUnusedParameters: false });
    }
    // A data-parallel checkpoint resumes only with its number of ranks.
    const again = buildRun({ ...base, steps: 4, out: path.join(tmp.dir, 'w2'), resume: true });
    await assert.rejects(new Trainer(again.method, again.options).fit(),
      /saved by a run of 2 processes but this run has 1; resume with the same number of processes \(--nproc-per-node 2\)/);
  });

  it('a stop on rank 0 stops every rank after the same step, and the run resumes to the uninterrupted weights', async () => {
    const base = { steps: 4, batchSize: 8, aug: 'random' as const, checkpointEvery: 1, syncBatchNorm: false };
    const whole = path.join(tmp.dir, 'whole');
    ok(await ranks(2, { ...base, out: whole }));
    const parts = path.join(tmp.dir, 'parts');
    const first = ok(await ranks(2, { ...base, out: parts, abortAfterStep: 1 }));
    assert.ok(first.every((r) => r.interrupted === true && r.steps === first[0].steps && (r.steps as number) < 4),
      JSON.stringify(first));
    for (const r of first) assert.deepEqual(r.types, ['BatchNorm2d', 'BatchNorm1d'], 'syncBatchNorm: false keeps BatchNorm');
    const second = ok(await ranks(2, { ...base, out: parts, resume: true }));
    assert.ok(second.every((r) => r.steps === 4 && r.interrupted === false), JSON.stringify(second));
    const diff = maxWeightDiff(parts, whole);
    assert.ok(diff < 1e-6, `resumed weights differ by ${diff}`);
    const [a, b] = [stepLosses(parts), stepLosses(whole)];
    assert.equal(a.length, 4);
    a.forEach((l, i) => assert.ok(Math.abs(l - b[i]) < 1e-6, `step ${i}: ${l} vs ${b[i]}`));
  });

  it('a rank that dies stops the others with an error (no hang), the last checkpoint intact', async () => {
    const out = path.join(tmp.dir, 'dies');
    const runs = await ranks(2, { out, steps: 6, batchSize: 8, aug: 'fixed', checkpointEvery: 1, die: { rank: 1, step: 2 } });
    assert.equal(runs[1].code, 9, describeRuns(runs));
    assert.equal(runs[0].code, 1, `rank 0 should fail by itself\n${describeRuns(runs)}`);
    assert.match(runs[0].stderr, /^rank 0: .*(Connection closed by peer|Connection reset|Broken pipe|closed)/im);
    const last = findCheckpoint(out);
    assert.equal(last.step, 2);
    const { tensors } = readCheckpoint(last);
    assert.ok(tensors.size > 0);
    tensors.forEach((t) => t.dispose());
  });

  it('a parameter unused by the loss needs findUnusedParameters (else the Reducer stops the next step)', async () => {
    const base = { steps: 2, batchSize: 8, aug: 'fixed' as const, unusedParameter: true };
    const failing = await ranks(2, { ...base, out: path.join(tmp.dir, 'unused-off') });
    assert.ok(failing.every((r) => r.code === 1), describeRuns(failing));
    assert.match(failing[0].stderr, /Expected to have finished reduction in the prior iteration/);
    ok(await ranks(2, { ...base, out: path.join(tmp.dir, 'unused-on'), findUnusedParameters: true }));
  });

  it('selfsup train --nproc-per-node 2 trains on 2 ranks into one run folder, with the sharded k-NN monitor and final evaluation', async () => {
    const out = path.join(tmp.dir, 'cli');
    // One thread per process, as the launcher's ranks: the one-process evaluation below then computes alike.
    const env = { ...process.env, GLOO_SOCKET_IFNAME: 'lo', OMP_NUM_THREADS: '1' };
    const r = childProcess.spawnSync(process.execPath, [BIN, 'train', 'simclr', '--nproc-per-node', '2', '--master-port',
      String(await freePort()), '--encoder', 'small_cnn', '--encoder-options', '{"width": 4}', '--method-options',
      '{"hiddenDim": 16, "outDim": 8}', '--steps', '2', '--batch-size', '8', '--data', 'synthetic', '--knn-every', '1',
      '--progress', 'none', '--out', out], { env, encoding: 'utf8', timeout: DEADLINE_MS });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /x 2 ranks/);
    assert.equal((r.stderr.match(/^Training simclr/gm) ?? []).length, 1, 'rank 0 alone logs');
    assert.equal((r.stdout.match(/^trained encoder /gm) ?? []).length, 1, `rank 0 alone prints the table\n${r.stdout}`);
    const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')) as { trainer: { distributed: { worldSize: number } } };
    assert.equal(config.trainer.distributed.worldSize, 2);
    assert.equal(findCheckpoint(out).step, 2);
    assert.ok(fs.existsSync(path.join(out, 'encoder.safetensors')));
    // Every rank loaded the test split and took part in the sharded k-NN monitor (else rank 0 would wait for rank 1).
    assert.equal(knnRecords(out).length, 1);
    // The final evaluation's features were encoded by both ranks (rank 0 alone would wait for rank 1 at the first
    // gather), and its numbers are those of one process evaluating the same encoder (selfsup eval rewrites eval.json).
    type Report = { worldSize?: number; train: unknown; test: unknown; k: number[]; rows: Record<string, unknown>[] };
    const numbers = (e: Report): unknown => ({ ...e, seconds: 0, worldSize: 0, rows: e.rows.map((row) => ({ ...row, seconds: 0 })) });
    const sharded = JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8')) as Report;
    assert.equal(sharded.worldSize, 2);
    assert.deepEqual(sharded.rows.map((row) => row.name), ['raw pixels', 'random encoder', 'trained encoder']);
    const e = childProcess.spawnSync(process.execPath, [BIN, 'eval', out], { env, encoding: 'utf8', timeout: DEADLINE_MS });
    assert.equal(e.status, 0, `${e.stdout}\n${e.stderr}`);
    const single = JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8')) as Report;
    assert.equal(single.worldSize, undefined);
    assert.deepEqual(numbers(sharded), numbers(single), 'the 2-rank report equals one process\'s');
  });
});
