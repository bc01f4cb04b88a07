// The bag-of-words floor of the text probe (issue 20: "next to floors
// (bag-of-words with the same classifier, a random-init encoder)"): each
// document becomes the counts of its WordPiece tokens over the vocabulary,
// and the same linear probe (`linearProbe`: standardised features, SGD)
// classifies them. The counts are taken over the tokens the encoder sees:
// the first `maxLength - 2` of the document ([CLS] and [SEP] take the other
// two), so the floor and the encoders read the same text. A pre-trained
// encoder's features beat this floor only if they hold more than which
// words occur.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { defineOptions, GivenOptions, optionsKey } from '../torch/option-table';
import { TextCorpus } from '../data/text/corpus';
import { WordPieceTokenizer } from '../data/text/wordpiece';
import { FeatureSet } from './features';
import { linearProbe } from './linear-probe';
import { labelledDocuments, TEXT_FEATURES_OPTIONS, TextProbeOptions } from './text-probe';

/** `bagOfWordsFeatures`'s options: the text probe's maxLength, so the floor reads the tokens the encoders read. */
export const BAG_OF_WORDS_OPTIONS = defineOptions(TEXT_FEATURES_OPTIONS.pick('maxLength'));

/**
 * Token counts (N, vocabSize) float32 of the labelled documents of `corpus`
 * (sentences joined with a space, the first `maxLength - 2` tokens), with
 * their class indices into `corpus.labels`. Special tokens other than [UNK]
 * never occur in an encoded text, so their columns stay 0.
 *
 * @example
 * const { features, labels } = bagOfWordsFeatures(tok, test); // features[i][tok.tokenToId('the')] = count of "the"
 */
export function bagOfWordsFeatures(tokenizer: WordPieceTokenizer, corpus: TextCorpus, options: GivenOptions<typeof BAG_OF_WORDS_OPTIONS.specs> = {}): FeatureSet {
  const { docs, labels } = labelledDocuments(corpus);
  const { maxLength } = BAG_OF_WORDS_OPTIONS.resolve(options, optionsKey);
  const V = tokenizer.vocabSize;
  const counts = new Float32Array(docs.length * V);
  docs.forEach((d, i) => {
    for (const id of tokenizer.encode(d.sentences.join(' ')).slice(0, maxLength - 2)) counts[i * V + id] += 1;
  });
  return {
    features: torch.tensor(counts, { shape: [docs.length, V] }),
    labels: torch.tensor(BigInt64Array.from(labels.map(BigInt)), { shape: [docs.length] }),
  };
}

/**
 * Top-1 of the linear probe (the text probe's: same options) on bag-of-words
 * counts of `train` documents, tested on `test` documents.
 *
 * @example
 * const floor = bagOfWordsProbe(tok, train, test); // e.g. 0.3 over 43 fortune categories
 */
export function bagOfWordsProbe(tokenizer: WordPieceTokenizer, train: TextCorpus, test: TextCorpus,
  options: Pick<TextProbeOptions, 'maxLength' | 'epochs'> = {}): number {
  const a = bagOfWordsFeatures(tokenizer, train, options);
  const b = bagOfWordsFeatures(tokenizer, test, options);
  const all: Tensor[] = [a.features, a.labels, b.features, b.labels];
  try {
    return linearProbe(a, b, { numClasses: train.labels!.length, epochs: options.epochs }).top1;
  } finally {
    all.forEach((t) => t.dispose());
  }
}
