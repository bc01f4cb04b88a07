// Batches for BERT/ALBERT pre-training from a corpus: documents tokenised
// once, NSP or SOP pairs re-drawn every epoch (a new seed each), shuffled,
// encoded, and masked for MLM with a seeded generator (BERT's token masking,
// or ALBERT's n-gram masking with `masking: 'ngram'`).
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { defineOptions, GivenOptions, is, option, optionsKey, REQUIRED } from '../../torch/option-table';
import { TextCorpus } from './corpus';
import { maskTokens } from './mlm-masking';
import { NGRAM_MASKING_OPTIONS, ngramMaskTokens, wordStartMask } from './ngram-masking';
import { sentencePairs } from './sentence-pairs';
import { WordPieceTokenizer } from './wordpiece';
import { EpochOrder, EpochOrderState } from '../epoch-order';

/** One masked pair batch, int64 tensors: the input of BERT/ALBERT pre-training. */
export interface MaskedPairBatch {
  inputIds: Tensor;
  tokenTypeIds: Tensor;
  attentionMask: Tensor;
  /** Original ids at the chosen positions, -100 elsewhere. */
  labels: Tensor;
  /** (B): 0 = in order, 1 = random next (NSP) or swapped (SOP). */
  pairLabels: Tensor;
}

/**
 * Where a `PretrainingBatches` stands, JSON-able (a text checkpoint stores it):
 * the epoch, the next pair in its order, and the generator's state (base64)
 * at the epoch's start (it drew the order) and now (it draws the masks).
 */
export type PretrainingBatchesState = EpochOrderState;

/** `PretrainingBatches`'s options: defaults and checks (task, maxLength and seed are checked by `sentencePairs`). */
export const PRETRAINING_BATCHES_OPTIONS = defineOptions({
  task: option(REQUIRED, is.checkedLater<'nsp' | 'sop'>()),
  /** Tokens per sequence, [CLS] and [SEP]s included. */
  maxLength: option(REQUIRED, is.checkedLater<number>()),
  batchSize: option(REQUIRED, is.int(1)),
  /** Seeds pairs, order and masking. Default 0. */
  seed: option(0, is.checkedLater<number>()),
  /**
   * 'token': BERT's, each token chosen with probability 0.15 (`maskTokens`);
   * 'ngram': ALBERT's, spans of up to `maxNgram` whole words with p(n) ∝ 1/n
   * and round(0.15 x tokens) per sequence at most (`ngramMaskTokens`). Default 'token'.
   */
  masking: option<'token' | 'ngram'>('token', is.oneOf(['token', 'ngram'])),
  /** Longest n-gram in words with masking 'ngram' (ngramMaskTokens's default). */
  ...NGRAM_MASKING_OPTIONS.pick('maxNgram'),
});

/** Options of `PretrainingBatches`. */
export interface PretrainingBatchesOptions extends GivenOptions<typeof PRETRAINING_BATCHES_OPTIONS.specs> {
  task: 'nsp' | 'sop';
  maxLength: number;
  batchSize: number;
}

/**
 * Endless pre-training batches over `corpus`; `batch(step)` is deterministic in (seed, step) order.
 * @example
 * const data = new PretrainingBatches(tok, corpus, { task: 'nsp', maxLength: 64, batchSize: 32 });
 * const batch = data.next(); // { inputIds, tokenTypeIds, attentionMask, labels, pairLabels }
 */
export class PretrainingBatches {
  readonly docs: number[][][];
  readonly options: Required<PretrainingBatchesOptions>;
  /** The pairs' order; its generator also draws the masks. */
  private readonly order: EpochOrder;
  private pairs: [number[], number[]][] = [];
  private labels: number[] = [];

  constructor(readonly tokenizer: WordPieceTokenizer, corpus: TextCorpus, options: PretrainingBatchesOptions) {
    this.options = PRETRAINING_BATCHES_OPTIONS.resolve(options, optionsKey);
    this.docs = corpus.documents.map((d) => d.sentences.map((s) => tokenizer.encode(s)));
    this.order = new EpochOrder((epoch) => this.drawPairs(epoch), this.options.seed);
    if (this.pairs.length < this.options.batchSize) {
      throw new RangeError(`Expected at least batchSize = ${this.options.batchSize} sentence pairs from corpus ` +
        `'${corpus.name}' but it gives ${this.pairs.length} (documents need two sentences or more)`);
    }
  }

  /** Pairs per epoch (varies a little between epochs). */
  get pairsPerEpoch(): number {
    return this.pairs.length;
  }

  /** Epoch `epoch`'s pairs (they depend on the seed and the epoch only); returns how many. */
  private drawPairs(epoch: number): number {
    const { task, maxLength, seed } = this.options;
    const { pairs, labels } = sentencePairs(this.docs, { task, maxLength, seed: seed * 1000 + epoch });
    this.pairs = pairs;
    this.labels = labels;
    return pairs.length;
  }

  /**
   * Where the batches stand, for a checkpoint; `loadState` continues from it.
   * @example const saved = data.state(); data.next(); data.loadState(saved); // the same batch again
   */
  state(): PretrainingBatchesState {
    return this.order.state();
  }

  /**
   * Continues from `state()` of batches built over the same corpus, tokenizer and options:
   * the epoch's pairs are drawn again and its order drawn again from the saved generator state.
   * @example data.loadState(JSON.parse(fs.readFileSync('state.json', 'utf8')));
   */
  loadState(state: PretrainingBatchesState): void {
    this.order.loadState(state);
  }

  /** The next batch (a new epoch of pairs when this one is used up). @example const b = data.next(); */
  next(): MaskedPairBatch {
    const { batchSize, maxLength } = this.options;
    const idx = this.order.take(batchSize);
    return torch.scope(() => {
      const enc = this.tokenizer.encodeIdsBatch(idx.map((i) => this.pairs[i]), { maxLength });
      const common = { maskId: this.tokenizer.maskId, vocabSize: this.tokenizer.vocabSize, generator: this.order.generator };
      const masked = this.options.masking === 'ngram'
        ? ngramMaskTokens(enc.inputIds, enc.specialTokensMask,
          { ...common, maxNgram: this.options.maxNgram, wordStarts: wordStartMask(this.tokenizer.vocab, enc.inputIds) })
        : maskTokens(enc.inputIds, enc.specialTokensMask, common);
      return {
        inputIds: masked.inputIds, tokenTypeIds: enc.tokenTypeIds, attentionMask: enc.attentionMask, labels: masked.labels,
        pairLabels: torch.tensor(BigInt64Array.from(idx.map((i) => BigInt(this.labels[i]))), { shape: [idx.length] }),
      };
    });
  }
}
