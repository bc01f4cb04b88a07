// `selfsup neighbors`: the nearest images of a query image by cosine
// similarity of embeddings, from an approximate index (usearch HNSW) that is
// built once and saved beside the embedding file, with a PNG grid.
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { Tensor } from '../torch';
import { disposeDataset, ImageDataset, makeDataset } from '../data/dataset';
import { extractFeatures } from '../eval/features';
import { decodeQueryImage } from '../export/query-image';
import { writeImageGrid } from '../data/image-grid';
import { readEmbeddingsAsync } from '../export/embeddings-file';
import { VectorIndex } from '../export/vector-index';
import { loadDataSplit, parseDataSpec } from './data-spec';
import { defaultEmbeddingFile, runEmbed } from './embed';
import { loadEncoder, runOf } from './load-encoder';
import { flagOf, intArg } from './option-parsers';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';
import { splitOption } from './embed';

/** Options of `runNeighbors`. */
/** `runNeighbors`'s (and `selfsup neighbors`'s) options with a default: the table. */
export const NEIGHBORS_OPTIONS = defineOptions({
  /** Neighbours to return (the query itself excluded). Default 10. */
  k: option(10, is.int(1)),
  /** Split to search when `target` is a run folder (default 'test'). */
  split: splitOption('test'),
});

export interface NeighborsCommandOptions extends GivenOptions<typeof NEIGHBORS_OPTIONS.specs> {
  /** Row of the embedding file to use as the query, or an image file: decoded and embedded as the data was. */
  query: number | string;
  /** Where to write the PNG grid (query first, then its neighbours); default beside the embeddings. */
  grid?: string;
  log?: (line: string) => void;
}

/** One neighbour. */
export interface Neighbor {
  /** Row in the embedding file. */
  row: number;
  /** Its id (position in the dataset). */
  id: number;
  label: number;
  /** Cosine similarity to the query. */
  score: number;
}

/** What `runNeighbors` found and wrote. */
export interface NeighborsResult {
  embeddings: string;
  index: string;
  /** Whether the index was built now (false: loaded from its file). */
  built: boolean;
  neighbors: Neighbor[];
  grid?: string;
}

/** The index file saved beside an embedding file. */
export function indexFileOf(embeddingFile: string): string {
  return `${embeddingFile}.usearch`;
}

async function embeddingFileOf(target: string, split: 'train' | 'test', log: (line: string) => void): Promise<string> {
  // A missing target falls through to runOf, which names it.
  const isFile = fs.existsSync(target) && fs.statSync(target).isFile();
  if (isFile && /\.(safetensors|npy|parquet)$/.test(target) && !target.endsWith('encoder.safetensors')) return target;
  const { runDir } = runOf(target);
  if (runDir === undefined) throw new Error(`'${target}' is neither an embedding file nor a run folder`);
  const file = defaultEmbeddingFile(runDir, split);
  if (!fs.existsSync(file)) await runEmbed(target, { split, out: file, log });
  return file;
}

/** The dataset an embedding file was made from (undefined when its metadata does not name one). */
async function datasetOf(metadata: Record<string, string>): Promise<ImageDataset | undefined> {
  if (metadata.dataset === undefined || (metadata.split !== 'train' && metadata.split !== 'test')) return undefined;
  const size = metadata.imageSize === undefined ? undefined : Number(metadata.imageSize);
  return loadDataSplit(parseDataSpec(metadata.dataset), metadata.split, size);
}

/**
 * An image file as a query: decoded to the data's size and channels, then
 * through the encoder the embeddings came from (named in the file's metadata),
 * normalised with the data's mean and std, as `selfsup embed` did.
 */
async function embedImage(file: string, metadata: Record<string, string>, dataset: ImageDataset | undefined):
  Promise<{ vector: Tensor; image: Tensor }> {
  if (dataset === undefined || metadata.source === undefined || metadata.encoder === undefined) {
    throw new Error(`An image query needs the embedding file's dataset and encoder; this one names ${
      metadata.dataset === undefined ? 'no dataset' : 'no encoder'}: embed with selfsup embed, or query a row`);
  }
  const image = await decodeQueryImage(file, dataset.images.shape.slice(1));
  const { encoder } = loadEncoder(metadata.source, dataset.images.shape, {
    encoder: metadata.encoder, encoderOptions: JSON.parse(metadata.encoderOptions ?? '{}') as Record<string, unknown>,
  });
  try {
    const one = makeDataset({ name: file, images: image, mean: dataset.mean, std: dataset.std });
    const { features, labels } = extractFeatures(encoder, one);
    labels.dispose();
    return { vector: features, image };
  } finally {
    encoder.dispose();
  }
}

/**
 * The k nearest rows of a query (a row of an embedding file, or an image file
 * embedded by the same encoder) in an embedding file (or a run folder's split,
 * embedded first if needed). The usearch index is read from
 * `<embeddings>.usearch`, or built and saved there when missing or older.
 *
 * @example
 * const { neighbors } = await runNeighbors('runs/simclr-20261204-101500', { query: 0, k: 5 });
 * await runNeighbors('runs/simclr-20261204-101500', { query: 'my-shoe.png' });
 */
export async function runNeighbors(target: string, o: NeighborsCommandOptions): Promise<NeighborsResult> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { k, split } = NEIGHBORS_OPTIONS.resolve(o, flagOf);
  const file = await embeddingFileOf(target, split, log);
  const { embeddings, labels, ids, metadata } = await readEmbeddingsAsync(file);
  const dataset = await datasetOf(metadata);
  const owned: Tensor[] = [embeddings, labels, ids];
  try {
    const n = embeddings.shape[0];
    const byRow = typeof o.query === 'number';
    if (byRow && (!Number.isInteger(o.query) || (o.query as number) < 0 || (o.query as number) >= n)) {
      throw new RangeError(`Expected a row in 0..${n - 1} for --query but received ${o.query} ('${file}' has ${n} rows)`);
    }
    const queryImage = byRow ? undefined : await embedImage(o.query as string, metadata, dataset);
    if (queryImage !== undefined) owned.push(queryImage.vector, queryImage.image);
    const indexFile = indexFileOf(file);
    const fresh = fs.existsSync(indexFile) && fs.statSync(indexFile).mtimeMs >= fs.statSync(file).mtimeMs;
    const index = fresh ? VectorIndex.load(indexFile, embeddings.shape[1]) : VectorIndex.build(embeddings);
    if (!fresh) index.save(indexFile);
    const query = queryImage?.vector ?? embeddings.narrow(0, o.query as number, 1);
    const found = index.search(query, Math.min(k + 1, n));
    if (byRow) query.dispose();
    const labelArr = labels.toTypedArray() as BigInt64Array;
    const idArr = ids.toTypedArray() as BigInt64Array;
    const neighbors: Neighbor[] = [];
    found.indices[0].forEach((row, j) => {
      if (row < 0 || (byRow && row === o.query) || neighbors.length >= k) return;
      neighbors.push({ row, id: Number(idArr[row]), label: Number(labelArr[row]), score: found.scores[0][j] });
    });
    const classes = JSON.parse(metadata.classes ?? '[]') as string[];
    const name = (label: number) => classes[label] ?? String(label);
    log(byRow ? `query row ${o.query} (${name(Number(labelArr[o.query as number]))}), ${neighbors.length} nearest by cosine:`
      : `query image ${o.query}, ${neighbors.length} nearest by cosine:`);
    neighbors.forEach((nb, i) => log(`  ${i + 1}. row ${nb.row}  ${name(nb.label)}  ${nb.score.toFixed(4)}`));
    const result: NeighborsResult = { embeddings: file, index: indexFile, built: !fresh, neighbors };
    if (dataset !== undefined) {
      const stem = byRow ? String(o.query) : path.basename(o.query as string).replace(/\.[^.]*$/, '');
      const grid = o.grid ?? path.join(path.dirname(file), `neighbors-${stem}.png`);
      const first = queryImage?.image ?? dataset.images.narrow(0, Number(idArr[o.query as number]), 1);
      const cells = [first, ...neighbors.map((nb) => dataset.images.narrow(0, nb.id, 1))];
      owned.push(...cells);
      await writeImageGrid(grid, cells, { scale: 2 });
      result.grid = grid;
      log(`Wrote ${grid}: the query, then its neighbours`);
    }
    return result;
  } finally {
    owned.forEach((t) => t.dispose());
    if (dataset !== undefined) disposeDataset(dataset);
  }
}

/** `--query`: a row number, or the path of an image file. */
function queryArg(value: string): number | string {
  if (/^\d+$/.test(value)) return Number(value);
  if (fs.existsSync(value) && fs.statSync(value).isFile()) return value;
  throw new Error(`Expected a row number or an image file for --query but received '${value}' (no such file)`);
}

/**
 * Registers `selfsup neighbors <run | embeddings> --query <row> [-k 10]`.
 * @example registerNeighbors(new Command('selfsup'));
 */
export function registerNeighbors(program: Command): void {
  program.command('neighbors')
    .description('Nearest neighbours of one image by cosine similarity of its embedding, from a usearch HNSW index ' +
      'saved beside the embeddings; writes a PNG grid (query first)')
    .argument('<target>', 'run folder (its embeddings-<split>.safetensors, made if missing) or an embedding file ' +
      '(.safetensors, .npy or .parquet)')
    .requiredOption('--query <row|image>', 'row of the embedding file (= position in the split), or an image file to embed ' +
      'with the same encoder and transform as the data', queryArg)
    .option('-k, --k <n>', 'neighbours to show', intArg('-k'), NEIGHBORS_OPTIONS.defaults.k)
    .option('--split <split>', 'split of a run folder to search', NEIGHBORS_OPTIONS.defaults.split)
    .option('--grid <file>', 'PNG grid to write (default beside the embeddings)')
    .action(async (target: string, f: { query: number | string; k: number; split: 'train' | 'test'; grid?: string }) => {
      await runNeighbors(target, f);
    });
}
