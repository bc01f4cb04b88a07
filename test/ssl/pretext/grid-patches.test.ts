// Patch and tile geometry: positions inside the image, the gaps and jitter
// between neighbours, the pixels themselves, and the size checks.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { checkGridFits, gridExtent, gridPatches } from '../../../lib/ssl/pretext/grid-patches';

describe('ssl/pretext: grid patches with gaps and jitter', () => {
  const B = 16;
  const H = 40;
  const W = 44;
  // Pixel value = y * W + x in channel 0, so a patch says where it came from.
  const coords = torch.arange(H * W).view([1, 1, H, W]).to('float32').expand([B, 1, H, W]);
  const images = torch.cat([coords, coords.mul(-1)], 1).contiguous(); // (B, 2, H, W)

  it('computes the extent a grid needs', () => {
    assert.equal(gridExtent({ patchSize: 8, gap: 4, jitter: 2 }), 3 * 8 + 2 * 4 + 4);
    assert.equal(gridExtent({ grid: 2, patchSize: 5 }), 10);
  });

  it('cuts patches at their reported origins, inside the image, with gaps within [gap - 2 jitter, gap + 2 jitter]', () => {
    const g = { patchSize: 8, gap: 4, jitter: 2 };
    const { patches, origins } = gridPatches(images, g, new torch.Generator().manualSeed(0));
    assert.deepEqual(patches.shape, [B, 9, 2, 8, 8]);
    assert.deepEqual(origins.shape, [B, 9, 2]);
    const o = origins.toArray() as number[][][];
    const p = patches.select(2, 0).toArray() as number[][][][];
    for (let b = 0; b < B; b++) {
      for (let k = 0; k < 9; k++) {
        const [y, x] = o[b][k];
        assert.ok(y >= 0 && x >= 0 && y + 8 <= H && x + 8 <= W, `patch ${b}/${k} at ${y},${x} is inside`);
        assert.equal(p[b][k][0][0], y * W + x, 'top-left pixel');
        assert.equal(p[b][k][7][7], (y + 7) * W + x + 7, 'bottom-right pixel');
        if (k % 3 < 2) {
          const gapX = o[b][k + 1][1] - (x + 8);
          assert.ok(gapX >= 0 && gapX <= 8, `horizontal gap ${gapX}`);
        }
        if (k < 6) {
          const gapY = o[b][k + 3][0] - (y + 8);
          assert.ok(gapY >= 0 && gapY <= 8, `vertical gap ${gapY}`);
        }
      }
    }
    // The second channel travels with the first.
    assert.ok(patches.select(2, 1).equal(patches.select(2, 0).mul(-1)));
    // Jitter really varies the gaps across the batch.
    const gaps = new Set(o.map((r) => r[1][1] - r[0][1]));
    assert.ok(gaps.size > 1, 'jitter changes the spacing');
  });

  it('without jitter keeps the spacing exactly P + gap; the same generator seed gives the same patches', () => {
    const g = { patchSize: 6, gap: 3 };
    const a = gridPatches(images, g, new torch.Generator().manualSeed(4));
    const o = a.origins.toArray() as number[][][];
    for (const r of o) for (let k = 0; k < 9; k++) {
      assert.equal(r[k][0] - r[0][0], Math.floor(k / 3) * 9);
      assert.equal(r[k][1] - r[0][1], (k % 3) * 9);
    }
    const b = gridPatches(images, g, new torch.Generator().manualSeed(4));
    assert.ok(a.patches.equal(b.patches));
  });

  it('fills the image exactly when the grid is as large as the image (bounds at the edge)', () => {
    const g = { patchSize: 12, gap: 1, jitter: 1 }; // extent 40 = H
    const { origins } = gridPatches(images.narrow(3, 0, 40), g, new torch.Generator().manualSeed(1));
    const o = origins.toArray() as number[][][];
    assert.ok(o.every((r) => r.every(([y, x]) => y >= 0 && x >= 0 && y + 12 <= 40 && x + 12 <= 40)));
  });

  it('refuses images smaller than the grid, naming the dataset, the size and the need', () => {
    assert.throws(() => gridPatches(images, { patchSize: 14, gap: 2 }), /at least 46 x 46 px .* but received 40 x 44/);
    assert.throws(() => checkGridFits(28, { patchSize: 12, gap: 4, jitter: 1 }, 'Jigsaw', 'fashion-mnist/train'),
      /Jigsaw needs images of at least 46 x 46 px \(a 3x3 grid of 12 px patches, gap 4, jitter 1\) but dataset 'fashion-mnist\/train' has images of 28 x 28 px/);
  });
});
