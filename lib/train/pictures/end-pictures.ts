// The pictures a run leaves in its folder when training ends: nearest-
// neighbour retrieval on test images, a 2-D map of the test embeddings, and
// for MAE its reconstructions, for DINO with a ViT its attention maps. The
// dashboard shows every PNG of a run folder.
import * as path from 'path';
import * as torch from '../../torch';
import { Device, Tensor } from '../../torch';
import { checkDevice } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option, OPTIONAL, TableValues } from '../../torch/option-table';
import { ImageDataset } from '../../data/dataset';
import { writeImageGrid } from '../../data/image-grid';
import { normalize, toFloatImages } from '../../data/transforms/normalize';
import { extractFeatures } from '../../eval/features';
import { exactCosineTopK } from '../../export/vector-index';
import { VisionTransformer } from '../../models/vit';
import { Method } from '../../ssl/method';
import { MAE } from '../../ssl/mae';
import { DINO } from '../../ssl/dino';
import { writeReconstruction } from '../../ssl/mae-reconstruction';
import { writeAttentionMaps } from './attention-maps';
import { writeEmbeddingMap } from './embedding-map';
import { isTaskMethod, taskColumns } from './task-columns';

/** `writeEndPictures`'s options: defaults and checks. */
export const END_PICTURES_OPTIONS = defineOptions({
  /** Where the encoder runs (default: where its parameters are). */
  device: option<Device>(OPTIONAL, checkDevice),
  /** Test images embedded for the retrieval grid and the map (evenly spaced over the split). Default 1000. */
  maxImages: option(1000, is.int(1)),
  /** Query rows of the retrieval grid. Default 8. */
  queries: option(8, is.int(1)),
  /** Neighbours per query. Default 8. */
  neighbors: option(8, is.int(1)),
  /** Seed of UMAP and of MAE's masks. Default 0. */
  seed: option(0, is.int(0)),
});

/** Options of `writeEndPictures`. */
export type EndPicturesOptions = GivenOptions<typeof END_PICTURES_OPTIONS.specs>;

/** The files `writeEndPictures` wrote. */
export interface EndPictures {
  retrieval: string;
  embeddingMap: string;
  reconstruction?: string;
  attention?: string;
  /** Pretext methods: the task's grid (inputs, targets, the network's predictions; see task-columns.ts). */
  task?: string;
}

/** Up to `max` positions evenly spaced over 0..n-1. */
function spread(n: number, max: number): number[] {
  const m = Math.min(n, max);
  return Array.from({ length: m }, (_, i) => Math.floor((i * n) / m));
}

/** The first `count` positions of `labels` with different labels where possible (one query per class first). */
function pickQueries(labels: readonly number[], count: number): number[] {
  const seen = new Set<number>();
  const first = labels.map((l, i) => [l, i] as const).filter(([l]) => !seen.has(l) && (seen.add(l), true)).map(([, i]) => i);
  const rest = labels.map((_, i) => i).filter((i) => !first.includes(i));
  return [...first, ...rest].slice(0, count);
}

/**
 * Writes `retrieval.png` (a row per query test image: the query, then its
 * nearest test images by cosine similarity of the encoder's features),
 * `embedding-map.png` (UMAP of the test features coloured by class), and
 * `reconstruction.png` for MAE, `attention.png` for DINO with a ViT, and
 * `task.png` for the pretext methods (`taskColumns`: inpainted regions beside
 * the originals, colorized images beside the gray inputs and the originals,
 * jigsaw tiles put back in the predicted order...).
 * `test` may be any image set (`selfsup train` passes the training images
 * of data without a test split); without labels the queries are the first
 * embedded images and the map is gray, without a legend.
 *
 * @example await writeEndPictures('runs/simclr-a', method, testSet);
 */
export async function writeEndPictures(out: string, method: Method, test: ImageDataset,
  options: EndPicturesOptions = {}): Promise<EndPictures> {
  const o = END_PICTURES_OPTIONS.resolve(options, (k) => `writeEndPictures options.${k}`);
  const rows = spread(test.length, o.maxImages);
  const indices = torch.tensor(rows, { dtype: 'int64' });
  const { features, labels } = extractFeatures(method.encoder, test, { indices, device: o.device, batchSize: 256 });
  indices.dispose();
  const labelList = (labels.toArray() as number[]).map(Number);
  const classes = test.classes ?? [];
  const result: EndPictures = { retrieval: path.join(out, 'retrieval.png'), embeddingMap: path.join(out, 'embedding-map.png') };
  try {
    const queries = pickQueries(labelList, Math.min(o.queries, rows.length));
    const k = Math.min(o.neighbors, rows.length - 1);
    // NOTE: in scopes, so the query rows and index tensors are freed here, not left to the collector.
    const found = torch.scope(() =>
      exactCosineTopK(features, features.indexSelect(0, torch.tensor(queries, { dtype: 'int64' })), k + 1));
    // Column j holds every query's j-th image: the query itself, then its neighbours (itself left out).
    const order = queries.map((row, i) => [row, ...[...found.indices[i]].filter((r) => r !== row).slice(0, k)]);
    const columns = torch.scope(() => Array.from({ length: k + 1 }, (_, j) =>
      test.images.indexSelect(0, torch.tensor(order.map((r) => rows[r[j]]), { dtype: 'int64' }))));
    await writeImageGrid(result.retrieval, columns, { scale: Math.max(1, Math.ceil(48 / test.images.shape[2])) });
    columns.forEach((c) => c.dispose());
    await writeEmbeddingMap(result.embeddingMap, features.toArray() as number[][], labelList, classes,
      { seed: o.seed, title: `${method.name} embeddings of ${test.name} (UMAP, ${rows.length} images)` });
  } finally {
    features.dispose();
    labels.dispose();
  }
  await methodPictures(out, method, test, rows.slice(0, 8), o, result);
  if (isTaskMethod(method)) result.task = await writeTaskGrid(path.join(out, 'task.png'), method, test, rows.slice(0, 8), o);
  return result;
}

/**
 * The task grid of a pretext method on test images `rows`, the task drawn
 * from a generator seeded with `o.seed` (on the CPU; elsewhere the device's own).
 */
async function writeTaskGrid(file: string, method: Method, test: ImageDataset, rows: number[],
  o: TableValues<typeof END_PICTURES_OPTIONS>): Promise<string> {
  const device = method.encoder.parameters()[0].device;
  const columns = torch.scope(() => {
    const x = toFloatImages(test.images.indexSelect(0, torch.tensor(rows, { dtype: 'int64' }))).to(device);
    const generator = device === 'cpu' ? new torch.Generator().manualSeed(o.seed) : undefined;
    return taskColumns(method, x, test.mean, test.std, generator).columns.map((c) => c.contiguous().cpu());
  });
  try {
    await writeImageGrid(file, columns, { scale: Math.max(1, Math.ceil(48 / test.images.shape[2])) });
  } finally {
    columns.forEach((c) => c.dispose());
  }
  return file;
}

/** MAE's reconstructions and DINO's attention maps, on the first images of the embedded rows. */
async function methodPictures(out: string, method: Method, test: ImageDataset, rows: number[],
  o: TableValues<typeof END_PICTURES_OPTIONS>,
  result: EndPictures): Promise<void> {
  const isMae = method instanceof MAE;
  const vit = method instanceof DINO && method.encoder instanceof VisionTransformer ? method.encoder : undefined;
  if (!isMae && vit === undefined) return;
  const device = method.encoder.parameters()[0].device;
  const x: Tensor = torch.scope(() => {
    const idx = torch.tensor(rows, { dtype: 'int64' });
    return torch.keep(normalize(toFloatImages(test.images.indexSelect(0, idx)).to(device), test.mean, test.std));
  });
  try {
    if (isMae) {
      result.reconstruction = path.join(out, 'reconstruction.png');
      // NOTE: seeded masks on the CPU (the only device a Generator is made for here); elsewhere the device's own.
      const generator = device === 'cpu' ? new torch.Generator().manualSeed(o.seed) : undefined;
      await writeReconstruction(result.reconstruction, method, x, { mean: test.mean, std: test.std, generator });
    } else if (vit !== undefined) {
      result.attention = path.join(out, 'attention.png');
      await writeAttentionMaps(result.attention, vit, x, { mean: test.mean, std: test.std });
    }
  } finally {
    x.dispose();
  }
}
