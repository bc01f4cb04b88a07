// `selfsup neighbors`: the nearest images of a query image by cosine
// similarity of embeddings, from an approximate index (usearch HNSW) that is
// built once and saved beside the embedding file, with a PNG grid.
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { disposeDataset } from '../data/dataset';
import { writeImageGrid } from '../data/image-grid';
import { readEmbeddings } from '../export/embeddings-file';
import { VectorIndex } from '../export/vector-index';
import { loadDataSplit, parseDataSpec } from './data-spec';
import { defaultEmbeddingFile, runEmbed } from './embed';
import { runOf } from './load-encoder';
import { intArg } from './option-parsers';

/** Options of `runNeighbors`. */
export interface NeighborsCommandOptions {
  /** Row of the embedding file to use as the query. */
  query: number;
  /** Neighbours to return (the query itself excluded). Default 10. */
  k?: number;
  /** Split to search when `target` is a run folder (default 'test'). */
  split?: 'train' | 'test';
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
  if (fs.statSync(target).isFile() && /\.(safetensors|npy)$/.test(target) && !target.endsWith('encoder.safetensors')) return target;
  const { runDir } = runOf(target);
  if (runDir === undefined) throw new Error(`'${target}' is neither an embedding file nor a run folder`);
  const file = defaultEmbeddingFile(runDir, split);
  if (!fs.existsSync(file)) await runEmbed(target, { split, out: file, log });
  return file;
}

/**
 * The k nearest rows of one row of an embedding file (or of a run folder's
 * split, embedded first if needed). The usearch index is read from
 * `<embeddings>.usearch`, or built and saved there when missing or older.
 *
 * @example
 * const { neighbors } = await runNeighbors('runs/simclr-20261204-101500', { query: 0, k: 5 });
 */
export async function runNeighbors(target: string, o: NeighborsCommandOptions): Promise<NeighborsResult> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const k = o.k ?? 10;
  const file = await embeddingFileOf(target, o.split ?? 'test', log);
  const { embeddings, labels, ids, metadata } = readEmbeddings(file);
  try {
    const n = embeddings.shape[0];
    if (!Number.isInteger(o.query) || o.query < 0 || o.query >= n) {
      throw new RangeError(`Expected a row in 0..${n - 1} for --query but received ${o.query} ('${file}' has ${n} rows)`);
    }
    const indexFile = indexFileOf(file);
    const fresh = fs.existsSync(indexFile) && fs.statSync(indexFile).mtimeMs >= fs.statSync(file).mtimeMs;
    const index = fresh ? VectorIndex.load(indexFile, embeddings.shape[1]) : VectorIndex.build(embeddings);
    if (!fresh) index.save(indexFile);
    const query = embeddings.narrow(0, o.query, 1);
    const found = index.search(query, Math.min(k + 1, n));
    query.dispose();
    const labelArr = labels.toTypedArray() as BigInt64Array;
    const idArr = ids.toTypedArray() as BigInt64Array;
    const neighbors: Neighbor[] = [];
    found.indices[0].forEach((row, j) => {
      if (row < 0 || row === o.query || neighbors.length >= k) return;
      neighbors.push({ row, id: Number(idArr[row]), label: Number(labelArr[row]), score: found.scores[0][j] });
    });
    const classes = JSON.parse(metadata.classes ?? '[]') as string[];
    const name = (label: number) => classes[label] ?? String(label);
    log(`query row ${o.query} (${name(Number(labelArr[o.query]))}), ${neighbors.length} nearest by cosine:`);
    neighbors.forEach((nb, i) => log(`  ${i + 1}. row ${nb.row}  ${name(nb.label)}  ${nb.score.toFixed(4)}`));
    const result: NeighborsResult = { embeddings: file, index: indexFile, built: !fresh, neighbors };
    if (metadata.dataset !== undefined && (metadata.split === 'train' || metadata.split === 'test')) {
      const grid = o.grid ?? path.join(path.dirname(file), `neighbors-${o.query}.png`);
      const dataset = await loadDataSplit(parseDataSpec(metadata.dataset), metadata.split);
      if (dataset !== undefined) {
        try {
          const rows = [Number(idArr[o.query]), ...neighbors.map((nb) => nb.id)];
          await writeImageGrid(grid, rows.map((id) => dataset.images.narrow(0, id, 1)), { scale: 2 });
          result.grid = grid;
          log(`Wrote ${grid}: the query, then its neighbours`);
        } finally {
          disposeDataset(dataset);
        }
      }
    }
    return result;
  } finally {
    [embeddings, labels, ids].forEach((t) => t.dispose());
  }
}

/**
 * Registers `selfsup neighbors <run | embeddings> --query <row> [-k 10]`.
 * @example registerNeighbors(new Command('selfsup'));
 */
export function registerNeighbors(program: Command): void {
  program.command('neighbors')
    .description('Nearest neighbours of one image by cosine similarity of its embedding, from a usearch HNSW index ' +
      'saved beside the embeddings; writes a PNG grid (query first)')
    .argument('<target>', 'run folder (its embeddings-<split>.safetensors, made if missing) or an embedding file')
    .requiredOption('--query <row>', 'row of the embedding file (= position in the split) to query', intArg('--query', 0))
    .option('-k, --k <n>', 'neighbours to show', intArg('-k'), 10)
    .option('--split <split>', 'split of a run folder to search', 'test')
    .option('--grid <file>', 'PNG grid to write (default beside the embeddings)')
    .action(async (target: string, f: { query: number; k: number; split: 'train' | 'test'; grid?: string }) => {
      await runNeighbors(target, f);
    });
}
