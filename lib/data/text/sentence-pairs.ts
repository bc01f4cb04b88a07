// Segment pairs for BERT's next-sentence prediction and ALBERT's
// sentence-order prediction, after create_pretraining_data.py of both
// repositories (google-research/bert, google-research/albert): consecutive
// sentences of a document are gathered up to a target length, cut at a random
// sentence boundary into A and B, then
//   NSP: with probability 1/2 B is replaced by text from another document (label 1);
//   SOP: with probability 1/2 A and B are swapped (label 1).
// Label 0 is "B follows A" in both, as Hugging Face's next_sentence_label and sentence_order_label.
import { defineOptions, GivenOptions, is, option, optionsKey, REQUIRED } from '../../torch/option-table';
import { mulberry32 } from '../../torch/host-random';

/** `sentencePairs`'s options: defaults and checks. */
export const SENTENCE_PAIR_OPTIONS = defineOptions({
  /** 'nsp' (BERT) or 'sop' (ALBERT). */
  task: option(REQUIRED, is.oneOf(['nsp', 'sop'] as const)),
  /** Longest sequence with [CLS] and two [SEP]. */
  maxLength: option(REQUIRED, is.int(5)),
  /** Probability of a shorter target length, to limit the mismatch with short inputs later. Default 0.1 (both papers' code). */
  shortSeqProb: option(0.1, is.number(0, 1)),
  /** Seed of the sampling. Default 0. */
  seed: option(0, is.int()),
});

/** Options of `sentencePairs`. */
export interface SentencePairOptions extends GivenOptions<typeof SENTENCE_PAIR_OPTIONS.specs> {
  task: 'nsp' | 'sop';
  maxLength: number;
}

/** The pairs (token ids without special tokens) and their labels (0 = in order, 1 = random next / swapped). */
export interface SentencePairs {
  pairs: [number[], number[]][];
  labels: number[];
}

// Trims the longer side one token at a time, from its front or back at random (BERT's truncate_seq_pair).
function truncatePair(a: number[], b: number[], max: number, rand: () => number): void {
  while (a.length + b.length > max) {
    const longer = a.length > b.length ? a : b;
    if (rand() < 0.5) longer.shift();
    else longer.pop();
  }
}

/**
 * Pairs for NSP or SOP from documents given as tokenised sentences
 * (`docs[d][s]` = ids of sentence s of document d).
 *
 * @example
 * const docs = corpus.documents.map((d) => d.sentences.map((s) => tok.encode(s)));
 * const { pairs, labels } = sentencePairs(docs, { task: 'nsp', maxLength: 64 });
 * const batch = tok.encodeIdsBatch(pairs.slice(0, 32), { maxLength: 64 });
 */
export function sentencePairs(docs: readonly (readonly (readonly number[])[])[], options: SentencePairOptions): SentencePairs {
  const { task, maxLength, shortSeqProb, seed } = SENTENCE_PAIR_OPTIONS.resolve(options, optionsKey);
  const maxTokens = maxLength - 3;
  const rand = mulberry32(seed);
  const randint = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1)); // [lo, hi]
  if (task === 'nsp' && docs.length < 2) throw new RangeError('Expected at least two documents for NSP (random next sentences) but received ' + docs.length);
  const out: SentencePairs = { pairs: [], labels: [] };
  docs.forEach((doc, d) => {
    const target = rand() < shortSeqProb ? randint(2, maxTokens) : maxTokens;
    let chunk: (readonly number[])[] = [];
    let length = 0;
    for (let i = 0; i < doc.length; i++) {
      chunk.push(doc[i]);
      length += doc[i].length;
      if (i !== doc.length - 1 && length < target) continue;
      // NOTE: BERT also pairs a lone sentence with a random one; with many
      // one-sentence documents (fortunes) that makes most pairs random, so a
      // chunk needs two sentences here and both labels stay near 1/2.
      if (chunk.length >= 2) {
        const aEnd = randint(1, chunk.length - 1);
        let a = chunk.slice(0, aEnd).flat();
        let b: number[];
        let label = 0;
        if (task === 'nsp' && rand() < 0.5) {
          label = 1;
          let other = d;
          while (other === d) other = randint(0, docs.length - 1);
          const start = randint(0, docs[other].length - 1);
          b = [];
          for (let k = start; k < docs[other].length && b.length < Math.max(1, target - a.length); k++) b.push(...docs[other][k]);
          // The unused sentences of this chunk go back to the document (BERT: "so they don't go to waste").
          i -= chunk.length - aEnd;
        } else {
          b = chunk.slice(aEnd).flat();
          if (task === 'sop' && rand() < 0.5) {
            [a, b] = [b, a];
            label = 1;
          }
        }
        truncatePair(a, b, maxTokens, rand);
        if (a.length > 0 && b.length > 0) {
          out.pairs.push([a, b]);
          out.labels.push(label);
        }
      }
      chunk = [];
      length = 0;
    }
  });
  return out;
}
