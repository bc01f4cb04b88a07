// Collapse monitors beyond the Trainer's embedding spread: the effective
// rank of a batch of embeddings.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { normalize } from '../nn/functional';

/**
 * RankMe (Garrido et al. 2023, "RankMe: Assessing the downstream performance
 * of pretrained self-supervised representations by their rank"): the
 * exponential of the entropy of the normalised singular values of the (B, D)
 * embeddings, between 1 (collapsed to a line) and min(B, D) (every direction
 * used equally). Rows are L2-normalised first. A 0-d float32 tensor, without
 * gradient; computed from the B x B Gram matrix (cheap for a batch).
 *
 * @example const { embedding } = method.trainingStep(views, p); effectiveRank(embedding!).item(); // e.g. 37.5
 */
export function effectiveRank(z: Tensor): Tensor {
  return torch.noGrad(() => {
    const x = normalize(z.detach().float(), { dim: 1 }); // (B, D)
    const gram = x.matmul(x.t()); // (B, B): its eigenvalues are the squared singular values of x
    const s = torch.ops.aten.linalg_eigvalsh(gram).clampMin(0).sqrt(); // (B)
    const p = s.div(s.sum().add(1e-12)).add(1e-7);
    return p.mul(p.log()).sum().neg().exp();
  });
}

/**
 * `{ rank: effectiveRank(z) }` for a step's logs on the CPU, `{}` on a GPU:
 * the eigen-solver checks its result on the host there, which a captured
 * CUDA-graph step cannot do (the Trainer's embedding spread still monitors collapse).
 *
 * @example return { loss, embedding: z1, logs: { ...rankLog(z1) } };
 */
export function rankLog(z: Tensor): { rank?: Tensor } {
  return z.device === 'cpu' ? { rank: effectiveRank(z) } : {};
}
