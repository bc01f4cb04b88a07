// Grid geometry by value: the extent with every default, each origin against
// the same seeded draws done by hand (the grid's corner, then each patch's
// jitter, rows using H and columns W), what is left of the generator after a
// draw without jitter, the patches at given origins, and the exact refusals.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import {
  GRID_GEOMETRY_OPTIONS, checkGridFits, gridExtent, gridOrigins, gridPatches, patchesAt,
} from '../../../lib/ssl/pretext/grid-patches';

const ints = (t: Tensor): number[] => (t.flatten().toArray() as number[]).map(Number);
const gen = (seed: number): torch.Generator => new torch.Generator().manualSeed(seed);

describe('ssl/pretext: grid patches by value', () => {
  it('the extent is grid P + (grid - 1) gap + 2 jitter, with grid 3, gap 0, jitter 0 by default', () => {
    assert.equal(gridExtent({ patchSize: 5 }), 15);
    assert.equal(gridExtent({ patchSize: 5, grid: 4, gap: 2, jitter: 3 }), 20 + 6 + 6);
    assert.equal(gridExtent({ patchSize: 7, gap: 1 }), 23);
    assert.equal(gridExtent({ patchSize: 7, jitter: 2 }), 25);
    assert.deepEqual(GRID_GEOMETRY_OPTIONS.keys, ['grid', 'patchSize', 'gap', 'jitter']);
  });

  it('origins: the grid\'s corner drawn over [0, H - need] x [0, W - need], cells P + gap apart, plus jitter and each patch\'s shift', () => {
    const [B, H, W] = [5, 30, 60];
    const geometry = { grid: 2, patchSize: 6, gap: 3, jitter: 2 }; // need 19
    const o = ints(gridOrigins(B, H, W, geometry, gen(11)));
    const r = gen(11);
    const top = ints(torch.randint(0, H - 19 + 1, [B, 1, 1], { generator: r }));
    const left = ints(torch.randint(0, W - 19 + 1, [B, 1, 1], { generator: r }));
    const shift = ints(torch.randint(-2, 3, [B, 4, 2], { generator: r }));
    assert.ok(left.some((v) => v > H - 19), 'a left corner past H - need: columns use W');
    assert.ok(shift.includes(-2) && shift.includes(2), 'shifts reach both ends of [-jitter, jitter]');
    const want: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < 4; k++) {
        const [row, col] = [Math.floor(k / 2), k % 2];
        want.push(top[b] + row * 9 + 2 + shift[(b * 4 + k) * 2], left[b] + col * 9 + 2 + shift[(b * 4 + k) * 2 + 1]);
      }
    }
    assert.deepEqual(o, want);
    const t = gridOrigins(B, H, W, geometry, gen(11));
    assert.deepEqual(t.shape, [B, 4, 2]);
    assert.equal(t.dtype, 'int64');
  });

  it('without jitter: no shift is drawn (the generator goes on after the two corners) and the cells are exact', () => {
    const g = gen(3);
    const first = ints(gridOrigins(2, 20, 20, { patchSize: 4, gap: 1 }, g));
    const second = ints(gridOrigins(2, 20, 20, { patchSize: 4, gap: 1 }, g));
    const r = gen(3);
    const corners = [0, 1].map(() => [ints(torch.randint(0, 7, [2, 1, 1], { generator: r })),
      ints(torch.randint(0, 7, [2, 1, 1], { generator: r }))]);
    const want = corners.map(([top, left]) => [0, 1].flatMap((b) => Array.from({ length: 9 }, (_, k) =>
      [top[b] + Math.floor(k / 3) * 5, left[b] + (k % 3) * 5]).flat()));
    assert.deepEqual([first, second], want);
  });

  it('patchesAt: the P x P pixels below and right of each origin, every channel, (B, n, C, P, P)', () => {
    const [H, W] = [5, 7];
    const img = torch.arange(2 * 2 * H * W).view([2, 2, H, W]).to('float32');
    const origins = torch.tensor([0, 0, 3, 4, 1, 2, 2, 5], { dtype: 'int64' }).view([2, 2, 2]);
    const p = patchesAt(img, origins, 2);
    assert.deepEqual(p.shape, [2, 2, 2, 2, 2]);
    const at = (b: number, c: number, y: number, x: number): number => ((b * 2 + c) * H + y) * W + x;
    const want: number[] = [];
    const o = [[[0, 0], [3, 4]], [[1, 2], [2, 5]]];
    for (let b = 0; b < 2; b++) for (let k = 0; k < 2; k++) for (let c = 0; c < 2; c++) {
      for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) want.push(at(b, c, o[b][k][0] + dy, o[b][k][1] + dx));
    }
    assert.deepEqual(ints(p), want);
    // gridPatches cuts at the origins it returns.
    const { patches, origins: drawn } = gridPatches(img, { patchSize: 2, grid: 2, gap: 1 }, gen(2));
    assert.ok(patches.equal(patchesAt(img, drawn, 2)));
  });

  it('refuses bad images, sizes and geometry, with the exact messages', () => {
    assert.throws(() => gridPatches(torch.zeros([3, 20, 20]), { patchSize: 4 }),
      { message: `Expected images (B, C, H, W) for gridPatches but received ${String(torch.zeros([3, 20, 20]))}` });
    assert.throws(() => gridPatches('x' as unknown as Tensor, { patchSize: 4 }),
      { message: 'Expected images (B, C, H, W) for gridPatches but received x' });
    assert.throws(() => gridPatches(torch.zeros([1, 1, 20, 14]), { patchSize: 5 }),
      { message: 'gridPatches needs images of at least 15 x 15 px for a 3x3 grid of 5 px patches (gap 0, jitter 0) but received 20 x 14' });
    assert.deepEqual(gridPatches(torch.zeros([1, 1, 14, 15]), { patchSize: 4, gap: 1 }).patches.shape, [1, 9, 1, 4, 4], 'exactly the extent fits');
    assert.throws(() => gridPatches(torch.zeros([1, 1, 13, 20]), { patchSize: 4, gap: 1 }),
      { message: 'gridPatches needs images of at least 14 x 14 px for a 3x3 grid of 4 px patches (gap 1, jitter 0) but received 13 x 20' });
    assert.throws(() => checkGridFits(20, { patchSize: 4, grid: 4, gap: 1, jitter: 1 }, 'Jigsaw'), {
      message: 'Jigsaw needs images of at least 21 x 21 px (a 4x4 grid of 4 px patches, gap 1, jitter 1) but the images are ' +
        '20 x 20 px; use larger images (--image-size for folders) or a smaller patchSize/gap/jitter',
    });
    checkGridFits(21, { patchSize: 4, grid: 4, gap: 1, jitter: 1 }, 'Jigsaw');
    assert.throws(() => gridExtent({ grid: 0, patchSize: 3 }), { message: 'Expected positive integer for grid geometry grid but received 0' });
    assert.throws(() => gridExtent({} as { patchSize: number }),
      { message: 'Expected positive integer for grid geometry patchSize but received undefined' });
    assert.throws(() => gridExtent({ patchSize: 3, gap: -1 }), { message: 'Expected non-negative integer for grid geometry gap but received -1' });
    assert.throws(() => gridExtent({ patchSize: 3, jitter: 1.5 }),
      { message: 'Expected non-negative integer for grid geometry jitter but received 1.5' });
    assert.throws(() => gridOrigins(1, 20, 20, { patchSize: 0 }), { message: 'Expected positive integer for grid geometry patchSize but received 0' });
  });
});
