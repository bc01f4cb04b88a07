// Image-caption pairs from a JSONL or CSV file, for CLIP (`--data
// captions:<file>`): one pair per line (JSONL: {"image": "a/b.png",
// "caption": "a red circle."}) or per CSV record (a header with `image` and
// `caption` columns; `file` and `text` are accepted too). Image paths are
// relative to the caption file's folder. The images are decoded as image
// folders are (sharp in worker threads, cover + centre crop, RGB uint8).
// CSV follows RFC 4180 (csv.ts).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../torch';
import { checkInt } from '../../torch/arguments';
import { ImageDataset, makeDataset } from '../dataset';
import { decodeAll } from '../image-folder';
import { parseCsv } from './csv';

/** One pair as read from the file: the image's absolute path, its caption, and where it was written. */
export interface CaptionEntry {
  image: string;
  caption: string;
  /** 1-based line of the file (for CSV: the line where the record ends). */
  line: number;
}

const IMAGE_FIELDS = ['image', 'file'] as const;
const CAPTION_FIELDS = ['caption', 'text'] as const;

function field(record: Record<string, unknown>, names: readonly string[], where: string, what: string): string {
  for (const n of names) {
    const v = record[n];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || v.trim() === '') {
      throw new Error(`${where}: expected a non-empty string for field "${n}" but received ${JSON.stringify(v)}`);
    }
    return v;
  }
  throw new Error(`${where}: missing field "${names[0]}" (the ${what}; "${names[1]}" is accepted too)`);
}

/** The records of a JSONL file with their line numbers; blank lines are skipped. */
function jsonlRecords(text: string, file: string): { record: Record<string, unknown>; line: number }[] {
  const out: { record: Record<string, unknown>; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (err) {
      throw new Error(`${file} line ${i + 1}: not valid JSON (${(err as Error).message})`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new Error(`${file} line ${i + 1}: expected a JSON object {"image": ..., "caption": ...} but received ${raw.slice(0, 60)}`);
    }
    out.push({ record: v as Record<string, unknown>, line: i + 1 });
  });
  return out;
}

/**
 * Reads a caption file (`.jsonl` or `.csv`) into pairs, checking that every
 * record has an image and a caption and that every image file exists. Errors
 * name the file, the line and the missing field or file.
 *
 * @example
 * const pairs = readCaptionFile('data/captions.jsonl'); // [{ image: '/abs/data/img/0.png', caption: 'a red circle.', line: 1 }, ...]
 */
export function readCaptionFile(file: string): CaptionEntry[] {
  const ext = path.extname(file).toLowerCase();
  if (ext !== '.jsonl' && ext !== '.csv') {
    throw new Error(`Expected a caption file ending in .jsonl or .csv but received ${file}`);
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`Cannot read caption file ${file}: ${(err as Error).message}`);
  }
  const records = ext === '.jsonl' ? jsonlRecords(text, file) : parseCsv(text, file);
  if (records.length === 0) throw new Error(`${file} holds no image-caption pairs`);
  const dir = path.dirname(path.resolve(file));
  return records.map(({ record, line }) => {
    const where = `${file} line ${line}`;
    const rel = field(record, IMAGE_FIELDS, where, 'image path, relative to the caption file');
    const caption = field(record, CAPTION_FIELDS, where, 'caption text');
    const image = path.resolve(dir, rel);
    if (!fs.existsSync(image) || !fs.statSync(image).isFile()) {
      throw new Error(`${where}: image '${rel}' not found (looked for ${image})`);
    }
    return { image, caption, line };
  });
}

/** A caption set in memory: the images as an ImageDataset (RGB uint8) and one caption per image. */
export interface CaptionSet {
  dataset: ImageDataset;
  captions: string[];
  /** The entries in dataset order. */
  entries: CaptionEntry[];
  /** The caption file's folder (image paths are relative to it). */
  root: string;
}

/**
 * Reads a caption file and decodes its images to `size` x `size` RGB (cover
 * and centre crop). An image that cannot be decoded stops the read with its
 * line and sharp's reason (a caption set is small and curated: skipping would
 * silently shift pairs).
 *
 * @example
 * const { dataset, captions } = await loadCaptionSet('data/captions.csv', { size: 32 });
 */
export async function loadCaptionSet(file: string, options: { size: number; workers?: number }): Promise<CaptionSet> {
  const size = checkInt(options.size, 'options.size', 1);
  const workers = checkInt(options.workers ?? Math.min(4, os.availableParallelism()), 'options.workers', 1);
  const entries = readCaptionFile(file);
  const images = torch.empty([entries.length, 3, size, size], { dtype: 'uint8' });
  let failed: Map<number, string>;
  try {
    failed = await decodeAll(entries.map((e) => ({ path: e.image })), size, size, workers, images.asTypedArray() as Uint8Array);
  } catch (err) {
    images.dispose();
    throw err;
  }
  if (failed.size > 0) {
    images.dispose();
    const [i, reason] = [...failed.entries()].sort((a, b) => a[0] - b[0])[0];
    throw new Error(`${file} line ${entries[i].line}: cannot decode image ${entries[i].image}: ${reason}` +
      (failed.size > 1 ? ` (and ${failed.size - 1} more)` : ''));
  }
  const dataset = makeDataset({ name: path.basename(file), images });
  return { dataset, captions: entries.map((e) => e.caption), entries, root: path.dirname(path.resolve(file)) };
}

/**
 * Splits a caption set into training and held-out pairs: the `fraction` of
 * pairs (at least one) whose image paths, relative to the caption file, have
 * the smallest hashes, so the split does not depend on the order of the file
 * and moves little when pairs are added.
 * @example const { train, test } = splitCaptionSet(set, 0.1);
 */
export function splitCaptionSet(set: CaptionSet, fraction: number): { train: CaptionSet; test: CaptionSet } {
  const n = set.entries.length;
  if (n < 2) throw new RangeError(`Expected at least 2 image-caption pairs to hold some out but ${set.dataset.name} has ${n}`);
  const k = Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
  const hash = (e: CaptionEntry) => crypto.createHash('sha256').update(path.relative(set.root, e.image)).digest('hex');
  const ranked = set.entries.map((e, i) => ({ i, h: hash(e) })).sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : a.i - b.i));
  const held = new Set(ranked.slice(0, k).map((r) => r.i));
  const part = (keep: (i: number) => boolean, name: string): CaptionSet => {
    const idx = set.entries.map((_, i) => i).filter(keep);
    const images = torch.scope(() => set.dataset.images.indexSelect(0, torch.tensor(BigInt64Array.from(idx.map(BigInt)), { shape: [idx.length] })));
    return {
      dataset: makeDataset({ name: `${set.dataset.name}/${name}`, images, mean: set.dataset.mean, std: set.dataset.std }),
      captions: idx.map((i) => set.captions[i]), entries: idx.map((i) => set.entries[i]), root: set.root,
    };
  };
  return { train: part((i) => !held.has(i), 'train'), test: part((i) => held.has(i), 'held-out') };
}
