// SwAV and DeepCluster v2 trained by the Trainer on 2 Gloo ranks (SyncBatchNorm,
// fixed multi-crop views: 2 global crops of 16 px, one local of 8 px): the
// global batch of 8 split 4 + 4 gives, step for step, the losses, weights and
// state (prototypes, queue, memory bank, assignments) of one process on the
// batch of 8, across the queue's start and use (SwAV) and the epoch
// boundaries' k-means (DeepCluster v2); both ranks hold the same state after
// every step; and a run stopped mid-way resumes from the 2-rank checkpoint
// to the uninterrupted run's state, digest for digest.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { Trainer } from '../../lib/train/trainer';
import { DistRunConfig, StateRecord, buildRun } from './dist-run';
import { checkpointModel, finished, stepRecords, trainRanks } from './dist-ranks';
import { requireGloo, tempDir } from '../torch/distributed/ranks';

/**
 * A 2-rank queue in the one-process layout: each enqueued global batch is
 * rank 0's 4 rows then rank 1's, which are the one-process batch's positions
 * 0, 2, 4, 6 and 1, 3, 5, 7 (DistributedSampler deals the positions round-robin).
 */
function oneProcessQueue(queue: torch.Tensor): torch.Tensor {
  const [n, d] = queue.shape;
  return queue.view([n / 8, 2, 4, d]).transpose(1, 2).reshape([n, d]);
}

/** Per checkpoint key: the largest difference (floats) or the number of differing entries (integers). */
function stateDiffs(a: Map<string, torch.Tensor>, b: Map<string, torch.Tensor>, layout = (_k: string, t: torch.Tensor) => t):
  Record<string, number> {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  const out: Record<string, number> = {};
  torch.scope(() => {
    for (const [k, x] of a) {
      const y = layout(k, b.get(k)!);
      out[k] = x.dtype === 'int64' ? Number(x.ne(y).sum().item()) : Number(x.sub(y).abs().max().item());
    }
  });
  [...a.values(), ...b.values()].forEach((t) => t.dispose());
  return out;
}

/** The largest entry of `diffs` whose key matches `keys` and the entries above `tol` (for the message). */
function assertBelow(diffs: Record<string, number>, keys: RegExp, tol: number, what: string): void {
  const worse = Object.entries(diffs).filter(([k, d]) => keys.test(k) && !(d <= tol));
  assert.deepEqual(worse, [], `${what}: above ${tol}`);
}

describe('Trainer, data-parallel SwAV and DeepCluster v2 (2 Gloo ranks on 127.0.0.1)', function () {
  this.timeout(600000);
  let tmp: { dir: string; remove: () => void };
  before(function () {
    requireGloo();
    tmp = tempDir();
  });
  after(() => tmp.remove());

  /** One process on the global batch, then 2 ranks on halves of it: both run folders and the ranks' reports. */
  async function oneAndTwo(cfg: Omit<DistRunConfig, 'out'>, name: string): Promise<{ one: string; two: string;
    reports: Record<string, unknown>[]; oneStates: StateRecord[] }> {
    const one = path.join(tmp.dir, `${name}-1`);
    const { method, options } = buildRun({ ...cfg, out: one });
    await new Trainer(method, options).fit();
    const oneStates = (method as unknown as { states: StateRecord[] }).states;
    const two = path.join(tmp.dir, `${name}-2`);
    const reports = finished(await trainRanks(2, { ...cfg, out: two }));
    return { one, two, reports, oneStates };
  }

  /** Both ranks recorded the same state (bitwise digests) after every one of `steps` steps. */
  function sameOnEveryRank(reports: Record<string, unknown>[], steps: number): StateRecord[] {
    const [r0, r1] = reports.map((r) => r.states as StateRecord[]);
    assert.deepEqual(r0.map((s) => s.step), Array.from({ length: steps }, (_, i) => i));
    assert.deepEqual(r1, r0, 'rank 1\'s state after each step equals rank 0\'s');
    return r0;
  }

  /** Stops 2 ranks after `stopAfter` steps, resumes them, and checks the resumed state against the uninterrupted run `whole`. */
  async function stopAndResume(cfg: Omit<DistRunConfig, 'out'>, name: string, stopAfter: number, whole: string,
    wholeStates: StateRecord[]): Promise<void> {
    const parts = path.join(tmp.dir, `${name}-parts`);
    const first = finished(await trainRanks(2, { ...cfg, out: parts, abortAfterStep: stopAfter }));
    assert.ok(first.every((r) => r.interrupted === true && r.steps === stopAfter), JSON.stringify(first.map((r) => r.steps)));
    const second = finished(await trainRanks(2, { ...cfg, out: parts, resume: true }));
    const resumed = sameOnEveryRank(second.map((r, i) => ({ states: [...(first[i].states as StateRecord[]),
      ...(r.states as StateRecord[])] })), cfg.steps);
    // Digest for digest (bitwise in practice): the queue / bank / prototypes came back exactly from the checkpoint.
    assert.deepEqual(resumed, wholeStates, 'the resumed run\'s state after each step equals the uninterrupted run\'s');
    assert.deepEqual(stepRecords(parts).map((r) => r.loss), stepRecords(whole).map((r) => r.loss));
    const diffs = stateDiffs(checkpointModel(parts), checkpointModel(whole));
    assertBelow(diffs, /./, 0, 'resumed against uninterrupted checkpoint');
  }

  it('SwAV: 2 ranks x 4 equal 1 process x 8 over 10 steps (prototypes frozen for 3, queue filled from step 6, used from 8), and resume exactly', async () => {
    const cfg = { method: 'swav' as const, steps: 10, batchSize: 8, aug: 'fixed' as const, checkpointEvery: 1 };
    const { one, two, reports, oneStates } = await oneAndTwo(cfg, 'swav');
    const states = sameOnEveryRank(reports, 10);
    // Frozen prototypes keep their direction for steps 0-2 (weight decay only scales them: float32 rounding, measured
    // 6e-8 at most), then learn (measured 2e-6 to 2e-5 per step at this tiny learning rate).
    for (const [who, s] of [['2 ranks', states], ['1 process', oneStates]] as const) {
      const moved = s.map((r) => r.moved!);
      assert.ok(moved.slice(0, 3).every((m) => m < 2e-7) && moved.slice(3).every((m) => m > 1e-6), `${who}: ${moved.join(', ')}`);
    }
    const [r1, r2] = [stepRecords(one), stepRecords(two)];
    // The queue joins Sinkhorn's batch at steps 8 and 9, in both runs.
    const queueUse = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
    assert.deepEqual(r1.map((r) => r.logs?.queue), queueUse);
    assert.deepEqual(r2.map((r) => r.logs?.queue), queueUse);
    r2.forEach((r, i) => assert.ok(Math.abs(r.loss - r1[i].loss) < 1e-5, `step ${i}: loss ${r.loss} vs ${r1[i].loss}`));
    const diffs = stateDiffs(checkpointModel(one), checkpointModel(two), (k, t) => (/queues\.\d\.queue$/.test(k) ? oneProcessQueue(t) : t));
    assert.ok(Object.keys(diffs).some((k) => /prototypes/.test(k)) && Object.keys(diffs).some((k) => /queues\.1\.queue$/.test(k)),
      Object.keys(diffs).join(', '));
    assertBelow(diffs, /./, 1e-4, '2 ranks against 1 process');
    await stopAndResume(cfg, 'swav', 8, two, states);
  });

  it('DeepCluster v2: 2 ranks x 4 equal 1 process x 8 over 13 steps (k-means at steps 0, 6, 12), and resume exactly', async () => {
    const cfg = { method: 'deepclusterv2' as const, steps: 13, batchSize: 8, aug: 'fixed' as const, checkpointEvery: 1 };
    const { one, two, reports } = await oneAndTwo(cfg, 'dc');
    const states = sameOnEveryRank(reports, 13);
    const [r1, r2] = [stepRecords(one), stepRecords(two)];
    r2.forEach((r, i) => assert.ok(Math.abs(r.loss - r1[i].loss) < 1e-5, `step ${i}: loss ${r.loss} vs ${r1[i].loss}`));
    const diffs = stateDiffs(checkpointModel(one), checkpointModel(two));
    assert.ok(['model.memory_bank', 'model.assignments', 'model.prototypes.heads.1.weight'].every((k) => k in diffs),
      Object.keys(diffs).join(', '));
    // Every image's cluster in both sets equal (int64: 0 differing), the bank, centroids and weights within float rounding.
    assertBelow(diffs, /./, 1e-4, '2 ranks against 1 process');
    await stopAndResume(cfg, 'dc', 8, two, states);
  });
});
