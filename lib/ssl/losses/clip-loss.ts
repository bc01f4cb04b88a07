// CLIP's loss (Radford et al. 2021, figure 3): cosine similarities of the
// batch's image and text embeddings scaled by a learned temperature, and the
// cross-entropy towards the matching pair in both directions, averaged.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import * as F from '../../nn/functional';

/**
 * Symmetric InfoNCE: `logits = exp(logitScale) * normalize(image) @ normalize(text)^T`
 * (B, B), loss = (CE(logits, arange) + CE(logits^T, arange)) / 2.
 * `logitScale` is the log of the inverse temperature (CLIP: initialised to log(1/0.07)).
 *
 * @example const loss = clipLoss(imageEmb, textEmb, method.logitScale); // a scalar
 */
export function clipLoss(imageEmbeddings: Tensor, textEmbeddings: Tensor, logitScale: Tensor): Tensor {
  if (imageEmbeddings.dim() !== 2 || imageEmbeddings.shape.join() !== textEmbeddings.shape.join()) {
    throw new RangeError(`Expected image and text embeddings of the same shape (B, D) but received ` +
      `[${imageEmbeddings.shape.join(', ')}] and [${textEmbeddings.shape.join(', ')}]`);
  }
  const img = F.normalize(imageEmbeddings.float(), { dim: 1 }); // (B, D)
  const txt = F.normalize(textEmbeddings.float(), { dim: 1 }); // (B, D)
  const logits = img.matmul(txt.t()).mul(logitScale.exp()); // (B, B): logits_per_image
  const target = torch.arange(img.shape[0], { dtype: 'int64', device: img.device });
  return F.crossEntropy(logits, target).add(F.crossEntropy(logits.t(), target)).div(2);
}
