// shardOf's contiguous shares (what the sharded k-NN monitor and DeepCluster
// v2's k-means split among ranks) and the refusals of shardOf and
// gatherShards; gathering itself is tested on 2 ranks by
// test/train/monitor-ranks.test.ts and test/ssl/clustering-ranks.test.ts.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { gatherShards, shardOf } from '../../../lib/torch/distributed/shards';

describe('torch.distributed shards', () => {
  it('shardOf: ceil(n / world) rows each in rank order, the last ranks fewer or none', () => {
    assert.deepEqual([0, 1].map((r) => shardOf(11, r, 2)), [{ start: 0, length: 6 }, { start: 6, length: 5 }]);
    assert.deepEqual([0, 1, 2, 3].map((r) => shardOf(30, r, 4)), [
      { start: 0, length: 8 }, { start: 8, length: 8 }, { start: 16, length: 8 }, { start: 24, length: 6 }]);
    assert.deepEqual([0, 1, 2].map((r) => shardOf(2, r, 3)), [{ start: 0, length: 1 }, { start: 1, length: 1 }, { start: 2, length: 0 }]);
    assert.deepEqual(shardOf(5, 0, 1), { start: 0, length: 5 });
  });

  it('refuses a rank outside the world, a negative n, and more rows than the largest share', () => {
    assert.throws(() => shardOf(10, 2, 2),
      /Expected n >= 0 rows and a rank from 0 to world - 1 for shardOf but received n 10, rank 2, world 2/);
    assert.throws(() => shardOf(-1, 0, 2), /received n -1, rank 0, world 2/);
    assert.throws(() => gatherShards(torch.zeros([7, 2]), [6, 5]),
      /Expected at most 6 rows for gatherShards \(the largest of sizes \[6, 5\]\) but received 7 \(over 2 ranks\)/);
  });
});
