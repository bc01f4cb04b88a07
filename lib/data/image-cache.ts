// One binary file holding the decoded images of an image folder, so that
// later runs read it back instead of decoding again.
//
// Layout (little-endian):
//   0   8 bytes  magic 'SSIMGCH\0'
//   8   u32      version (1)
//   12  u32 x 4  N, C, H, W
//   28  u32      1 when labels follow, else 0
//   32  32 bytes key: SHA-256 of the inputs (file list, sizes, mtimes, labels, size, resize mode)
//   64  u32      byte length of the JSON metadata
//   68  JSON     { files, skipped, classes, mean, std }, padded with spaces to a multiple of 8
//   ..  int64 x N labels (when present)
//   ..  uint8 x N*C*H*W images
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as torch from '../torch';
import { Tensor, writeFileAtomic } from '../torch';

const MAGIC = Buffer.from('SSIMGCH\0', 'latin1');
const VERSION = 1;
const HEADER_BYTES = 68;

/** What the cache stores besides the tensors. */
export interface ImageCacheMeta {
  /** Files decoded, relative to the root, in dataset order. */
  files: string[];
  /** Files that could not be decoded, with the reason. */
  skipped: { file: string; reason: string }[];
  classes?: string[];
  mean: number[];
  std: number[];
}

export interface ImageCacheContents {
  meta: ImageCacheMeta;
  /** uint8 (N, C, H, W). */
  images: Tensor;
  /** int64 (N). */
  labels?: Tensor;
}

/** One input file as the key sees it. */
export interface CacheKeyEntry {
  file: string;
  size: number;
  mtimeMs: number;
  label: number;
}

/**
 * The SHA-256 key of a folder's contents and the decoding settings: any added,
 * removed, resized or touched file, or another size, gives another key.
 * @example const key = imageCacheKey(entries, { height: 32, width: 32, mode: 'cover-centre' });
 */
export function imageCacheKey(entries: readonly CacheKeyEntry[], settings: Record<string, unknown>): Buffer {
  const hash = crypto.createHash('sha256');
  hash.update(JSON.stringify({ version: VERSION, settings }));
  for (const e of entries) hash.update(`\n${JSON.stringify([e.file, e.size, e.mtimeMs, e.label])}`);
  return hash.digest();
}

/**
 * Reads a cache file whose key matches `key`. Returns null when the file does
 * not exist or was made from other inputs; throws an Error naming the file
 * when it exists but is damaged.
 * @example const hit = readImageCache('/data/pets/.selfsup-cache-64x64.bin', key);
 */
export function readImageCache(file: string, key: Buffer): ImageCacheContents | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const header = Buffer.alloc(HEADER_BYTES);
    if (fs.readSync(fd, header, 0, HEADER_BYTES, 0) !== HEADER_BYTES || !header.subarray(0, 8).equals(MAGIC)) {
      throw new Error(`Image cache ${file} is damaged: no selfsup cache header`);
    }
    const version = header.readUInt32LE(8);
    if (version !== VERSION) return null;
    if (!header.subarray(32, 64).equals(key)) return null;
    const [n, c, h, w, hasLabels] = [12, 16, 20, 24, 28].map((o) => header.readUInt32LE(o));
    const metaBytes = header.readUInt32LE(64);
    const labelBytes = hasLabels ? 8 * n : 0;
    const imageBytes = n * c * h * w;
    const expected = HEADER_BYTES + metaBytes + labelBytes + imageBytes;
    if (size !== expected) {
      throw new Error(`Image cache ${file} is damaged: ${size} bytes where its header announces ${expected}`);
    }
    const metaBuf = Buffer.alloc(metaBytes);
    fs.readSync(fd, metaBuf, 0, metaBytes, HEADER_BYTES);
    const meta = JSON.parse(metaBuf.toString('utf8')) as ImageCacheMeta;
    let position = HEADER_BYTES + metaBytes;
    let labels: Tensor | undefined;
    if (hasLabels) {
      const l = new BigInt64Array(n);
      readFully(fd, new Uint8Array(l.buffer), position);
      labels = torch.tensor(l);
      position += labelBytes;
    }
    // Straight into the tensor's memory: no second copy of the images.
    const images = torch.empty([n, c, h, w], { dtype: 'uint8' });
    readFully(fd, images.asTypedArray() as Uint8Array, position);
    return { meta, images, labels };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads target.length bytes from `position`, in pieces (one read is capped near 2 GiB). */
function readFully(fd: number, target: Uint8Array, position: number): void {
  for (let done = 0; done < target.length;) {
    const got = fs.readSync(fd, target, done, Math.min(target.length - done, 1 << 30), position + done);
    if (got === 0) throw new Error('unexpected end of file');
    done += got;
  }
}

/**
 * Writes a cache file atomically (`writeFileAtomic`), so a reader never sees half a cache.
 * @example writeImageCache(cacheFile, key, { meta, images, labels });
 */
export function writeImageCache(file: string, key: Buffer, contents: ImageCacheContents): void {
  const { meta, images, labels } = contents;
  const [n, c, h, w] = images.shape;
  let json = Buffer.from(JSON.stringify(meta), 'utf8');
  json = Buffer.concat([json, Buffer.alloc((8 - ((HEADER_BYTES + json.length) % 8)) % 8, 0x20)]);
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(VERSION, 8);
  [n, c, h, w, labels ? 1 : 0].forEach((v, i) => header.writeUInt32LE(v, 12 + 4 * i));
  key.copy(header, 32);
  header.writeUInt32LE(json.length, 64);
  // The array keeps the memory alive after the scope frees the handle.
  const pixels = torch.scope(() => images.contiguous().asTypedArray() as Uint8Array);
  const chunks: Uint8Array[] = [header, json];
  if (labels) chunks.push(new Uint8Array((labels.toTypedArray() as BigInt64Array).buffer));
  chunks.push(pixels);
  writeFileAtomic(file, chunks);
}
