// The Trainer's options: their types, defaults and checks, resolved once
// before any work starts so that bad input fails fast with a clear message.
import { Device } from '../torch';
import { checkDevice } from '../torch/arguments';
import { defineOptions, GivenOptions, is, option, OPTIONAL, OptionCheck, TableValues } from '../torch/option-table';
import { ImageDataset } from '../data/dataset';
import { MultiView } from '../data/transforms/multi-crop';
import { OptimizerRecipe } from '../ssl/method';
import { DATA_PARALLEL_OPTIONS, DataParallelOptions } from './data-parallel';

/** One record of metrics.jsonl, as `onLog` receives it. */
export type LogRecord = StepRecord | KnnRecord | EpochRecord;

/** Logged every `logEvery` steps. */
export interface StepRecord {
  type: 'step';
  /** The 0-based step just taken. */
  step: number;
  /** Its 0-based epoch. */
  epoch: number;
  loss: number;
  lr: number;
  wd: number;
  /** Images per second over the steps since the previous record. */
  imgPerSec: number;
  /** Mean per-dimension std of the L2-normalised embeddings (about 1/sqrt(D) when healthy, 0 when collapsed); null without embedding. */
  embStd: number | null;
  /** Seconds of training so far (across resumes). */
  time: number;
  /** Seconds left at the current speed. */
  eta: number;
  /** The method's own scalars (`StepOutput.logs`). */
  logs?: Record<string, number>;
}

/** The online k-NN monitor's result (after an epoch). */
export interface KnnRecord {
  type: 'knn';
  /** Steps completed. */
  step: number;
  /** The epoch just completed (0-based). */
  epoch: number;
  /** Top-1 accuracy in [0, 1] by k. */
  top1: Record<string, number>;
  time: number;
}

/** Written when an epoch ends. */
export interface EpochRecord {
  type: 'epoch';
  /** Steps completed. */
  step: number;
  /** The epoch just completed (0-based). */
  epoch: number;
  /** Mean of the losses read during the epoch (since the resume point when resumed mid-epoch). */
  loss: number;
  /** Seconds the epoch took. */
  seconds: number;
  time: number;
}

/** The online k-NN monitor's options with a default: the table. */
export const MONITOR_OPTIONS = defineOptions({
  /** Run every this many epochs (default 1) and after the last one. */
  everyEpochs: option(1, is.int(1)),
  /** Images of `train` used (default 10000; all when fewer). */
  trainSubset: option(10000, is.int(1)),
  /** Images of `test` used (default 2000; all when fewer). */
  testSubset: option(2000, is.int(1)),
  /** Neighbours (default 20). */
  k: option(20, is.int(1)),
});

/** The online k-NN monitor: weighted k-NN of the encoder's features on fixed seeded subsets. */
export interface MonitorOptions extends GivenOptions<typeof MONITOR_OPTIONS.specs> {
  /** Labelled images the neighbours come from. */
  train: ImageDataset;
  /** Labelled images that are classified. */
  test: ImageDataset;
}

/** A stream the progress reporter writes to (process.stderr by default). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** One of `allowed` (strings or booleans), else a TypeError listing them and showing the value as JSON. */
function choice<T extends string | boolean>(allowed: readonly T[], list: string): OptionCheck<T> {
  return (v, what) => {
    if (!(allowed as readonly unknown[]).includes(v)) throw new TypeError(`Expected ${list} for ${what} but received ${JSON.stringify(v)}`);
    return v as T;
  };
}

/** A non-empty path, else a TypeError saying what kind of path. */
function pathCheck(kind: string): OptionCheck<string> {
  return (v, what) => {
    if (typeof v !== 'string' || v === '') throw new TypeError(`Expected ${kind} for ${what} but received ${JSON.stringify(v)}`);
    return v;
  };
}

/**
 * The Trainer's options with a default or a check: each stated once, here.
 * What a run needs but no table can default (the data, the augmentation, the
 * monitor's datasets, callbacks, streams) stays on `TrainerOptions`.
 */
export const TRAINER_OPTIONS = defineOptions({
  /** Passes over the data (default 10 when `steps` is not given). Give `epochs` or `steps`, not both. */
  epochs: option(10, is.int(1)),
  /** Optimizer steps in all (epochs then follow from the loader's length). */
  steps: option(OPTIONAL, is.int(1)),
  /** Images per step (default 256); at most the dataset's size. */
  batchSize: option(256, is.int(1)),
  /** 'cpu' (default), 'cuda', 'cuda:N'. The method is moved there. */
  device: option<Device>('cpu', checkDevice),
  /** Seeds the global RNG, the data order and the augmentation generator (default 0). */
  seed: option(0, is.int(0)),
  /** The absolute peak learning rate (no batch-size scaling). */
  lr: option(OPTIONAL, is.number(0)),
  /** 'auto' (default: bfloat16 autocast on CUDA, float32 on CPU), 'float32', 'bfloat16'. */
  precision: option<'auto' | 'float32' | 'bfloat16'>('auto', is.oneOf(['auto', 'float32', 'bfloat16'])),
  /** Clip the global gradient norm to this (overrides `recipe.clipGrad`); 0 disables clipping. */
  clipGrad: option(OPTIONAL, is.number(0)),
  /**
   * Channels-last memory format for the weights and the views: 'auto'
   * (default) = on for convolutional encoders on CUDA (where cuDNN's NHWC
   * kernels are faster), off on CPU and for ViTs; true/false force it.
   */
  channelsLast: option<'auto' | boolean>('auto', choice(['auto', true, false], "'auto', true or false")),
  /**
   * Capture the whole training step into a CUDA graph after a few eager
   * warm-up steps, then replay it: 'auto' (default) = on CUDA when the method
   * is `capturable`; false = eager; true = required (an error on CPU or with a
   * method that is not capturable); 'rehearse' = the graph path run eagerly
   * with the capture rules checked, on any device (tests a method without a GPU).
   */
  cudaGraph: option<'auto' | boolean | 'rehearse'>('auto',
    choice(['auto', true, false, 'rehearse'], "'auto', true, false or 'rehearse'")),
  /** The run folder; omitted = nothing is written. */
  out: option(OPTIONAL, pathCheck('a folder path')),
  /** Save a checkpoint every this many steps (besides every epoch end and the end). */
  checkpointEvery: option(OPTIONAL, is.int(1)),
  /** 'auto' (default: a bar on a TTY, else plain lines), 'bar', 'lines', 'none'. */
  progress: option<'auto' | 'bar' | 'lines' | 'none'>('auto', is.oneOf(['auto', 'bar', 'lines', 'none'])),
  /** Log (and, on CUDA, read the loss) every this many steps (default 10). */
  logEvery: option(10, is.int(1)),
  /** Resume from a run folder (its latest checkpoint) or a checkpoint file (.json or .safetensors). */
  resume: option(OPTIONAL, pathCheck('a run folder or checkpoint path')),
  /** Ctrl-C acts as an abort; a second Ctrl-C exits at once (default true). */
  handleSigint: option(true, is.boolean),
  /** Extra JSON recorded in config.json (e.g. the CLI's encoder and dataset spec). Default none. */
  config: option<Record<string, unknown>>(Object.freeze({}), (v, what) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`Expected an object for ${what} but received ${JSON.stringify(v)}`);
    return v as Record<string, unknown>;
  }),
});

/** Options of `new Trainer(method, options)`: the table's, and what has no default. */
export interface TrainerOptions extends GivenOptions<typeof TRAINER_OPTIONS.specs> {
  /** The training images (labels are not used). */
  data: ImageDataset;
  /** Overrides fields of `method.recipe`. */
  optimizer?: Partial<OptimizerRecipe>;
  /** The views; default `method.augmentation({ size, channels, mean, std })` of the data. */
  augmentation?: MultiView;
  /** Online k-NN monitor on labelled data. */
  monitor?: MonitorOptions;
  /** Where progress goes (default process.stderr). */
  stream?: ProgressStream;
  /** Abort: stop after the current step, save a checkpoint, resolve with `interrupted: true`. */
  signal?: AbortSignal;
  /** Receives every metrics record (on rank 0 only in a data-parallel run). */
  onLog?: (record: LogRecord) => void;
  /**
   * The data-parallel mode, used when the default process group has more
   * than one rank (`torch.distributed.initProcessGroup()` before the Trainer
   * is built): `batchSize` is then the global batch, split evenly among the ranks.
   */
  distributed?: DataParallelOptions;
}

/** Options after defaults and checks: the table's values, with 'auto' precision and progress settled. */
export interface ResolvedOptions extends Omit<TableValues<typeof TRAINER_OPTIONS>, 'epochs' | 'precision' | 'progress'> {
  /** Undefined when `steps` was given. */
  epochs?: number;
  precision: 'float32' | 'bfloat16';
  monitor?: Required<MonitorOptions>;
  progress: 'bar' | 'lines' | 'none';
  stream: ProgressStream;
  distributed: Required<DataParallelOptions>;
}

/**
 * Checks `options` against the dataset and returns them with defaults, so a
 * mistake is reported before any work starts.
 *
 * @example
 * const o = resolveOptions({ data, epochs: 1, batchSize: 64 }); // o.device === 'cpu'
 */
export function resolveOptions(options: TrainerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected an options object ({ data, epochs, ... }) for Trainer but received ${String(options)}`);
  }
  const data = options.data;
  if (data === null || typeof data !== 'object' || data.images === undefined || typeof data.images.dim !== 'function' ||
      data.images.dim() !== 4) {
    throw new TypeError('Expected an ImageDataset with uint8 (N, C, H, W) images for options.data but received ' +
      String(data));
  }
  const n = data.images.shape[0];
  if (options.epochs !== undefined && options.steps !== undefined) {
    throw new RangeError(`Expected either epochs or steps for the Trainer but received both (epochs ${options.epochs}, ` +
      `steps ${options.steps})`);
  }
  const o = TRAINER_OPTIONS.resolve(options, (k) => k);
  if (o.batchSize > n) {
    throw new RangeError(`batchSize ${o.batchSize} is larger than the dataset '${data.name}' (${n} images): ` +
      `lower batchSize to at most ${n}`);
  }
  if (o.cudaGraph === true && !o.device.startsWith('cuda')) {
    throw new RangeError(`cudaGraph: true needs a CUDA device but device is '${o.device}': use cudaGraph 'auto' or false ` +
      "(or 'rehearse' to check the step's capturability without a GPU)");
  }
  const stream = options.stream ?? process.stderr;
  return {
    ...o,
    epochs: o.steps === undefined ? o.epochs : undefined,
    precision: o.precision === 'auto' ? (o.device === 'cpu' ? 'float32' : 'bfloat16') : o.precision,
    monitor: options.monitor === undefined ? undefined : resolveMonitor(options.monitor),
    progress: o.progress === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : o.progress,
    stream,
    distributed: resolveDistributed(options.distributed),
  };
}

function resolveDistributed(d: DataParallelOptions | undefined): Required<DataParallelOptions> {
  if (d !== undefined && (d === null || typeof d !== 'object')) {
    throw new TypeError(`Expected an object ({ syncBatchNorm, findUnusedParameters }) for distributed but received ${String(d)}`);
  }
  return DATA_PARALLEL_OPTIONS.resolve(d ?? {}, (k) => `distributed.${k}`);
}

function resolveMonitor(m: MonitorOptions): Required<MonitorOptions> {
  for (const split of ['train', 'test'] as const) {
    const ds = m[split];
    if (ds === undefined || ds.labels === undefined) {
      throw new TypeError(`Expected a labelled ImageDataset for monitor.${split} (the k-NN monitor needs labels) but ` +
        `received ${ds === undefined ? 'undefined' : `'${ds.name}' without labels`}`);
    }
  }
  return { train: m.train, test: m.test, ...MONITOR_OPTIONS.resolve(m, (k) => `monitor.${k}`) };
}
