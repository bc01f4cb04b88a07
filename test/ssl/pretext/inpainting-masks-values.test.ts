// The context encoder's holes and loss weights by value: every pixel of each
// mask against loops written out here from the same seeded draws (the block
// corners, the region noise bilinearly upsampled by hand), on sizes where
// rows and columns differ, and the exact refusals of the weights' arguments.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import {
  BLOCKS_PER_IMAGE, MASK_KINDS, REGION_NOISE_CELLS, blockHoles, centerHole, drawHoles, reconstructionWeights, regionHoles,
} from '../../../lib/ssl/pretext/inpainting-masks';

const g = (seed: number): torch.Generator => new torch.Generator().manualSeed(seed);
const flat = (t: Tensor): number[] => Array.from(t.flatten().to('float64').toTypedArray() as Float64Array);

/** (B, 1, H, W) as nested numbers [b][y][x]. */
function grid(t: Tensor): number[][][] {
  return (t.toArray() as number[][][][]).map((img) => img[0]);
}

/** Ones where `inside(b, y, x)`, as [b][y][x]. */
function mask(B: number, H: number, W: number, inside: (b: number, y: number, x: number) => boolean): number[][][] {
  return Array.from({ length: B }, (_, b) => Array.from({ length: H }, (_, y) =>
    Array.from({ length: W }, (_, x) => (inside(b, y, x) ? 1 : 0))));
}

/** PyTorch's bilinear source index with alignCorners false: scale (dst + 0.5) - 0.5, not below 0. */
function source(dst: number, inSize: number, outSize: number): [number, number, number] {
  const s = Math.max(0, (inSize / outSize) * (dst + 0.5) - 0.5);
  const i0 = Math.floor(s);
  const i1 = Math.min(i0 + 1, inSize - 1);
  return [i0, i1, s - i0];
}

describe('ssl/pretext: inpainting masks by value', () => {
  it('centerHole: rows [H/4 + overlap, H/4 + H/2 - overlap) by columns likewise, on every image', () => {
    for (const [B, H, W, overlap] of [[2, 10, 12, 1], [1, 16, 9, 0], [3, 13, 20, 2]]) {
      const hole = centerHole(B, H, W, overlap);
      assert.deepEqual(hole.shape, [B, 1, H, W]);
      assert.equal(hole.dtype, 'float32');
      const rows = [Math.floor(H / 4) + overlap, Math.floor(H / 4) + Math.floor(H / 2) - overlap];
      const cols = [Math.floor(W / 4) + overlap, Math.floor(W / 4) + Math.floor(W / 2) - overlap];
      assert.deepEqual(grid(hole), mask(B, H, W, (_, y, x) => y >= rows[0] && y < rows[1] && x >= cols[0] && x < cols[1]),
        `${H} x ${W}, overlap ${overlap}`);
    }
    // 10 x 12, overlap 1: rows 3..5 and columns 4..7 (written out).
    assert.deepEqual(flat(centerHole(1, 10, 12, 1).sum([0, 1, 3])), [0, 0, 0, 4, 4, 4, 0, 0, 0, 0]);
    assert.deepEqual(flat(centerHole(1, 10, 12, 1).sum([0, 1, 2])), [0, 0, 0, 0, 3, 3, 3, 3, 0, 0, 0, 0]);
  });

  it('blockHoles: 4 squares of side min(H, W) / 4 at the drawn corners (tops first, then lefts), their union', () => {
    assert.equal(BLOCKS_PER_IMAGE, 4);
    const [B, H, W] = [3, 12, 20];
    const s = 3; // floor(min(12, 20) / 4)
    const hole = blockHoles(B, H, W, g(7));
    const r = g(7);
    const top = torch.randint(0, H - s + 1, [B, 4, 1, 1], { generator: r }).flatten().toArray() as number[];
    const left = torch.randint(0, W - s + 1, [B, 4, 1, 1], { generator: r }).flatten().toArray() as number[];
    assert.ok(left.some((v) => v > H - s), 'a left corner past H - s: the columns use W');
    const expected = mask(B, H, W, (b, y, x) => [0, 1, 2, 3].some((k) => {
      const t = top[b * 4 + k];
      const l = left[b * 4 + k];
      return y >= t && y < t + s && x >= l && x < l + s;
    }));
    assert.deepEqual(grid(hole), expected);
    assert.deepEqual(hole.shape, [B, 1, H, W]);
    assert.equal(hole.dtype, 'float32');
    // Images smaller than 4 px still get blocks of 1 px.
    const tiny = blockHoles(2, 3, 3, g(1));
    const n = flat(tiny.sum([1, 2, 3]));
    assert.ok(n.every((v) => v >= 1 && v <= 4), `1 px blocks: ${n}`);
  });

  it('regionHoles: exactly round(H W / 4) pixels, the lowest of the bilinearly upsampled 8 x 8 noise', () => {
    assert.equal(REGION_NOISE_CELLS, 8);
    const [B, H, W] = [2, 12, 20];
    const hole = regionHoles(B, H, W, g(3));
    assert.deepEqual(hole.shape, [B, 1, H, W]);
    assert.equal(hole.dtype, 'float32');
    const noise = torch.rand([B, 1, 8, 8], { generator: g(3) }).toArray() as number[][][][];
    const got = grid(hole);
    for (let b = 0; b < B; b++) {
      const smooth: number[] = [];
      for (let y = 0; y < H; y++) {
        const [y0, y1, ly] = source(y, 8, H);
        for (let x = 0; x < W; x++) {
          const [x0, x1, lx] = source(x, 8, W);
          const n = noise[b][0];
          smooth.push((1 - ly) * ((1 - lx) * n[y0][x0] + lx * n[y0][x1]) + ly * ((1 - lx) * n[y1][x0] + lx * n[y1][x1]));
        }
      }
      const removed = got[b].flat();
      assert.equal(removed.filter((v) => v === 1).length, 60, 'round(240 / 4) pixels');
      const highestRemoved = Math.max(...smooth.filter((_, i) => removed[i] === 1));
      const lowestKept = Math.min(...smooth.filter((_, i) => removed[i] === 0));
      assert.ok(highestRemoved <= lowestKept + 1e-6, `image ${b}: removed up to ${highestRemoved}, kept from ${lowestKept}`);
    }
    // round(10 / 4) = 3 and round(18 / 4) = 5 (floor would give 2 and 4); at least 1 pixel.
    assert.deepEqual(flat(regionHoles(2, 2, 5, g(1)).sum([1, 2, 3])), [3, 3]);
    assert.deepEqual(flat(regionHoles(1, 3, 6, g(1)).sum([1, 2, 3])), [5]);
    assert.deepEqual(flat(regionHoles(2, 1, 1, g(1))), [1, 1]);
  });

  it('drawHoles: each kind is its function on the images\' batch and size, from the same generator', () => {
    assert.deepEqual(MASK_KINDS, ['center', 'block', 'region']);
    const images = torch.zeros([3, 2, 12, 20]);
    assert.ok(drawHoles('center', images, 2, g(1)).equal(centerHole(3, 12, 20, 2)));
    assert.ok(!drawHoles('center', images, 2, g(1)).equal(centerHole(3, 12, 20, 1)), 'the overlap reaches centerHole');
    assert.ok(drawHoles('block', images, 2, g(5)).equal(blockHoles(3, 12, 20, g(5))));
    assert.ok(drawHoles('region', images, 2, g(6)).equal(regionHoles(3, 12, 20, g(6))));
    assert.ok(!blockHoles(3, 12, 20, g(5)).equal(regionHoles(3, 12, 20, g(5))), 'the kinds differ on these draws');
  });

  it('reconstructionWeights: 1 in the hole, overlapWeight within overlap px (Chebyshev) outside it, 0 elsewhere', () => {
    const hole = blockHoles(2, 12, 20, g(9));
    const h = grid(hole);
    for (const [overlap, weight] of [[1, 10], [2, 3.5], [0, 7]]) {
      const w = grid(reconstructionWeights(hole, overlap, weight));
      const near = (b: number, y: number, x: number): boolean => {
        for (let dy = -overlap; dy <= overlap; dy++) {
          for (let dx = -overlap; dx <= overlap; dx++) if (h[b][y + dy]?.[x + dx] === 1) return true;
        }
        return false;
      };
      const expected = h.map((img, b) => img.map((row, y) => row.map((v, x) => (v === 1 ? 1 : near(b, y, x) ? weight : 0))));
      assert.deepEqual(w, expected, `overlap ${overlap}, weight ${weight}`);
    }
  });

  it('reconstructionWeights refuses a negative or fractional overlap and a negative weight, by name', () => {
    const hole = centerHole(1, 8, 8, 0);
    assert.throws(() => reconstructionWeights(hole, -1, 10),
      { message: 'Expected non-negative integer for reconstructionWeights overlap but received -1' });
    assert.throws(() => reconstructionWeights(hole, 1.5, 10),
      { message: 'Expected non-negative integer for reconstructionWeights overlap but received 1.5' });
    assert.throws(() => reconstructionWeights(hole, 1, -0.5),
      { message: 'Expected a non-negative number for reconstructionWeights overlapWeight but received -0.5' });
    assert.deepEqual(flat(reconstructionWeights(hole, 1, 0).sum()), [16], 'weight 0 is allowed: the hole alone');
  });
});
