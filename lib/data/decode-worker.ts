// A worker thread that decodes image files with sharp: resize to cover the
// requested size (centre crop), drop alpha, and return RGB uint8 in (C, H, W)
// order. image-folder.ts starts a pool of these; one job is one file.
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';

/** A request from the main thread. */
export interface DecodeJob {
  id: number;
  file: string;
  height: number;
  width: number;
}

/** The answer: the pixels (transferred, not copied) or the reason the file could not be decoded. */
export type DecodeResult =
  | { id: number; ok: true; pixels: Uint8Array }
  | { id: number; ok: false; error: string };

// Each worker is one decoding thread: the pool size is the parallelism.
sharp.concurrency(1);
sharp.cache(false);

/** Interleaved (H, W, channels) bytes to planar RGB (3, H, W); grey is repeated in each plane. */
function toPlanarRgb(data: Uint8Array, channels: number, plane: number): Uint8Array {
  const out = new Uint8Array(3 * plane);
  if (channels === 1) {
    out.set(data.subarray(0, plane), 0);
    out.set(data.subarray(0, plane), plane);
    out.set(data.subarray(0, plane), 2 * plane);
    return out;
  }
  for (let p = 0, q = 0; p < plane; p++, q += channels) {
    out[p] = data[q];
    out[plane + p] = data[q + 1];
    out[2 * plane + p] = data[q + 2];
  }
  return out;
}

async function decode(job: DecodeJob): Promise<Uint8Array> {
  // NOTE: 'cover' with a centre position scales the shorter side to the
  // target and crops the middle, as torchvision's Resize + CenterCrop.
  // failOn 'warning' (sharp's default) rejects truncated files instead of
  // returning half-grey images.
  const { data, info } = await sharp(job.file, { failOn: 'warning' })
    .autoOrient()
    .resize(job.width, job.height, { fit: 'cover', position: 'centre' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.width !== job.width || info.height !== job.height || (info.channels !== 1 && info.channels < 3)) {
    throw new Error(`decoded to ${info.width}x${info.height} with ${info.channels} channels, expected ` +
      `${job.width}x${job.height} RGB`);
  }
  return toPlanarRgb(data, info.channels, job.width * job.height);
}

parentPort?.on('message', (job: DecodeJob) => {
  decode(job).then(
    (pixels) => parentPort!.postMessage({ id: job.id, ok: true, pixels } satisfies DecodeResult, [pixels.buffer as ArrayBuffer]),
    (err: unknown) => parentPort!.postMessage({ id: job.id, ok: false,
      error: err instanceof Error ? err.message : String(err) } satisfies DecodeResult),
  );
});
