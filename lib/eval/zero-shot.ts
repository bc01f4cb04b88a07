// Zero-shot classification with an image-text model (CLIP, Radford et al.
// 2021, section 3.1.2): each class's text embedding is the mean of its
// normalised prompt embeddings ("a photo of a {label}." and others,
// "ensembling over 80 different context prompts"), renormalised; an image
// takes the class of highest cosine similarity.
import * as torch from '../torch';
import { Tensor } from '../torch';
import * as F from '../nn/functional';
import { defineOptions, GivenOptions, is, option, optionsKey } from '../torch/option-table';
import { TextInputs } from '../models/bert';
import { ImageDataset } from '../data/dataset';
import { normalize, toFloatImages } from '../data/transforms/normalize';
import { WordPieceTokenizer } from '../data/text/wordpiece';

/** What zero-shot classification needs of a model. */
export interface ImageTextModel {
  encodeImage(images: Tensor): Tensor;
  encodeText(inputs: TextInputs): Tensor;
  eval(): unknown;
  train(mode?: boolean): unknown;
}

/**
 * (C, D) unit class embeddings from prompt templates (`{}` replaced by the class name).
 * @example const w = zeroShotWeights(clip, tok, ['t-shirt', 'trouser'], ['a photo of a {}.']);
 */
export function zeroShotWeights(model: ImageTextModel, tokenizer: WordPieceTokenizer, classNames: readonly string[],
  templates: readonly string[], maxLength = 32): Tensor {
  if (classNames.length === 0 || templates.length === 0) {
    throw new RangeError(`Expected class names and templates but received ${classNames.length} and ${templates.length}`);
  }
  for (const t of templates) if (!t.includes('{}')) throw new RangeError(`Expected '{}' (the class name) in template '${t}'`);
  return torch.noGrad(() => torch.scope(() => {
    const rows = classNames.map((name) => {
      const enc = tokenizer.encodeBatch(templates.map((t) => t.replace('{}', name)), { maxLength });
      const emb = F.normalize(model.encodeText(enc), { dim: 1 }); // (templates, D)
      return emb.mean(0);
    });
    return F.normalize(torch.stack(rows), { dim: 1 }); // (C, D)
  }));
}

/** `zeroShotAccuracy`'s options: defaults and checks. */
export const ZERO_SHOT_OPTIONS = defineOptions({
  /** Images per forward pass. Default 512. */
  batchSize: option(512, is.int(1)),
});

/**
 * Top-1 accuracy (in [0, 1]) of zero-shot classification on a labelled image dataset.
 * @example zeroShotAccuracy(clip, fashionMnist({ split: 'test' }), weights); // e.g. 0.6
 */
export function zeroShotAccuracy(model: ImageTextModel, dataset: ImageDataset, weights: Tensor,
  options: GivenOptions<typeof ZERO_SHOT_OPTIONS.specs> = {}): number {
  if (dataset.labels === undefined) throw new TypeError(`Expected a labelled dataset for zero-shot accuracy but '${dataset.name}' has none`);
  const { batchSize: batch } = ZERO_SHOT_OPTIONS.resolve(options, optionsKey);
  model.eval();
  let correct = 0;
  try {
    for (let start = 0; start < dataset.length; start += batch) {
      const n = Math.min(batch, dataset.length - start);
      correct += torch.noGrad(() => torch.scope(() => {
        const x = normalize(toFloatImages(dataset.images.narrow(0, start, n)), dataset.mean, dataset.std);
        const img = F.normalize(model.encodeImage(x), { dim: 1 }); // (n, D)
        const pred = img.matmul(weights.t()).argmax(1); // (n,)
        return Number(pred.eq(dataset.labels!.narrow(0, start, n)).sum().item());
      }));
    }
  } finally {
    model.train(true);
  }
  return correct / dataset.length;
}
