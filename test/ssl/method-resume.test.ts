// The state of MoCo v2's queue, SwAV's queues and prototypes and DeepCluster
// v2's memory bank, assignments and centroids goes through the Trainer's
// checkpoints: a run stopped mid-way and resumed gives the same loss curve
// and the same final weights and buffers as an uninterrupted one.
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as torch from '../../lib/torch';
import { synthetic } from '../../lib/data/synthetic';
import { ImageDataset } from '../../lib/data/dataset';
import { Trainer, TrainerOptions, LogRecord, StepRecord } from '../../lib/train';
import { Method } from '../../lib/ssl/method';
import { MoCoV2 } from '../../lib/ssl/moco-v2';
import { SwAV } from '../../lib/ssl/swav';
import { DeepClusterV2 } from '../../lib/ssl/deepcluster-v2';

const data: ImageDataset = synthetic({ n: 64, channels: 1, size: 16, classes: 4, seed: 1 });
const ENC = { encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 } };

const methods: Record<string, () => Method> = {
  // 4 steps per epoch; the queue of 3 batches wraps around before and after the stop.
  mocov2: () => new MoCoV2({ ...ENC, hiddenDim: 16, outDim: 8, queueLength: 48 }),
  // The queue fills from epoch 1 (steps 4, 5) and is in use from step 6; prototypes frozen for 3 steps.
  swav: () => new SwAV({ ...ENC, hiddenDim: 16, outDim: 8, numPrototypes: 20, queueLength: 32, queueStartEpoch: 1,
    freezePrototypesSteps: 3, localCrops: 2, localSize: 8 }),
  // k-means at steps 0, 4 and 8 (epoch starts); the stop falls between them.
  deepclusterv2: () => new DeepClusterV2({ ...ENC, datasetSize: 64, hiddenDim: 16, outDim: 8, numPrototypes: [4, 6, 5],
    kmeansIterations: 3, localCrops: 2, localSize: 8 }),
};

function stepLosses(records: LogRecord[]): Map<number, number> {
  return new Map(records.filter((r): r is StepRecord => r.type === 'step').map((r) => [r.step, r.loss]));
}

function bytes(m: Method): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [k, t] of m.stateDict()) {
    const a = t.toTypedArray();
    out.set(k, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  }
  return out;
}

describe('ssl: queue, prototype and memory-bank state resumes exactly', function () {
  this.timeout(180_000);
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  for (const [name, build] of Object.entries(methods)) {
    it(`${name}: stopped after step 5 and resumed = uninterrupted (losses, weights, buffers)`, async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), `selfsup-${name}-`));
      dirs.push(root);
      const options = (extra: Partial<TrainerOptions>): TrainerOptions => ({
        data, batchSize: 16, steps: 12, progress: 'none', logEvery: 1, handleSigint: false, seed: 3, ...extra,
      });
      const fresh = (): Method => {
        torch.manualSeed(7);
        return build();
      };
      const full: LogRecord[] = [];
      const a = fresh();
      await new Trainer(a, options({ out: path.join(root, 'a'), onLog: (r) => full.push(r) })).fit();

      const dir = path.join(root, 'b');
      const controller = new AbortController();
      const first: LogRecord[] = [];
      const r1 = await new Trainer(fresh(), options({
        out: dir, signal: controller.signal,
        onLog: (r) => { first.push(r); if (r.type === 'step' && r.step === 5) controller.abort(); },
      })).fit();
      assert.equal(r1.interrupted, true);
      assert.equal(r1.steps, 6);
      const second: LogRecord[] = [];
      const b = fresh();
      const r2 = await new Trainer(b, options({ out: dir, resume: dir, onLog: (r) => second.push(r) })).fit();
      assert.equal(r2.steps, 12);

      const want = stepLosses(full);
      assert.equal(want.size, 12);
      assert.ok([...want.values()].every(Number.isFinite));
      const got = new Map([...stepLosses(first), ...stepLosses(second)]);
      assert.deepEqual([...got.keys()].sort((x, y) => x - y), [...want.keys()]);
      for (const [s, loss] of want) assert.equal(got.get(s), loss, `${name}: loss at step ${s}`);
      const pa = bytes(a);
      const pb = bytes(b);
      assert.deepEqual([...pb.keys()], [...pa.keys()]);
      for (const [k, v] of pa) assert.ok(v.equals(pb.get(k)!), `${name}: ${k} differs after resume`);
      if (name === 'swav') {
        const logs = [...first, ...second].filter((r): r is StepRecord => r.type === 'step');
        assert.deepEqual(logs.map((r) => r.logs?.queue), [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1], 'the queue is in use from step 6');
      }
    });
  }
});
