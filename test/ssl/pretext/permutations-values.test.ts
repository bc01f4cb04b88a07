// The jigsaw permutation sets by value: every permutation of a set against a
// plain re-implementation of the documented rule (all orderings in
// lexicographic order; the first drawn by floor(rng() * n!); each next the
// r-th, r = floor(rng() * ties), in lexicographic order among those farthest
// from their nearest chosen one), with the same mulberry32 draws; the minimum
// distance it reports; the cache's copies; the exact refusals.
//
// NOTE: sets are cached per (N, tiles, seed) in the module. The reference
// cases call a fresh copy of the module (`computed`), so that the set is
// computed by this call and not served from an earlier call's cache (under
// StrykerJS every mutant runs in a process whose modules loaded once).
import * as assert from 'node:assert/strict';
import { mulberry32 } from '../../../lib/torch/host-random';
import * as permutations from '../../../lib/ssl/pretext/permutations';
import { PERMUTATION_OPTIONS, jigsawPermutations } from '../../../lib/ssl/pretext/permutations';

/** A newly loaded copy of the module: its own, empty cache. */
function freshModule(): typeof permutations {
  const file = require.resolve('../../../lib/ssl/pretext/permutations');
  const cached = require.cache[file];
  delete require.cache[file];
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as typeof permutations;
  } finally {
    if (cached !== undefined) require.cache[file] = cached;
  }
}

/** jigsawPermutations of a fresh copy of the module: computed by this call. */
function computed(...args: Parameters<typeof jigsawPermutations>): ReturnType<typeof jigsawPermutations> {
  return freshModule().jigsawPermutations(...args);
}

/** All orderings of 0..n-1 in lexicographic order, by recursion. */
function lexicographic(n: number): number[][] {
  if (n === 1) return [[0]];
  const out: number[][] = [];
  for (let first = 0; first < n; first++) {
    for (const rest of lexicographic(n - 1)) out.push([first, ...rest.map((v) => (v >= first ? v + 1 : v))]);
  }
  return out;
}

const hamming = (a: number[], b: number[]): number => a.reduce((d, v, i) => d + (v === b[i] ? 0 : 1), 0);

/** The documented greedy max-min rule, written plainly. */
function reference(N: number, tiles: number, seed: number): { perms: number[][]; minDistance: number } {
  const all = lexicographic(tiles);
  const rng = mulberry32(seed);
  const chosen = [all[Math.floor(rng() * all.length)]];
  while (chosen.length < N) {
    const far = all.map((c) => chosen.reduce((m, p) => Math.min(m, hamming(c, p)), tiles));
    const best = far.reduce((m, d) => Math.max(m, d), 0);
    const ties = far.map((d, i) => (d === best ? i : -1)).filter((i) => i >= 0);
    chosen.push(all[ties[Math.floor(rng() * ties.length)]]);
  }
  let min = tiles;
  for (let i = 0; i < N; i++) for (let j = i + 1; j < N; j++) min = Math.min(min, hamming(chosen[i], chosen[j]));
  return { perms: chosen, minDistance: min };
}

describe('ssl/pretext: jigsaw permutations by value', function () {
  this.timeout(60000);

  it('equal the greedy max-min rule written plainly, draw for draw (tiles 3 to 6, several seeds and sizes)', () => {
    for (const [N, tiles, seed] of [[4, 3, 0], [6, 3, 1], [5, 4, 0], [12, 4, 3], [24, 4, 2], [9, 5, 0], [30, 5, 7], [40, 6, 1]]) {
      assert.deepEqual(computed(N, { tiles, seed }), reference(N, tiles, seed), `N ${N}, tiles ${tiles}, seed ${seed}`);
    }
  });

  it('7 tiles: the same rule on 7! orderings', () => {
    // NOTE: no 9- or 10-tile case here: under StrykerJS's instrumentation a 9! set costs seconds per mutant run.
    assert.deepEqual(computed(8, { tiles: 7, seed: 2 }), reference(8, 7, 2));
  });

  it('one permutation has minDistance = tiles; sets are copies (changing one leaves the next call alone)', () => {
    const one = computed(1, { tiles: 5, seed: 4 });
    assert.deepEqual(one, { perms: reference(1, 5, 4).perms, minDistance: 5 });
    const mod = freshModule();
    assert.notEqual(mod.jigsawPermutations, jigsawPermutations, 'a fresh copy of the module');
    const a = mod.jigsawPermutations(5, { tiles: 4, seed: 9 }); // computed, then cached
    a.perms[0][0] = 99;
    a.perms.pop();
    const b = mod.jigsawPermutations(5, { tiles: 4, seed: 9 }); // from the cache
    assert.deepEqual(b, reference(5, 4, 9), 'the cached set is untouched by changes to the computed one');
    b.perms[1][1] = 77;
    assert.deepEqual(mod.jigsawPermutations(5, { tiles: 4, seed: 9 }).perms, reference(5, 4, 9).perms, 'a cache hit returns a copy');
    assert.deepEqual(PERMUTATION_OPTIONS.keys, ['tiles', 'seed']);
  });

  it('refuses impossible requests, with the exact messages (all n! orderings are allowed)', () => {
    assert.throws(() => jigsawPermutations(5, { tiles: 11 }),
      { message: 'Expected at most 10 tiles for jigsawPermutations (10! orderings) but received 11' });
    assert.throws(() => jigsawPermutations(5, { tiles: 1 }), { message: 'Expected integer >= 2 for jigsawPermutations options.tiles but received 1' });
    assert.throws(() => jigsawPermutations(5, { seed: -1 }),
      { message: 'Expected non-negative integer for jigsawPermutations options.seed but received -1' });
    assert.throws(() => jigsawPermutations(0), { message: 'Expected positive integer for jigsawPermutations n but received 0' });
    assert.throws(() => jigsawPermutations(2.5), { message: 'Expected positive integer for jigsawPermutations n but received 2.5' });
    assert.throws(() => jigsawPermutations(25, { tiles: 4 }), { message: 'Expected at most 24 permutations of 4 tiles but received 25' });
    // 10 tiles: refused before its 10! orderings are built.
    assert.throws(() => jigsawPermutations(4e6, { tiles: 10 }), { message: 'Expected at most 3628800 permutations of 10 tiles but received 4000000' });
    assert.deepEqual(computed(2, { tiles: 2 }), { perms: reference(2, 2, 0).perms, minDistance: 2 });
    assert.deepEqual(computed(24, { tiles: 4 }), reference(24, 4, 0));

  });
});
