// The losses of BERT/ALBERT pre-training: masked language modelling over the
// chosen positions only (Devlin et al. 2019: "the final hidden vectors
// corresponding to the mask tokens are fed into an output softmax over the
// vocabulary"), and the two-way sentence-pair classification (NSP or SOP).
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import * as F from '../../nn/functional';

/** What `mlmLoss` returns. */
export interface MlmLossOutput {
  /** Mean cross-entropy over the chosen positions (0, with gradient, when none was chosen). */
  loss: Tensor;
  /** Fraction of chosen positions whose arg-max prediction is the original token (no gradient). */
  accuracy: Tensor;
  /** How many positions were chosen. */
  count: number;
}

/**
 * MLM loss of `hidden` (B, T, H) against `labels` (B, T) (-100 = not chosen):
 * only the chosen rows go through `head` (the vocabulary projection), which is
 * what makes a large vocabulary affordable; the value equals cross-entropy
 * over all logits with ignore_index -100 (HF's BertForPreTraining).
 *
 * @example const { loss, accuracy } = mlmLoss(out.lastHiddenState, batch.labels, (h) => model.predictions.forward(h));
 */
export function mlmLoss(hidden: Tensor, labels: Tensor, head: (rows: Tensor) => Tensor): MlmLossOutput {
  if (labels.dtype !== 'int64' || labels.shape.join() !== hidden.shape.slice(0, 2).join()) {
    throw new TypeError(`Expected int64 labels of shape [${hidden.shape.slice(0, 2).join(', ')}] but received ` +
      `${labels.dtype} [${labels.shape.join(', ')}]`);
  }
  const H = hidden.shape[2];
  const flat = labels.reshape([-1]); // (B * T)
  const rows = flat.ne(-100).nonzero().squeeze(1); // (N,): a host sync, so not capturable in a CUDA graph
  const count = rows.shape[0];
  if (count === 0) {
    return { loss: hidden.sum().mul(0), accuracy: torch.zeros([], { device: hidden.device }), count };
  }
  const logits = head(hidden.reshape([-1, H]).indexSelect(0, rows)); // (N, V)
  const target = flat.indexSelect(0, rows); // (N,)
  const loss = F.crossEntropy(logits.float(), target);
  const accuracy = torch.noGrad(() => logits.argmax(1).eq(target).float().mean());
  return { loss, accuracy, count };
}

/**
 * Cross-entropy of the two-way sentence-pair logits (B, 2) against labels (B)
 * (0 = in order, 1 = random next / swapped), and the accuracy.
 * @example const { loss } = pairLoss(model.seqRelationship.forward(pooled), batch.pairLabels);
 */
export function pairLoss(logits: Tensor, labels: Tensor): { loss: Tensor; accuracy: Tensor } {
  if (logits.dim() !== 2 || logits.shape[1] !== 2 || labels.shape.join() !== String(logits.shape[0])) {
    throw new TypeError(`Expected pair logits (B, 2) and labels (B) but received [${logits.shape.join(', ')}] and ` +
      `[${labels.shape.join(', ')}]`);
  }
  return {
    loss: F.crossEntropy(logits.float(), labels),
    accuracy: torch.noGrad(() => logits.argmax(1).eq(labels).float().mean()),
  };
}
