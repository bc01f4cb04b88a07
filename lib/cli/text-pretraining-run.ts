// `selfsup train bert|albert` and `selfsup eval` of their runs: the data
// (Debian's fortunes, 10% held out by hash), the model built from the run's
// config, and the evaluation table: held-out MLM accuracy, perplexity and
// NSP/SOP accuracy next to the untrained model (the run's seed) and chance,
// then the fortune-category probe next to its floors.
import * as torch from '../torch';
import { fortunesCorpus, PretrainingBatches, splitCorpus, TextCorpus, WordPieceTokenizer } from '../data/text';
import { AlbertPretraining } from '../ssl/albert-pretraining';
import { BertPretraining } from '../ssl/bert-pretraining';
import { TextPretraining } from '../ssl/text-pretraining';
import { textProbe, TextProbeResult } from '../eval/text-probe';
import { bagOfWordsProbe } from '../eval/bag-of-words';
import { TextRunConfig } from './text-run-config';

/** Tokens per pre-training sequence of the CLI runs. */
export const MAX_LENGTH = 64;
/** Pairs per held-out batch, and the seed of their sampling and masking: fixed, so every evaluation of a run sees the same pairs. */
const EVAL_BATCH = 32;
const EVAL_SEED = 12345;

/** The keys of --method-options that set the masking of bert/albert runs, not the model's configuration. */
const MASKING_KEYS = ['masking', 'maxNgram'] as const;

/** The masking options of a bert/albert run (`{"masking": "ngram", "maxNgram": 3}` in --method-options). */
export function maskingOptions(c: TextRunConfig): { masking?: 'token' | 'ngram'; maxNgram?: number } {
  const { masking, maxNgram } = c.methodOptions as { masking?: 'token' | 'ngram'; maxNgram?: number };
  return { masking, maxNgram };
}

/** The fortunes split of every bert/albert run. @example const { train, test } = fortunesSplit(); */
export function fortunesSplit(): { train: TextCorpus; test: TextCorpus } {
  return splitCorpus(fortunesCorpus(), 0.1);
}

/**
 * The run's method, seeded with the run's seed (its weights before training).
 * @example const method = pretrainingMethod(c, tok.vocabSize);
 */
export function pretrainingMethod(c: TextRunConfig, vocabSize: number): TextPretraining {
  torch.manualSeed(c.seed);
  const base = { vocabSize, hiddenSize: 128, numAttentionHeads: 2, intermediateSize: 512, maxPositionEmbeddings: MAX_LENGTH };
  const recipe = { lr: c.lr };
  const config = Object.fromEntries(Object.entries(c.methodOptions).filter(([k]) => !(MASKING_KEYS as readonly string[]).includes(k)));
  return c.method === 'bert'
    ? new BertPretraining({ config: { ...base, numHiddenLayers: 2, ...config }, recipe })
    : new AlbertPretraining({ config: { ...base, embeddingSize: 64, numHiddenLayers: 4, ...config }, recipe });
}

/** Held-out scores of a pre-trained (or untrained) method. */
export interface PretrainingScores {
  mlmAccuracy: number;
  perplexity: number;
  pairAccuracy: number;
}

/** Held-out MLM accuracy, perplexity and pair accuracy over `batches` fixed batches. */
function scorePretraining(method: TextPretraining, data: PretrainingBatches, batches: number): PretrainingScores {
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

/** The evaluation of a bert/albert run, as eval.json's `eval` holds it. */
export interface PretrainingEvaluation {
  untrained: PretrainingScores;
  trained: PretrainingScores;
  heldOutPairs: number;
  /** The category probe: on the trained and the random-init encoder's features, and on bag-of-words counts (top-1). */
  probe: { trained: TextProbeResult; randomInit: TextProbeResult; bagOfWords: number };
}

/**
 * Evaluates `method` (trained) and the run's untrained model on the held-out
 * fortunes: MLM and pair scores over fixed batches, then the category probe.
 * Touches no generator that training uses (the held-out batches have their own).
 * @example const evaluation = evaluatePretrainingRun(c, tok, fortunesSplit(), method, console.error);
 */
export function evaluatePretrainingRun(c: TextRunConfig, tok: WordPieceTokenizer, split: { train: TextCorpus; test: TextCorpus },
  method: TextPretraining, log: (l: string) => void): PretrainingEvaluation {
  const heldOut = () => new PretrainingBatches(tok, split.test,
    { task: method.pairTask, maxLength: MAX_LENGTH, batchSize: EVAL_BATCH, seed: EVAL_SEED, ...maskingOptions(c) });
  const batches = Math.max(1, Math.floor(heldOut().pairsPerEpoch / EVAL_BATCH));
  const rng = torch.getRngState();
  const untrainedModel = pretrainingMethod(c, tok.vocabSize);
  torch.setRngState(rng); // building the untrained model re-seeds the global generator: put it back
  rng.dispose();
  try {
    const untrained = scorePretraining(untrainedModel, heldOut(), batches);
    const trained = scorePretraining(method, heldOut(), batches);
    log('Text probe: linear classifiers of the fortune category on frozen [CLS] and mean-pooled features (trained, random init) ' +
      'and on bag-of-words counts');
    const probe = {
      trained: textProbe(method.encoder, tok, split.train, split.test, { maxLength: MAX_LENGTH }),
      randomInit: textProbe(untrainedModel.encoder, tok, split.train, split.test, { maxLength: MAX_LENGTH }),
      bagOfWords: bagOfWordsProbe(tok, split.train, split.test, { maxLength: MAX_LENGTH }),
    };
    return { untrained, trained, heldOutPairs: batches * EVAL_BATCH, probe };
  } finally {
    untrainedModel.dispose();
  }
}

/** The text probe's table, in %. */
function formatProbe(p: PretrainingEvaluation['probe'], label: string): string {
  const row = (name: string, r: TextProbeResult) => `${name.padEnd(22)}${(100 * r.cls).toFixed(1).padStart(8)}${(100 * r.mean).toFixed(1).padStart(8)}`;
  return `\nfortune category probe (${p.trained.classes} categories; ${p.trained.trainDocuments} training, ${p.trained.testDocuments} held-out fortunes)\n` +
    `${''.padEnd(22)}${'[CLS]'.padStart(8)}${'mean'.padStart(8)}\n${'majority class'.padEnd(22)}${(100 * p.trained.majority).toFixed(1).padStart(8)}` +
    `${(100 * p.trained.majority).toFixed(1).padStart(8)}\n${'bag of words'.padEnd(22)}${(100 * p.bagOfWords).toFixed(1).padStart(8)}` +
    `${(100 * p.bagOfWords).toFixed(1).padStart(8)}\n${row('random init', p.randomInit)}\n${row(label, p.trained)}\n`;
}

/**
 * The tables of a bert/albert evaluation, in %.
 * @example print(formatPretrainingReport(evaluation, 'nsp', tok.vocabSize, 'bert, 400 steps'));
 */
export function formatPretrainingReport(e: PretrainingEvaluation, task: 'nsp' | 'sop', vocabSize: number, label: string, note = ''): string {
  const row = (name: string, r: PretrainingScores) =>
    `${name.padEnd(18)}${(100 * r.mlmAccuracy).toFixed(1).padStart(8)}${r.perplexity.toFixed(0).padStart(12)}${(100 * r.pairAccuracy).toFixed(1).padStart(10)}`;
  return `\n${''.padEnd(18)}${'MLM acc'.padStart(8)}${'perplexity'.padStart(12)}${`${task.toUpperCase()} acc`.padStart(10)}\n` +
    `${'chance'.padEnd(18)}${(100 / vocabSize).toFixed(2).padStart(8)}${String(vocabSize).padStart(12)}${'50.0'.padStart(10)}\n` +
    `${row('untrained', e.untrained)}\n${row(label, e.trained)}\n` +
    `(held-out fortunes, ${e.heldOutPairs} pairs${note})\n` + formatProbe(e.probe, label);
}
