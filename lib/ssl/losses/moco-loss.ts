// MoCo's contrastive losses: InfoNCE against a queue of keys (MoCo v2) and
// the symmetric in-batch InfoNCE of MoCo v3.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { normalize, crossEntropy } from '../../nn/functional';
import { checkTensor, sameShape } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../../torch/option-table';
import { atLeastFloat32, withoutAutocast } from './precision';
import { gatherFromRanks } from './gather';

/** {@link infoNceWithQueue}'s options. */
export const INFO_NCE_OPTIONS = defineOptions({
  /** Temperature tau. Default 0.2 (MoCo v2, Chen et al. 2020). */
  temperature: option(0.2, is.positive),
});

/** {@link mocoV3Loss}'s options. */
export const MOCO_V3_LOSS_OPTIONS = defineOptions({
  /** Temperature tau. Default 1.0 (the official moco-v3 code's `--moco-t`). */
  temperature: option(1.0, is.positive),
  /** Gather the keys of every rank as negatives (see {@link mocoV3Loss}). Default false. */
  gatherDistributed: option(false, is.boolean),
});

function checkPair(q: Tensor, k: Tensor): void {
  checkTensor(q, 'q');
  checkTensor(k, 'k');
  if (q.dim() !== 2 || q.shape[0] < 1 || q.shape[1] < 1) {
    throw new RangeError(`Expected q of shape (B, D) with B >= 1 but received shape [${q.shape.join(', ')}]`);
  }
  if (!sameShape(k.shape, q.shape)) {
    throw new RangeError(`Expected k of the shape of q [${q.shape.join(', ')}] (row i of both are views of image i) ` +
      `but received shape [${k.shape.join(', ')}]`);
  }
}

/**
 * MoCo's InfoNCE (He et al. 2020, Eq. 1; MoCo v2, Chen et al. 2020, uses
 * tau = 0.2): `-log exp(q.k+ / tau) / (exp(q.k+ / tau) + sum_queue exp(q.k- / tau))`
 * averaged over the batch, with q and k L2-normalised here, k detached (the
 * key encoder gets no gradient) and `queue` (K, D) holding earlier,
 * normalised keys as negatives. As the official builder: logits
 * `[l_pos, l_neg] / T` and class 0.
 *
 * @param q (B, D) queries (the query encoder's projections of view 1).
 * @param k (B, D) keys (the momentum encoder's projections of view 2).
 * @param queue (K, D) normalised keys of earlier batches.
 * @example
 * const loss = infoNceWithQueue(q, k, method.queue, { temperature: 0.2 });
 */
export function infoNceWithQueue(q: Tensor, k: Tensor, queue: Tensor, options: GivenOptions<typeof INFO_NCE_OPTIONS.specs> = {}): Tensor {
  checkPair(q, k);
  checkTensor(queue, 'queue');
  const { temperature } = INFO_NCE_OPTIONS.resolveKnown(options, 'infoNceWithQueue', (key) => `options.${key}`);
  if (queue.dim() !== 2 || queue.shape[1] !== q.shape[1]) {
    throw new RangeError(`Expected queue of shape (K, ${q.shape[1]}) (normalised keys) but received shape ` +
      `[${queue.shape.join(', ')}]`);
  }
  const qn = normalize(atLeastFloat32(q), { dim: 1 }); // (B, D)
  const kn = normalize(atLeastFloat32(k.detach()), { dim: 1 }); // (B, D)
  const negatives = atLeastFloat32(queue.detach()).to(qn.dtype);
  const logits = withoutAutocast(qn, () => {
    const pos = qn.mul(kn).sum(1, true); // (B, 1)
    const neg = qn.matmul(negatives.t()); // (B, K)
    return torch.cat([pos, neg], 1).div(temperature); // (B, 1 + K)
  });
  // NOTE: the positive is column 0 for every row, as MoCo's labels of zeros.
  return crossEntropy(logits, torch.zeros([q.shape[0]], { dtype: 'int64', device: q.device }));
}

/**
 * MoCo v3's contrastive loss (Chen, Xie, He 2021, Algorithm 1, `ctr`):
 * in-batch InfoNCE between normalised queries and keys, the positive of row
 * i being key i and the other keys of the batch its negatives, multiplied by
 * `2 * tau` (as the official code: it makes the loss scale comparable across
 * temperatures). k is detached. The method sums both directions:
 * `mocoV3Loss(q1, k2) + mocoV3Loss(q2, k1)`.
 *
 * `gatherDistributed` (default false): in a data-parallel run the keys of
 * every rank are the negatives and query i's positive is key `rank * B + i`,
 * as the official `contrastive_loss` (`concat_all_gather(k)`, labels offset
 * by the rank); without a group of more than one rank it changes nothing.
 *
 * @example const loss = mocoV3Loss(q1, k2, { temperature: 1.0 }).add(mocoV3Loss(q2, k1, { temperature: 1.0 }));
 */
export function mocoV3Loss(q: Tensor, k: Tensor, options: GivenOptions<typeof MOCO_V3_LOSS_OPTIONS.specs> = {}): Tensor {
  checkPair(q, k);
  const { temperature, gatherDistributed } = MOCO_V3_LOSS_OPTIONS.resolveKnown(options, 'mocoV3Loss', (key) => `options.${key}`);
  const qn = normalize(atLeastFloat32(q), { dim: 1 }); // (B, D)
  const kn = normalize(atLeastFloat32(k.detach()), { dim: 1 }); // (B, D)
  // The keys carry no gradient, so the gather's backward never runs (the official concat_all_gather has none).
  const g = gatherDistributed ? gatherFromRanks(() => kn) : undefined;
  const keys = g?.all ?? kn; // (W B, D)
  const logits = withoutAutocast(qn, () => qn.matmul(keys.t())).div(temperature); // (B, W B)
  const local = torch.arange(q.shape[0], { device: q.device }); // (B)
  const labels = g === undefined ? local : local.add(g.rank * q.shape[0]); // (B): key rank * B + i
  return crossEntropy(logits, labels).mul(2 * temperature);
}
