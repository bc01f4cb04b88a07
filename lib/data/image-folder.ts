// A folder of JPEG, PNG or WebP files as an ImageDataset: decoded in worker
// threads, resized to one stored size, and cached as one binary file.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as torch from '../torch';
import { Tensor } from '../torch';
import { defineOptions, GivenOptions, is, option, OPTIONAL } from '../torch/option-table';
import { channelStats, ImageDataset, makeDataset } from './dataset';
import type { DecodeJob, DecodeResult } from './decode-worker';
import { CacheKeyEntry, imageCacheKey, ImageCacheMeta, readImageCache, writeImageCache } from './image-cache';

const EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

/** `imageFolder`'s options besides the root and the size: defaults and checks. */
export const IMAGE_FOLDER_OPTIONS = defineOptions({
  /**
   * true: one subfolder per class, named by it (as torchvision's ImageFolder);
   * false: all images below root, no labels. Default: labelled when root holds
   * subfolders and no images of its own.
   */
  labelled: option(OPTIONAL, is.boolean),
  /** Decoding threads (default min(4, CPU cores)). */
  workers: option(OPTIONAL, is.int(1)),
  /**
   * Cache the decoded images: true (default) in root; a folder path to keep the
   * cache there instead (created if needed; the file name includes the root's name and a hash of its path); false for none.
   */
  cache: option<boolean | string>(true, (v, what) => {
    if (typeof v !== 'boolean' && (typeof v !== 'string' || v === '')) {
      throw new TypeError(`Expected true, false or a folder path for ${what} but received ${JSON.stringify(v)}`);
    }
    return v;
  }),
  /** The dataset's name (default: the folder's name). */
  name: option<string>(OPTIONAL, (v, what) => {
    if (typeof v !== 'string') throw new TypeError(`Expected a string for ${what} but received ${JSON.stringify(v)}`);
    return v;
  }),
});

export interface ImageFolderOptions extends GivenOptions<typeof IMAGE_FOLDER_OPTIONS.specs> {
  /** The folder: one subfolder per class (labelled), or images anywhere below it (unlabelled). */
  root: string;
  /** Stored size of every image: a number for square images, or [height, width]. */
  size: number | readonly [number, number];
  /** Receives warnings (skipped files, an unwritable cache); default `process.emitWarning`. */
  onWarning?: (message: string) => void;
}

/** A file to decode and its label (-1 when unlabelled). */
interface Entry extends CacheKeyEntry {
  /** Absolute path. */
  path: string;
}

function isImage(name: string): boolean {
  return EXTENSIONS.has(path.extname(name).toLowerCase());
}

/** Image files below `dir`, recursively, skipping hidden entries, sorted by path. */
function walk(dir: string): string[] {
  const found: string[] = [];
  for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
    if (d.name.startsWith('.')) continue;
    const full = path.join(dir, d.name);
    if (d.isDirectory()) found.push(...walk(full));
    else if (d.isFile() && isImage(d.name)) found.push(full);
  }
  return found.sort();
}

/** The files of the folder in dataset order, with labels and class names. */
function listFolder(root: string, labelled: boolean | undefined): { entries: Entry[]; classes?: string[] } {
  let dirents: fs.Dirent[];
  try {
    if (!fs.statSync(root).isDirectory()) throw new Error('not a folder');
    dirents = fs.readdirSync(root, { withFileTypes: true });
  } catch (err) {
    throw new Error(`imageFolder: cannot read folder ${root}: ${(err as Error).message}`);
  }
  const visible = dirents.filter((d) => !d.name.startsWith('.'));
  const subfolders = visible.filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const ownImages = visible.some((d) => d.isFile() && isImage(d.name));
  const byClass = labelled ?? (subfolders.length > 0 && !ownImages);
  const stat = (file: string, label: number): Entry => {
    const s = fs.statSync(file);
    return { path: file, file: path.relative(root, file), size: s.size, mtimeMs: s.mtimeMs, label };
  };
  if (!byClass) return { entries: walk(root).map((f) => stat(f, -1)) };
  if (subfolders.length === 0) {
    throw new Error(`imageFolder: labelled is true but ${root} has no class subfolders; put each class's images ` +
      'in a subfolder named after the class, or pass labelled: false');
  }
  const entries = subfolders.flatMap((name, label) => walk(path.join(root, name)).map((f) => stat(f, label)));
  return { entries, classes: subfolders };
}

function hashOf(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

/** Checks `size` and returns [height, width]. */
function checkSize(size: ImageFolderOptions['size']): [number, number] {
  const hw = typeof size === 'number' ? [size, size] : Array.isArray(size) && size.length === 2 ? size : null;
  if (hw === null || !hw.every((v) => Number.isInteger(v) && v > 0)) {
    throw new TypeError(`Expected a positive integer or [height, width] for imageFolder options.size but received ${JSON.stringify(size)}`);
  }
  return [hw[0], hw[1]];
}

/**
 * Decodes `entries` in a pool of worker threads into `out` (uint8 (N, 3, H, W));
 * returns the positions of files that failed, with sharp's reason.
 * @example const failed = await decodeAll([{ path: '/data/a.png' }], 32, 32, 2, images.asTypedArray() as Uint8Array);
 */
export async function decodeAll(entries: readonly { path: string }[], height: number, width: number, workers: number, out: Uint8Array):
  Promise<Map<number, string>> {
  const failed = new Map<number, string>();
  const chw = 3 * height * width;
  let next = 0;
  const script = path.join(__dirname, 'decode-worker.js');
  const pool: Worker[] = [];
  const runWorker = () => new Promise<void>((resolve, reject) => {
    const worker = new Worker(script);
    pool.push(worker);
    let inFlight = 0;
    const send = () => {
      // Two jobs per worker, so it never waits for the main thread between files.
      while (inFlight < 2 && next < entries.length) {
        const job: DecodeJob = { id: next, file: entries[next].path, height, width };
        next++;
        inFlight++;
        worker.postMessage(job);
      }
      if (inFlight === 0) worker.terminate().then(() => resolve(), reject);
    };
    worker.on('message', (result: DecodeResult) => {
      inFlight--;
      if (result.ok) out.set(result.pixels, result.id * chw);
      else failed.set(result.id, result.error);
      send();
    });
    worker.on('error', (err) => reject(new Error(`imageFolder: a decoding worker failed: ${err.message}`)));
    send();
  });
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, entries.length)) }, runWorker));
  } catch (err) {
    await Promise.all(pool.map((w) => w.terminate()));
    throw err;
  }
  return failed;
}

/**
 * Loads a folder of images (JPEG, PNG, WebP) as an ImageDataset: each file is
 * decoded in a worker thread with sharp, scaled to cover `size` and
 * centre-cropped (torchvision's Resize + CenterCrop), alpha dropped, grey
 * expanded to RGB, and stored as uint8 (N, 3, H, W). Files that cannot be
 * decoded are skipped with a warning naming them. The result is cached in one
 * file (`.selfsup-cache-<H>x<W>.bin`) that later calls read instead of
 * decoding, as long as no file was added, removed or changed. With
 * `cache: '<folder>'` the file goes there instead, named after the root.
 *
 * @example
 * const pets = await data.imageFolder({ root: './pets', size: 64 });       // pets/cat/*.jpg, pets/dog/*.jpg
 * const raw = await data.imageFolder({ root: './photos', size: [96, 128], labelled: false, workers: 8 });
 */
export async function imageFolder(options: ImageFolderOptions): Promise<ImageDataset> {
  if (typeof options?.root !== 'string' || options.root === '') {
    throw new TypeError(`Expected a folder path for imageFolder options.root but received ${JSON.stringify(options?.root)}`);
  }
  const root = path.resolve(options.root);
  const [height, width] = checkSize(options.size);
  const o = IMAGE_FOLDER_OPTIONS.resolve(options, (k) => `imageFolder options.${k}`);
  const workers = o.workers ?? Math.min(4, os.availableParallelism());
  const warn = options.onWarning ?? ((m: string) => process.emitWarning(m, 'SelfsupDataWarning'));
  const name = o.name ?? path.basename(root);
  const { entries, classes } = listFolder(root, o.labelled);
  if (entries.length === 0) {
    throw new Error(`imageFolder: found no JPEG, PNG or WebP images in ${root}` +
      (classes ? ` (searched its class subfolders ${classes.join(', ')})` : ''));
  }
  const labelled = classes !== undefined;
  const cache = o.cache;
  const stem = `${height}x${width}${labelled ? '' : '-unlabelled'}.bin`;
  // A shared cache folder serves many roots: their files are told apart by a hash of the root's path.
  const cacheFile = cache === false ? null
    : typeof cache === 'string'
      ? path.join(cache, `.selfsup-cache-${path.basename(root)}-${hashOf(root).slice(0, 12)}-${stem}`)
      : path.join(root, `.selfsup-cache-${stem}`);
  const key = imageCacheKey(entries, { height, width, labelled, mode: 'cover-centre', channels: 3 });

  if (cacheFile !== null) {
    let hit = null;
    try {
      hit = readImageCache(cacheFile, key);
    } catch (err) {
      warn(`imageFolder: ignoring the cache: ${(err as Error).message}`);
    }
    if (hit !== null) {
      for (const s of hit.meta.skipped) warn(`imageFolder: skipped unreadable image ${path.join(root, s.file)}: ${s.reason}`);
      return makeDataset({ name, images: hit.images, labels: hit.labels, classes: hit.meta.classes,
        mean: hit.meta.mean, std: hit.meta.std, files: hit.meta.files });
    }
  }

  let images = torch.empty([entries.length, 3, height, width], { dtype: 'uint8' });
  let failed: Map<number, string>;
  try {
    failed = await decodeAll(entries, height, width, workers, images.asTypedArray() as Uint8Array);
  } catch (err) {
    images.dispose();
    throw err;
  }
  const skipped = [...failed.entries()].map(([i, reason]) => ({ file: entries[i].file, reason }));
  for (const s of skipped) warn(`imageFolder: skipped unreadable image ${path.join(root, s.file)}: ${s.reason}`);
  const kept = entries.map((_, i) => i).filter((i) => !failed.has(i));
  if (kept.length === 0) {
    images.dispose();
    throw new Error(`imageFolder: none of the ${entries.length} images in ${root} could be decoded; the first, ` +
      `${entries[0].path}, failed with: ${failed.get(0)}`);
  }
  if (kept.length < entries.length) {
    const all = images;
    images = torch.scope(() => all.indexSelect(0, torch.tensor(kept, { dtype: 'int64' })));
    all.dispose();
  }
  const labels: Tensor | undefined = labelled
    ? torch.tensor(BigInt64Array.from(kept, (i) => BigInt(entries[i].label)))
    : undefined;
  const { mean, std } = channelStats(images);
  if (cacheFile !== null) {
    const meta: ImageCacheMeta = { files: kept.map((i) => entries[i].file), skipped, classes, mean, std };
    try {
      fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
      writeImageCache(cacheFile, key, { meta, images, labels });
    } catch (err) {
      warn(`imageFolder: could not write the cache ${cacheFile} (${(err as Error).message}); the images will be ` +
        'decoded again next time. Pass cache: <a writable folder> to keep it elsewhere');
    }
  }
  return makeDataset({ name, images, labels, classes, mean, std, files: kept.map((i) => entries[i].file) });
}
