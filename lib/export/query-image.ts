// An image file as a query for the vector index: decoded to the size and
// channels of the embedded data, with the same resize as image folders
// (lib/data/decode-worker.ts: cover, centre crop), so that it goes through the
// encoder exactly as the dataset's images did.
import * as fs from 'fs';
import sharp from 'sharp';
import { Tensor } from '../torch';
import { tensor } from '../torch/creation';

/**
 * Decodes `file` (JPEG, PNG, WebP...) to uint8 (1, C, H, W): scaled to cover
 * H x W and centre-cropped, alpha removed, then gray (C = 1, luminance) or
 * sRGB planes (C = 3).
 *
 * @example const x = await decodeQueryImage('shoe.png', [1, 28, 28]); // (1, 1, 28, 28) uint8
 */
export async function decodeQueryImage(file: string, chw: readonly number[]): Promise<Tensor> {
  const [c, h, w] = chw;
  if (c !== 1 && c !== 3) throw new RangeError(`Expected data with 1 or 3 channels for an image query but it has ${c}`);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new Error(`No image file '${file}' to query with`);
  let decoded: { data: Buffer; info: { channels: number } };
  try {
    const img = sharp(file, { failOn: 'warning' }).autoOrient()
      .resize(w, h, { fit: 'cover', position: 'centre' }).removeAlpha();
    decoded = await (c === 1 ? img.greyscale() : img.toColourspace('srgb')).raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new Error(`Cannot decode the query image '${file}': ${(err as Error).message}`);
  }
  const { data, info } = decoded;
  const channels = info.channels;
  // NOTE: sharp may keep 3 channels after greyscale() on some inputs; all of them are equal then.
  const planes = new Uint8Array(c * h * w);
  for (let p = 0; p < h * w; p++) for (let k = 0; k < c; k++) planes[k * h * w + p] = data[p * channels + Math.min(k, channels - 1)];
  return tensor(planes, { shape: [1, c, h, w] });
}
