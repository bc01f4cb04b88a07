// A PNG grid of images: one column per batch of images, one row per image,
// for looking at augmented views (`selfsup preview`).
import sharp from 'sharp';
import { Tensor } from '../torch/tensor';
import { full } from '../torch/creation';
import { scope } from '../torch/scope';
import { writeFileAtomicAsync } from '../torch/atomic-file';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';

/** `writeImageGrid`'s options: defaults and checks. */
export const IMAGE_GRID_OPTIONS = defineOptions({
  /** Pixels between cells and around the grid, before scaling. Default 2. */
  padding: option(2, is.int(0)),
  /** Gray level (0..255) of the padding and of the space around smaller images. Default 255 (white). */
  background: option(255, (v: unknown, what: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
      throw new RangeError(`Expected an integer in [0, 255] for ${what} but received ${String(v)}`);
    }
    return v;
  }),
  /** Integer magnification with nearest-neighbour sampling (28 px images are small). Default 1. */
  scale: option(1, is.int(1)),
});

/** Options of `writeImageGrid`. */
export type ImageGridOptions = GivenOptions<typeof IMAGE_GRID_OPTIONS.specs>;

/** The size of the PNG that `writeImageGrid` wrote. */
export interface ImageGridInfo {
  width: number;
  height: number;
  channels: 1 | 3;
}

function checkColumns(columns: readonly Tensor[]): { rows: number; cellH: number; cellW: number; channels: 1 | 3 } {
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new TypeError('Expected a non-empty array of (N, C, H, W) image batches (one per column) for writeImageGrid');
  }
  let cellH = 0;
  let cellW = 0;
  let channels: 1 | 3 = 1;
  const rows = columns[0] instanceof Tensor ? columns[0].shape[0] : -1;
  columns.forEach((c, i) => {
    if (!(c instanceof Tensor) || c.dim() !== 4 || c.shape[0] !== rows || (c.shape[1] !== 1 && c.shape[1] !== 3)) {
      throw new RangeError(`Expected column ${i} of writeImageGrid to be (${rows}, 1 or 3, H, W) images but received ` +
        (c instanceof Tensor ? `shape [${c.shape.join(', ')}]` : String(c)));
    }
    cellH = Math.max(cellH, c.shape[2]);
    cellW = Math.max(cellW, c.shape[3]);
    if (c.shape[1] === 3) channels = 3;
  });
  return { rows, cellH, cellW, channels };
}

/**
 * Writes a PNG grid: column j shows the images of `columns[j]` ((N, C, H, W),
 * floats in [0, 1] or uint8, any device), row i the i-th image of every
 * column. Cells are as large as the largest image; smaller ones (local crops)
 * sit centred. Single-channel columns are repeated to RGB when another column
 * is in colour. The file is replaced atomically (written beside it, then renamed).
 *
 * @example
 * await writeImageGrid('views.png', [originals, view1, view2], { scale: 2 });
 */
export async function writeImageGrid(file: string, columns: readonly Tensor[], options: ImageGridOptions = {}): Promise<ImageGridInfo> {
  const { rows, cellH, cellW, channels } = checkColumns(columns);
  const { padding, background, scale } = IMAGE_GRID_OPTIONS.resolve(options, (k) => k);
  const height = rows * (cellH + padding) + padding;
  const width = columns.length * (cellW + padding) + padding;
  const pixels = scope(() => {
    const canvas = full([height, width, channels], background, { dtype: 'uint8' }); // (H, W, C) as PNG rows
    columns.forEach((column, j) => {
      const x = column.detach().cpu();
      const bytes = (x.dtype === 'uint8' ? x : x.clamp(0, 1).mul(255).round().to('uint8'))
        .expand([rows, channels, x.shape[2], x.shape[3]]).permute([0, 2, 3, 1]); // (N, h, w, C)
      const [h, w] = [x.shape[2], x.shape[3]];
      const left = padding + j * (cellW + padding) + Math.floor((cellW - w) / 2);
      for (let i = 0; i < rows; i++) {
        const top = padding + i * (cellH + padding) + Math.floor((cellH - h) / 2);
        canvas.narrow(0, top, h).narrow(1, left, w).copy_(bytes.select(0, i));
      }
    });
    return canvas.toTypedArray() as Uint8Array;
  });
  let image = sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels } });
  if (scale > 1) image = image.resize({ width: width * scale, height: height * scale, kernel: 'nearest' });
  // sharp writes sRGB unless told otherwise: keep gray images gray (a third of the file).
  if (channels === 1) image = image.toColourspace('b-w');
  await writeFileAtomicAsync(file, await image.png().toBuffer());
  return { width: width * scale, height: height * scale, channels };
}
