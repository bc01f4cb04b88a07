// `selfsup preview --task <name>`: a PNG grid of what a pretext task feeds
// its network and what it asks it to predict, built by the method's own task
// code (drawTask, rotations, puzzle, inpaint) on a few images of a dataset:
// rotations with their labels, jigsaw tiles shuffled and solved, patch pairs
// and the neighbour's place, masked regions and their fill, damaged puzzles.
// With a trained method (API, or --run), the network's predictions too.
import * as torch from '../torch';
import { Generator, Tensor } from '../torch';
import { scope } from '../torch/scope';
import { ImageDataset } from '../data/dataset';
import { toFloatImages } from '../data/transforms/normalize';
import { writeImageGrid, ImageGridInfo } from '../data/image-grid';
import { Method } from '../ssl/method';
import { create as createMethod } from '../ssl/registry';
import { Rotation } from '../ssl/rotation';
import { Jigsaw, jigsawGeometry } from '../ssl/jigsaw';
import { RelativePosition } from '../ssl/relative-position';
import { ContextEncoder } from '../ssl/context-encoder';
import { DamagedJigsaw } from '../ssl/damaged-jigsaw';
import { patchesAt } from '../ssl/pretext/grid-patches';
import { findCheckpoint, readCheckpoint } from '../train/checkpoint';
import { buildMethod, readRunConfig } from './train';

/** The pretext tasks `selfsup preview --task` shows. */
export const PREVIEW_TASKS = ['rotation', 'jigsaw', 'relative_position', 'context_encoder', 'damaged_jigsaw'] as const;
export type PreviewTask = typeof PREVIEW_TASKS[number];

/** What `taskColumns` returns: the grid's columns (pixels in [0, 1]), what each shows, and the drawn task. */
export interface TaskColumns {
  columns: Tensor[];
  legend: string[];
  /** The task drawn for the images (tile origins, labels, holes...), as the method's drawTask returns it. */
  task?: Record<string, Tensor>;
}

/** Options of `previewTask`. */
export interface TaskPreviewOptions {
  task: PreviewTask;
  dataset: ImageDataset;
  /** Where to write the PNG. */
  out: string;
  /** The method whose task (and predictions) to show; default a fresh one for the dataset (small_cnn). */
  method?: Method;
  /** Images (rows). Default 8. */
  n?: number;
  /** Seed of the image choice and the task draws. Default 0. */
  seed?: number;
  /** Integer magnification; default 2 under 64 px, else 1. */
  scale?: number;
}

/**
 * A fresh method of `task` for images of `shape` (N, C, H, W): small_cnn with the data's channels.
 * @example const m = previewMethod('jigsaw', [100, 3, 64, 64]);
 */
export function previewMethod(task: PreviewTask, shape: readonly number[]): Method {
  if (!(PREVIEW_TASKS as readonly string[]).includes(task)) {
    throw new TypeError(`Expected one of ${PREVIEW_TASKS.join(', ')} for task but received ${String(task)}`);
  }
  const sized = task === 'context_encoder' || task === 'damaged_jigsaw' ? { imageSize: shape[2] } : {};
  return createMethod(task, { encoder: 'small_cnn', encoderOptions: { inChannels: shape[1] }, ...sized } as never);
}

/**
 * The method of a run folder written by `selfsup train`, with the weights of its newest checkpoint.
 * @example const method = methodFromRun('runs/jigsaw-20261204', dataset.images.shape);
 */
export function methodFromRun(dir: string, shape: readonly number[]): Method {
  const { method } = buildMethod(readRunConfig(dir), shape);
  const { tensors } = readCheckpoint(findCheckpoint(dir));
  try {
    const model = new Map([...tensors].filter(([k]) => k.startsWith('model.')).map(([k, v]) => [k.slice(6), v]));
    method.loadStateDict(model, { strict: true });
  } finally {
    tensors.forEach((t) => t.dispose());
  }
  return method;
}

/** (B, 9, C, P, P) tiles as (B, C, 3P + 2, 3P + 2) mosaics, row-major, 1 px white lines between them. */
function mosaic(tiles: Tensor): Tensor {
  const [B, , C, P] = tiles.shape;
  const S = 3 * P + 2;
  const canvas = torch.ones([B, C, S, S], { device: tiles.device });
  for (let cell = 0; cell < 9; cell++) {
    const r = Math.floor(cell / 3);
    const c = cell % 3;
    canvas.narrow(2, r * (P + 1), P).narrow(3, c * (P + 1), P).copy_(tiles.select(1, cell));
  }
  return canvas;
}

/** `tiles` (B, 9, ...) rearranged so that cell j shows tiles[source[b, j]]. */
function place(tiles: Tensor, source: Tensor): Tensor {
  const [B, n, ...rest] = tiles.shape;
  return tiles.gather(1, source.view([B, n, ...rest.map(() => 1)]).expand(tiles.shape));
}

/** The inverse of each row of a (B, n) permutation. */
function invert(perm: Tensor): Tensor {
  const [B, n] = perm.shape;
  return torch.zeros([B, n], { dtype: 'int64' }).scatter(1, perm, torch.arange(n).view([1, n]).expand([B, n]).contiguous());
}

/** Runs `fn` in eval mode without gradients (predictions for the picture must not move batch-norm statistics). */
function predict<T>(method: Method, fn: () => T): T {
  const was = method.training;
  method.eval();
  try {
    return torch.noGrad(fn);
  } finally {
    method.train(was);
  }
}

function rotationColumns(m: Rotation, x: Tensor): TaskColumns {
  const { images, labels } = m.rotations(x); // (4B, C, H, W) in blocks of B, labels 0..3
  return { columns: [x, ...images.chunk(4, 0)],
    legend: ['original', ...[0, 90, 180, 270].map((d, i) => `input rotated ${d} deg counter-clockwise = label ${i}`)],
    task: { labels } };
}

function jigsawColumns(m: Jigsaw, x: Tensor, xn: Tensor, g: Generator): TaskColumns {
  const task = m.drawTask(xn, g);
  const tileSize = m.config().tileSize as number | undefined;
  const P = jigsawGeometry(x.shape[2], tileSize).patchSize;
  const tiles = patchesAt(x, task.origins, P); // (B, 9, C, P, P), grid order
  const perms = torch.tensor(m.permutations.flat(), { dtype: 'int64' }).view([m.numPermutations, 9]);
  const order = perms.indexSelect(0, task.labels); // position i shows tile order[i]
  const shuffled = place(tiles, order);
  const predicted = perms.indexSelect(0, predict(m, () => m.taskLoss(xn, task).logits.argmax(1)));
  return {
    columns: [x, mosaic(shuffled), mosaic(tiles), mosaic(place(shuffled, invert(predicted)))],
    legend: ['original', 'input: tiles shuffled by the label\'s permutation', 'target: the solved puzzle',
      'shuffled tiles put back by the predicted permutation'],
    task: { origins: task.origins, labels: task.labels },
  };
}

function relativePositionColumns(m: RelativePosition, x: Tensor, xn: Tensor, g: Generator): TaskColumns {
  const task = m.drawTask(xn, g);
  const B = x.shape[0];
  const patches = patchesAt(x, task.origins, m.geometry(x.shape[2]).patchSize); // (B, 9, C, P, P)
  const cellOf = (label: Tensor): Tensor => label.add(label.ge(4).to('int64')); // classes 0..7 -> cells 0..3, 5..8
  const answer = (label: Tensor): Tensor => {
    const cells = torch.arange(9).view([1, 9]);
    const show = cells.eq(4).logicalOr(cells.eq(cellOf(label).view([B, 1]))).view([B, 9, 1, 1, 1]);
    return mosaic(torch.where(show, patches, 0.5));
  };
  const predicted = predict(m, () => m.taskLoss(xn, task).logits.argmax(1));
  const neighbour = patches.gather(1, cellOf(task.labels).view([B, 1, 1, 1, 1]).expand([B, 1, ...patches.shape.slice(2)]));
  return {
    columns: [x, patches.select(1, 4), neighbour.squeeze(1), answer(task.labels), answer(predicted)],
    legend: ['original', 'input: centre patch', 'input: neighbour patch', 'target: the neighbour\'s place',
      'predicted place'],
    task: { origins: task.origins, labels: task.labels },
  };
}

function contextEncoderColumns(m: ContextEncoder, x: Tensor, xn: Tensor, g: Generator,
  mean: readonly number[], std: readonly number[]): TaskColumns {
  const task = m.drawTask(xn, g);
  const C = x.shape[1];
  const shape = [1, C, 1, 1];
  const s = torch.tensor(std.slice(0, C)).view(shape);
  const mu = torch.tensor(mean.slice(0, C)).view(shape);
  const prediction = predict(m, () => m.inpaint(xn, task.hole).prediction).mul(s).add(mu).clamp(0, 1);
  const region = task.weights.gt(0).to('float32');
  return {
    columns: [x, torch.where(task.hole.gt(0), 0.5, x), task.weights.div(m.overlapWeight).clamp(0, 1),
      x.mul(region.neg().add(1)).add(prediction.mul(region))],
    legend: ['original (the target)', 'input: the hole filled (gray here, the mean in training)',
      `loss weights (white 1, gray ${m.overlapWeight} on the ${m.overlap} px overlap, scaled)`, 'prediction in the region'],
    task: { hole: task.hole, weights: task.weights },
  };
}

function damagedJigsawColumns(m: DamagedJigsaw, x: Tensor, xn: Tensor, g: Generator,
  mean: readonly number[], std: readonly number[]): TaskColumns {
  m.pixelStd = [...std];
  const task = m.drawTask(xn, g);
  const B = x.shape[0];
  const { tiles } = m.puzzle(x, task); // colour tiles in puzzle order, pixels
  const gray = tiles.select(2, 0).mul(0.2989).add(tiles.select(2, 1).mul(0.587)).add(tiles.select(2, 2).mul(0.114))
    .unsqueeze(2).expand(tiles.shape);
  const present = torch.arange(9).view([1, 9]).ne(task.missing.view([B, 1])).view([B, 9, 1, 1, 1]);
  const out = predict(m, () => m.taskLoss(xn, task));
  const shape = [1, 1, 3, 1, 1];
  const pixels = (t: Tensor): Tensor => t.mul(torch.tensor(std.slice(0, 3)).view(shape)).add(torch.tensor(mean.slice(0, 3)).view(shape)).clamp(0, 1);
  const restored = torch.where(present, pixels(out.colorized), pixels(out.inpainted.unsqueeze(1)).expand(tiles.shape));
  return {
    columns: [x, mosaic(torch.where(present, gray, 0)), mosaic(tiles), mosaic(restored)],
    legend: ['original', 'input: shuffled, gray, one tile missing (black)', 'target: colour tiles in puzzle order',
      'prediction: colorized tiles and the inpainted missing one'],
    task: { origins: task.origins, labels: task.labels, missing: task.missing },
  };
}

/**
 * The grid's columns for `method` on images `x` (B, C, H, W) in [0, 1]
 * (normalised with `mean`/`std` for the network, as in training).
 * @example const { columns, legend } = taskColumns(new ssl.Rotation({ encoder: 'small_cnn' }), x, [0.5], [0.5], g);
 */
export function taskColumns(method: Method, x: Tensor, mean: readonly number[], std: readonly number[],
  generator: Generator): TaskColumns {
  const C = x.shape[1];
  const xn = x.sub(torch.tensor(mean.slice(0, C)).view([1, C, 1, 1])).div(torch.tensor(std.slice(0, C)).view([1, C, 1, 1]));
  if (method instanceof Rotation) return rotationColumns(method, x);
  if (method instanceof Jigsaw) return jigsawColumns(method, x, xn, generator);
  if (method instanceof RelativePosition) return relativePositionColumns(method, x, xn, generator);
  if (method instanceof ContextEncoder) return contextEncoderColumns(method, x, xn, generator, mean, std);
  if (method instanceof DamagedJigsaw) return damagedJigsawColumns(method, x, xn, generator, mean, std);
  throw new TypeError(`Expected a pretext method (${PREVIEW_TASKS.join(', ')}) for taskColumns but received ` +
    `'${method.name}'; use --recipe to preview an augmentation recipe`);
}

/**
 * Writes the grid of `task` on `n` random images of `dataset`: one row per
 * image, the columns of `taskColumns` (the original first).
 *
 * @example
 * await previewTask({ task: 'jigsaw', dataset: data.photoCrops({ split: 'train' }), out: 'jigsaw.png' });
 */
export async function previewTask(options: TaskPreviewOptions): Promise<ImageGridInfo & TaskColumns & { file: string }> {
  const { dataset } = options;
  const n = Math.min(options.n ?? 8, dataset.length);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Expected positive integer for n but received ${options.n}`);
  const method = options.method ?? previewMethod(options.task, dataset.images.shape);
  const made = scope(() => {
    const generator = new Generator().manualSeed(options.seed ?? 0);
    const picked = torch.randperm(dataset.length, { generator }).narrow(0, 0, n);
    const x = toFloatImages(dataset.images.indexSelect(0, picked));
    const out = taskColumns(method, x, dataset.mean, dataset.std, generator);
    return { columns: out.columns.map((c) => c.contiguous()), legend: out.legend, task: out.task };
  });
  try {
    const size = dataset.images.shape[2];
    const info = await writeImageGrid(options.out, made.columns, { scale: options.scale ?? (size < 64 ? 2 : 1) });
    return { file: options.out, ...info, ...made };
  } finally {
    if (options.method === undefined) method.dispose();
  }
}

