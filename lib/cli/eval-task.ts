// `selfsup eval` of a pretext run (rotation, jigsaw, ...): the method's own
// task on the held-out split (eval.json "task"), recomputed from a checkpoint,
// which holds the heads that encoder.safetensors leaves out, exactly as
// `selfsup train` computes it at the end of training (same images, same
// normalisation, tasks drawn from the run's seed).
import * as fs from 'fs';
import { Device } from '../torch';
import { ImageDataset } from '../data/dataset';
import { findCheckpoint, readCheckpoint } from '../train/checkpoint';
import { TASK_METHODS } from '../train/pictures/task-columns';
import { evaluateTask, TaskReport } from '../ssl/pretext/task-metrics';
import { buildMethod } from './train';
import { RunConfig } from './run-config';

/**
 * Whether a run's method is a pretext task with a held-out task metric.
 * @example isTaskRun(readRunConfig('runs/jigsaw-a')); // true
 */
export function isTaskRun(run: Pick<RunConfig, 'method'>): boolean {
  return (TASK_METHODS as readonly string[]).includes(run.method);
}

/**
 * The checkpoint whose heads judge the task when `selfsup eval` is given
 * `target` inside the run folder `runDir`: the checkpoint itself when target
 * is one (its .json or .safetensors), the newest checkpoint of a run folder,
 * and none for another file (a bare encoder.safetensors has no heads; the
 * task of a run is judged from its folder).
 *
 * @example taskCheckpoint('runs/jigsaw-a', 'runs/jigsaw-a'); // 'runs/jigsaw-a/checkpoints/step-00003276.safetensors'
 */
export function taskCheckpoint(target: string, runDir: string): string | undefined {
  if (fs.statSync(target).isDirectory()) return findCheckpoint(runDir).safetensors;
  if (target.endsWith('.json') || /[\\/]step-\d+\.safetensors$/.test(target)) return findCheckpoint(target).safetensors;
  return undefined;
}

/** What `evaluateRunTask` needs besides the run: its checkpoint, its two splits and where to run. */
export interface RunTaskInputs {
  /** A checkpoint's .safetensors or .json (`taskCheckpoint`). */
  checkpoint: string;
  /** The run's training split: its statistics normalise the images, as in training. */
  train: ImageDataset;
  /** The held-out split the task is drawn on. */
  test: ImageDataset;
  device: Device;
}

/**
 * Rebuilds a pretext run's method from its config, loads every weight and
 * buffer of `checkpoint` (strictly: heads, the colour encoders' input
 * statistics and the colorization prior included), lets it see the training
 * split's statistics as the Trainer did (`augmentation`), and evaluates its
 * task on `test` with the run's seed: the value `selfsup train` wrote.
 *
 * @example
 * const task = evaluateRunTask(run, { checkpoint: taskCheckpoint(dir, dir)!, train, test, device: 'cpu' });
 */
export function evaluateRunTask(run: RunConfig, o: RunTaskInputs): TaskReport {
  if (!isTaskRun(run)) {
    throw new TypeError(`Expected a pretext run (${TASK_METHODS.join(', ')}) for its task metric but the run's method is ` +
      `'${run.method}'`);
  }
  const { method } = buildMethod(run, o.train.images.shape);
  try {
    const [, channels, size] = o.train.images.shape;
    method.augmentation({ size, channels, mean: o.train.mean, std: o.train.std, dataset: o.train.name });
    const { tensors } = readCheckpoint(findCheckpoint(o.checkpoint));
    try {
      const model = new Map([...tensors].filter(([k]) => k.startsWith('model.')).map(([k, v]) => [k.slice('model.'.length), v]));
      try {
        method.loadStateDict(model, { strict: true });
      } catch (err) {
        throw new Error(`The checkpoint '${o.checkpoint}' does not fit the run's ${run.method}: ${(err as Error).message}`);
      }
    } finally {
      tensors.forEach((t) => t.dispose());
    }
    method.to(o.device);
    return evaluateTask(method, o.test, { mean: o.train.mean, std: o.train.std, seed: run.seed, device: o.device });
  } finally {
    method.dispose();
  }
}
