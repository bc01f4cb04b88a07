// Embedding files: the features of a dataset with their labels and ids,
// written in a format chosen by the file's extension.
//  - .safetensors: tensors `embeddings` float32 (N, D), `labels` int64 (N),
//    `ids` int64 (N) (positions in the dataset); metadata `format`,
//    `dataset`, `encoder` and `classes` (JSON). Loads with safetensors in Python.
//  - .npy: the float32 (N, D) embeddings, readable by numpy.load; labels and ids
//    beside it as `<stem>.labels.npy` and `<stem>.ids.npy` (int64).
//  - .parquet: a table of id, label, class, file and embedding (list<float32>),
//    the metadata in the footer (lib/export/parquet.ts). Read asynchronously
//    (readEmbeddingsAsync): its reader, hyparquet, has only an async API.
import * as fs from 'fs';
import * as path from 'path';
import { Tensor } from '../torch';
import { scope } from '../torch/scope';
import { tensor } from '../torch/creation';
import { loadSafetensors, readSafetensorsHeader, saveSafetensors } from '../torch/safetensors';
import { writeFileAtomic } from '../torch/atomic-file';
import { decodeNpy, encodeNpy } from './npy';
import { decodeEmbeddingsParquet, encodeEmbeddingsParquet } from './parquet';

/** What an embedding file holds. */
export interface Embeddings {
  /** float32 (N, D) on the CPU. */
  embeddings: Tensor;
  /** int64 (N): class indices, -1 where the data has no labels. */
  labels: Tensor;
  /** int64 (N): each row's position in its dataset. */
  ids: Tensor;
  /** Descriptive strings: dataset, encoder, classes (JSON), ... */
  metadata: Record<string, string>;
  /** The file of each dataset position (indexed by id; image folders), written into Parquet files' `file` column. */
  files?: readonly string[];
}

/** The formats `writeEmbeddings` picks from the extension. */
export const EMBEDDING_EXTENSIONS = ['.safetensors', '.npy', '.parquet'] as const;

type Format = typeof EMBEDDING_EXTENSIONS[number];

function formatOf(file: string): Format {
  const ext = path.extname(file).toLowerCase();
  if ((EMBEDDING_EXTENSIONS as readonly string[]).includes(ext)) return ext as Format;
  throw new Error(`Unknown embedding file extension '${ext || '(none)'}' in '${file}'; expected ` +
    `${EMBEDDING_EXTENSIONS.join(', ')}`);
}

/** The sibling files of an .npy embedding file: `<stem>.labels.npy` and `<stem>.ids.npy`. */
export function npySiblings(file: string): { labels: string; ids: string } {
  const stem = file.slice(0, -'.npy'.length);
  return { labels: `${stem}.labels.npy`, ids: `${stem}.ids.npy` };
}

function checkEmbeddings(e: Embeddings): number {
  const { embeddings, labels, ids } = e;
  if (!(embeddings instanceof Tensor) || embeddings.dim() !== 2) {
    throw new TypeError('Expected (N, D) embeddings for writeEmbeddings but received ' +
      (embeddings instanceof Tensor ? `shape [${embeddings.shape.join(', ')}]` : String(embeddings)));
  }
  const n = embeddings.shape[0];
  for (const [name, t] of [['labels', labels], ['ids', ids]] as const) {
    if (!(t instanceof Tensor) || t.dim() !== 1 || t.shape[0] !== n) {
      throw new TypeError(`Expected ${name} of shape (${n}) for writeEmbeddings but received ` +
        (t instanceof Tensor ? `shape [${t.shape.join(', ')}]` : String(t)));
    }
  }
  return n;
}

/**
 * Writes embeddings, labels and ids; the format follows the extension
 * (.safetensors, .npy or .parquet, see the top of this file). Files are replaced atomically.
 *
 * @example
 * const { features, labels } = evaluate.extractFeatures(encoder, dataset);
 * writeEmbeddings('emb.npy', { embeddings: features, labels, ids: torch.arange(features.shape[0]), metadata: {} });
 * // python: numpy.load('emb.npy'), numpy.load('emb.labels.npy')
 */
export function writeEmbeddings(file: string, e: Embeddings): void {
  const format = formatOf(file);
  const n = checkEmbeddings(e);
  // NOTE: in a scope, so that `.to()`'s own result is freed when `.contiguous()` copies it.
  const [embeddings, labels, ids] = scope(() => [e.embeddings.to({ dtype: 'float32', device: 'cpu' }).contiguous(),
    e.labels.to({ dtype: 'int64', device: 'cpu' }).contiguous(), e.ids.to({ dtype: 'int64', device: 'cpu' }).contiguous()]);
  try {
    if (format === '.safetensors') {
      saveSafetensors(file, { embeddings, labels, ids }, { format: 'selfsup-embeddings', ...e.metadata });
      return;
    }
    if (format === '.parquet') {
      const idArr = ids.toTypedArray() as BigInt64Array;
      writeFileAtomic(file, Buffer.from(encodeEmbeddingsParquet({
        embeddings: embeddings.toTypedArray() as Float32Array, dim: embeddings.shape[1], labels: labels.toTypedArray() as BigInt64Array,
        ids: idArr, classes: JSON.parse(e.metadata.classes ?? '[]') as string[],
        files: e.files === undefined ? undefined : Array.from(idArr, (id) => e.files?.[Number(id)] ?? null),
        metadata: { format: 'selfsup-embeddings', ...e.metadata },
      })));
      return;
    }
    const siblings = npySiblings(file);
    writeFileAtomic(file, encodeNpy(embeddings.toTypedArray() as Float32Array, [n, embeddings.shape[1]]));
    writeFileAtomic(siblings.labels, encodeNpy(labels.toTypedArray() as BigInt64Array, [n]));
    writeFileAtomic(siblings.ids, encodeNpy(ids.toTypedArray() as BigInt64Array, [n]));
  } finally {
    for (const [t, src] of [[embeddings, e.embeddings], [labels, e.labels], [ids, e.ids]]) if (t !== src) t.dispose();
  }
}

/**
 * Reads a file written by `writeEmbeddings` (an .npy without siblings gets
 * labels -1 and ids 0..N-1).
 *
 * @example const { embeddings, labels } = readEmbeddings('runs/a/embeddings.safetensors');
 */
export function readEmbeddings(file: string): Embeddings {
  const format = formatOf(file);
  if (format === '.parquet') {
    throw new Error(`'${file}': Parquet embedding files are read asynchronously: use readEmbeddingsAsync (selfsup ` +
      'neighbors does), or embed again with --out <file>.safetensors');
  }
  if (!fs.existsSync(file)) throw new Error(`No embedding file '${file}'`);
  if (format === '.safetensors') {
    const tensors = loadSafetensors(file);
    const embeddings = tensors.get('embeddings');
    const labels = tensors.get('labels');
    const ids = tensors.get('ids');
    if (embeddings === undefined || labels === undefined || ids === undefined) {
      tensors.forEach((t) => t.dispose());
      throw new Error(`'${file}' is not an embedding file: expected tensors embeddings, labels and ids but found ` +
        `${[...tensors.keys()].join(', ') || 'none'}`);
    }
    return { embeddings, labels, ids, metadata: readSafetensorsHeader(file).metadata ?? {} };
  }
  const main = decodeNpy(fs.readFileSync(file), file);
  if (main.dtype !== 'float32' || main.shape.length !== 2) {
    throw new Error(`'${file}' is not an embedding file: expected float32 (N, D) but found ${main.dtype} ` +
      `[${main.shape.join(', ')}]`);
  }
  const n = main.shape[0];
  const siblings = npySiblings(file);
  const side = (f: string, fallback: () => Tensor): Tensor => {
    if (!fs.existsSync(f)) return fallback();
    const d = decodeNpy(fs.readFileSync(f), f);
    if (d.shape.length !== 1 || d.shape[0] !== n) throw new Error(`'${f}' has shape [${d.shape.join(', ')}], expected (${n})`);
    return tensor(d.data, { shape: d.shape }).to('int64');
  };
  return {
    embeddings: tensor(main.data, { shape: main.shape }),
    labels: side(siblings.labels, () => tensor(new BigInt64Array(n).fill(-1n))),
    ids: side(siblings.ids, () => tensor(BigInt64Array.from({ length: n }, (_, i) => BigInt(i)))),
    metadata: {},
  };
}

/**
 * Reads any embedding file `writeEmbeddings` writes, Parquet included (the
 * others as `readEmbeddings`). A Parquet file's metadata comes from its
 * footer; `files` (by id) from its `file` column when it names any.
 *
 * @example const { embeddings, metadata } = await readEmbeddingsAsync('runs/a/test.parquet');
 */
export async function readEmbeddingsAsync(file: string): Promise<Embeddings> {
  if (formatOf(file) !== '.parquet') return readEmbeddings(file);
  if (!fs.existsSync(file)) throw new Error(`No embedding file '${file}'`);
  const p = await decodeEmbeddingsParquet(fs.readFileSync(file), file);
  const n = p.ids.length;
  const named = p.files?.some((f) => f !== null) === true;
  const files: string[] = [];
  if (named) p.files?.forEach((f, i) => { files[Number(p.ids[i])] = f ?? ''; });
  return {
    embeddings: tensor(p.embeddings, { shape: [n, p.dim] }),
    labels: tensor(p.labels, { shape: [n] }),
    ids: tensor(p.ids, { shape: [n] }),
    metadata: p.metadata,
    ...(named ? { files } : {}),
  };
}
