// SimCLR's contrastive loss: NT-Xent (normalised temperature-scaled cross
// entropy) over the 2N views of a batch of N images.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { normalize, crossEntropy } from '../../nn/functional';
import { checkTensor, sameShape } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../../torch/option-table';
import { atLeastFloat32, withoutAutocast } from './precision';
import { Gathered, gatherFromRanks } from './gather';

/** {@link ntXent}'s options: defaults and checks. */
export const NT_XENT_OPTIONS = defineOptions({
  /**
   * The temperature tau that divides the cosine similarities (default 0.5).
   * SimCLR (Chen et al. 2020, Appendix B.9) uses 0.5 for CIFAR-10 and
   * "0.1 for ImageNet" with large batches.
   */
  temperature: option(0.5, is.positive),
  /**
   * In a data-parallel run, use every rank's projections as negatives (the
   * global batch), as SimCLR's code (`tpu_cross_replica_concat`) and
   * lightly's `gather_distributed`; the gather passes gradients back to their
   * rank. Default false. Without a process group of more than one rank it
   * changes nothing.
   */
  gatherDistributed: option(false, is.boolean),
});

/** Options of {@link ntXent}. */
export type NTXentOptions = GivenOptions<typeof NT_XENT_OPTIONS.specs>;

// NOTE: a finite large negative instead of -inf for a row's own similarity:
// exp() of it is exactly 0 in float32, and no kernel ever sees -inf * 0.
const SELF_SIMILARITY = -1e9;

/**
 * NT-Xent, the loss of SimCLR: "sim(u, v) = u.v / (||u|| ||v||)" and, for a
 * positive pair (i, j), "l(i, j) = -log exp(sim(z_i, z_j)/tau) /
 * sum_{k != i} exp(sim(z_i, z_k)/tau)", averaged over all 2N anchors
 * (Chen et al. 2020, Algorithm 1). Row i of `z1` and row i of `z2` are the
 * two views of image i; each of the 2N rows is an anchor whose positive is
 * the other view of its image and whose 2N - 2 negatives are the other rows.
 * Equal to lightly's `NTXentLoss(temperature)` without memory bank.
 *
 * Computed in float32 (autocast is turned off for the similarity matrix), so
 * it can be called inside a bf16 autocast region; no value is read back to
 * the host. With N = 1 there are no negatives and the loss is 0.
 *
 * @param z1 (N, D) projections of the first views.
 * @param z2 (N, D) projections of the second views, row i paired with row i of z1.
 * @returns the scalar mean loss (float32, or float64 for float64 inputs).
 *
 * @example
 * const z1 = projector.forward(encoder.forward(view1));  // (N, 128)
 * const z2 = projector.forward(encoder.forward(view2));  // (N, 128)
 * const loss = ntXent(z1, z2, { temperature: 0.5 });
 * loss.backward();
 */
export function ntXent(z1: Tensor, z2: Tensor, options: NTXentOptions = {}): Tensor {
  checkTensor(z1, 'z1');
  checkTensor(z2, 'z2');
  const { temperature, gatherDistributed } = NT_XENT_OPTIONS.resolveKnown(options, 'ntXent', (k) => `options.${k}`);
  if (z1.dim() !== 2 || z1.shape[0] < 1 || z1.shape[1] < 1) {
    throw new RangeError(`Expected z1 of shape (N, D) with N >= 1 but received shape [${z1.shape.join(', ')}]`);
  }
  if (!sameShape(z2.shape, z1.shape)) {
    throw new RangeError(`Expected z2 of the shape of z1 [${z1.shape.join(', ')}] (row i of both are views of ` +
      `image i) but received shape [${z2.shape.join(', ')}]`);
  }
  const n = z1.shape[0];
  const device = z1.device;
  const n1 = normalize(atLeastFloat32(z1), { dim: 1 }); // (N, D)
  const n2 = normalize(atLeastFloat32(z2), { dim: 1 }); // (N, D)
  const gathered = gatherDistributed ? gatherFromRanks(() => torch.cat([n1, n2], 1)) : undefined; // (W N, 2D)
  if (gathered !== undefined) return globalNtXent(n1, n2, gathered, temperature);
  const z = torch.cat([n1, n2], 0); // (2N, D)
  const similarity = withoutAutocast(z, () => z.matmul(z.t())); // (2N, 2N) cosine similarities
  const diagonal = torch.eye(2 * n, { dtype: 'bool', device });
  const logits = similarity.div(temperature).maskedFill(diagonal, SELF_SIMILARITY); // (2N, 2N)
  // Anchor i (a view-1 row) has its positive at column i + N, anchor i + N at column i.
  const positives = torch.arange(2 * n, { device }).roll(n); // (2N) int64
  return crossEntropy(logits, positives);
}

/**
 * NT-Xent of this rank's 2N anchors against the 2 W N projections of all W
 * ranks (`gathered`: every rank's [n1 | n2] rows, rank order), as SimCLR's
 * `add_contrastive_loss` with `tpu_cross_replica_concat`. The mean over ranks
 * of this loss is the loss of one process on the global batch, and the
 * gathered rows carry each rank's gradient back to its own samples.
 */
function globalNtXent(n1: Tensor, n2: Tensor, gathered: Gathered, temperature: number): Tensor {
  const { all, rank, world } = gathered;
  const n = n1.shape[0];
  const device = n1.device;
  const z = torch.cat([n1, n2], 0); // (2N, D): this rank's anchors
  const [all1, all2] = all.chunk(2, 1); // 2 x (W N, D)
  const keys = torch.cat([all1, all2], 0); // (2 W N, D): every view-1 row, then every view-2 row
  const similarity = withoutAutocast(z, () => z.matmul(keys.t())); // (2N, 2 W N)
  // NOTE: anchor i (a view-1 row) is key r N + i, its positive key W N + r N + i; anchor N + i
  // (a view-2 row) is key W N + r N + i, its positive key r N + i.
  const local = torch.arange(n, { device }).add(rank * n); // (N) int64
  const self = torch.cat([local, local.add(world * n)], 0); // (2N)
  const positives = torch.cat([local.add(world * n), local], 0); // (2N)
  const mask = torch.arange(2 * world * n, { device }).unsqueeze(0).eq(self.unsqueeze(1)); // (2N, 2 W N) bool
  return crossEntropy(similarity.div(temperature).maskedFill(mask, SELF_SIMILARITY), positives);
}
