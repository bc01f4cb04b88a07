// DistributedSampler: the same indices as PyTorch's for the same length,
// ranks, seed, epoch, shuffle and dropLast (checked with python3-torch).
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { torch } from '../../../lib';
import { PYTHON, repoRoot } from '../../helpers/python-reference';

interface Case { length: number; numReplicas: number; rank: number; shuffle: boolean; seed: number; epoch: number; dropLast: boolean }

describe('torch.distributed.DistributedSampler', () => {
  it('gives each rank the indices PyTorch\'s DistributedSampler gives', () => {
    const cases: Case[] = [];
    for (const [length, numReplicas] of [[10, 2], [11, 3], [3, 4], [100, 4], [0, 2]]) {
      for (const shuffle of [true, false]) {
        for (const dropLast of [false, true]) {
          for (let rank = 0; rank < numReplicas; rank++) cases.push({ length, numReplicas, rank, shuffle, seed: 7, epoch: rank + 1, dropLast });
        }
      }
    }
    const script = path.join(repoRoot(), 'test', 'torch', 'distributed', 'sampler_ref.py');
    const expected = JSON.parse(execFileSync(PYTHON, [script], { input: JSON.stringify(cases), encoding: 'utf8' })) as number[][];
    cases.forEach((c, i) => {
      const s = new torch.distributed.DistributedSampler(c.length, c);
      s.setEpoch(c.epoch);
      const got = s.indices();
      assert.deepEqual(got, expected[i], JSON.stringify(c));
      assert.equal(got.length, s.numSamples);
    });
  });

  it('changes order with the epoch and rejects bad ranks', () => {
    const s = new torch.distributed.DistributedSampler(50, { numReplicas: 2, rank: 0 });
    const a = s.indices();
    s.setEpoch(1);
    assert.notDeepEqual(s.indices(), a);
    assert.throws(() => new torch.distributed.DistributedSampler(10, { numReplicas: 2, rank: 2 }), /Expected rank from 0 to 1 but received 2/);
    assert.throws(() => s.setEpoch(-1), /Expected a non-negative integer for epoch but received -1/);
  });
});
