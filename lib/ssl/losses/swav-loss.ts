// SwAV's online codes (Sinkhorn-Knopp equipartition of the batch over the
// prototypes) and its swapped-prediction loss across crops.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { logSoftmax } from '../../nn/functional';
import { checkTensor } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../../torch/option-table';
import { atLeastFloat32 } from './precision';
import { rankAndWorld, sumOverRanks } from './gather';

/** {@link sinkhornKnopp}'s options: defaults and checks. */
export const SINKHORN_OPTIONS = defineOptions({
  /** Entropy regularisation epsilon. Default 0.05 (Caron et al. 2020, section 4: "epsilon = 0.05"). */
  epsilon: option(0.05, is.positive),
  /** Normalisation iterations. Default 3 (section 3.1: "only 3 iterations are needed"). */
  iterations: option(3, is.int(0)),
  /**
   * In a data-parallel run, equipartition every rank's samples together: the
   * total and the per-prototype sums are all-reduced, as the official
   * `distributed_sinkhorn` (lightly's `sinkhorn_gather_distributed`). Default false.
   */
  gatherDistributed: option(false, is.boolean),
});

/** Options of {@link sinkhornKnopp}. */
export type SinkhornOptions = GivenOptions<typeof SINKHORN_OPTIONS.specs>;

/** {@link swavLoss}'s options. */
export const SWAV_LOSS_OPTIONS = defineOptions({
  /** Temperature tau. Default 0.1 (section 4: "tau = 0.1"). */
  temperature: option(0.1, is.positive),
});

/**
 * SwAV's codes (Caron et al. 2020, Eq. 3 and appendix A.1): `Q = exp(S / eps)^T`
 * rescaled by alternate row and column normalisations so that every
 * prototype receives 1/K of the samples and every sample sums to 1, as the
 * official `distributed_sinkhorn`. Runs without gradient in float32 (float64
 * inputs stay float64). With `gatherDistributed` in a data-parallel run, the
 * samples of all ranks are shared out together (B is the local batch times
 * the world size; the total and the row sums are all-reduced, blocking), so
 * each rank's codes are its rows of the codes of the concatenated batch.
 *
 * @param scores (B, K) scores of the samples against the K prototypes (cosines: embeddings and prototypes are normalised).
 * @returns (B, K) codes, each row a distribution over the prototypes.
 * @example const q = sinkhornKnopp(scores.detach(), { epsilon: 0.05, iterations: 3 }); // rows sum to 1
 */
export function sinkhornKnopp(scores: Tensor, options: SinkhornOptions = {}): Tensor {
  checkTensor(scores, 'scores');
  const { epsilon, iterations, gatherDistributed } = SINKHORN_OPTIONS.resolveKnown(options, 'sinkhornKnopp', (k) => `options.${k}`);
  if (scores.dim() !== 2 || scores.shape[0] < 1 || scores.shape[1] < 1) {
    throw new RangeError(`Expected scores of shape (B, K) but received shape [${scores.shape.join(', ')}]`);
  }
  const world = gatherDistributed ? rankAndWorld().world : 1;
  // NOTE: every rank must hold the same number of samples (the official B = local B x world size).
  const sum = world === 1 ? (t: Tensor): Tensor => t : sumOverRanks;
  const [local, k] = scores.shape;
  const b = local * world;
  // NOTE: in a scope, as PyTorch frees each iteration's q once reassigned: only the codes outlive the call.
  return torch.noGrad(() => torch.scope(() => {
    let q = atLeastFloat32(scores.detach()).div(epsilon).exp().t(); // (K, local B)
    q = q.div(sum(q.sum()));
    for (let i = 0; i < iterations; i++) {
      q = q.div(sum(q.sum(1, true))).div(k); // each prototype: total mass 1/K over every rank's samples
      q = q.div(q.sum(0, true)).div(b); // each sample: total mass 1/B
    }
    return q.mul(b).t(); // (local B, K): rows sum to 1
  }));
}

/**
 * SwAV's swapped prediction (Caron et al. 2020, Eq. 1-2, with multi-crop):
 * for each assigned crop i (its codes `codes[i]`), the loss
 * `-mean_b sum_k q_i log softmax(s_v / tau)` averaged over every other crop
 * v, then averaged over the assigned crops, as the official training loop.
 *
 * @param scores (nCrops * B, K) prototype scores of every crop, crop-major (the 2 global crops first).
 * @param codes the codes (B, K) of crops 0, 1, ... (`sinkhornKnopp` of their detached scores); no gradient.
 * @param options.temperature tau (SWAV_LOSS_OPTIONS).
 * @example const loss = swavLoss(scores, [q0, q1], { temperature: 0.1 });
 */
export function swavLoss(scores: Tensor, codes: readonly Tensor[], options: GivenOptions<typeof SWAV_LOSS_OPTIONS.specs> = {}): Tensor {
  checkTensor(scores, 'scores');
  const { temperature } = SWAV_LOSS_OPTIONS.resolveKnown(options, 'swavLoss', (k) => `options.${k}`);
  if (!Array.isArray(codes) || codes.length < 1) {
    throw new TypeError(`Expected a non-empty array of codes (B, K) for swavLoss but received ${String(codes)}`);
  }
  codes.forEach((c, i) => checkTensor(c, `codes[${i}]`));
  const [b, k] = codes[0].shape;
  if (scores.dim() !== 2 || scores.shape[1] !== k || scores.shape[0] % b !== 0 || scores.shape[0] / b < 2) {
    throw new RangeError(`Expected scores of shape (nCrops * ${b}, ${k}) with nCrops >= 2 (codes[0] is [${b}, ${k}]) ` +
      `but received shape [${scores.shape.join(', ')}]`);
  }
  const nCrops = scores.shape[0] / b;
  if (codes.length > nCrops || codes.some((c) => c.dim() !== 2 || c.shape[0] !== b || c.shape[1] !== k)) {
    throw new RangeError(`Expected at most ${nCrops} codes, each of shape [${b}, ${k}], but received ` +
      `${codes.map((c) => `[${c.shape.join(', ')}]`).join(', ')}`);
  }
  const logP = logSoftmax(atLeastFloat32(scores).div(temperature), 1).view([nCrops, b, k]); // (nCrops, B, K)
  const total = logP.sum(0); // (B, K): the sum over crops, minus the assigned crop below
  let loss: Tensor | undefined;
  codes.forEach((c, i) => {
    // NOTE: sum over the other crops = sum over all crops - crop i (one product instead of nCrops - 1).
    const others = total.sub(logP.select(0, i)); // (B, K)
    const term = atLeastFloat32(c.detach()).mul(others).sum(1).mean().neg().div(nCrops - 1);
    loss = loss === undefined ? term : loss.add(term);
  });
  return loss!.div(codes.length);
}
