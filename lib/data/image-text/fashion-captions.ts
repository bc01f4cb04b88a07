// An image-text pair set that needs no download: Fashion-MNIST images with
// captions generated from their class names (several names per class) and
// varied templates, for CLIP. The zero-shot prompts are CLIP's own templates,
// mostly different from the training captions' ones.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { defineOptions, GivenOptions, is, option, optionsKey, REQUIRED } from '../../torch/option-table';
import { ImageDataset } from '../dataset';
import { normalize, toFloatImages } from '../transforms/normalize';
import { WordPieceTokenizer } from '../text/wordpiece';
import { EpochOrder, EpochOrderState } from '../epoch-order';

/** Names of each Fashion-MNIST class (label order), the first used in zero-shot prompts. */
export const FASHION_MNIST_NAMES: readonly (readonly string[])[] = [
  ['t-shirt', 'top', 'tee'], ['trouser', 'pair of trousers', 'pants'], ['pullover', 'sweater', 'jumper'], ['dress', 'gown'],
  ['coat', 'jacket', 'overcoat'], ['sandal', 'summer sandal'], ['shirt', 'button-up shirt'],
  ['sneaker', 'running shoe', 'trainer'], ['bag', 'handbag', 'purse'], ['ankle boot', 'boot', 'short boot'],
];

/** Templates of the training captions. */
export const CAPTION_TEMPLATES: readonly string[] = [
  'a photo of a {}.', 'a grayscale photo of a {}.', 'a small picture of the {}.', 'a {} on a black background.',
  'an image showing a {}.', 'a low resolution photo of a {}.', 'a product photo of a {}.', 'this is a {}.',
];

/** Zero-shot prompts: a few of CLIP's ImageNet templates ("a photo of a {label}." and others), averaged. */
export const ZERO_SHOT_TEMPLATES: readonly string[] = [
  'a photo of a {}.', 'a blurry photo of a {}.', 'a photo of the {}.', 'a close-up photo of a {}.', 'a bright photo of a {}.',
];

/** Every caption the generator can write, and the prompts: the text to train a tokenizer on. */
export function captionTexts(): string[] {
  const names = FASHION_MNIST_NAMES.flat();
  return [...CAPTION_TEMPLATES, ...ZERO_SHOT_TEMPLATES].flatMap((t) => names.map((n) => t.replace('{}', n)));
}

/** One image-text batch: normalised float images and tokenised captions. */
export interface ImageCaptionBatch {
  images: Tensor;
  inputIds: Tensor;
  tokenTypeIds: Tensor;
  attentionMask: Tensor;
}

/** `FashionCaptionBatches`'s options: defaults and checks (the generator checks the seed). */
export const FASHION_CAPTION_OPTIONS = defineOptions({
  batchSize: option(REQUIRED, is.int(1)),
  /** Tokens per caption, [CLS] and [SEP] included. Default 24 (the generated captions are short). */
  maxLength: option(24, is.int(3)),
  /** Seeds the order and the captions. Default 0. */
  seed: option(0, is.checkedLater<number>()),
});

/** Options of `FashionCaptionBatches`. */
export interface FashionCaptionOptions extends GivenOptions<typeof FASHION_CAPTION_OPTIONS.specs> {
  batchSize: number;
}

/**
 * Endless batches of (image, generated caption) from a labelled Fashion-MNIST split:
 * each image gets a random name of its class in a random template.
 * @example
 * const pairs = new FashionCaptionBatches(fashionMnist({ split: 'train' }), tok, { batchSize: 128 });
 * const { images, inputIds, attentionMask } = pairs.next();
 */
export class FashionCaptionBatches {
  /** The images' order; its generator also picks each image's caption. */
  private readonly order: EpochOrder;
  private readonly captions: number[][][]; // [class][variant] -> ids
  readonly batchSize: number;
  readonly maxLength: number;

  constructor(readonly dataset: ImageDataset, readonly tokenizer: WordPieceTokenizer,
    options: FashionCaptionOptions) {
    if (dataset.labels === undefined) throw new TypeError(`Expected a labelled dataset for captions but '${dataset.name}' has no labels`);
    const { batchSize, maxLength, seed } = FASHION_CAPTION_OPTIONS.resolve(options, optionsKey);
    this.batchSize = batchSize;
    this.maxLength = maxLength;
    this.order = new EpochOrder(dataset.length, seed);
    this.captions = FASHION_MNIST_NAMES.map((names) =>
      CAPTION_TEMPLATES.flatMap((t) => names.map((n) => tokenizer.encode(t.replace('{}', n)))));
  }

  /** Where the batches stand, for a checkpoint. @example const saved = pairs.state(); */
  state(): EpochOrderState {
    return this.order.state();
  }

  /** Continues from `state()` of batches over the same images. @example pairs.loadState(saved); // the same batches again */
  loadState(state: EpochOrderState): void {
    this.order.loadState(state);
  }

  /** The next batch. @example const batch = pairs.next(); clip.trainingStep(batch); */
  next(): ImageCaptionBatch {
    const idx = this.order.take(this.batchSize);
    return torch.scope(() => {
      const index = torch.tensor(BigInt64Array.from(idx.map(BigInt)), { shape: [idx.length] });
      const labels = this.dataset.labels!.indexSelect(0, index).toArray() as number[];
      const pick = torch.rand([idx.length], { generator: this.order.generator }).toArray() as number[];
      const ids = labels.map((l, i) => this.captions[l][Math.floor(pick[i] * this.captions[l].length)]);
      const enc = this.tokenizer.encodeIdsBatch(ids, { maxLength: this.maxLength });
      const images = normalize(toFloatImages(this.dataset.images.indexSelect(0, index)), this.dataset.mean, this.dataset.std);
      return { images, inputIds: enc.inputIds, tokenTypeIds: enc.tokenTypeIds, attentionMask: enc.attentionMask };
    });
  }
}
