// A seeded host-side random source for JS work that must not touch libtorch's
// generators (jigsaw permutation sets, sentence pairs, n-gram spans, UMAP's
// initialisation): mulberry32, small, fast and the same on every machine.

/**
 * A uniform generator in [0, 1) seeded with the 32-bit `seed`.
 *
 * @example const rand = mulberry32(0); rand(); // 0.26642920868471265
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
