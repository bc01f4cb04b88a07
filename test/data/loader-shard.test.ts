// The Loader's `shard` option: each rank's batch k holds DistributedSampler's
// indices for that rank, and the ranks' batches k together are the
// single-process loader's batch k (global batch = W x per-rank batch).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { makeDataset } from '../../lib/data/dataset';
import { Batch, disposeBatch, Loader } from '../../lib/data/loader';
import { DistributedSampler } from '../../lib/torch/distributed/sampler';

async function batches(loader: Loader<Batch>, epoch: number): Promise<number[][]> {
  const out: number[][] = [];
  for await (const b of loader.epoch(epoch)) {
    out.push(b.indices.toArray() as number[]);
    disposeBatch(b);
  }
  return out;
}

describe('data: Loader shard (data-parallel ranks)', () => {
  const ds = makeDataset({ name: 'n-51', images: torch.zeros([51, 1, 2, 2], { dtype: 'uint8' }) });
  after(() => ds.images.dispose());

  it('splits each epoch among the ranks as DistributedSampler, batch k of all ranks = the single-process batch k', async () => {
    for (const world of [2, 4]) {
      const whole = new Loader(ds, { batchSize: 8, seed: 5 });
      const shards = Array.from({ length: world }, (_, rank) => new Loader(ds, { batchSize: 8 / world, seed: 5, shard: { numReplicas: world, rank } }));
      for (const l of shards) assert.equal(l.length, whole.length, `${world} ranks: same steps per epoch`);
      for (const epoch of [0, 3]) {
        const ref = await batches(whole, epoch);
        const parts = await Promise.all(shards.map((l) => batches(l, epoch)));
        ref.forEach((b, k) => assert.deepEqual(parts.flatMap((p) => p[k]).sort((x, y) => x - y), [...b].sort((x, y) => x - y),
          `${world} ranks, epoch ${epoch}, batch ${k}`));
        parts.forEach((p, rank) => {
          const s = new DistributedSampler(51, { numReplicas: world, rank, seed: 5, dropLast: true });
          s.setEpoch(epoch);
          assert.deepEqual(p.flat(), s.indices().slice(0, p.flat().length));
        });
      }
    }
  });

  it('without dropLast the sampler pads as PyTorch\'s (every rank the same number of samples)', () => {
    const l = new Loader(ds, { batchSize: 2, dropLast: false, shard: { numReplicas: 4, rank: 3 } });
    assert.equal(l.samples, 13);
    assert.equal(l.length, 7);
  });
});
