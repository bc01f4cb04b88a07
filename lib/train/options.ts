// The Trainer's options: their types, defaults and checks, resolved once
// before any work starts so that bad input fails fast with a clear message.
import { Device } from '../torch';
import { checkDevice, checkInt, checkNumber, checkOneOf } from '../torch/arguments';
import { ImageDataset } from '../data/dataset';
import { MultiView } from '../data/transforms/multi-crop';
import { OptimizerRecipe } from '../ssl/method';
import { DataParallelOptions } from './data-parallel';

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

/** The online k-NN monitor: weighted k-NN of the encoder's features on fixed seeded subsets. */
export interface MonitorOptions {
  /** Labelled images the neighbours come from. */
  train: ImageDataset;
  /** Labelled images that are classified. */
  test: ImageDataset;
  /** Run every this many epochs (default 1) and after the last one. */
  everyEpochs?: number;
  /** Images of `train` used (default 10000; all when fewer). */
  trainSubset?: number;
  /** Images of `test` used (default 2000; all when fewer). */
  testSubset?: number;
  /** Neighbours (default 20). */
  k?: number;
}

/** A stream the progress reporter writes to (process.stderr by default). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** Options of `new Trainer(method, options)`. */
export interface TrainerOptions {
  /** The training images (labels are not used). */
  data: ImageDataset;
  /** Passes over the data (default 10 when `steps` is not given). Give `epochs` or `steps`, not both. */
  epochs?: number;
  /** Optimizer steps in all (epochs then follow from the loader's length). */
  steps?: number;
  /** Images per step (default 256); at most the dataset's size. */
  batchSize?: number;
  /** 'cpu' (default), 'cuda', 'cuda:N'. The method is moved there. */
  device?: Device;
  /** Seeds the global RNG, the data order and the augmentation generator (default 0). */
  seed?: number;
  /** Overrides fields of `method.recipe`. */
  optimizer?: Partial<OptimizerRecipe>;
  /** The absolute peak learning rate (no batch-size scaling). */
  lr?: number;
  /** 'auto' (default: bfloat16 autocast on CUDA, float32 on CPU), 'float32', 'bfloat16'. */
  precision?: 'auto' | 'float32' | 'bfloat16';
  /** Clip the global gradient norm to this (overrides `recipe.clipGrad`); 0 disables clipping. */
  clipGrad?: number;
  /**
   * Channels-last memory format for the weights and the views: 'auto'
   * (default) = on for convolutional encoders on CUDA (where cuDNN's NHWC
   * kernels are faster), off on CPU and for ViTs; true/false force it.
   */
  channelsLast?: 'auto' | boolean;
  /**
   * Capture the whole training step into a CUDA graph after a few eager
   * warm-up steps, then replay it: 'auto' (default) = on CUDA when the method
   * is `capturable`; false = eager; true = required (an error on CPU or with a
   * method that is not capturable); 'rehearse' = the graph path run eagerly
   * with the capture rules checked, on any device (tests a method without a GPU).
   */
  cudaGraph?: 'auto' | boolean | 'rehearse';
  /** The views; default `method.augmentation({ size, channels, mean, std })` of the data. */
  augmentation?: MultiView;
  /** The run folder; omitted = nothing is written. */
  out?: string;
  /** Save a checkpoint every this many steps (besides every epoch end and the end). */
  checkpointEvery?: number;
  /** Online k-NN monitor on labelled data. */
  monitor?: MonitorOptions;
  /** 'auto' (default: a bar on a TTY, else plain lines), 'bar', 'lines', 'none'. */
  progress?: 'auto' | 'bar' | 'lines' | 'none';
  /** Where progress goes (default process.stderr). */
  stream?: ProgressStream;
  /** Log (and, on CUDA, read the loss) every this many steps (default 10). */
  logEvery?: number;
  /** Extra JSON recorded in config.json (e.g. the CLI's encoder and dataset spec). */
  config?: Record<string, unknown>;
  /** Resume from a run folder (its latest checkpoint) or a checkpoint file (.json or .safetensors). */
  resume?: string;
  /** Abort: stop after the current step, save a checkpoint, resolve with `interrupted: true`. */
  signal?: AbortSignal;
  /** Ctrl-C acts as an abort; a second Ctrl-C exits at once (default true). */
  handleSigint?: boolean;
  /** Receives every metrics record (on rank 0 only in a data-parallel run). */
  onLog?: (record: LogRecord) => void;
  /**
   * The data-parallel mode, used when the default process group has more
   * than one rank (`torch.distributed.initProcessGroup()` before the Trainer
   * is built): `batchSize` is then the global batch, split evenly among the ranks.
   */
  distributed?: DataParallelOptions;
}

/** Options after defaults and checks. */
export interface ResolvedOptions {
  epochs?: number;
  steps?: number;
  batchSize: number;
  device: Device;
  seed: number;
  precision: 'float32' | 'bfloat16';
  clipGrad?: number;
  channelsLast: 'auto' | boolean;
  cudaGraph: 'auto' | boolean | 'rehearse';
  out?: string;
  checkpointEvery?: number;
  monitor?: Required<MonitorOptions>;
  progress: 'bar' | 'lines' | 'none';
  stream: ProgressStream;
  logEvery: number;
  handleSigint: boolean;
  resume?: string;
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
  const epochs = options.steps === undefined ? checkInt(options.epochs ?? 10, 'epochs', 1) : undefined;
  const steps = options.steps === undefined ? undefined : checkInt(options.steps, 'steps', 1);
  const batchSize = checkInt(options.batchSize ?? 256, 'batchSize', 1);
  if (batchSize > n) {
    throw new RangeError(`batchSize ${batchSize} is larger than the dataset '${data.name}' (${n} images): ` +
      `lower batchSize to at most ${n}`);
  }
  const device = checkDevice(options.device ?? 'cpu', 'device');
  const precision = checkOneOf(options.precision ?? 'auto', ['auto', 'float32', 'bfloat16'], 'precision');
  const channelsLast = options.channelsLast ?? 'auto';
  if (channelsLast !== 'auto' && typeof channelsLast !== 'boolean') {
    throw new TypeError(`Expected 'auto', true or false for channelsLast but received ${JSON.stringify(channelsLast)}`);
  }
  const cudaGraph = options.cudaGraph ?? 'auto';
  if (cudaGraph !== 'auto' && cudaGraph !== 'rehearse' && typeof cudaGraph !== 'boolean') {
    throw new TypeError(`Expected 'auto', true, false or 'rehearse' for cudaGraph but received ${JSON.stringify(cudaGraph)}`);
  }
  if (cudaGraph === true && !device.startsWith('cuda')) {
    throw new RangeError(`cudaGraph: true needs a CUDA device but device is '${device}': use cudaGraph 'auto' or false ` +
      "(or 'rehearse' to check the step's capturability without a GPU)");
  }
  const progress = checkOneOf(options.progress ?? 'auto', ['auto', 'bar', 'lines', 'none'], 'progress');
  const stream = options.stream ?? process.stderr;
  const monitor = options.monitor === undefined ? undefined : resolveMonitor(options.monitor);
  if (options.lr !== undefined) checkNumber(options.lr, 'lr', 0);
  if (options.clipGrad !== undefined) checkNumber(options.clipGrad, 'clipGrad', 0);
  if (options.out !== undefined && (typeof options.out !== 'string' || options.out === '')) {
    throw new TypeError(`Expected a folder path for out but received ${JSON.stringify(options.out)}`);
  }
  if (options.resume !== undefined && (typeof options.resume !== 'string' || options.resume === '')) {
    throw new TypeError(`Expected a run folder or checkpoint path for resume but received ${JSON.stringify(options.resume)}`);
  }
  return {
    epochs,
    steps,
    batchSize,
    device,
    seed: checkInt(options.seed ?? 0, 'seed', 0),
    precision: precision === 'auto' ? (device === 'cpu' ? 'float32' : 'bfloat16') : precision,
    clipGrad: options.clipGrad,
    channelsLast,
    cudaGraph,
    out: options.out,
    checkpointEvery: options.checkpointEvery === undefined ? undefined : checkInt(options.checkpointEvery, 'checkpointEvery', 1),
    monitor,
    progress: progress === 'auto' ? (stream.isTTY ? 'bar' : 'lines') : progress,
    stream,
    logEvery: checkInt(options.logEvery ?? 10, 'logEvery', 1),
    handleSigint: options.handleSigint ?? true,
    resume: options.resume,
    distributed: resolveDistributed(options.distributed),
  };
}

function resolveDistributed(d: DataParallelOptions | undefined): Required<DataParallelOptions> {
  if (d !== undefined && (d === null || typeof d !== 'object')) {
    throw new TypeError(`Expected an object ({ syncBatchNorm, findUnusedParameters }) for distributed but received ${String(d)}`);
  }
  const out = { syncBatchNorm: d?.syncBatchNorm ?? true, findUnusedParameters: d?.findUnusedParameters ?? false };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v !== 'boolean') throw new TypeError(`Expected true or false for distributed.${k} but received ${JSON.stringify(v)}`);
  }
  return out;
}

function resolveMonitor(m: MonitorOptions): Required<MonitorOptions> {
  for (const split of ['train', 'test'] as const) {
    const ds = m[split];
    if (ds === undefined || ds.labels === undefined) {
      throw new TypeError(`Expected a labelled ImageDataset for monitor.${split} (the k-NN monitor needs labels) but ` +
        `received ${ds === undefined ? 'undefined' : `'${ds.name}' without labels`}`);
    }
  }
  return {
    train: m.train,
    test: m.test,
    everyEpochs: checkInt(m.everyEpochs ?? 1, 'monitor.everyEpochs', 1),
    trainSubset: checkInt(m.trainSubset ?? 10000, 'monitor.trainSubset', 1),
    testSubset: checkInt(m.testSubset ?? 2000, 'monitor.testSubset', 1),
    k: checkInt(m.k ?? 20, 'monitor.k', 1),
  };
}
