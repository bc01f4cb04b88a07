// Image <-> text retrieval on held-out pairs (CLIP, Radford et al. 2021,
// section 3.1.4's Flickr30k/MSCOCO evaluation): pair i is image i with
// caption i; each image ranks every caption by cosine similarity
// (image -> text), each caption every image (text -> image); recall@k is the
// fraction of queries whose own partner is among the k best.
import * as torch from '../torch';
import { Tensor } from '../torch';
import * as F from '../nn/functional';
import { checkInt } from '../torch/arguments';
import { defineOptions, GivenOptions, is, option, OPTIONAL } from '../torch/option-table';
import { TextInputs } from '../models/bert';
import { ImageTextModel } from './zero-shot';

/** Recall@k in [0, 1] for each k, both directions. */
export interface RetrievalRecall {
  imageToText: Record<number, number>;
  textToImage: Record<number, number>;
  /** Number of pairs (queries per direction). */
  pairs: number;
}

/**
 * Recall@k of paired embeddings `images` (N, D) and `texts` (N, D) (row i of
 * each is pair i; they are L2-normalised here). A query's rank is the number
 * of candidates scoring strictly higher than its partner.
 *
 * NOTE: ties are broken in the partner's favour: a caption written twice
 * (generated captions repeat) scores exactly as its copy and does not push
 * the partner down. Recall is therefore an upper bound where texts repeat.
 *
 * @example
 * const r = retrievalRecall(imageEmb, textEmb, [1, 5, 10]);
 * r.imageToText[1]; // e.g. 0.12
 */
export function retrievalRecall(images: Tensor, texts: Tensor, ks: readonly number[] = [1, 5, 10]): RetrievalRecall {
  if (images.dim() !== 2 || texts.dim() !== 2 || images.shape[0] !== texts.shape[0] || images.shape[1] !== texts.shape[1]) {
    throw new RangeError(`Expected image and text embeddings of the same (N, D) shape but received ` +
      `[${images.shape.join(', ')}] and [${texts.shape.join(', ')}]`);
  }
  const n = images.shape[0];
  if (n === 0) throw new RangeError('Expected at least one pair for retrievalRecall but received 0');
  ks.forEach((k, i) => checkInt(k, `ks[${i}]`, 1));
  return torch.noGrad(() => torch.scope(() => {
    const sim = F.normalize(images.to('float32'), { dim: 1 }).matmul(F.normalize(texts.to('float32'), { dim: 1 }).t()); // (N images, N texts)
    const positive = torch.ops.aten.diagonal(sim); // (N)
    const rankI2T = sim.gt(positive.unsqueeze(1)).sum(1); // (N): captions above image i's own
    const rankT2I = sim.gt(positive.unsqueeze(0)).sum(0); // (N): images above caption j's own
    const recall = (rank: Tensor): Record<number, number> =>
      Object.fromEntries(ks.map((k) => [k, Number(rank.lt(k).sum().item()) / n]));
    return { imageToText: recall(rankI2T), textToImage: recall(rankT2I), pairs: n };
  }));
}

/** `pairRetrieval`'s options: defaults and checks. */
export const PAIR_RETRIEVAL_OPTIONS = defineOptions({
  /** The k of recall@k; default `retrievalRecall`'s [1, 5, 10]. */
  ks: option<readonly number[]>(OPTIONAL, (v, what) => {
    if (!Array.isArray(v)) throw new TypeError(`Expected a list of positive integers for ${what} but received ${String(v)}`);
    return [...v] as number[];
  }),
  /** Pairs embedded per forward pass (default 256). */
  batchSize: option(256, is.int(1)),
});

/**
 * Embeds held-out pairs with an image-text model (eval mode, no autograd, in
 * chunks) and returns their retrieval recall@k.
 *
 * @example
 * const r = pairRetrieval(clip, { images, inputIds, tokenTypeIds, attentionMask });
 */
export function pairRetrieval(model: ImageTextModel, pairs: TextInputs & { images: Tensor },
  options: GivenOptions<typeof PAIR_RETRIEVAL_OPTIONS.specs> = {}): RetrievalRecall {
  const { ks, batchSize: batch } = PAIR_RETRIEVAL_OPTIONS.resolve(options, (k) => `options.${k}`);
  const n = pairs.images.shape[0];
  if (pairs.inputIds.shape[0] !== n) {
    throw new RangeError(`Expected as many captions as images but received ${pairs.inputIds.shape[0]} and ${n}`);
  }
  model.eval();
  try {
    return torch.noGrad(() => torch.scope(() => {
      const img: Tensor[] = [];
      const txt: Tensor[] = [];
      for (let s = 0; s < n; s += batch) {
        const m = Math.min(batch, n - s);
        const part = (t: Tensor | undefined) => t?.narrow(0, s, m);
        img.push(model.encodeImage(pairs.images.narrow(0, s, m)));
        txt.push(model.encodeText({ inputIds: pairs.inputIds.narrow(0, s, m), tokenTypeIds: part(pairs.tokenTypeIds),
          attentionMask: part(pairs.attentionMask) }));
      }
      return retrievalRecall(torch.cat(img, 0), torch.cat(txt, 0), ks);
    }));
  } finally {
    model.train(true);
  }
}
