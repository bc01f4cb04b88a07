// Gradient clipping by total norm, as torch.nn.utils.clip_grad_norm_, in a
// fixed handful of dispatcher calls and without reading anything back.
import * as torch from '../torch';
import { foreachMulByTensor_, foreachNorms } from '../torch/foreach';
import { defineOptions, is, option } from '../torch/option-table';

type Tensor = torch.Tensor;

// The default of clipGradNorm_'s options, as PyTorch's (false since 1.13).
const CLIP_OPTIONS = defineOptions({ errorIfNonfinite: option(false, is.boolean) });

/**
 * Scales the gradients of `params` in place so that their total `normType`
 * norm (the norm of the per-tensor norms) is at most `maxNorm`, and returns
 * that total norm (before clipping) as a 0-d tensor, as
 * torch.nn.utils.clip_grad_norm_: `coef = min(1, maxNorm / (total + 1e-6))`.
 * Parameters without a gradient are ignored; with none it returns 0.
 * `normType` may be `Infinity` (largest absolute value).
 * `errorIfNonfinite` reads the norm back to the host (a synchronisation).
 *
 * @example
 * loss.backward();
 * const norm = optim.clipGradNorm_(model.parameters(), 3.0);   // DINO's clip_grad 3.0
 * opt.step();
 */
export function clipGradNorm_(
  params: Iterable<Tensor>, maxNorm: number, normType = 2, options: { errorIfNonfinite?: boolean } = {},
): Tensor {
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0)) {
    throw new RangeError(`Expected non-negative number for maxNorm but received ${String(maxNorm)}`);
  }
  if (typeof normType !== 'number' || Number.isNaN(normType) || normType <= 0) {
    throw new RangeError(`Expected positive number (or Infinity) for normType but received ${String(normType)}`);
  }
  const { errorIfNonfinite } = CLIP_OPTIONS.resolve(options, (k) => k);
  return torch.noGrad(() => torch.scope(() => {
    const grads: Tensor[] = [];
    for (const p of params) {
      const g = p.grad;
      if (g !== undefined) grads.push(g);
    }
    if (grads.length === 0) return torch.zeros([]);
    const norms = foreachNorms(grads, normType); // (numGrads)
    const total = normType === Infinity ? norms.amax() : torch.ops.aten.linalg_vector_norm(norms, normType);
    if (errorIfNonfinite && !Number.isFinite(Number(total.item()))) {
      throw new RangeError(`The total norm of order ${normType} for gradients is non-finite, so it cannot be clipped; ` +
        'pass errorIfNonfinite: false to clip anyway');
    }
    const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
    foreachMulByTensor_(grads, coef);
    return total;
  }));
}
