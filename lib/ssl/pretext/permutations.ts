// The permutation set of the jigsaw puzzle task (Noroozi & Favaro 2016,
// section 3.2): N of the 9! orderings of the tiles, chosen greedily so that
// the permutations are far apart in Hamming distance, which makes the task
// harder and the features better (their table 3).
import { checkInt } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../../torch/option-table';
import { mulberry32 } from '../../torch/host-random';

/** What `jigsawPermutations` returns. */
export interface PermutationSet {
  /** N permutations of 0..tiles-1: `perms[k][i]` is the tile placed at position i. */
  perms: number[][];
  /** The smallest Hamming distance between two of them. */
  minDistance: number;
}

/** All permutations of 0..n-1 in lexicographic order, flat (n! x n bytes). */
function allPermutations(n: number): Uint8Array {
  let count = 1;
  for (let i = 2; i <= n; i++) count *= i;
  const out = new Uint8Array(count * n);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let k = 0; k < count; k++) {
    out.set(p, k * n);
    // Next permutation (lexicographic).
    let i = n - 2;
    while (i >= 0 && p[i] > p[i + 1]) i--;
    if (i < 0) break;
    let j = n - 1;
    while (p[j] < p[i]) j--;
    [p[i], p[j]] = [p[j], p[i]];
    for (let l = i + 1, r = n - 1; l < r; l++, r--) [p[l], p[r]] = [p[r], p[l]];
  }
  return out;
}

/** For each (position, tile), the indices of the permutations that put that tile there. */
function positionIndex(all: Uint8Array, tiles: number, total: number): Uint32Array[] {
  const per = total / tiles;
  const lists = Array.from({ length: tiles * tiles }, () => new Uint32Array(per));
  const fill = new Uint32Array(tiles * tiles);
  for (let c = 0; c < total; c++) {
    for (let i = 0; i < tiles; i++) {
      const slot = i * tiles + all[c * tiles + i];
      lists[slot][fill[slot]++] = c;
    }
  }
  return lists;
}

const cache = new Map<string, PermutationSet>();

/** `jigsawPermutations`'s options: defaults and checks. */
export const PERMUTATION_OPTIONS = defineOptions({
  /** Tiles of the puzzle (2 to 10). Default 9 (the paper's 3 x 3 grid). */
  tiles: option(9, is.int(2)),
  /** Seed of the greedy choice's tie-breaking draws. Default 0. */
  seed: option(0, is.int(0)),
});

/**
 * N permutations of `tiles` tiles chosen greedily for maximal minimum Hamming
 * distance: the first is drawn at random from all `tiles`! orderings, then
 * each next one is a permutation whose distance to its nearest chosen
 * permutation is largest (ties drawn at random). The draws come from `seed`,
 * so the set is the same on every run and machine.
 *
 * NOTE: Noroozi & Favaro's select_permutations.py maximises the *average*
 * distance to the chosen set; the max-min rule used here is the one their
 * section 3.2 motivates ("as large as possible minimum Hamming distance" is
 * what separates the sets in their table 3) and gives a set whose closest
 * pair is as far apart as the greedy can make it. Sets are cached per (N, tiles, seed).
 *
 * @example
 * const { perms, minDistance } = jigsawPermutations(100); // 100 orderings of 9 tiles
 * jigsawPermutations(1000, { seed: 1 });
 */
export function jigsawPermutations(n = 100, options: GivenOptions<typeof PERMUTATION_OPTIONS.specs> = {}): PermutationSet {
  const { tiles, seed } = PERMUTATION_OPTIONS.resolve(options, (k) => `jigsawPermutations options.${k}`);
  if (tiles > 10) throw new RangeError(`Expected at most 10 tiles for jigsawPermutations (10! orderings) but received ${tiles}`);
  // The count is checked before the tiles! orderings are built (36 MB for 10 tiles).
  let total = 1;
  for (let t = 2; t <= tiles; t++) total *= t;
  const N = checkInt(n, 'jigsawPermutations n', 1);
  if (N > total) throw new RangeError(`Expected at most ${total} permutations of ${tiles} tiles but received ${N}`);
  const all = allPermutations(tiles);
  const key = `${N}/${tiles}/${seed}`;
  const hit = cache.get(key);
  if (hit !== undefined) return { perms: hit.perms.map((p) => p.slice()), minDistance: hit.minDistance };

  // byValue[i * tiles + v]: the candidates with tile v at position i, so the
  // matches with a new pick are counted over tiles x (tiles - 1)! entries
  // instead of comparing every candidate position by position.
  const byValue = positionIndex(all, tiles, total);
  const rng = mulberry32(seed);
  // Distance of every candidate to its nearest chosen permutation (tiles + 1 = none chosen yet).
  const nearest = new Uint8Array(total).fill(tiles + 1);
  const matches = new Uint8Array(total);
  const chosen: number[] = [];
  let pick = Math.floor(rng() * total);
  let minDistance = tiles;
  for (let k = 0; k < N; k++) {
    chosen.push(pick);
    if (k > 0) minDistance = Math.min(minDistance, nearest[pick]);
    matches.fill(0);
    for (let i = 0; i < tiles; i++) {
      const list = byValue[i * tiles + all[pick * tiles + i]];
      for (let j = 0; j < list.length; j++) matches[list[j]]++;
    }
    let best = 0;
    let ties = 0;
    for (let c = 0; c < total; c++) {
      const d = tiles - matches[c];
      if (d < nearest[c]) nearest[c] = d;
      const v = nearest[c];
      if (v > best) { best = v; ties = 1; } else if (v === best) ties++;
    }
    if (k === N - 1) break;
    // The r-th candidate (in lexicographic order) among those at the largest distance.
    let r = Math.floor(rng() * ties);
    for (let c = 0; c < total; c++) {
      if (nearest[c] === best && r-- === 0) { pick = c; break; }
    }
  }
  const perms = chosen.map((c) => Array.from(all.subarray(c * tiles, (c + 1) * tiles)));
  const set = { perms, minDistance: N === 1 ? tiles : minDistance };
  cache.set(key, set);
  return { perms: perms.map((p) => p.slice()), minDistance: set.minDistance };
}
