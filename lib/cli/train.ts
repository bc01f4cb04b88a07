// `selfsup train`: trains a method on a dataset into a run folder, then
// prints the evaluation table (k-NN and linear probe next to their floors).
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { writeFileAtomic } from '../torch/atomic-file';
import { Tensor } from '../torch';
import { manualSeed } from '../torch/random';
import { disposeDataset, ImageDataset } from '../data/dataset';
import { Encoder } from '../models/encoder';
import { create as createMethod, list as listMethods } from '../ssl/registry';
import { methodEncoder } from '../ssl/method-encoder';
import { LabEncoder } from '../ssl/pretext/lab-encoder';
import { Method, MethodName, OptimizerRecipe } from '../ssl/method';
import { Trainer, TrainResult } from '../train/trainer';
import { ProgressStream } from '../train/options';
import { evaluateEncoder, formatReport, EvalReport } from '../eval/report';
import { writeRunEvents } from '../export/tensorboard/run-events';
import { startDashboardThread } from '../dashboard/thread';
import { writeEndPictures } from '../train/pictures/end-pictures';
import { isTaskMethod } from '../train/pictures/task-columns';
import { evaluateTask, formatTaskReport, TaskReport } from '../ssl/pretext/task-metrics';
import { DataSpec, loadDataSplit, parseDataSpec } from './data-spec';
import { checkRunConfig, readConfigFile, RUN_DEFAULTS, RunConfig } from './run-config';
import { MAIN_JOB, MAIN_JOB_MINUTES } from './main-job';
import { CPU_PRESETS } from './cpu-presets';
import { defaultData } from './method-data';
import { intArg, jsonArg, numberArg } from './option-parsers';
import { applyThreadsFlag, withThreadsOption } from './threads-option';
import { isTextMethod, runTextTrain, TextMethodName, textResumeConfig, textRunConfig, TEXT_METHODS } from './text-train';
import { textRunOf } from './text-run-config';
import { LaunchFlags, joinFromEnv, launchRanks, withLaunchOptions, withoutLaunchFlags } from './distributed-train';

/** Defaults of a run of `method` when the main job's preset does not apply. */
function methodDefaults(method: MethodName, device: string): RunConfig {
  const vit = method === 'dino' || method === 'mae';
  return {
    ...RUN_DEFAULTS, method, data: defaultData(method),
    encoder: vit ? 'vit_tiny_patch4_224' : device === 'cpu' ? 'small_cnn' : 'resnet18',
    encoderOptions: {}, methodOptions: {}, optimizer: {}, out: '',
    ...(device === 'cpu' ? CPU_PRESETS[method] : undefined),
  };
}

/**
 * The options of `encoder` as a feature extractor for images of `shape`
 * (N, C, H, W): input channels, image size and the small-image ResNet stem
 * follow from the data, `overrides` go over them, numClasses is 0.
 *
 * @example encoderOptionsFor('resnet18', [50000, 3, 32, 32], {}); // { inChannels: 3, smallImages: true, numClasses: 0 }
 */
export function encoderOptionsFor(encoder: string, shape: readonly number[],
  overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const [, channels, size] = shape;
  const fromData = encoder.startsWith('vit_') ? { inChannels: channels, imgSize: size }
    : encoder.startsWith('resnet') ? { inChannels: channels, smallImages: size <= 64 } : { inChannels: channels };
  return { ...fromData, ...overrides, numClasses: 0 };
}

/** The method a run config describes, for data of `shape` (N, C, H, W). */
export function buildMethod(c: RunConfig, shape: readonly number[]): { method: Method; encoder: () => Encoder } {
  const encoderOptions = encoderOptionsFor(c.encoder, shape, c.encoderOptions);
  const methodOptions: Record<string, unknown> = { ...c.methodOptions };
  // NOTE: SimCLR's temperature: 0.5 on CIFAR-size images, 0.1 on ImageNet-size (SimCLR, appendix B.9 / table 5).
  if (c.method === 'simclr' && methodOptions.temperature === undefined && shape[2] > 64) methodOptions.temperature = 0.1;
  // DeepCluster v2's memory bank holds one row per training image.
  if (c.method === 'deepclusterv2' && methodOptions.datasetSize === undefined) methodOptions.datasetSize = shape[0];
  // The context encoder's bottleneck and the damaged jigsaw's generation heads are sized by the images.
  if ((c.method === 'context_encoder' || c.method === 'damaged_jigsaw') && methodOptions.imageSize === undefined) {
    methodOptions.imageSize = shape[2];
  }
  const method = createMethod(c.method, { encoder: c.encoder, encoderOptions, ...methodOptions } as never);
  return { method,
    encoder: () => methodEncoder(c.method, c.encoder, encoderOptions, encoderNormalisation(method), methodOptions) };
}

/** The input normalisation a colour method's encoder was set to (read when the floor's random copy is built, after the Trainer's augmentation set it). */
function encoderNormalisation(method: Method): { mean: number[]; std: number[] } | undefined {
  if (!(method.encoder instanceof LabEncoder)) return undefined;
  const read = (t: Tensor): number[] => Array.from(t.flatten().cpu().toTypedArray() as Float32Array);
  return { mean: read(method.encoder.rgbMean), std: read(method.encoder.rgbStd) };
}

/** What `runTrain` returns (for tests and programs). */
export interface TrainRun {
  config: RunConfig;
  result: TrainResult;
  report?: EvalReport;
  /** Pretext methods: their own task on the held-out split (eval.json's "task"). */
  task?: TaskReport;
  /** This process's rank in a data-parallel run (0 otherwise): only rank 0 writes (every rank shares the evaluation's encoding). */
  rank: number;
}

/**
 * Runs a resolved config: data, method, Trainer, then the evaluation table
 * (printed on `out`, written to eval.json). `resume` continues the run folder.
 *
 * @example await runTrain({ ...MAIN_JOB, epochs: 1, out: 'runs/quick' });
 */
export async function runTrain(c: RunConfig, options: {
  resume?: boolean; stream?: ProgressStream; progress?: 'auto' | 'bar' | 'lines' | 'none';
  print?: (text: string) => void;
} = {}): Promise<TrainRun> {
  checkRunConfig(c);
  // Under selfsup launch or torchrun: join the job (rank 0 logs and writes; every rank trains, monitors and evaluates).
  const place = await joinFromEnv(c.device);
  const lead = place.rank === 0;
  const print = !lead ? () => undefined : options.print ?? ((t: string) => process.stdout.write(t));
  const log = (line: string): void => { if (lead) (options.stream ?? process.stderr).write(`${line}\n`); };
  const spec = parseDataSpec(c.data);
  const datasets: ImageDataset[] = [];
  try {
    const train = await loadDataSplit(spec, 'train', c.imageSize) as ImageDataset;
    datasets.push(train);
    // Every rank takes part in the online k-NN monitor and in the final evaluation's feature extraction (both sharded).
    const wantTest = (c.eval || c.knnEvery > 0) && train.labels !== undefined;
    const test = wantTest ? await loadDataSplit(spec, 'test', c.imageSize) : undefined;
    if (test !== undefined) datasets.push(test);
    // The seed also fixes the initial weights: seed before the method is built.
    manualSeed(c.seed);
    const { method, encoder } = buildMethod(c, train.images.shape);
    const trainer = new Trainer(method, {
      data: train, epochs: c.epochs, steps: c.steps, batchSize: c.batchSize, lr: c.lr, optimizer: c.optimizer,
      device: c.device, seed: c.seed, precision: c.precision, clipGrad: c.clipGrad, checkpointEvery: c.checkpointEvery,
      cudaGraph: onOff(c.cudaGraph), channelsLast: onOff(c.channelsLast),
      out: c.out, progress: options.progress, stream: options.stream,
      monitor: test !== undefined && c.knnEvery > 0 ? { train, test, everyEpochs: c.knnEvery } : undefined,
      config: c as unknown as Record<string, unknown>, resume: options.resume ? c.out : undefined,
    });
    log(`Training ${c.method} (${c.encoder}, ${method.encoder.numParameters().toLocaleString('en-US')} parameters) on ` +
      `${train.name} (${train.length.toLocaleString('en-US')} images) for ${c.steps !== undefined ? `${c.steps} steps` :
        `${c.epochs} epochs`} on ${c.device}${place.worldSize > 1 ? ` x ${place.worldSize} ranks` : ''}; run folder ${c.out}`);
    if (options.progress !== 'none') log(COLUMNS);
    const result = await trainer.fit();
    if (result.interrupted) {
      log(`Interrupted after step ${result.steps}: resume with  selfsup train --resume ${c.out}`);
      return { config: c, result, rank: place.rank };
    }
    log(`Trained ${result.steps} steps in ${result.seconds.toFixed(0)} s (${result.imagesPerSecond.toFixed(0)} images/s)`);
    if (lead) await endPictures(c, method, async () => test ?? await picturesSplit(spec, c, train, datasets), log);
    if (!c.eval || test === undefined) return { config: c, result, rank: place.rank };
    log('Evaluating: weighted k-NN (T = 0.07) and linear probe, next to raw pixels and a random encoder');
    // Each rank encodes its share of the images; the k-NN and the probe run alike on every rank, rank 0 writes them.
    const report = await evaluateEncoder(method.encoder, {
      train, test, randomEncoder: encoder, device: c.device, trainSubset: c.evalTrainSubset, log, sharded: place.worldSize > 1,
    });
    if (!lead) return { config: c, result, report, rank: place.rank };
    const task = isTaskMethod(method) ? evaluateTask(method, test, { mean: train.mean, std: train.std, seed: c.seed }) : undefined;
    writeFileAtomic(path.join(c.out, 'eval.json'), `${JSON.stringify(task === undefined ? report : { ...report, task }, null, 2)}\n`);
    print(`\n${formatReport(report)}\n`);
    if (task !== undefined) print(`\nPretext task: ${formatTaskReport(task)}\n`);
    print(`\n${whereThingsAre(c.out, result.encoder)}\n`);
    return { config: c, result, report, task, rank: place.rank };
  } finally {
    datasets.forEach(disposeDataset);
    place.leave();
  }
}

/**
 * The images the end-of-training pictures show when the run did not load its
 * test split (no evaluation, no online k-NN, or unlabelled data): the test
 * split where the data has one, else the training images (an image folder).
 * What it loads joins `datasets`, disposed with the run's.
 */
async function picturesSplit(spec: DataSpec, c: RunConfig, train: ImageDataset, datasets: ImageDataset[]): Promise<ImageDataset> {
  const test = await loadDataSplit(spec, 'test', c.imageSize);
  if (test === undefined) return train;
  datasets.push(test);
  return test;
}

/** The end-of-training pictures; a failure (reading their images included) is reported, not fatal (the run itself is complete). */
async function endPictures(c: RunConfig, method: Method, images: () => Promise<ImageDataset>,
  log: (line: string) => void): Promise<void> {
  const t0 = Date.now();
  try {
    const p = await writeEndPictures(c.out, method, await images(), { device: c.device, seed: c.seed });
    log(`Pictures (${((Date.now() - t0) / 1000).toFixed(1)} s): ${Object.values(p).map((f) => path.basename(f)).join(', ')} in ${c.out}`);
  } catch (err) {
    log(`Could not draw the end-of-training pictures: ${(err as Error).message}`);
  }
}

/** What the progress lines' columns mean (emb-std above all: nothing else on screen explains it). */
const COLUMNS = 'Columns: loss; lr, wd = learning rate, weight decay; emb-std = embedding std (collapse if near 0, ' +
  'about 1/sqrt(dim) when healthy); img/s; ETA = time left at the recent speed';

/** Where a finished run put its files, and how to evaluate it again. */
function whereThingsAre(out: string, encoder: string | undefined): string {
  return [
    `Run folder:  ${out}`,
    `Evaluation:  ${path.join(out, 'eval.json')}`,
    `Plots:       ${['loss.png', 'knn.png', 'retrieval.png', 'embedding-map.png', 'reconstruction.png', 'attention.png', 'task.png']
      .map((f) => path.join(out, f)).filter((f) => fs.existsSync(f)).join(', ')}`,
    `Encoder:     ${encoder ?? path.join(out, 'encoder.safetensors')}`,
    `Re-evaluate: selfsup eval ${out}`,
  ].join('\n');
}

/** A RunConfig on/off/auto switch as the Trainer's option. */
function onOff(v: 'auto' | 'on' | 'off' | undefined): 'auto' | boolean {
  return v === undefined || v === 'auto' ? 'auto' : v === 'on';
}

/** The RunConfig of a run folder's config.json (what `--resume` and `selfsup eval` rebuild). */
export function readRunConfig(dir: string): RunConfig {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) {
    throw new Error(`'${dir}' is not a run folder: it has no config.json (selfsup train writes one into --out)`);
  }
  let saved: { config?: RunConfig };
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8')) as { config?: RunConfig };
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}): the run folder's config.json is damaged`);
  }
  if (saved === null || typeof saved !== 'object' || saved.config === undefined || typeof saved.config.method !== 'string') {
    throw new Error(`${file} was not written by selfsup train (no "config" record): resume it from the API instead`);
  }
  return { ...saved.config, out: dir };
}

/** The flags of `selfsup train`, as commander gives them. */
interface TrainFlags extends LaunchFlags {
  data?: string; encoder?: string; encoderOptions?: Record<string, unknown>; methodOptions?: Record<string, unknown>;
  epochs?: number; steps?: number; batchSize?: number; lr?: number; device?: string; out?: string; resume?: string;
  config?: string; seed?: number; precision?: string; clipGrad?: number; checkpointEvery?: number; knnEvery?: number;
  cudaGraph?: string; channelsLast?: string; optimizer?: string;
  eval: boolean; imageSize?: number; evalTrainSubset?: number; progress?: string; threads?: number; tensorboard?: boolean;
  dashboard?: boolean | string;
}

/**
 * The RunConfig of a command line: the main job's preset when no method and
 * no --config are given, else the method's defaults, then the --config file,
 * then the flags.
 *
 * @example resolveRunConfig(undefined, { eval: true }); // the main job
 */
export function resolveRunConfig(methodArg: string | undefined, f: TrainFlags, now = new Date()): RunConfig {
  if (f.resume !== undefined) {
    const given = Object.entries(f).filter(([k, v]) => v !== undefined && !['resume', 'eval', 'device', 'progress', 'threads',
      'nprocPerNode', 'nnodes', 'nodeRank', 'masterAddr', 'masterPort', 'dashboard', 'tensorboard'].includes(k));
    if (methodArg !== undefined || given.length > 0) {
      const drop = [...(methodArg !== undefined ? [`'${methodArg}'`] : []),
        ...given.map(([k]) => `--${k.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`)];
      throw new Error(`--resume continues a run with its own config.json; drop ${drop.join(' ')}`);
    }
    const c = readRunConfig(f.resume);
    return { ...c, device: (f.device as RunConfig['device'] | undefined) ?? c.device, eval: f.eval && c.eval };
  }
  const file = f.config !== undefined ? readConfigFile(f.config) : {};
  const methodName = methodArg ?? file.method;
  if (methodName !== undefined && !(listMethods() as string[]).includes(methodName)) {
    throw new Error(`Unknown method '${methodName}'; expected one of ${listMethods().join(', ')}`);
  }
  const device = f.device ?? file.device ?? RUN_DEFAULTS.device;
  const base = methodName === undefined ? MAIN_JOB : methodDefaults(methodName as MethodName, device);
  const c: RunConfig = { ...base, ...file };
  // A config file that gives the run's length in steps (or epochs) replaces the defaults' length.
  if (file.steps !== undefined && file.epochs === undefined) delete c.epochs;
  if (file.epochs !== undefined && file.steps === undefined) delete c.steps;
  const set = <K extends keyof RunConfig>(key: K, value: RunConfig[K] | undefined): void => {
    if (value !== undefined) c[key] = value;
  };
  set('data', f.data);
  if (f.encoder !== undefined && f.encoder !== c.encoder) {
    c.encoder = f.encoder;
    c.encoderOptions = {};
  }
  set('encoderOptions', f.encoderOptions === undefined ? undefined : { ...c.encoderOptions, ...f.encoderOptions });
  set('methodOptions', f.methodOptions === undefined ? undefined : { ...c.methodOptions, ...f.methodOptions });
  if (f.steps !== undefined) {
    c.steps = f.steps;
    if (f.epochs === undefined) delete c.epochs;
  }
  if (f.epochs !== undefined) {
    c.epochs = f.epochs;
    if (f.steps === undefined) delete c.steps;
  }
  set('batchSize', f.batchSize);
  set('lr', f.lr);
  if (f.optimizer !== undefined) c.optimizer = { ...c.optimizer, optimizer: f.optimizer as OptimizerRecipe['optimizer'] };
  set('device', device as RunConfig['device']);
  set('seed', f.seed);
  set('precision', f.precision as RunConfig['precision'] | undefined);
  set('clipGrad', f.clipGrad);
  set('cudaGraph', f.cudaGraph as RunConfig['cudaGraph']);
  set('channelsLast', f.channelsLast as RunConfig['channelsLast']);
  set('checkpointEvery', f.checkpointEvery);
  set('knnEvery', f.knnEvery);
  set('imageSize', f.imageSize);
  set('evalTrainSubset', f.evalTrainSubset);
  if (!f.eval) c.eval = false;
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  c.out = f.out ?? (file.out !== undefined && file.out !== '' ? file.out : path.join('runs', `${c.method}-${stamp}`));
  checkRunConfig(c);
  return c;
}

/**
 * `--dashboard [port]`: serves the run folder's parent (so the page lists the
 * runs beside this one for comparison) from a worker thread while training,
 * and prints the page's URL on stderr with the run selected.
 */
async function serveRun(out: string, portFlag: boolean | string): Promise<{ close(): Promise<void> }> {
  const port = portFlag === true ? 6006 : Number(portFlag);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`Expected a port in 0..65535 for --dashboard but received ${String(portFlag)}`);
  }
  const root = path.dirname(path.resolve(out));
  fs.mkdirSync(root, { recursive: true });
  const d = await startDashboardThread({ root, port });
  process.stderr.write(`selfsup dashboard: ${d.url}?run=${encodeURIComponent(path.basename(out))} ` +
    '(served while training; afterwards: selfsup dashboard ' + `${path.dirname(out)})\n`);
  return d;
}

/** A command line without `--dashboard [port]` (or `--dashboard=<port>`). */
function withoutDashboardFlag(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith('--dashboard=')) continue;
    if (args[i] === '--dashboard') {
      if (/^\d+$/.test(args[i + 1] ?? '')) i++;
      continue;
    }
    out.push(args[i]);
  }
  return out;
}

/**
 * Registers `selfsup train [method] [--data ...] [--encoder ...] ...`.
 * @example registerTrain(new Command('selfsup'));
 */
export function registerTrain(program: Command): void {
  const command = program.command('train')
    .description('Train a self-supervised method into a run folder, then evaluate it (with no arguments: the ' +
      `main job, SimCLR on Fashion-MNIST in about ${MAIN_JOB_MINUTES} minutes on 2 idle CPU cores)`)
    .argument('[method]', `${[...listMethods(), ...TEXT_METHODS].join(', ')}`)
    .option('--data <spec>', 'fashion-mnist, cifar10:<dir>, cifar100:<dir> or folder:<dir> (clip: captions:<file.jsonl|file.csv> or scenes[:<n>])')
    .option('--encoder <name>', 'encoder from the model registry (selfsup info lists them)')
    .option('--encoder-options <json>', 'options of the encoder, e.g. \'{"width": 32}\'', jsonArg('--encoder-options'))
    .option('--method-options <json>', 'options of the method, e.g. \'{"temperature": 0.1}\'', jsonArg('--method-options'))
    .option('--epochs <n>', 'passes over the training data', intArg('--epochs'))
    .option('--steps <n>', 'optimizer steps instead of epochs', intArg('--steps'))
    .option('--batch-size <n>', 'images per step', intArg('--batch-size'))
    .option('--lr <x>', 'peak learning rate (default: the method\'s recipe, scaled by the batch size)', numberArg('--lr', true))
    .option('--optimizer <name>', 'the recipe\'s optimizer: sgd, lars, adamw or lamb (bert, albert, clip: adamw or lamb)')
    .option('--device <device>', 'cpu, cuda or cuda:N')
    .option('--precision <p>', 'auto (bf16 autocast on CUDA), float32 or bfloat16')
    .option('--clip-grad <x>', 'clip the gradient norm to this (0: off)', numberArg('--clip-grad'))
    .option('--cuda-graph <mode>', 'capture the training step into a CUDA graph: auto (on CUDA), on or off')
    .option('--channels-last <mode>', 'channels-last weights and views: auto (CNNs on CUDA), on or off')
    .option('--seed <n>', 'seed of weights, data order and augmentations', intArg('--seed', 0))
    .option('--out <dir>', 'run folder (default runs/<method>-<time>)')
    .option('--resume <dir>', 'continue an interrupted run from its last checkpoint')
    .option('--config <file>', 'JSON file with any of these options (flags override it)')
    .option('--checkpoint-every <n>', 'also save a checkpoint every n steps', intArg('--checkpoint-every'))
    .option('--knn-every <n>', 'online k-NN every n epochs (0: off)', intArg('--knn-every', 0))
    .option('--image-size <px>', 'side of image-folder images after decoding', intArg('--image-size', 8))
    .option('--eval-train-subset <n>', 'training images used by the final evaluation (default all)', intArg('--eval-train-subset'))
    .option('--no-eval', 'skip the final evaluation table')
    .option('--progress <mode>', 'auto, bar, lines or none')
    .option('--tensorboard', 'also write a TensorBoard event file into <run>/tensorboard at the end (selfsup tensorboard); ' +
      'with --resume the same file continues')
    .option('--dashboard [port]', 'serve the dashboard of the run folder\'s parent (loopback, default port 6006) while training');
  withThreadsOption(withLaunchOptions(command))
    .action(async (methodArg: string | undefined, flags: TrainFlags, cmd: Command) => {
      applyThreadsFlag(flags.threads);
      if (flags.progress !== undefined && !['auto', 'bar', 'lines', 'none'].includes(flags.progress)) {
        throw new Error(`Expected auto, bar, lines or none for --progress but received ${flags.progress}`);
      }
      const textResume = flags.resume !== undefined && textRunOf(flags.resume) !== undefined;
      if (isTextMethod(methodArg) || textResume) {
        const name = methodArg ?? 'text runs';
        if (flags.nprocPerNode !== undefined) throw new Error(`--nproc-per-node: the text methods (${name}) train on one process only`);
        if (flags.dashboard !== undefined) throw new Error(`--dashboard shows image runs; drop it for ${name}`);
        const text = flags.resume !== undefined ? textResumeConfig(methodArg, flags) : textRunConfig(methodArg as TextMethodName, flags);
        const report = await runTextTrain(text, { resume: flags.resume !== undefined });
        if (report.interrupted === true) process.exitCode = 130;
        return;
      }
      const config = resolveRunConfig(methodArg, flags);
      // Ranks started by a launcher (RANK set, torchrun-style) leave the dashboard to rank 0.
      const serve = flags.dashboard !== undefined && Number(process.env.RANK ?? '0') === 0;
      const dashboard = serve ? await serveRun(config.out, flags.dashboard as boolean | string) : undefined;
      try {
        if (flags.nprocPerNode !== undefined) {
          // NOTE: commander keeps the command line it parsed in rawArgs (not in its typings); the ranks rerun it
          // without the launcher flags (and without --dashboard: this process serves it), with the run folder
          // resolved here so that every rank names the same one.
          const raw = (cmd.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? process.argv;
          const extra = flags.out === undefined && flags.resume === undefined ? ['--out', config.out] : [];
          await launchRanks(flags, withoutLaunchFlags(withoutDashboardFlag(raw.slice(2)), extra));
          return;
        }
        const run = await runTrain(config, {
          resume: flags.resume !== undefined, progress: flags.progress as 'auto' | undefined,
        });
        if (flags.tensorboard === true && run.rank === 0) writeRunEvents(run.config.out);
        if (run.result.interrupted) process.exitCode = 130;
      } finally {
        await dashboard?.close();
      }
    });
}
