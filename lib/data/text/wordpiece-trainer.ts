// Learning a WordPiece vocabulary (Schuster & Nakajima 2012; Wu et al. 2016)
// as Hugging Face's `tokenizers` WordPieceTrainer does: start from characters
// (word-initial as is, the others with the "##" continuation prefix), then
// repeatedly merge the most frequent adjacent pair (its BpeTrainer underneath)
// until the vocabulary reaches its size.
// NOTE: not the likelihood score freq(ab) / (freq(a) freq(b)) of HF's course
// text: on a few-MB corpus that score merges rare long words first and leaves
// "the" as "th ##e" (measured on fortunes); frequency merges do not.
// Counts are updated incrementally, only in the words that contain the merged
// pair, so a few-MB corpus trains in seconds.
import { defineOptions, GivenOptions, is, option, optionsKey } from '../../torch/option-table';
import { basicTokenize, BasicTokenizerOptions } from './basic-tokenizer';

/** The special tokens, in the order of their ids (0 = [PAD], as the models' padding index). */
export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** `trainWordPiece`'s options: defaults and checks (and the tokenizer's, BASIC_TOKENIZER_OPTIONS). */
export const WORDPIECE_TRAIN_OPTIONS = defineOptions({
  /** Size of the vocabulary, special tokens included. Default 8192 (a CPU-size model; bert-base has 30,522). */
  vocabSize: option(8192, is.int(SPECIAL_TOKENS.length + 1)),
  /** Words seen fewer times are left out of the merges (their characters still enter the alphabet). Default 2. */
  minFrequency: option(2, is.int(1)),
});

/** Options of `trainWordPiece`. */
export type WordPieceTrainOptions = BasicTokenizerOptions & GivenOptions<typeof WORDPIECE_TRAIN_OPTIONS.specs>;

const SEP = '\u0000';

function merged(a: string, b: string): string {
  return a + (b.startsWith('##') ? b.slice(2) : b);
}

/** Word counts over the texts, after BERT's normalisation and pre-tokenisation. */
function countWords(texts: Iterable<string>, options: BasicTokenizerOptions): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const w of basicTokenize(text, options)) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  return counts;
}

/** The pair counts of the current splits, and which words hold each pair. */
class PairStats {
  readonly pairs = new Map<string, number>();
  readonly where = new Map<string, Set<number>>();

  add(split: readonly string[], freq: number, word: number, sign: 1 | -1): void {
    for (let i = 0; i + 1 < split.length; i++) {
      const key = split[i] + SEP + split[i + 1];
      const n = (this.pairs.get(key) ?? 0) + sign * freq;
      if (n > 0) {
        this.pairs.set(key, n);
        let set = this.where.get(key);
        if (!set) this.where.set(key, set = new Set());
        set.add(word);
      } else {
        this.pairs.delete(key);
        this.where.delete(key);
      }
    }
  }

  best(): string | undefined {
    let bestKey: string | undefined;
    let best = 0;
    for (const [key, n] of this.pairs) {
      // Ties go to the smaller key: deterministic whatever the Map's order.
      if (n > best || (n === best && key < bestKey!)) {
        best = n;
        bestKey = key;
      }
    }
    return bestKey;
  }
}

/**
 * A WordPiece vocabulary (tokens in id order: the special tokens, the
 * alphabet, then the merges) learned from `texts`. Throws when the texts hold
 * no word.
 *
 * @example
 * const vocab = trainWordPiece(['the cat sat', 'the cats sat'], { vocabSize: 40, minFrequency: 1 });
 * vocab.slice(0, 5); // ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
 */
export function trainWordPiece(texts: Iterable<string>, options: WordPieceTrainOptions = {}): string[] {
  const { vocabSize, minFrequency } = WORDPIECE_TRAIN_OPTIONS.resolve(options, optionsKey);
  const counts = countWords(texts, options);
  if (counts.size === 0) throw new RangeError('Expected text with at least one word to train a WordPiece vocabulary but received none');
  const vocab: string[] = [...SPECIAL_TOKENS];
  const known = new Set<string>(vocab);
  const addToken = (t: string): void => {
    if (!known.has(t)) {
      known.add(t);
      vocab.push(t);
    }
  };
  const alphabet = new Set<string>();
  for (const w of counts.keys()) [...w].forEach((ch, i) => alphabet.add(i === 0 ? ch : `##${ch}`));
  [...alphabet].sort().forEach(addToken);

  const splits: string[][] = [];
  const freqs: number[] = [];
  for (const [w, n] of counts) {
    if (n < minFrequency) continue;
    splits.push([...w].map((ch, i) => (i === 0 ? ch : `##${ch}`)));
    freqs.push(n);
  }
  const stats = new PairStats();
  splits.forEach((s, i) => stats.add(s, freqs[i], i, 1));
  while (vocab.length < vocabSize) {
    const key = stats.best();
    if (key === undefined) break;
    const [a, b] = key.split(SEP);
    const token = merged(a, b);
    for (const i of [...stats.where.get(key)!]) {
      const s = splits[i];
      stats.add(s, freqs[i], i, -1);
      const next: string[] = [];
      for (let k = 0; k < s.length; k++) {
        if (k + 1 < s.length && s[k] === a && s[k + 1] === b) {
          next.push(token);
          k++;
        } else {
          next.push(s[k]);
        }
      }
      splits[i] = next;
      stats.add(next, freqs[i], i, 1);
    }
    addToken(token);
  }
  return vocab;
}
