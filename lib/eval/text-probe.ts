// A downstream probe for text encoders: a linear classifier on frozen
// features of labelled documents (fortunes: which category file a fortune
// comes from), as BERT's feature-based evaluation (section 5.3) reads frozen
// hidden states. Two readings of a document: the [CLS] state, and the mean of
// the token states over the attention mask.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { defineOptions, GivenOptions, is, option, optionsKey } from '../torch/option-table';
import { TextCorpus, TextDocument } from '../data/text/corpus';
import { WordPieceTokenizer } from '../data/text/wordpiece';
import { TextInputs, TextEncoderOutput } from '../models/bert';
import { FeatureSet } from './features';
import { linearProbe, LinearProbeOptions } from './linear-probe';

/** What the probe needs of a text encoder (BertModel, AlbertModel). */
export interface TextFeatureEncoder {
  forward(inputs: TextInputs): TextEncoderOutput;
  eval(): unknown;
  train(mode?: boolean): unknown;
}

/** `textFeatures`'s options: defaults and checks (the bag-of-words floor takes maxLength from here). */
export const TEXT_FEATURES_OPTIONS = defineOptions({
  /** Tokens per document, [CLS] and [SEP] included (longer ones are cut). Default 64. */
  maxLength: option(64, is.int(3)),
  /** Documents per forward pass. Default 128. */
  batchSize: option(128, is.int(1)),
});

/** Options of `textFeatures`. */
export type TextFeaturesOptions = GivenOptions<typeof TEXT_FEATURES_OPTIONS.specs>;

/** Options of `textProbe`: the features' and the probe's epochs (`linearProbe`'s default when omitted). */
export type TextProbeOptions = TextFeaturesOptions & Pick<LinearProbeOptions, 'epochs'>;

/**
 * The labelled documents of `corpus` and their class indices into `corpus.labels`;
 * a corpus without two labels or more is refused by name.
 * @example const { docs, labels } = labelledDocuments(test);
 */
export function labelledDocuments(corpus: TextCorpus): { docs: TextDocument[]; labels: number[] } {
  const names = corpus.labels;
  if (names === undefined || names.length < 2) {
    throw new TypeError(`Expected a corpus with document labels (two classes or more) for the text probe but '${corpus.name}' has none`);
  }
  const index = new Map(names.map((n, i) => [n, i]));
  const docs = corpus.documents.filter((d) => d.label !== undefined);
  return { docs, labels: docs.map((d) => index.get(d.label!)!) };
}

/**
 * Frozen [CLS] and mean-pooled features of every labelled document of
 * `corpus` (its sentences joined), with label indices into `corpus.labels`.
 *
 * @example const { cls, mean } = textFeatures(bert, tok, test);
 */
export function textFeatures(encoder: TextFeatureEncoder, tokenizer: WordPieceTokenizer, corpus: TextCorpus,
  options: TextFeaturesOptions = {}): { cls: FeatureSet; mean: FeatureSet } {
  const { docs, labels: classes } = labelledDocuments(corpus);
  const { maxLength, batchSize: batch } = TEXT_FEATURES_OPTIONS.resolve(options, optionsKey);
  encoder.eval();
  try {
    return torch.noGrad(() => torch.scope(() => {
      const cls: Tensor[] = [];
      const mean: Tensor[] = [];
      for (let s = 0; s < docs.length; s += batch) {
        // NOTE: one scope per batch: the encoder's intermediates (about 100 MB per batch of 128 at H=128) are freed
        // before the next batch; only the (B, H) features survive it.
        const [c, m] = torch.scope(() => {
          const part = docs.slice(s, s + batch);
          const enc = tokenizer.encodeBatch(part.map((d) => d.sentences.join(' ')), { maxLength });
          const h = encoder.forward(enc).lastHiddenState; // (B, T, H)
          const mask = enc.attentionMask.unsqueeze(2).to('float32'); // (B, T, 1)
          return [h.select(1, 0).contiguous(), h.mul(mask).sum(1).div(mask.sum(1))]; // (B, H) each
        });
        cls.push(c);
        mean.push(m);
      }
      const labels = torch.tensor(BigInt64Array.from(classes.map(BigInt)), { shape: [docs.length] });
      return { cls: { features: torch.cat(cls, 0), labels }, mean: { features: torch.cat(mean, 0), labels: labels.clone() } };
    }));
  } finally {
    encoder.train(true);
  }
}

/** Linear-probe top-1 of the [CLS] and mean-pooled features. */
export interface TextProbeResult {
  cls: number;
  mean: number;
  /** Top-1 of always answering the most frequent training category: the floor of any classifier. */
  majority: number;
  classes: number;
  trainDocuments: number;
  testDocuments: number;
}

/**
 * Linear probes (standardised features, SGD, see `linearProbe`) on frozen
 * features of `train` documents, tested on `test` documents.
 *
 * @example
 * const { train, test } = data.text.splitCorpus(data.text.fortunesCorpus(), 0.1);
 * textProbe(method.encoder, tok, train, test).mean; // top-1 over 43 categories
 */
export function textProbe(encoder: TextFeatureEncoder, tokenizer: WordPieceTokenizer, train: TextCorpus, test: TextCorpus,
  options: TextProbeOptions = {}): TextProbeResult {
  const a = textFeatures(encoder, tokenizer, train, options);
  const b = textFeatures(encoder, tokenizer, test, options);
  try {
    const numClasses = train.labels!.length;
    const probe = (x: FeatureSet, y: FeatureSet) => linearProbe(x, y, { numClasses, epochs: options.epochs }).top1;
    const counts = new Array<number>(numClasses).fill(0);
    for (const y of a.cls.labels.toArray() as number[]) counts[y]++;
    const top = counts.indexOf(Math.max(...counts));
    const testLabels = b.cls.labels.toArray() as number[];
    const majority = testLabels.filter((y) => y === top).length / testLabels.length;
    return { cls: probe(a.cls, b.cls), mean: probe(a.mean, b.mean), majority, classes: numClasses,
      trainDocuments: a.cls.labels.shape[0], testDocuments: b.cls.labels.shape[0] };
  } finally {
    for (const s of [a.cls, a.mean, b.cls, b.mean]) { s.features.dispose(); s.labels.dispose(); }
  }
}
