// ALBERT's n-gram masking (Lan et al. 2020, section 4.1, after Joshi et al.'s
// SpanBERT): "the length of each n-gram mask is selected randomly. The
// probability for the length n is given by p(n) = (1/n) / sum_k (1/k)", n up
// to 3 complete words ("White House correspondents"). The procedure follows
// create_pretraining_data.py of google-research/albert: a fixed budget of
// round(0.15 x tokens) per sequence; candidate starts in random order; at each
// start n is drawn from p(n) over the n-grams that fit (contiguous words, not
// across [SEP]), shortened while it would overrun the budget, skipped if it
// touches a position already chosen; then 80% [MASK], 10% a random token, 10%
// kept, decided per token as that script does. Runs on the host, one sequence
// at a time: a batch is a few thousand tokens, far below the step's cost.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { defineOptions, GivenOptions, is, option, optionsKey } from '../../torch/option-table';
import { MaskedTokens, MaskingOptions, maskingRates } from './mlm-masking';
import { mulberry32 } from '../../torch/host-random';

/** The n-gram's options: defaults and checks (PretrainingBatches takes maxNgram from here). */
export const NGRAM_MASKING_OPTIONS = defineOptions({
  /** Longest n-gram, in words. Default 3 (ALBERT). */
  maxNgram: option(3, is.int(1)),
});

/** Options of `ngramMaskTokens`: BERT's masking options plus the n-gram's. */
export interface NgramMaskingOptions extends MaskingOptions, GivenOptions<typeof NGRAM_MASKING_OPTIONS.specs> {
  /**
   * (B, T), 1 where a token begins a word (0 on WordPiece `##` continuations,
   * see `wordStartMask`): n-grams are of complete words. Default: every token
   * is a word.
   */
  wordStarts?: Tensor;
}

/** One masked n-gram: positions [start, end) of row `row`, `words` words long (`drawn` before it was shortened to fit the budget). */
export interface NgramSpan {
  row: number;
  start: number;
  end: number;
  words: number;
  drawn: number;
}

/** What `ngramMaskTokens` returns: the masked ids and labels, and the spans chosen. */
export interface NgramMaskedTokens extends MaskedTokens {
  spans: NgramSpan[];
}

/**
 * p(n) = (1/n) / sum_{k <= max} (1/k), n = 1..max: for max 3, 6/11, 3/11, 2/11.
 * @example ngramProbabilities(3); // [0.545..., 0.272..., 0.181...]
 */
export function ngramProbabilities(max: number): number[] {
  const w = Array.from({ length: max }, (_, i) => 1 / (i + 1));
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / sum);
}

/** The words of one row as [start, end) position ranges, and for each word how many words follow it contiguously. */
function wordsOf(special: Int32Array, starts: Int32Array | undefined, offset: number, length: number): { words: [number, number][]; run: number[] } {
  const words: [number, number][] = [];
  for (let t = 0; t < length; t++) {
    if (special[offset + t] !== 0) continue;
    const last = words[words.length - 1];
    const continues = starts !== undefined && starts[offset + t] === 0 && last !== undefined && last[1] === t;
    if (continues) last[1] = t + 1;
    else words.push([t, t + 1]);
  }
  // run[i]: the number of words from i on that touch each other (no special token between).
  const run = new Array<number>(words.length).fill(1);
  for (let i = words.length - 2; i >= 0; i--) if (words[i][1] === words[i + 1][0]) run[i] = run[i + 1] + 1;
  return { words, run };
}

/**
 * ALBERT's n-gram masking of `inputIds` (B, T); `specialTokensMask` (B, T) is
 * 1 where a token may never be chosen. Same options and outputs as
 * `maskTokens`, plus the spans.
 *
 * @example
 * const enc = tok.encodeIdsBatch(pairs, { maxLength: 64 });
 * const { inputIds, labels } = ngramMaskTokens(enc.inputIds, enc.specialTokensMask,
 *   { maskId: tok.maskId, vocabSize: tok.vocabSize, wordStarts: wordStartMask(tok, enc.inputIds) });
 */
export function ngramMaskTokens(inputIds: Tensor, specialTokensMask: Tensor, options: NgramMaskingOptions): NgramMaskedTokens {
  if (inputIds.dtype !== 'int64' || inputIds.dim() !== 2) {
    throw new TypeError(`Expected inputIds int64 (B, T) but received ${inputIds.dtype} [${inputIds.shape.join(', ')}]`);
  }
  for (const [name, t] of [['specialTokensMask', specialTokensMask], ['options.wordStarts', options.wordStarts]] as const) {
    if (t !== undefined && t.shape.join() !== inputIds.shape.join()) {
      throw new RangeError(`Expected ${name} of shape [${inputIds.shape.join(', ')}] but received [${t.shape.join(', ')}]`);
    }
  }
  const { vocabSize, maskId, p, fMask, fRandom, first } = maskingRates(options);
  const { maxNgram } = NGRAM_MASKING_OPTIONS.resolve(options, optionsKey);
  const pn = ngramProbabilities(maxNgram);
  const [B, T] = inputIds.shape;
  const host = (t: Tensor): Int32Array => torch.scope(() => t.to('int32').toTypedArray() as Int32Array);
  const ids = host(inputIds);
  const special = host(specialTokensMask);
  const starts = options.wordStarts === undefined ? undefined : host(options.wordStarts);
  // One draw from the seeded generator seeds this batch's host random numbers.
  const seed = torch.scope(() => Number(torch.randint(0, 2 ** 31 - 1, [1], { generator: options.generator }).item()));
  const rand = mulberry32(seed);
  const outIds = Int32Array.from(ids);
  const labels = new Int32Array(B * T).fill(-100);
  const spans: NgramSpan[] = [];
  for (let b = 0; b < B; b++) {
    const { words, run } = wordsOf(special, starts, b * T, T);
    const tokens = words.reduce((n, [s, e]) => n + e - s, 0);
    if (tokens === 0) continue;
    const budget = Math.max(1, Math.round(tokens * p));
    const order = words.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) { // Fisher-Yates
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const covered = new Uint8Array(T);
    let chosen = 0;
    for (const w of order) {
      if (chosen >= budget) break;
      // n from p(n) over the n-grams that exist here (renormalised, as ALBERT's script).
      const fits = Math.min(maxNgram, run[w]);
      const total = pn.slice(0, fits).reduce((a, c) => a + c, 0);
      let u = rand() * total;
      let n = 1;
      while (n < fits && u >= pn[n - 1]) { u -= pn[n - 1]; n++; }
      const drawn = n;
      const end = (k: number): number => words[w + k - 1][1];
      while (n > 1 && chosen + end(n) - words[w][0] > budget) n--;
      const start = words[w][0];
      const stop = end(n);
      if (chosen + stop - start > budget) continue;
      let touched = false;
      for (let t = start; t < stop; t++) if (covered[t] !== 0) touched = true;
      if (touched) continue;
      for (let t = start; t < stop; t++) {
        covered[t] = 1;
        const k = b * T + t;
        labels[k] = ids[k];
        const v = rand();
        if (v < fMask) outIds[k] = maskId;
        else if (v < fMask + fRandom) outIds[k] = first + Math.floor(rand() * (vocabSize - first));
      }
      chosen += stop - start;
      spans.push({ row: b, start, end: stop, words: n, drawn });
    }
  }
  const shape = [B, T];
  return torch.scope(() => ({
    inputIds: torch.tensor(outIds, { shape }).to('int64'),
    labels: torch.tensor(labels, { shape }).to('int64'),
    spans,
  }));
}

/**
 * (B, T) int64, 1 where a token begins a word: every id whose WordPiece
 * string does not start with `##`.
 * @example const starts = wordStartMask(tok.vocab, enc.inputIds);
 */
export function wordStartMask(vocab: readonly string[], inputIds: Tensor): Tensor {
  return torch.scope(() => {
    const table = torch.tensor(BigInt64Array.from(vocab.map((t) => (t.startsWith('##') ? 0n : 1n))), { shape: [vocab.length] });
    return table.index([inputIds]);
  });
}
