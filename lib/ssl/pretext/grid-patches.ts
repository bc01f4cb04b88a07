// Patches from a grid laid over each image, with gaps between them and random
// jitter, as relative patch position (Doersch et al. 2015, section 3: "a gap
// of half the patch size ... randomly jitter each patch location by up to 7
// pixels") and the jigsaw puzzle (Noroozi & Favaro 2016, section 3.1: tiles
// cropped at random inside the cells of a 3x3 grid) take them. One batched
// gather per call, on the images' device: no per-image loop.
import * as torch from '../../torch';
import { Generator, Tensor } from '../../torch';
import { defineOptions, GivenOptions, is, option, OptionValues, REQUIRED } from '../../torch/option-table';

/** A grid's geometry: defaults and checks, in the order they are checked. */
export const GRID_GEOMETRY_OPTIONS = defineOptions({
  /** Patches per side. Default 3. */
  grid: option(3, is.int(1)),
  /** Side of each (square) patch in pixels. */
  patchSize: option(REQUIRED, is.int(1)),
  /** Pixels between neighbouring patches before jitter. Default 0. */
  gap: option(0, is.int(0)),
  /** Each patch moves by an integer in [-jitter, jitter] along each axis. Default 0. */
  jitter: option(0, is.int(0)),
});

/** The geometry of a grid of patches. */
export interface GridGeometry extends GivenOptions<typeof GRID_GEOMETRY_OPTIONS.specs> {
  patchSize: number;
}

/** The checked geometry with its defaults. */
function resolveGeometry(g: GridGeometry): OptionValues<typeof GRID_GEOMETRY_OPTIONS.specs> {
  return GRID_GEOMETRY_OPTIONS.resolve(g, (k) => `grid geometry ${k}`);
}

/** grid * P + (grid - 1) * gap + 2 * jitter of a resolved geometry. */
function extent({ grid, patchSize, gap, jitter }: OptionValues<typeof GRID_GEOMETRY_OPTIONS.specs>): number {
  return grid * patchSize + (grid - 1) * gap + 2 * jitter;
}

/** What `gridPatches` returns. */
export interface GridPatches {
  /** (B, grid * grid, C, P, P): patches in row-major grid order (index r * grid + c). */
  patches: Tensor;
  /** int64 (B, grid * grid, 2): each patch's top-left [y, x] in its image. */
  origins: Tensor;
}

/**
 * The side in pixels that a grid needs: grid * P + (grid - 1) * gap + 2 * jitter.
 * @example gridExtent({ patchSize: 16, gap: 8, jitter: 2 }); // 68
 */
export function gridExtent(g: GridGeometry): number {
  return extent(resolveGeometry(g));
}

/**
 * Throws unless images of `size` x `size` px hold the grid, naming the
 * dataset, its size and what is needed.
 * @example checkGridFits(spec.size, geometry, 'Jigsaw', spec.dataset);
 */
export function checkGridFits(size: number, g: GridGeometry, method: string, dataset?: string): void {
  const r = resolveGeometry(g);
  const need = extent(r);
  if (size < need) {
    throw new RangeError(`${method} needs images of at least ${need} x ${need} px (a ${r.grid}x${r.grid} grid of ` +
      `${r.patchSize} px patches, gap ${r.gap}, jitter ${r.jitter}) but ` +
      `${dataset === undefined ? 'the images are' : `dataset '${dataset}' has images of`} ${size} x ${size} px; ` +
      'use larger images (--image-size for folders) or a smaller patchSize/gap/jitter');
  }
}

/**
 * Cuts a grid of patches out of every image of (B, C, H, W): the grid sits at
 * a random place (uniform over the positions where it fits), and each patch
 * then moves by its own random jitter. Randomness comes from `generator`
 * (CPU; the offsets are then moved to the images' device).
 *
 * @example
 * const { patches } = gridPatches(x, { patchSize: 16, gap: 8, jitter: 2 }, g); // (B, 9, C, 16, 16)
 */
export function gridPatches(images: Tensor, geometry: GridGeometry, generator?: Generator): GridPatches {
  if (!(images instanceof torch.Tensor) || images.dim() !== 4) {
    throw new RangeError(`Expected images (B, C, H, W) for gridPatches but received ${String(images)}`);
  }
  const [B, C, H, W] = images.shape;
  const r = resolveGeometry(geometry);
  const { grid, patchSize: P, gap, jitter } = r;
  const need = extent(r);
  if (H < need || W < need) {
    throw new RangeError(`gridPatches needs images of at least ${need} x ${need} px for a ${grid}x${grid} grid of ` +
      `${P} px patches (gap ${gap}, jitter ${jitter}) but received ${H} x ${W}`);
  }
  const origins = gridOrigins(B, H, W, geometry, generator).to({ device: images.device });
  return { patches: patchesAt(images, origins, P), origins };
}

/**
 * Random grid positions (B, grid * grid, 2) [y, x] for images of H x W, as
 * `gridPatches` draws them, on the CPU (from `generator`).
 * @example const origins = gridOrigins(8, 64, 64, { patchSize: 18, gap: 3, jitter: 1 }, g);
 */
export function gridOrigins(B: number, H: number, W: number, geometry: GridGeometry, generator?: Generator): Tensor {
  const r = resolveGeometry(geometry);
  const { grid, jitter } = r;
  const need = extent(r);
  const n = grid * grid;
  return torch.scope(() => {
    // Top-left of the grid (B, 1, 2): uniform over [0, H - need] x [0, W - need].
    const top = torch.randint(0, H - need + 1, [B, 1, 1], { generator });
    const left = torch.randint(0, W - need + 1, [B, 1, 1], { generator });
    const cell = torch.arange(n).view([1, n, 1]); // row-major cell index
    const rowCol = torch.cat([cell.div(grid, { roundingMode: 'floor' }), cell.remainder(grid)], 2); // (1, n, 2)
    const shift = jitter === 0 ? torch.zeros([B, n, 2], { dtype: 'int64' })
      : torch.randint(-jitter, jitter + 1, [B, n, 2], { generator });
    return rowCol.mul(r.patchSize + r.gap).add(jitter).add(torch.cat([top, left], 2)).add(shift);
  });
}

/**
 * The P x P patches of (B, C, H, W) images at `origins` (B, n, 2) [y, x] on
 * the images' device: (B, n, C, P, P), one gather.
 * @example const tiles = patchesAt(x, origins, 18); // (B, 9, C, 18, 18)
 */
export function patchesAt(images: Tensor, origins: Tensor, P: number): Tensor {
  const [B, C, H, W] = images.shape;
  const n = origins.shape[1];
  return torch.scope(() => {
    const r = torch.arange(P, { device: images.device });
    const ys = origins.narrow(2, 0, 1).add(r.view([1, 1, P])); // (B, n, P)
    const xs = origins.narrow(2, 1, 1).add(r.view([1, 1, P])); // (B, n, P)
    const flat = ys.unsqueeze(3).mul(W).add(xs.unsqueeze(2)).view([B, 1, n * P * P]); // (B, 1, n P P)
    const picked = images.reshape([B, C, H * W]).gather(2, flat.expand([B, C, n * P * P])); // (B, C, n P P)
    return picked.view([B, C, n, P, P]).transpose(1, 2).contiguous(); // (B, n, C, P, P)
  });
}
