// The sharded features in one process (issue 21: lib/eval/sharded-features.ts
// was covered only by the 2-rank tests, which spawn processes): each rank's
// share of the indices, no shard without a group of two or more, and, in a
// one-rank Gloo group, the gathered rows in the indices' order equal to
// extractFeatures'. The 2-rank tests (test/train/final-eval-ranks,
// monitor-ranks) check the gather across ranks.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { currentShard, gatherSharedRows, shardedFeatures, shareOf } from '../../lib/eval/sharded-features';
import { extractFeatures } from '../../lib/eval/features';
import { ImageDataset } from '../../lib/data/dataset';
import { SmallCnn } from '../../lib/models/small-cnn';
import { freePort } from '../torch/distributed/ranks';

const lab = (v: number[]): torch.Tensor => torch.tensor(v, { dtype: 'int64' });

describe('eval: sharded features (one process)', function () {
  this.timeout(60000);

  it('shareOf: the contiguous share of each rank, the last one shorter', () => {
    const idx = lab([10, 11, 12, 13, 14]);
    assert.deepEqual(shareOf(idx, { rank: 0, world: 2 }).toArray(), [10, 11, 12]);
    assert.deepEqual(shareOf(idx, { rank: 1, world: 2 }).toArray(), [13, 14]);
    assert.deepEqual(shareOf(idx, { rank: 2, world: 3 }).toArray(), [14]);
    assert.equal(currentShard(), undefined, 'no group: no shard');
  });

  describe('in a one-rank Gloo group', () => {
    before(async () => {
      const port = await freePort();
      await torch.distributed.initProcessGroup({ initMethod: `tcp://127.0.0.1:${port}`, rank: 0, worldSize: 1, timeout: 20000 });
    });
    after(() => torch.distributed.destroyProcessGroup());

    it('no shard for one rank; gatherSharedRows keeps the order and int64 labels', () => {
      assert.equal(currentShard(), undefined);
      const seen: number[][] = [];
      const r = gatherSharedRows(lab([2, 0, 1]), { rank: 0, world: 1 }, (mine) => {
        seen.push(mine.toArray() as number[]);
        return { features: mine.to('float32').view([-1, 1]).mul(2), labels: mine.add(5) };
      });
      assert.deepEqual(seen, [[2, 0, 1]]);
      assert.deepEqual(r.features.toArray(), [[4], [0], [2]]);
      assert.deepEqual(r.labels.toArray(), [7, 5, 6]);
      assert.equal(r.labels.dtype, 'int64');
      const none = gatherSharedRows(lab([]), { rank: 0, world: 1 }, (mine) => ({ features: torch.empty([0, 3]), labels: mine }));
      assert.equal(none.features.shape[0], 0);
    });

    it('shardedFeatures equals extractFeatures, on all images or on indices', () => {
      const ds: ImageDataset = {
        name: 'toy', images: torch.randint(0, 256, [5, 1, 8, 8], { dtype: 'uint8', generator: new torch.Generator().manualSeed(1) }),
        labels: lab([0, 1, 2, 1, 0]), mean: [0.5], std: [0.25], length: 5,
      };
      torch.manualSeed(0);
      const enc = new SmallCnn({ inChannels: 1, width: 4 });
      const whole = shardedFeatures(enc, ds, { batchSize: 2 }, { rank: 0, world: 1 });
      const direct = extractFeatures(enc, ds, { batchSize: 2 });
      assert.ok(whole.features.equal(direct.features));
      assert.deepEqual(whole.labels.toArray(), [0, 1, 2, 1, 0]);
      const some = shardedFeatures(enc, ds, { indices: lab([4, 1]) }, { rank: 0, world: 1 });
      assert.ok(some.features.equal(extractFeatures(enc, ds, { indices: lab([4, 1]) }).features));
      assert.equal(some.features.shape[0], 2);
      assert.deepEqual(some.labels.toArray(), [0, 1]);
    });
  });
});
