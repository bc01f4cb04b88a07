// `selfsup eval`: the evaluation table of a trained encoder, from a run folder,
// a checkpoint or an encoder's safetensors file.
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { Tensor } from '../torch';
import { loadSafetensors } from '../torch/safetensors';
import { writeFileAtomic } from '../torch/atomic-file';
import { disposeDataset, ImageDataset } from '../data/dataset';
import { create as createModel } from '../models/registry';
import { methodEncoder } from '../ssl/method-encoder';
import { Encoder } from '../models/encoder';
import { evaluateEncoder, formatReport, EvalReport } from '../eval/report';
import { findCheckpoint } from '../train/checkpoint';
import { loadDataSplit, parseDataSpec } from './data-spec';
import { encoderOptionsFor, readRunConfig } from './train';
import { RunConfig } from './run-config';
import { ENCODER_DEVICE_OPTIONS, flagOf, intArg, jsonArg } from './option-parsers';
import { KNN_OPTIONS } from '../eval/knn';
import { applyThreadsFlag, withThreadsOption } from './threads-option';
import { runTextEval, textRunOf } from './text-eval';
import { evaluateRunTask, isTaskRun, taskCheckpoint } from './eval-task';
import { formatTaskReport, TaskReport } from '../ssl/pretext/task-metrics';

/** Options of `runEval`. */
export interface EvalCommandOptions {
  knn?: boolean;
  linear?: boolean;
  floors?: boolean;
  /** Dataset to evaluate on (default: the run's). */
  data?: string;
  /** Encoder name and options when `target` is a bare safetensors file outside a run folder. */
  encoder?: string;
  encoderOptions?: Record<string, unknown>;
  device?: RunConfig['device'];
  trainSubset?: number;
  log?: (line: string) => void;
}

/** The run folder holding `file` (a checkpoint under runs/x/checkpoints/ or runs/x/encoder.safetensors), if any. */
export function runFolderOf(file: string): string | undefined {
  for (let dir = path.dirname(path.resolve(file)), i = 0; i < 3; dir = path.dirname(dir), i++) {
    if (fs.existsSync(path.join(dir, 'config.json'))) return dir;
  }
  return undefined;
}

/** The encoder weights in `target`: encoder.safetensors of a run, a checkpoint's `model.encoder.*`, or a bare file. */
export function encoderWeights(target: string): Map<string, Tensor> {
  let file = target;
  if (fs.statSync(target).isDirectory()) {
    const exported = path.join(target, 'encoder.safetensors');
    file = fs.existsSync(exported) ? exported : findCheckpoint(target).safetensors;
  } else if (target.endsWith('.json')) {
    file = findCheckpoint(target).safetensors;
  }
  const tensors = loadSafetensors(file);
  const prefix = 'model.encoder.';
  if (![...tensors.keys()].some((k) => k.startsWith(prefix))) return tensors;
  const out = new Map<string, Tensor>();
  for (const [k, t] of tensors) {
    if (k.startsWith(prefix)) out.set(k.slice(prefix.length), t);
    else t.dispose();
  }
  return out;
}

/**
 * Loads the encoder weights in `target` (see `encoderWeights`) into `encoder`,
 * strictly: every key must fit, else an error naming the file and the architecture.
 *
 * @example loadEncoderWeights(createModel('small_cnn', options), 'runs/simclr-a', 'small_cnn');
 */
export function loadEncoderWeights(encoder: Encoder, target: string, name: string): void {
  const weights = encoderWeights(target);
  try {
    encoder.loadStateDict(weights, { strict: true });
  } catch (err) {
    throw new Error(`The weights in '${target}' do not fit ${name}: ${(err as Error).message}`);
  } finally {
    weights.forEach((t) => t.dispose());
  }
}

/** What `runEval` returns: the frozen-encoder report, and a pretext run's own task (eval.json "task"). */
export type RunEvalReport = EvalReport & { task?: TaskReport };

/**
 * Evaluates the encoder of a run folder, checkpoint or safetensors file on a
 * labelled dataset: weighted k-NN and/or linear probe, with the raw-pixel and
 * random-encoder floors; for a pretext run (rotation, jigsaw, ...) evaluated
 * on its own data, also its task on the held-out split, recomputed from the
 * checkpoint (see eval-task.ts). Writes eval.json into the run folder when
 * there is one.
 *
 * @example const report = await runEval('runs/simclr-20261128-101500', { knn: true, linear: true });
 */
export async function runEval(target: string, o: EvalCommandOptions = {}): Promise<RunEvalReport> {
  if (!fs.existsSync(target)) throw new Error(`Cannot evaluate '${target}': no such run folder or file`);
  const runDir = fs.statSync(target).isDirectory() ? target : runFolderOf(target);
  let run: RunConfig | undefined;
  if (runDir !== undefined) {
    try {
      run = readRunConfig(runDir);
    } catch (err) {
      // A run folder written through the API has no CLI record: the flags must name the encoder and the data.
      if (o.encoder === undefined || o.data === undefined) {
        throw new Error(`${(err as Error).message}; or name the encoder and the data with --encoder and --data`);
      }
    }
  }
  const encoderName = o.encoder ?? run?.encoder;
  if (encoderName === undefined) {
    throw new Error(`'${target}' is not inside a run folder: name its architecture with --encoder (and --encoder-options)`);
  }
  const dataArg = o.data ?? run?.data;
  if (dataArg === undefined) throw new Error('Name the dataset to evaluate on with --data (e.g. --data fashion-mnist)');
  const spec = parseDataSpec(dataArg);
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const datasets: ImageDataset[] = [];
  let encoder: Encoder | undefined;
  try {
    const train = await loadDataSplit(spec, 'train', run?.imageSize) as ImageDataset;
    datasets.push(train);
    const test = await loadDataSplit(spec, 'test', run?.imageSize);
    if (test === undefined) throw new Error(`--data ${dataArg} has no test split: evaluate on a labelled dataset with train and test splits`);
    datasets.push(test);
    const encoderOptions = encoderOptionsFor(encoderName, train.images.shape,
      { ...(o.encoder === undefined ? run?.encoderOptions : undefined), ...o.encoderOptions });
    // A run's own architecture is the encoder its method trains (a Lab wrapper for the colour tasks).
    const method = o.encoder === undefined ? run?.method : undefined;
    const build = (): Encoder => method === undefined ? createModel(encoderName, encoderOptions)
      : methodEncoder(method, encoderName, encoderOptions, { mean: train.mean, std: train.std }, run?.methodOptions);
    const { device } = ENCODER_DEVICE_OPTIONS.resolve(o, flagOf);
    encoder = build();
    encoder.to(device);
    loadEncoderWeights(encoder, target, encoderName);
    const both = o.knn === undefined && o.linear === undefined;
    const report = await evaluateEncoder(encoder, {
      train, test, knn: both || o.knn === true, linear: both || o.linear === true, floors: o.floors,
      randomEncoder: build, device, trainSubset: o.trainSubset, log,
    });
    const task = runDir !== undefined && run !== undefined && method !== undefined && (o.data === undefined || o.data === run.data)
      ? runTask(target, runDir, run, train, test, device, log) : undefined;
    const full: RunEvalReport = task === undefined ? report : { ...report, task };
    if (runDir !== undefined && run !== undefined) {
      writeFileAtomic(path.join(runDir, 'eval.json'), `${JSON.stringify(full, null, 2)}\n`);
    }
    return full;
  } finally {
    encoder?.dispose();
    datasets.forEach(disposeDataset);
  }
}

/** A pretext run's task from the checkpoint `target` names (or the run's newest); undefined, with the reason logged, when there is none. */
function runTask(target: string, runDir: string, run: RunConfig, train: ImageDataset, test: ImageDataset,
  device: RunConfig['device'], log: (line: string) => void): TaskReport | undefined {
  if (!isTaskRun(run)) return undefined;
  let checkpoint: string | undefined;
  try {
    checkpoint = taskCheckpoint(target, runDir);
  } catch (err) {
    log(`The ${run.method} task metric needs a checkpoint (its heads), and '${runDir}' has none: ${(err as Error).message}`);
    return undefined;
  }
  if (checkpoint === undefined) {
    log(`The ${run.method} task metric needs the heads: evaluate the run folder or a checkpoint, not '${target}'`);
    return undefined;
  }
  log(`Pretext task: ${run.method} on the held-out ${test.name} images, heads from ${checkpoint}`);
  return evaluateRunTask(run, { checkpoint, train, test, device });
}

/**
 * Registers `selfsup eval <run or checkpoint> [--knn] [--linear] ...`.
 * @example registerEval(new Command('selfsup'));
 */
export function registerEval(program: Command): void {
  const command = program.command('eval')
    .description(`Evaluate a trained encoder: weighted k-NN (k ${[KNN_OPTIONS.defaults.k].flat().join(' and ')}, ` +
      `T ${KNN_OPTIONS.defaults.temperature}) and a linear probe, next to ` +
      'raw pixels and a random encoder; for a pretext run, also its own task on the held-out images')
    .argument('<target>', 'run folder, checkpoint (.json or .safetensors) or encoder .safetensors')
    .option('--knn', 'only the weighted k-NN (without --knn or --linear: both)')
    .option('--linear', 'only the linear probe on frozen features (without --knn or --linear: both)')
    .option('--no-floors', 'leave out the raw-pixel and random-encoder rows')
    .option('--data <spec>', 'labelled dataset (default: the run\'s)')
    .option('--encoder <name>', 'architecture of a bare safetensors file')
    .option('--encoder-options <json>', 'its options as JSON', jsonArg('--encoder-options'))
    .option('--device <device>', 'cpu, cuda or cuda:N', ENCODER_DEVICE_OPTIONS.defaults.device)
    .option('--train-subset <n>', 'training images for the k-NN bank and the probe (default all)', intArg('--train-subset'));
  withThreadsOption(command)
    .action(async (target: string, f: EvalFlags) => {
      applyThreadsFlag(f.threads);
      if (textRunOf(target) !== undefined) {
        // A text run's evaluation is fixed by the run (its data, model and floors): flags that would change it are refused.
        const given = (['knn', 'linear', 'data', 'encoder', 'encoderOptions', 'trainSubset'] as const).filter((k) => f[k] !== undefined)
          .map((k) => `--${k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`);
        if (!f.floors) given.push('--no-floors');
        if (f.device !== 'cpu') given.push('--device');
        if (given.length > 0) throw new Error(`selfsup eval of a bert, albert or clip run recomputes the run's own table; drop ${given.join(' ')}`);
        await runTextEval(target);
        return;
      }
      const report = await runEval(target, evalCommandOptions(f));
      process.stdout.write(`${formatReport(report)}\n`);
      if (report.task !== undefined) process.stdout.write(`\nPretext task: ${formatTaskReport(report.task)}\n`);
    });
}

/** The flags of `selfsup eval`, as commander gives them. */
export interface EvalFlags {
  knn?: boolean; linear?: boolean; floors: boolean; data?: string; encoder?: string;
  encoderOptions?: Record<string, unknown>; device: string; trainSubset?: number; threads?: number;
}

/**
 * The `runEval` options of `selfsup eval`'s flags (--threads is applied by the command itself).
 * @example evalCommandOptions({ knn: true, floors: false, device: 'cpu' }); // { knn: true, floors: false, device: 'cpu' }
 */
export function evalCommandOptions(f: EvalFlags): EvalCommandOptions {
  const { threads: _threads, ...rest } = f;
  return { ...rest, device: f.device as RunConfig['device'] };
}
