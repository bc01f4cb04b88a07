// VICReg's three terms: invariance between the views, variance of each
// embedding dimension over the batch, and decorrelation of the dimensions.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { mseLoss, relu } from '../../nn/functional';
import { checkTensor, sameShape } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../../torch/option-table';
import { atLeastFloat32, withoutAutocast } from './precision';

/** Options of {@link vicregLoss}; defaults are the paper's (Bardes et al. 2022, section 4.1: "lambda = mu = 25 and nu = 1"). */
export const VICREG_LOSS_OPTIONS = defineOptions({
  /** Invariance coefficient lambda. Default 25. */
  simCoeff: option(25, is.number(0)),
  /** Variance coefficient mu. Default 25. */
  stdCoeff: option(25, is.number(0)),
  /** Covariance coefficient nu. Default 1. */
  covCoeff: option(1, is.number(0)),
});

/** Options of {@link vicregLoss}. */
export type VICRegLossOptions = GivenOptions<typeof VICREG_LOSS_OPTIONS.specs>;

/** The three VICReg terms before their coefficients. */
export interface VICRegTerms {
  invariance: Tensor;
  variance: Tensor;
  covariance: Tensor;
}

function offDiagonalSquares(cov: Tensor): Tensor {
  const eye = torch.eye(cov.shape[0], { dtype: 'bool', device: cov.device });
  return cov.maskedFill(eye, 0).pow(2).sum();
}

/**
 * VICReg's terms (Bardes et al. 2022, Eqs. 1-5, as the official code):
 * invariance `mse(x, y)`; variance `mean(relu(1 - sqrt(Var(x) + 1e-4)))`
 * averaged over both branches; covariance: the squared off-diagonal entries
 * of each branch's covariance matrix (unbiased, over the batch) summed and
 * divided by D, summed over both branches.
 *
 * @param x (B, D) expander outputs of the first views; B >= 2.
 * @param y (B, D) of the second views.
 * @example const { invariance, variance, covariance } = vicregTerms(x, y);
 */
export function vicregTerms(x: Tensor, y: Tensor): VICRegTerms {
  checkTensor(x, 'x');
  checkTensor(y, 'y');
  if (x.dim() !== 2 || x.shape[0] < 2) {
    throw new RangeError(`Expected x of shape (B, D) with B >= 2 (variance over the batch) but received shape [${x.shape.join(', ')}]`);
  }
  if (!sameShape(y.shape, x.shape)) {
    throw new RangeError(`Expected y of the shape of x [${x.shape.join(', ')}] but received shape [${y.shape.join(', ')}]`);
  }
  const [n, d] = x.shape;
  const a = atLeastFloat32(x);
  const b = atLeastFloat32(y);
  const invariance = mseLoss(a, b);
  const ac = a.sub(a.mean(0, true)); // (B, D)
  const bc = b.sub(b.mean(0, true)); // (B, D)
  const hinge = (t: Tensor): Tensor => relu(t.var(0).add(1e-4).sqrt().neg().add(1)).mean();
  const variance = hinge(ac).div(2).add(hinge(bc).div(2));
  const cov = (t: Tensor): Tensor => withoutAutocast(t, () => t.t().matmul(t)).div(n - 1); // (D, D)
  const covariance = offDiagonalSquares(cov(ac)).div(d).add(offDiagonalSquares(cov(bc)).div(d));
  return { invariance, variance, covariance };
}

/**
 * VICReg's loss: `simCoeff * invariance + stdCoeff * variance + covCoeff * covariance` ({@link vicregTerms}).
 * @example const loss = vicregLoss(expander.forward(f(x1)), expander.forward(f(x2))); // weights 25, 25, 1
 */
export function vicregLoss(x: Tensor, y: Tensor, options: VICRegLossOptions = {}): Tensor {
  const { simCoeff, stdCoeff, covCoeff } = VICREG_LOSS_OPTIONS.resolveKnown(options, 'vicregLoss', (k) => `options.${k}`);
  const t = vicregTerms(x, y);
  return t.invariance.mul(simCoeff).add(t.variance.mul(stdCoeff)).add(t.covariance.mul(covCoeff));
}
