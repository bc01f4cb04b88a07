// Endless CLIP batches from a caption set (a JSONL/CSV caption file, see
// caption-file.ts): images normalised with the set's channel statistics and
// their own captions tokenised, in a seeded random order.
import * as torch from '../../torch';
import { defineOptions, GivenOptions, is, option, optionsKey, REQUIRED } from '../../torch/option-table';
import { EpochOrder, EpochOrderState } from '../epoch-order';
import { normalize, toFloatImages } from '../transforms/normalize';
import { WordPieceTokenizer } from '../text/wordpiece';
import { CaptionSet } from './caption-file';
import { ImageCaptionBatch } from './fashion-captions';

/** Images and their captions, in the same order: a caption file's `CaptionSet`, or generated scenes. */
export type CaptionPairs = Pick<CaptionSet, 'dataset' | 'captions'>;

/** `CaptionBatches`'s options: defaults and checks (the generator checks the seed). */
export const CAPTION_BATCHES_OPTIONS = defineOptions({
  batchSize: option(REQUIRED, is.int(1)),
  /** Tokens per caption, [CLS] and [SEP] included. Default 32. */
  maxLength: option(32, is.int(3)),
  /** Seeds the order. Default 0. */
  seed: option(0, is.checkedLater<number>()),
});

/** Options of `CaptionBatches`. */
export interface CaptionBatchesOptions extends GivenOptions<typeof CAPTION_BATCHES_OPTIONS.specs> {
  batchSize: number;
}

/**
 * (image, caption) batches over `set`, every pair once per epoch.
 * @example
 * const pairs = new CaptionBatches(train, tok, { batchSize: 64 });
 * const { loss } = clip.trainingStep(pairs.next());
 */
export class CaptionBatches {
  private readonly order: EpochOrder;
  private readonly ids: number[][];
  readonly batchSize: number;
  readonly maxLength: number;

  constructor(readonly set: CaptionPairs, readonly tokenizer: WordPieceTokenizer, options: CaptionBatchesOptions) {
    const { batchSize, maxLength, seed } = CAPTION_BATCHES_OPTIONS.resolve(options, optionsKey);
    this.batchSize = batchSize;
    this.maxLength = maxLength;
    if (this.batchSize > set.captions.length) {
      throw new RangeError(`Expected batchSize (${this.batchSize}) at most the ${set.captions.length} pairs of ${set.dataset.name}`);
    }
    this.order = new EpochOrder(set.captions.length, seed);
    this.ids = set.captions.map((c) => tokenizer.encode(c));
  }

  /** The next batch. @example const batch = pairs.next(); */
  next(): ImageCaptionBatch {
    return captionBatch(this.set, this.tokenizer, this.ids, this.order.take(this.batchSize), this.maxLength);
  }

  /** Where the batches stand, for a checkpoint. @example const saved = pairs.state(); */
  state(): EpochOrderState {
    return this.order.state();
  }

  /** Continues from `state()` of batches over the same pairs. @example pairs.loadState(saved); // the same batches again */
  loadState(state: EpochOrderState): void {
    this.order.loadState(state);
  }
}

/**
 * The pairs `idx` of `set` as one batch (`ids`: the captions' token ids).
 * @example const batch = captionBatch(set, tok, set.captions.map((c) => tok.encode(c)), [0, 1, 2], 32);
 */
export function captionBatch(set: CaptionPairs, tokenizer: WordPieceTokenizer, ids: number[][], idx: number[], maxLength: number): ImageCaptionBatch {
  return torch.scope(() => {
    const index = torch.tensor(BigInt64Array.from(idx.map(BigInt)), { shape: [idx.length] });
    const enc = tokenizer.encodeIdsBatch(idx.map((i) => ids[i]), { maxLength });
    const d = set.dataset;
    const images = normalize(toFloatImages(d.images.indexSelect(0, index)), d.mean, d.std);
    return { images, inputIds: enc.inputIds, tokenTypeIds: enc.tokenTypeIds, attentionMask: enc.attentionMask };
  });
}
