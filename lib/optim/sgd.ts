// Stochastic gradient descent with momentum, as torch.optim.SGD (its
// multi-tensor `foreach` implementation): a step is a few `_foreach_*` calls
// per parameter group, not several calls per parameter.
import * as torch from '../torch';
import { aten } from './foreach';
import { Optimizer, ParamGroup, ResolvedGroup, ParamState, checkNonNegative } from './optimizer';

type Tensor = torch.Tensor;

/** Options of `SGD`, as torch.optim.SGD's arguments. */
export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/** What the momentum update needs to know. */
export interface MomentumOptions {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

/**
 * Heavy-ball momentum over a list, as PyTorch's `_multi_tensor_sgd`: a
 * parameter's first buffer is a copy of its update `dps[i]` (no dampening),
 * later ones are `buf = momentum * buf + (1 - dampening) * dp`. Returns the
 * direction to subtract (`buf`, or `dp + momentum * buf` with Nesterov).
 * Buffers live in `state` under PyTorch's key `momentum_buffer`.
 *
 * @example
 * // inside an optimiser's updateGroup:
 * const direction = momentumDirection(params, dps, group, (p, init) => this.stateOf(p, init));
 */
export function momentumDirection(
  params: Tensor[], dps: Tensor[], options: MomentumOptions,
  stateOf: (p: Tensor, init: () => ParamState) => ParamState,
): Tensor[] {
  const { momentum, dampening, nesterov } = options;
  const oldBufs: Tensor[] = [];
  const oldDps: Tensor[] = [];
  const newIdx: number[] = [];
  const bufs: Tensor[] = new Array<Tensor>(params.length);
  params.forEach((p, i) => {
    const buf = stateOf(p, () => ({})).momentum_buffer;
    if (buf instanceof torch.Tensor) {
      oldBufs.push(buf);
      oldDps.push(dps[i]);
      bufs[i] = buf;
    } else {
      newIdx.push(i);
    }
  });
  if (oldBufs.length > 0) {
    aten._foreach_mul_.Scalar(oldBufs, momentum);
    aten._foreach_add_.List(oldBufs, oldDps, { alpha: 1 - dampening });
  }
  if (newIdx.length > 0) {
    // NOTE: a multiply by 1 is an exact copy (-0 and NaN included) made by one call for all new buffers.
    const fresh = aten._foreach_mul.Scalar(newIdx.map((i) => dps[i]), 1);
    newIdx.forEach((i, k) => {
      const t = torch.keep(fresh[k]);
      stateOf(params[i], () => ({})).momentum_buffer = t;
      bufs[i] = t;
    });
  }
  return nesterov ? aten._foreach_add.List(dps, bufs, { alpha: momentum }) : bufs;
}

/**
 * SGD with optional momentum, dampening, Nesterov momentum and (coupled, L2)
 * weight decay, with PyTorch's update rule:
 * `g += weightDecay * p; buf = momentum * buf + (1 - dampening) * g; p -= lr * buf`.
 *
 * @example
 * const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
 * torch.scope(() => { model.forward(x).pow(2).mean().backward(); });
 * opt.step();
 * opt.zeroGrad();
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Tensor[] | ParamGroup<SGDOptions>[], options: Partial<SGDOptions> & { lr: number }) {
    super(params, {
      lr: options.lr,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
    });
  }

  protected validate(o: SGDOptions, where: string): void {
    checkNonNegative(`lr${where}`, o.lr);
    checkNonNegative(`momentum${where}`, o.momentum);
    checkNonNegative(`dampening${where}`, o.dampening);
    checkNonNegative(`weightDecay${where}`, o.weightDecay);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new RangeError(`Expected momentum > 0 and dampening 0 for nesterov${where} but received ` +
        `momentum ${o.momentum} and dampening ${o.dampening}`);
    }
  }

  // NOTE: the same arithmetic as PyTorch's `_multi_tensor_sgd`, regrouped so
  // that steady-state steps allocate nothing (`g + weightDecay * p` is folded
  // into the buffer or the parameter instead of materialised): on CPU an
  // out-of-place list over ResNet-18 costs more than the update itself.
  // Results differ from PyTorch's by rounding only.
  protected updateGroup(group: ResolvedGroup<SGDOptions>, params: Tensor[], grads: Tensor[]): void {
    const { lr, weightDecay: wd, momentum, dampening, nesterov } = group;
    if (momentum === 0) {
      if (wd !== 0) aten._foreach_add_.List(params, params, { alpha: -lr * wd });
      aten._foreach_add_.List(params, grads, { alpha: -lr });
      return;
    }
    const oldP: Tensor[] = [];
    const oldG: Tensor[] = [];
    const oldB: Tensor[] = [];
    const newIdx: number[] = [];
    const bufs = new Array<Tensor>(params.length);
    params.forEach((p, i) => {
      const buf = this.stateOf(p, () => ({})).momentum_buffer;
      if (buf instanceof torch.Tensor) {
        oldP.push(p);
        oldG.push(grads[i]);
        oldB.push(buf);
        bufs[i] = buf;
      } else {
        newIdx.push(i);
      }
    });
    if (oldB.length > 0) {
      aten._foreach_mul_.Scalar(oldB, momentum);
      aten._foreach_add_.List(oldB, oldG, { alpha: 1 - dampening });
      if (wd !== 0) aten._foreach_add_.List(oldB, oldP, { alpha: (1 - dampening) * wd });
    }
    if (newIdx.length > 0) {
      // A parameter's first buffer is its update g + wd * p (no dampening), as in PyTorch.
      const g = newIdx.map((i) => grads[i]);
      const fresh = wd !== 0 ? aten._foreach_add.List(g, newIdx.map((i) => params[i]), { alpha: wd })
        : aten._foreach_mul.Scalar(g, 1);
      newIdx.forEach((i, k) => {
        bufs[i] = torch.keep(fresh[k]);
        this.stateOf(params[i], () => ({})).momentum_buffer = bufs[i];
      });
    }
    if (!nesterov) {
      aten._foreach_add_.List(params, bufs, { alpha: -lr });
      return;
    }
    // p -= lr * (g + wd p + momentum buf)
    if (wd !== 0) aten._foreach_add_.List(params, params, { alpha: -lr * wd });
    aten._foreach_add_.List(params, grads, { alpha: -lr });
    aten._foreach_add_.List(params, bufs, { alpha: -lr * momentum });
  }
}
