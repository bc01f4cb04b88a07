// `selfsup preview --task <name>`: a PNG grid of what a pretext task feeds
// its network and what it asks it to predict, built by the method's own task
// code (lib/train/pictures/task-columns.ts, which also draws a run's
// task.png) on a few images of a dataset. With a trained method (API, or
// --run), the network's predictions too.
import * as torch from '../torch';
import { Generator } from '../torch';
import { scope } from '../torch/scope';
import { ImageDataset } from '../data/dataset';
import { toFloatImages } from '../data/transforms/normalize';
import { writeImageGrid, ImageGridInfo } from '../data/image-grid';
import { Method } from '../ssl/method';
import { create as createMethod } from '../ssl/registry';
import { findCheckpoint, readCheckpoint } from '../train/checkpoint';
import { TASK_METHODS, TaskColumns, TaskMethodName, taskColumns } from '../train/pictures/task-columns';
import { buildMethod, readRunConfig } from './train';
import { gridScale, PREVIEW_OPTIONS } from './preview-options';
import { GivenOptions } from '../torch/option-table';

export { TaskColumns, taskColumns };

/** The pretext tasks `selfsup preview --task` shows. */
export const PREVIEW_TASKS = TASK_METHODS;
export type PreviewTask = TaskMethodName;

/** Options of `previewTask`. */
export interface TaskPreviewOptions extends GivenOptions<Omit<typeof PREVIEW_OPTIONS.specs, 'views'>> {
  task: PreviewTask;
  dataset: ImageDataset;
  /** Where to write the PNG. */
  out: string;
  /** The method whose task (and predictions) to show; default a fresh one for the dataset (small_cnn). */
  method?: Method;
}

/**
 * A fresh method of `task` for images of `shape` (N, C, H, W): small_cnn with
 * the data's channels (call its `augmentation` with the data's statistics
 * before drawing: colour methods undo the normalisation).
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

/**
 * Writes the grid of `task` on `n` random images of `dataset`: one row per
 * image, the columns of `taskColumns` (the original first).
 *
 * @example
 * await previewTask({ task: 'jigsaw', dataset: data.photoCrops({ split: 'train' }), out: 'jigsaw.png' });
 */
export async function previewTask(options: TaskPreviewOptions): Promise<ImageGridInfo & TaskColumns & { file: string }> {
  const { dataset } = options;
  const o = PREVIEW_OPTIONS.resolve(options, (k) => k);
  const n = Math.min(o.n, dataset.length);
  const method = options.method ?? previewMethod(options.task, dataset.images.shape);
  try {
    // A fresh method learns the data's normalisation (colour methods undo it to reach Lab) and checks the data fits.
    if (options.method === undefined) {
      const [, channels, size] = dataset.images.shape;
      method.augmentation({ size, channels, mean: dataset.mean, std: dataset.std, dataset: dataset.name });
    }
    const made = scope(() => {
      const generator = new Generator().manualSeed(o.seed);
      const picked = torch.randperm(dataset.length, { generator }).narrow(0, 0, n);
      const x = toFloatImages(dataset.images.indexSelect(0, picked));
      const out = taskColumns(method, x, dataset.mean, dataset.std, generator);
      return { columns: out.columns.map((c) => c.contiguous()), legend: out.legend, task: out.task };
    });
    const size = dataset.images.shape[2];
    const info = await writeImageGrid(options.out, made.columns, { scale: gridScale(o.scale, size) });
    return { file: options.out, ...info, ...made };
  } finally {
    if (options.method === undefined) method.dispose();
  }
}

