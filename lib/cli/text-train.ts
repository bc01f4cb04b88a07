// `selfsup train bert|albert|clip`: the text and image-text methods, with CPU
// defaults that finish in minutes. BERT/ALBERT pre-train on Debian's fortunes
// (10% of the fortunes held out) and report held-out MLM accuracy and
// perplexity and NSP/SOP accuracy next to the untrained model; CLIP trains on
// Fashion-MNIST with generated captions and reports zero-shot top-1 on the
// test set next to the untrained model and chance.
import * as fs from 'fs';
import * as path from 'path';
import * as torch from '../torch';
import { writeFileAtomic } from '../torch/atomic-file';
import { saveSafetensors } from '../torch/safetensors';
import { fortunesCorpus, PretrainingBatches, splitCorpus, WordPieceTokenizer } from '../data/text';
import { AlbertPretraining } from '../ssl/albert-pretraining';
import { BertPretraining } from '../ssl/bert-pretraining';
import { TextPretraining } from '../ssl/text-pretraining';
import { textProbe, TextProbeResult } from '../eval/text-probe';
import { buildClip, disposeClipData, evaluateClipRun, formatClipReport, loadClipData } from './clip-run';
import { trainSteps } from '../train/text-trainer';
import { TextMethodName, TextRunConfig } from './text-run-config';
import { checkOneOf } from '../torch/arguments';

export { TEXT_METHODS, TextMethodName, isTextMethod, TextRunConfig } from './text-run-config';

/** Defaults: about 5-10 minutes on 2 CPU cores. @example textDefaults('bert').steps; // 400 */
export function textDefaults(method: TextMethodName): Omit<TextRunConfig, 'out'> {
  return method === 'clip'
    ? { method, steps: 300, batchSize: 128, lr: 1e-3, optimizer: 'adamw', seed: 0, eval: true, methodOptions: {} }
    : { method, steps: 400, batchSize: 32, lr: 1e-3, optimizer: 'adamw', seed: 0, eval: true, methodOptions: {} };
}

const MAX_LENGTH = 64;

/** The keys of --method-options that set the masking of bert/albert runs, not the model's configuration. */
const MASKING_KEYS = ['masking', 'maxNgram'] as const;

/** The masking options of a bert/albert run (`{"masking": "ngram", "maxNgram": 3}` in --method-options). */
function maskingOptions(c: TextRunConfig): { masking?: 'token' | 'ngram'; maxNgram?: number } {
  const { masking, maxNgram } = c.methodOptions as { masking?: 'token' | 'ngram'; maxNgram?: number };
  return { masking, maxNgram };
}

function pretrainingMethod(c: TextRunConfig, vocabSize: number): TextPretraining {
  const base = { vocabSize, hiddenSize: 128, numAttentionHeads: 2, intermediateSize: 512, maxPositionEmbeddings: MAX_LENGTH };
  const recipe = { lr: c.lr };
  const config = Object.fromEntries(Object.entries(c.methodOptions).filter(([k]) => !(MASKING_KEYS as readonly string[]).includes(k)));
  return c.method === 'bert'
    ? new BertPretraining({ config: { ...base, numHiddenLayers: 2, ...config }, recipe })
    : new AlbertPretraining({ config: { ...base, embeddingSize: 64, numHiddenLayers: 4, ...config }, recipe });
}

/** Held-out MLM accuracy, perplexity and pair accuracy over `batches` fixed batches. */
function evaluatePretraining(method: TextPretraining, data: PretrainingBatches, batches: number):
  { mlmAccuracy: number; perplexity: number; pairAccuracy: number } {
  let nll = 0;
  let correct = 0;
  let count = 0;
  let pairs = 0;
  method.eval();
  try {
    for (let b = 0; b < batches; b++) {
      torch.noGrad(() => torch.scope(() => {
        const batch = data.next();
        const { logs } = method.trainingStep(batch);
        const n = Number(batch.labels.ne(-100).sum().item());
        nll += Number(logs.mlmLoss.item()) * n;
        correct += Number(logs.mlmAccuracy.item()) * n;
        count += n;
        pairs += Number(logs.pairAccuracy.item());
      }));
    }
  } finally {
    method.train(true);
  }
  return { mlmAccuracy: correct / count, perplexity: Math.exp(nll / count), pairAccuracy: pairs / batches };
}

/** The text probe's table, in %. */
function formatProbe(p: { trained: TextProbeResult; randomInit: TextProbeResult }, c: TextRunConfig): string {
  const row = (name: string, r: TextProbeResult) => `${name.padEnd(22)}${(100 * r.cls).toFixed(1).padStart(8)}${(100 * r.mean).toFixed(1).padStart(8)}`;
  return `\nfortune category probe (${p.trained.classes} categories; ${p.trained.trainDocuments} training, ${p.trained.testDocuments} held-out fortunes)\n` +
    `${''.padEnd(22)}${'[CLS]'.padStart(8)}${'mean'.padStart(8)}\n${'majority class'.padEnd(22)}${(100 * p.trained.majority).toFixed(1).padStart(8)}` +
    `${(100 * p.trained.majority).toFixed(1).padStart(8)}\n${row('random init', p.randomInit)}\n${row(`${c.method}, ${c.steps} steps`, p.trained)}\n`;
}

async function runPretraining(c: TextRunConfig, log: (l: string) => void, print: (t: string) => void): Promise<Record<string, unknown>> {
  const { train, test } = splitCorpus(fortunesCorpus(), 0.1);
  let t0 = Date.now();
  const tok = WordPieceTokenizer.train(train.documents.flatMap((d) => d.sentences), { vocabSize: 4096 });
  tok.save(path.join(c.out, 'tokenizer.json'));
  log(`WordPiece vocabulary of ${tok.vocabSize} from ${train.documents.length} fortunes in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  torch.manualSeed(c.seed);
  const method = pretrainingMethod(c, tok.vocabSize);
  const task = method.pairTask;
  const masking = maskingOptions(c);
  const data = new PretrainingBatches(tok, train, { task, maxLength: MAX_LENGTH, batchSize: c.batchSize, seed: c.seed, ...masking });
  const heldOut = () => new PretrainingBatches(tok, test, { task, maxLength: MAX_LENGTH, batchSize: 32, seed: 12345, ...masking });
  const evalBatches = Math.max(1, Math.floor(heldOut().pairsPerEpoch / 32));
  const untrained = c.eval ? evaluatePretraining(method, heldOut(), evalBatches) : undefined;
  log(`Training ${c.method} (${method.encoder.numParameters().toLocaleString('en-US')} parameters in the encoder) on ` +
    `${data.pairsPerEpoch} ${task.toUpperCase()} pairs per epoch for ${c.steps} steps of ${c.batchSize}; run folder ${c.out}`);
  t0 = Date.now();
  const result = trainSteps(method, () => data.next(), { steps: c.steps, lr: c.lr, optimizer: c.optimizer, log, logEvery: 25 });
  saveSafetensors(path.join(c.out, 'model.safetensors'), method.stateDict());
  const report: Record<string, unknown> = { method: c.method, steps: c.steps, optimizer: result.optimizer, seconds: result.seconds, history: result.history };
  if (untrained) {
    const trained = evaluatePretraining(method, heldOut(), evalBatches);
    log('Text probe: linear classifiers of the fortune category on frozen [CLS] and mean-pooled features (trained, random init)');
    torch.manualSeed(c.seed); // the random-init floor is the run's own initial encoder
    const floorModel = pretrainingMethod(c, tok.vocabSize);
    const probe = { trained: textProbe(method.encoder, tok, train, test), randomInit: textProbe(floorModel.encoder, tok, train, test) };
    floorModel.dispose();
    report.eval = { untrained, trained, heldOutPairs: evalBatches * 32, probe };
    const row = (name: string, r: typeof trained) =>
      `${name.padEnd(18)}${(100 * r.mlmAccuracy).toFixed(1).padStart(8)}${r.perplexity.toFixed(0).padStart(12)}${(100 * r.pairAccuracy).toFixed(1).padStart(10)}`;
    print(`\n${''.padEnd(18)}${'MLM acc'.padStart(8)}${'perplexity'.padStart(12)}${`${task.toUpperCase()} acc`.padStart(10)}\n` +
      `${'chance'.padEnd(18)}${(100 / tok.vocabSize).toFixed(2).padStart(8)}${String(tok.vocabSize).padStart(12)}${'50.0'.padStart(10)}\n` +
      `${row('untrained', untrained)}\n${row(`${c.method}, ${c.steps} steps`, trained)}\n` +
      `(held-out fortunes, ${evalBatches * 32} pairs; trained in ${result.seconds.toFixed(0)} s)\n` + formatProbe(probe, c));
  }
  method.dispose();
  return report;
}

async function runClip(c: TextRunConfig, log: (l: string) => void, print: (t: string) => void): Promise<Record<string, unknown>> {
  const data = await loadClipData(c);
  const tok = data.tokenizer;
  tok.save(path.join(c.out, 'tokenizer.json'));
  const clip = buildClip(c, tok.vocabSize, data.channels);
  try {
    const pairs = data.batches(c.batchSize, c.seed);
    log(`Training clip (small_cnn + ${clip.textModel.numParameters().toLocaleString('en-US')}-parameter text encoder) on ` +
      `${data.description} for ${c.steps} steps of ${c.batchSize}; run folder ${c.out}`);
    const result = trainSteps(clip, () => pairs.next(), { steps: c.steps, lr: c.lr, optimizer: c.optimizer, log, logEvery: 25 });
    saveSafetensors(path.join(c.out, 'model.safetensors'), clip.stateDict());
    const report: Record<string, unknown> = { method: 'clip', steps: c.steps, optimizer: result.optimizer, seconds: result.seconds, history: result.history };
    if (c.eval) {
      log('Evaluating: zero-shot, linear probe of the image encoder, retrieval on held-out pairs (trained, untrained, floors)');
      report.eval = evaluateClipRun(c, data, tok, clip);
      print(formatClipReport(report.eval as Record<string, unknown>, `clip, ${c.steps} steps`) +
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
 * with Hugging Face's keys, config.json, eval.json) and prints the evaluation.
 * @example await runTextTrain({ ...textDefaults('bert'), steps: 10, out: 'runs/bert-quick' });
 */
export async function runTextTrain(c: TextRunConfig, options: { log?: (l: string) => void; print?: (t: string) => void } = {}):
  Promise<Record<string, unknown>> {
  const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const print = options.print ?? ((t: string) => process.stdout.write(t));
  fs.mkdirSync(c.out, { recursive: true });
  writeFileAtomic(path.join(c.out, 'config.json'), `${JSON.stringify({ config: c }, null, 2)}\n`);
  const report = c.method === 'clip' ? await runClip(c, log, print) : await runPretraining(c, log, print);
  writeFileAtomic(path.join(c.out, 'eval.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/** The `selfsup train` flags a text method takes (the others are refused by name, not silently ignored). */
const TEXT_FLAGS: readonly string[] = ['steps', 'batchSize', 'lr', 'optimizer', 'seed', 'out', 'eval', 'methodOptions', 'device',
  'progress', 'threads'];

/** The flags of `selfsup train` as a text method sees them: those it takes, and the others (refused). */
export type TextTrainFlags = {
  steps?: number; batchSize?: number; lr?: number; optimizer?: string; seed?: number; out?: string; eval: boolean;
  methodOptions?: Record<string, unknown>; device?: string; progress?: string; threads?: number;
  /** clip only: captions:<file.jsonl|file.csv>. */
  data?: string;
  /** clip with a caption file only. */
  imageSize?: number;
} & Partial<Record<'epochs' | 'encoder' | 'encoderOptions' | 'precision' | 'clipGrad' | 'checkpointEvery' | 'knnEvery' |
  'cudaGraph' | 'channelsLast' | 'evalTrainSubset' | 'resume' | 'config' | 'tensorboard', unknown>>;

/**
 * A TextRunConfig from the `selfsup train` flags that apply to text methods;
 * any other flag given (--epochs, --data, --clip-grad, --resume, ...) throws, naming it.
 * clip also takes `--data captions:<file.jsonl|file.csv>` and then `--image-size`.
 * @example textRunConfig('bert', { steps: 10, eval: true }).steps; // 10
 */
export function textRunConfig(method: TextMethodName, f: TextTrainFlags, now = new Date()): TextRunConfig {
  const captions = method === 'clip' && typeof f.data === 'string' && f.data.startsWith('captions:');
  if (captions && !/\.(jsonl|csv)$/i.test(f.data!)) {
    throw new Error(`Expected --data captions:<file.jsonl|file.csv> but received ${f.data}`);
  }
  for (const [key, v] of Object.entries(f as Record<string, unknown>)) {
    if (v === undefined || TEXT_FLAGS.includes(key) || (captions && (key === 'data' || key === 'imageSize'))) continue;
    const flag = `--${key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`)}`;
    throw new Error(`${flag} does not apply to ${method} (its data, encoders and training loop are fixed; clip also takes ` +
      '--data captions:<file.jsonl|file.csv>); it takes --steps, --batch-size, --lr, --optimizer, --seed, --out, --no-eval and --method-options');
  }
  if (f.device !== undefined && f.device !== 'cpu') throw new Error(`${method} runs on the CPU in this version; drop --device ${f.device}`);
  const d = textDefaults(method);
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return {
    ...d, steps: f.steps ?? d.steps, batchSize: f.batchSize ?? d.batchSize, lr: f.lr ?? d.lr, seed: f.seed ?? d.seed,
    optimizer: f.optimizer === undefined ? d.optimizer : checkOneOf(f.optimizer, ['adamw', 'lamb'], `--optimizer (${method})`),
    eval: f.eval, methodOptions: f.methodOptions ?? {}, out: f.out ?? path.join('runs', `${method}-${stamp}`),
    ...(captions ? { data: f.data, imageSize: f.imageSize ?? 32 } : {}),
  };
}
