// EpochOrder: every index once per epoch in a seeded order, and a state that
// continues with the same indices, also when the next take starts a new epoch
// or falls in an epoch that began before the state was saved.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { EpochOrder } from '../../lib/data/epoch-order';

describe('data: EpochOrder', () => {
  it('gives each index once per epoch, the same for the same seed, another for another seed', () => {
    const a = new EpochOrder(10, 3);
    const epoch = [...a.take(5), ...a.take(5)];
    assert.deepEqual([...epoch].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual([...new EpochOrder(10, 3).take(5)], epoch.slice(0, 5));
    assert.notDeepEqual([...new EpochOrder(10, 4).take(10)], epoch);
    // 10 items in batches of 4: the last 2 of an epoch are skipped, as a batch never spans two epochs.
    const b = new EpochOrder(10, 0);
    const first = b.take(4).concat(b.take(4));
    const next = b.take(4);
    assert.equal(new Set(first).size, 8);
    assert.equal(new Set(next).size, 4);
  });

  it('state() and loadState() continue with the same indices and the same later draws of its generator', () => {
    for (const taken of [0, 1, 2, 3, 5]) {
      const a = new EpochOrder(9, 7);
      for (let i = 0; i < taken; i++) a.take(4);
      const saved = a.state();
      const expected = [a.take(4), a.take(4), a.take(4)];
      const after = torch.rand([3], { generator: a.generator }).toArray();
      const b = new EpochOrder(9, 7);
      b.loadState(JSON.parse(JSON.stringify(saved)));
      assert.deepEqual([b.take(4), b.take(4), b.take(4)], expected, `after ${taken} batches`);
      assert.deepEqual(torch.rand([3], { generator: b.generator }).toArray(), after);
    }
  });

  it('a number of items per epoch: prepared once per epoch in order, and again for the saved epoch on loadState', () => {
    const calls: number[] = [];
    const a = new EpochOrder((e) => { calls.push(e); return 5 + e; }, 1);
    for (let i = 0; i < 4; i++) a.take(4); // epochs 0 (5 items), 1 (6), 2 (7), 3 (8)
    assert.deepEqual(calls, [0, 1, 2, 3]);
    assert.equal(a.length, 8);
    const saved = a.state();
    assert.equal(saved.epoch, 3);
    const next = a.take(4);
    const b = new EpochOrder((e) => { calls.push(e); return 5 + e; }, 1);
    b.loadState(saved);
    assert.deepEqual(calls.slice(4), [0, 3]);
    assert.deepEqual(b.take(4), next);
  });

  it('refuses a state from other data, naming the cursor', () => {
    const a = new EpochOrder(100, 0);
    a.take(90);
    const b = new EpochOrder(10, 0);
    assert.throws(() => b.loadState(a.state()), /Expected state.cursor in \[0, 10\] .* but received 90/);
    assert.throws(() => new EpochOrder(0, 0), /items/);
  });
});
