// The jigsaw permutation sets: size, determinism from the seed, validity, and
// the minimum Hamming distance that the greedy max-min selection reaches.
import * as assert from 'node:assert/strict';
import { jigsawPermutations } from '../../../lib/ssl/pretext/permutations';

function hamming(a: number[], b: number[]): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d;
}

function minPairDistance(perms: number[][]): number {
  let m = Infinity;
  for (let i = 0; i < perms.length; i++) for (let j = i + 1; j < perms.length; j++) m = Math.min(m, hamming(perms[i], perms[j]));
  return m;
}

describe('ssl/pretext: jigsaw permutation sets (Noroozi & Favaro 2016, section 3.2)', function () {
  this.timeout(120000);

  it('gives N distinct permutations of 0..8 (N = 100 by default)', () => {
    const { perms } = jigsawPermutations();
    assert.equal(perms.length, 100);
    for (const p of perms) assert.deepEqual([...p].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(new Set(perms.map((p) => p.join(''))).size, 100);
  });

  it('is the same for the same seed and differs for another seed', () => {
    const a = jigsawPermutations(100, { seed: 0 }).perms;
    const b = jigsawPermutations(100, { seed: 0 }).perms;
    const c = jigsawPermutations(100, { seed: 1 }).perms;
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    b[0][0] = 99; // a returned set is a copy: changing it leaves the cache alone
    assert.notEqual(jigsawPermutations(100, { seed: 0 }).perms[0][0], 99);
  });

  it('reports its true minimum pairwise Hamming distance, far above that of random permutations', () => {
    const { perms, minDistance } = jigsawPermutations(100);
    assert.equal(minDistance, minPairDistance(perms));
    assert.ok(minDistance >= 6, `minimum distance ${minDistance}`);
    // 100 random orderings of 9 tiles almost surely hold a pair at distance <= 4.
    let s = 7;
    const rand = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    const random = Array.from({ length: 100 }, () => {
      const p = [0, 1, 2, 3, 4, 5, 6, 7, 8];
      for (let i = 8; i > 0; i--) { const j = Math.floor(rand() * (i + 1)); [p[i], p[j]] = [p[j], p[i]]; }
      return p;
    });
    assert.ok(minPairDistance(random) < minDistance);
  });

  it('builds the 1000-permutation set with a minimum distance of at least 5', () => {
    const { perms, minDistance } = jigsawPermutations(1000);
    assert.equal(perms.length, 1000);
    assert.equal(new Set(perms.map((p) => p.join(''))).size, 1000);
    assert.equal(minDistance, minPairDistance(perms));
    assert.ok(minDistance >= 5, `minimum distance ${minDistance}`);
  });

  it('works for other tile counts and refuses impossible requests', () => {
    const { perms, minDistance } = jigsawPermutations(6, { tiles: 3 });
    assert.equal(perms.length, 6);
    assert.equal(minDistance, 2);
    assert.throws(() => jigsawPermutations(7, { tiles: 3 }), /at most 6 permutations of 3 tiles but received 7/);
    assert.throws(() => jigsawPermutations(0), /n/);
  });
});
