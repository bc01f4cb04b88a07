// `selfsup train bert|albert|clip`: the text and image-text methods, with CPU
// defaults that finish in minutes. BERT/ALBERT pre-train on Debian's fortunes
// (10% of the fortunes held out) and report held-out MLM accuracy and
// perplexity and NSP/SOP accuracy next to the untrained model; CLIP trains on
// Fashion-MNIST with generated captions and reports zero-shot top-1 on the
// test set next to the untrained model and chance. Every run writes
// checkpoints and continues from its newest with --resume.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../torch/atomic-file';
import { saveSafetensors } from '../torch/safetensors';
import { PretrainingBatches, TextCorpus, WordPieceTokenizer } from '../data/text';
import { buildClip, disposeClipData, evaluateClipRun, formatClipReport, loadClipData } from './clip-run';
import { StepMethod, trainSteps, TrainStepsOptions, TrainStepsResult } from '../train/text-trainer';
import { CheckpointFiles, findCheckpoint, pruneCheckpoints } from '../train/checkpoint';
import { CheckpointWeights, restoreTextCheckpoint, saveTextCheckpoint } from '../train/text-checkpoint';
import { SigintHandler } from '../train/interrupt';
import {
  evaluatePretrainingRun, formatPretrainingReport, fortunesSplit, MAX_LENGTH, maskingOptions, pretrainingMethod,
} from './text-pretraining-run';
import { CAPTION_IMAGE_DEFAULTS, textRunOf, TextMethodName, TextRunConfig } from './text-run-config';
import { defineOptions, is, option } from '../torch/option-table';
import { checkOneOf } from '../torch/arguments';

export { TEXT_METHODS, TextMethodName, isTextMethod, TextRunConfig } from './text-run-config';

/** Defaults: about 5-10 minutes on 2 CPU cores. @example textDefaults('bert').steps; // 400 */
export function textDefaults(method: TextMethodName): Omit<TextRunConfig, 'out'> {
  return method === 'clip'
    ? { method, steps: 300, batchSize: 128, lr: 1e-3, optimizer: 'adamw', seed: 0, eval: true, methodOptions: {}, checkpointEvery: 100 }
    : { method, steps: 400, batchSize: 32, lr: 1e-3, optimizer: 'adamw', seed: 0, eval: true, methodOptions: {}, checkpointEvery: 100 };
}

/** Checkpoints kept in a run folder (the newest). */
const KEEP_CHECKPOINTS = 2;

/** `TextTrainOptions`' defaults that are not callbacks. */
export const TEXT_TRAIN_OPTIONS = defineOptions({
  /** Log a line every this many steps. */
  logEvery: option(25, is.int(1)),
});

/** What `runTextTrain` takes besides the config. */
export interface TextTrainOptions {
  log?: (l: string) => void;
  print?: (t: string) => void;
  /** Continue the run in `c.out` from its newest checkpoint. */
  resume?: boolean;
  /** Stops after the current step with a checkpoint, as Ctrl-C does. */
  signal?: AbortSignal;
  /** Log a line every this many steps. Default 25 (`TEXT_TRAIN_OPTIONS`). */
  logEvery?: number;
}

/** The tokenizer of a bert/albert run: learned on the training fortunes, or the run's own when it resumes. */
function runTokenizer(c: TextRunConfig, train: TextCorpus, resume: boolean, log: (l: string) => void): WordPieceTokenizer {
  const file = path.join(c.out, 'tokenizer.json');
  if (resume) return WordPieceTokenizer.load(file);
  const t0 = Date.now();
  const tok = WordPieceTokenizer.train(train.documents.flatMap((d) => d.sentences), { vocabSize: 4096 });
  tok.save(file);
  log(`WordPiece vocabulary of ${tok.vocabSize} from ${train.documents.length} fortunes in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return tok;
}

type RunOptions = TextTrainOptions & { log: (l: string) => void; print: (t: string) => void };

/** Batches whose position a checkpoint holds (`PretrainingBatches`, the CLIP caption batches). */
interface ResumableBatches<B, S> {
  next(): B;
  state(): S;
  loadState(state: S): void;
}

/**
 * The loop of every text run: from the newest checkpoint in `files` when resuming (weights, optimizer,
 * generators, data position, loss record), with a checkpoint every `c.checkpointEvery` steps and when
 * Ctrl-C or `o.signal` stops it (the newest two kept).
 */
function trainResumable<B, S>(c: TextRunConfig, method: StepMethod<B> & CheckpointWeights, data: ResumableBatches<B, S>,
  files: CheckpointFiles | undefined, o: RunOptions, describe: string): TrainStepsResult {
  const stop = new SigintHandler(() => o.log('Stopping after this step with a checkpoint (Ctrl-C again to quit now)'));
  stop.install();
  try {
    const checkpoints = path.join(c.out, 'checkpoints');
    let resume: TrainStepsOptions['resume'];
    if (files !== undefined) {
      const { state, optimizer } = restoreTextCheckpoint(files, c.method, method);
      data.loadState(state.data as S); // written by `data.state()` of the same run
      resume = { progress: state.progress, optimizer };
      o.log(`Resuming ${c.out} after step ${state.step} of ${c.steps} (${files.json})`);
    }
    o.log(describe);
    const { logEvery } = TEXT_TRAIN_OPTIONS.resolve({ logEvery: o.logEvery }, (k) => `options.${k}`);
    // NOTE: a run config without checkpointEvery (written before checkpoints existed) gets trainSteps's default.
    const result = trainSteps(method, () => data.next(), {
      steps: c.steps, lr: c.lr, optimizer: c.optimizer, log: o.log, logEvery, resume,
      checkpointEvery: c.checkpointEvery, stopRequested: () => stop.requested || o.signal?.aborted === true,
      onCheckpoint: (p) => {
        saveTextCheckpoint(checkpoints, c.method, method, p, data.state());
        pruneCheckpoints(checkpoints, KEEP_CHECKPOINTS);
      },
    });
    if (result.interrupted) o.log(`Interrupted after step ${result.steps}: resume with  selfsup train --resume ${c.out}`);
    return result;
  } finally {
    stop.remove();
  }
}

/** What a run's eval.json records of its training. */
function trainingReport(c: TextRunConfig, result: TrainStepsResult): Record<string, unknown> {
  return { method: c.method, steps: result.steps, optimizer: result.optimizer, seconds: result.seconds, history: result.history,
    losses: result.losses, ...(result.interrupted ? { interrupted: true } : {}) };
}

async function runPretraining(c: TextRunConfig, o: RunOptions): Promise<Record<string, unknown>> {
  const files = o.resume === true ? findCheckpoint(c.out) : undefined; // before any work: a run without checkpoints cannot resume
  const split = fortunesSplit();
  const tok = runTokenizer(c, split.train, o.resume === true, o.log);
  const method = pretrainingMethod(c, tok.vocabSize);
  try {
    const data = new PretrainingBatches(tok, split.train,
      { task: method.pairTask, maxLength: MAX_LENGTH, batchSize: c.batchSize, seed: c.seed, ...maskingOptions(c) });
    const result = trainResumable(c, method, data, files, o,
      `Training ${c.method} (${method.encoder.numParameters().toLocaleString('en-US')} parameters in the encoder) on ` +
      `${data.pairsPerEpoch} ${method.pairTask.toUpperCase()} pairs per epoch for ${c.steps} steps of ${c.batchSize}; run folder ${c.out}`);
    const report = trainingReport(c, result);
    if (result.interrupted) return report;
    saveSafetensors(path.join(c.out, 'model.safetensors'), method.stateDict());
    if (c.eval) {
      const evaluation = evaluatePretrainingRun(c, tok, split, method, o.log);
      report.eval = evaluation;
      o.print(formatPretrainingReport(evaluation, method.pairTask, tok.vocabSize, `${c.method}, ${c.steps} steps`,
        `; trained in ${result.seconds.toFixed(0)} s`));
    }
    return report;
  } finally {
    method.dispose();
  }
}

async function runClip(c: TextRunConfig, o: RunOptions): Promise<Record<string, unknown>> {
  const files = o.resume === true ? findCheckpoint(c.out) : undefined;
  const tokenizerFile = path.join(c.out, 'tokenizer.json');
  const data = await loadClipData(c, o.resume === true ? WordPieceTokenizer.load(tokenizerFile) : undefined);
  const tok = data.tokenizer;
  if (o.resume !== true) tok.save(tokenizerFile);
  const clip = buildClip(c, tok.vocabSize, data.channels);
  try {
    const result = trainResumable(c, clip, data.batches(c.batchSize, c.seed), files, o,
      `Training clip (small_cnn + ${clip.textModel.numParameters().toLocaleString('en-US')}-parameter text encoder) on ` +
      `${data.description} for ${c.steps} steps of ${c.batchSize}; run folder ${c.out}`);
    const report = trainingReport(c, result);
    if (result.interrupted) return report;
    saveSafetensors(path.join(c.out, 'model.safetensors'), clip.stateDict());
    if (c.eval) {
      o.log('Evaluating: zero-shot, linear probe of the image encoder, retrieval on held-out pairs (trained, untrained, floors)');
      report.eval = evaluateClipRun(c, data, tok, clip);
      o.print(formatClipReport(report.eval as Record<string, unknown>, `clip, ${c.steps} steps`) +
        `(trained in ${result.seconds.toFixed(0)} s)\n`);
    }
    return report;
  } finally {
    clip.dispose();
    disposeClipData(data);
  }
}

/**
 * Runs a text or image-text method into `c.out` (tokenizer.json, model.safetensors
 * with Hugging Face's keys, config.json, eval.json, checkpoints/) and prints
 * the evaluation; `resume` continues the run from its newest checkpoint.
 * @example await runTextTrain({ ...textDefaults('bert'), steps: 10, out: 'runs/bert-quick' });
 */
export async function runTextTrain(c: TextRunConfig, options: TextTrainOptions = {}): Promise<Record<string, unknown>> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const print = options.print ?? ((t: string) => process.stdout.write(t));
  if (options.resume !== true && fs.existsSync(path.join(c.out, 'checkpoints'))) {
    throw new Error(`${c.out} already holds a run with checkpoints: resume it with  selfsup train --resume ${c.out}  or choose another --out`);
  }
  fs.mkdirSync(c.out, { recursive: true });
  if (options.resume !== true) writeFileAtomic(path.join(c.out, 'config.json'), `${JSON.stringify({ config: c }, null, 2)}\n`);
  const o = { ...options, log, print };
  const report = c.method === 'clip' ? await runClip(c, o) : await runPretraining(c, o);
  if (report.interrupted !== true) writeFileAtomic(path.join(c.out, 'eval.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** The `selfsup train` flags a text method takes (the others are refused by name, not silently ignored). */
const TEXT_FLAGS: readonly string[] = ['steps', 'batchSize', 'lr', 'optimizer', 'seed', 'out', 'eval', 'methodOptions', 'device',
  'progress', 'threads'];

/** The flags of `selfsup train` as a text method sees them: those it takes, and the others (refused). */
export type TextTrainFlags = {
  steps?: number; batchSize?: number; lr?: number; optimizer?: string; seed?: number; out?: string; eval: boolean;
  methodOptions?: Record<string, unknown>; device?: string; progress?: string; threads?: number;
  /** clip only: captions:<file.jsonl|file.csv>, or scenes[:<n>]. */
  data?: string;
  /** clip with a caption file only. */
  imageSize?: number;
} & Partial<Record<'epochs' | 'encoder' | 'encoderOptions' | 'precision' | 'clipGrad' | 'checkpointEvery' | 'knnEvery' |
  'cudaGraph' | 'channelsLast' | 'evalTrainSubset' | 'resume' | 'config' | 'tensorboard', unknown>>;

/**
 * A TextRunConfig from the `selfsup train` flags that apply to text methods;
 * any other flag given (--epochs, --data, --clip-grad, --resume, ...) throws, naming it.
 * clip also takes `--data captions:<file.jsonl|file.csv>` (and then `--image-size`) or `--data scenes[:<n>]`.
 * @example textRunConfig('bert', { steps: 10, eval: true }).steps; // 10
 */
export function textRunConfig(method: TextMethodName, f: TextTrainFlags, now = new Date()): TextRunConfig {
  const captions = method === 'clip' && typeof f.data === 'string' && f.data.startsWith('captions:');
  if (captions && !/\.(jsonl|csv)$/i.test(f.data!)) {
    throw new Error(`Expected --data captions:<file.jsonl|file.csv> but received ${f.data}`);
  }
  const scenes = method === 'clip' && typeof f.data === 'string' && /^scenes(:|$)/.test(f.data);
  if (scenes && !/^scenes(:[1-9]\d*)?$/.test(f.data!)) {
    throw new Error(`Expected --data scenes or scenes:<n> (n training scenes, a positive integer) but received ${f.data}`);
  }
  for (const [key, v] of Object.entries(f as Record<string, unknown>)) {
    if (v === undefined || TEXT_FLAGS.includes(key) || (captions && (key === 'data' || key === 'imageSize'))) continue;
    if (scenes && key === 'data') continue;
    if (key === 'checkpointEvery') continue;
    throw new Error(`${flagName(key)} does not apply to ${method} (its data, encoders and training loop are fixed; clip also takes ` +
      '--data captions:<file.jsonl|file.csv>); it takes --steps, --batch-size, --lr, --optimizer, --seed, --out, --no-eval, ' +
      '--method-options, --checkpoint-every and --resume');
  }
  if (f.device !== undefined && f.device !== 'cpu') throw new Error(`${method} runs on the CPU in this version; drop --device ${f.device}`);
  const d = textDefaults(method);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return {
    ...d, steps: f.steps ?? d.steps, batchSize: f.batchSize ?? d.batchSize, lr: f.lr ?? d.lr, seed: f.seed ?? d.seed,
    optimizer: f.optimizer === undefined ? d.optimizer : checkOneOf(f.optimizer, ['adamw', 'lamb'], `--optimizer (${method})`),
    eval: f.eval, methodOptions: f.methodOptions ?? {}, out: f.out ?? path.join('runs', `${method}-${stamp}`),
    ...(captions ? { data: f.data, imageSize: f.imageSize ?? CAPTION_IMAGE_DEFAULTS.imageSize } : {}),
    ...(scenes ? { data: f.data } : {}),
    checkpointEvery: f.checkpointEvery as number | undefined ?? d.checkpointEvery,
  };
}

function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`;
}

/** The flags `--resume` takes besides itself: they act on this process, not on the run's config. */
const RESUME_FLAGS: readonly string[] = ['resume', 'eval', 'progress', 'threads', 'device'];

/**
 * The config of the bert/albert/clip run folder that `--resume` names (its config.json), with
 * `--no-eval` applied; `method`, when given, must be the run's. Any flag that would change
 * the run is refused by name, as for image runs.
 * @example textResumeConfig(undefined, { resume: 'runs/bert-20261205-020000', eval: true }).method; // 'bert'
 */
export function textResumeConfig(method: string | undefined, f: TextTrainFlags & { resume?: string }): TextRunConfig {
  const dir = f.resume!;
  const c = textRunOf(dir);
  if (c === undefined) throw new Error(`Cannot resume from '${dir}': it is not a run folder of selfsup train bert|albert|clip (no config.json of one)`);
  if (method !== undefined && method !== c.method) {
    throw new Error(`Cannot resume ${dir} as ${method}: it is a ${c.method} run; drop '${method}'`);
  }
  const given = Object.entries(f).filter(([k, v]) => v !== undefined && !RESUME_FLAGS.includes(k)).map(([k]) => flagName(k));
  if (given.length > 0) throw new Error(`--resume continues a run with its own config.json; drop ${given.join(' ')}`);
  if (f.device !== undefined && f.device !== 'cpu') throw new Error(`${c.method} runs on the CPU in this version; drop --device ${f.device}`);
  return { ...c, eval: f.eval && c.eval };
}
