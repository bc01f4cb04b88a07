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
 * Advances the momentum buffers of `params` in place, as PyTorch's
 * `_multi_tensor_sgd`, and returns them: a parameter's first buffer is a copy
 * of its update `dps[i] + weightDecay * params[i]` (no dampening), later ones
 * are `buf = momentum * buf + (1 - dampening) * (dp + weightDecay * p)`.
 * Weight decay is folded into the buffer, so `dp + weightDecay * p` is never
 * materialised. Buffers live in `state` under PyTorch's key `momentum_buffer`.
 *
 * @example
 * const bufs = momentumBuffers(params, grads, { momentum: 0.9, dampening: 0, weightDecay: 5e-4 }, stateOf);
 */
function momentumBuffers(
  params: Tensor[], dps: Tensor[], options: { momentum: number; dampening: number; weightDecay: number },
  stateOf: (p: Tensor, init: () => ParamState) => ParamState,
): Tensor[] {
  const { momentum, dampening, weightDecay: wd } = options;
  const oldP: Tensor[] = [];
  const oldDps: Tensor[] = [];
  const oldBufs: Tensor[] = [];
  const newIdx: number[] = [];
  const bufs = new Array<Tensor>(params.length);
  params.forEach((p, i) => {
    const buf = stateOf(p, () => ({})).momentum_buffer;
    if (buf instanceof torch.Tensor) {
      oldP.push(p);
      oldDps.push(dps[i]);
      oldBufs.push(buf);
      bufs[i] = buf;
    } else {
      newIdx.push(i);
    }
  });
  if (oldBufs.length > 0) {
    aten._foreach_mul_.Scalar(oldBufs, momentum);
    aten._foreach_add_.List(oldBufs, oldDps, { alpha: 1 - dampening });
    if (wd !== 0) aten._foreach_add_.List(oldBufs, oldP, { alpha: (1 - dampening) * wd });
  }
  if (newIdx.length > 0) {
    const d = newIdx.map((i) => dps[i]);
    // NOTE: a multiply by 1 is an exact copy (-0 and NaN included) made by one call for all new buffers.
    const fresh = wd !== 0 ? aten._foreach_add.List(d, newIdx.map((i) => params[i]), { alpha: wd })
      : aten._foreach_mul.Scalar(d, 1);
    newIdx.forEach((i, k) => {
      bufs[i] = torch.keep(fresh[k]);
      stateOf(params[i], () => ({})).momentum_buffer = bufs[i];
    });
  }
  return bufs;
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
  const bufs = momentumBuffers(params, dps, { momentum, dampening, weightDecay: 0 }, stateOf);
  return nesterov ? aten._foreach_add.List(dps, bufs, { alpha: momentum }) : bufs;
}

/**
 * Throws on an invalid SGD-style option (LARS shares them); `where` is appended to the message.
 *
 * @example
 * protected validate(o: SGDOptions, where: string): void { checkSGDOptions(o, where); }
 */
export function checkSGDOptions(o: SGDOptions, where: string): void {
  checkNonNegative(`lr${where}`, o.lr);
  checkNonNegative(`momentum${where}`, o.momentum);
  checkNonNegative(`dampening${where}`, o.dampening);
  checkNonNegative(`weightDecay${where}`, o.weightDecay);
  if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
    throw new RangeError(`Expected momentum > 0 and dampening 0 for nesterov${where} but received ` +
      `momentum ${o.momentum} and dampening ${o.dampening}`);
  }
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
    checkSGDOptions(o, where);
  }

  // NOTE: the same arithmetic as PyTorch's `_multi_tensor_sgd`, regrouped so
  // that steady-state steps allocate nothing (`g + weightDecay * p` is folded
  // into the buffer or the parameter instead of materialised): on CPU an
  // out-of-place list over ResNet-18 costs more than the update itself.
  // Results differ from PyTorch's by rounding only.
  protected updateGroup(group: ResolvedGroup<SGDOptions>, params: Tensor[], grads: Tensor[]): void {
    const { lr, weightDecay: wd, momentum, nesterov } = group;
    if (momentum === 0) {
      if (wd !== 0) aten._foreach_add_.List(params, params, { alpha: -lr * wd });
      aten._foreach_add_.List(params, grads, { alpha: -lr });
      return;
    }
    const bufs = momentumBuffers(params, grads, group, (p, init) => this.stateOf(p, init));
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
