// The regions a context encoder fills in (Pathak et al. 2016, section 3.3
// "Region masks"): a central square, random blocks, random arbitrary regions;
// and the per-pixel weights of its reconstruction loss ("we predict a slightly
// larger patch that overlaps with the context region ... 10x higher weight for
// the reconstruction loss in this overlapping region", section 5.1). Each
// function draws the masks of a whole batch with batched tensor operations:
// no per-image loop.
//
// NOTE: masks are floats, 1 is removed (the hole) and 0 is kept (context).
import * as torch from '../../torch';
import { Generator, Tensor } from '../../torch';
import { interpolate } from '../../nn/functional/sampling';
import { maxPool2d } from '../../nn/functional/pooling';
import { checkInt, checkNumber } from '../../torch/arguments';

/** Which region is removed: 'center' (the paper's main one), 'block' or 'region' (section 3.3). */
export type MaskKind = 'center' | 'block' | 'region';

/** The mask kinds, for option checks and help strings. */
export const MASK_KINDS: readonly MaskKind[] = ['center', 'block', 'region'];

/** Random blocks: this many squares per image, each of side size / 4, so they cover at most 1/4 of the image. */
export const BLOCKS_PER_IMAGE = 4;

/** Random regions: the smooth noise field has this many cells per side before it is upsampled and thresholded. */
export const REGION_NOISE_CELLS = 8;

/**
 * The central hole of (B, 1, H, W) images: the centre square of side H/2
 * (rows and columns [H/4, H/4 + H/2)) shrunk by `overlap` pixels on every
 * side, so that the predicted square, the hole grown by `overlap`, is
 * exactly the centre half (the authors' train.lua: 64 px of 128 predicted,
 * overlapPred 4).
 *
 * @example const hole = centerHole(8, 32, 32, 1); // (8, 1, 32, 32), a 14 x 14 square of ones
 */
export function centerHole(B: number, H: number, W: number, overlap: number, device: torch.Device = 'cpu'): Tensor {
  return torch.scope(() => {
    const inside = (n: number): Tensor => {
      const lo = Math.floor(n / 4) + overlap;
      const hi = Math.floor(n / 4) + Math.floor(n / 2) - overlap;
      const r = torch.arange(n, { device });
      return r.ge(lo).logicalAnd(r.lt(hi)).to('float32');
    };
    return inside(H).view([1, 1, H, 1]).mul(inside(W).view([1, 1, 1, W])).expand([B, 1, H, W]).contiguous();
  });
}

/**
 * Random blocks ("a number of smaller possibly overlapping masks, covering up
 * to 1/4 of the image"): `BLOCKS_PER_IMAGE` squares of side floor(H / 4) at
 * uniform random places, their union is the hole.
 *
 * @example const hole = blockHoles(8, 32, 32, new torch.Generator().manualSeed(0));
 */
export function blockHoles(B: number, H: number, W: number, generator?: Generator, device: torch.Device = 'cpu'): Tensor {
  const s = Math.max(1, Math.floor(Math.min(H, W) / 4));
  const n = BLOCKS_PER_IMAGE;
  return torch.scope(() => {
    const top = torch.randint(0, H - s + 1, [B, n, 1, 1], { generator }).to({ device }); // (B, n, 1, 1)
    const left = torch.randint(0, W - s + 1, [B, n, 1, 1], { generator }).to({ device });
    const rows = torch.arange(H, { device }).view([1, 1, H, 1]);
    const cols = torch.arange(W, { device }).view([1, 1, 1, W]);
    const inRows = rows.ge(top).logicalAnd(rows.lt(top.add(s))); // (B, n, H, 1)
    const inCols = cols.ge(left).logicalAnd(cols.lt(left.add(s))); // (B, n, 1, W)
    return inRows.logicalAnd(inCols).any(1, true).to('float32'); // (B, 1, H, W)
  });
}

/**
 * Random regions of arbitrary shape. The paper pastes deformed PASCAL VOC
 * object masks; the authors' train_random.lua instead thresholds a bicubically
 * upsampled uniform noise field (at 25% density) and keeps crops covering 20-30%
 * of the image. Here, with no dataset of shapes: uniform noise on a
 * `REGION_NOISE_CELLS`-cell grid per image, bilinearly upsampled to H x W,
 * with the lowest quarter of each image's pixels removed, so every hole covers
 * exactly 1/4 of its image (no rejection loop).
 *
 * @example const hole = regionHoles(8, 32, 32, new torch.Generator().manualSeed(0));
 */
export function regionHoles(B: number, H: number, W: number, generator?: Generator, device: torch.Device = 'cpu'): Tensor {
  const cells = REGION_NOISE_CELLS;
  return torch.scope(() => {
    const noise = torch.rand([B, 1, cells, cells], { generator }).to({ device });
    const smooth = interpolate(noise, { size: [H, W], mode: 'bilinear', alignCorners: false }).view([B, H * W]);
    const k = Math.max(1, Math.round((H * W) / 4));
    // The k lowest pixels by rank, not by a threshold: bilinear upsampling makes ties.
    const lowest = smooth.topk(k, 1, false).indices; // (B, k)
    return torch.zeros([B, H * W], { device }).scatter(1, lowest, 1).view([B, 1, H, W]);
  });
}

/**
 * Draws the holes of `kind` for a batch of (B, C, H, W) images; `overlap`
 * only shrinks the central square (see `centerHole`).
 *
 * @example const hole = drawHoles('region', x, 1, generator); // (B, 1, H, W)
 */
export function drawHoles(kind: MaskKind, images: Tensor, overlap: number, generator?: Generator): Tensor {
  const [B, , H, W] = images.shape;
  if (kind === 'center') return centerHole(B, H, W, overlap, images.device);
  if (kind === 'block') return blockHoles(B, H, W, generator, images.device);
  return regionHoles(B, H, W, generator, images.device);
}

/**
 * The weights of the reconstruction loss for (B, 1, H, W) `hole` masks: 1
 * inside the hole, `overlapWeight` on the band of `overlap` pixels around it
 * (the hole grown by a (2 overlap + 1)-square max filter), 0 elsewhere.
 *
 * @example const w = reconstructionWeights(hole, 1, 10); // 1 in the hole, 10 on its 1 px border
 */
export function reconstructionWeights(hole: Tensor, overlap: number, overlapWeight: number): Tensor {
  checkInt(overlap, 'reconstructionWeights overlap', 0);
  checkNumber(overlapWeight, 'reconstructionWeights overlapWeight', 0);
  return torch.scope(() => {
    const grown = overlap === 0 ? hole : maxPool2d(hole, 2 * overlap + 1, { stride: 1, padding: overlap });
    return grown.sub(hole).mul(overlapWeight).add(hole); // band * overlapWeight + hole * 1
  });
}
