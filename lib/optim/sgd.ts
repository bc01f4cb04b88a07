// Stochastic gradient descent with momentum, as torch.optim.SGD (its
// multi-tensor `foreach` implementation): a step is a few `_foreach_*` calls
// per parameter group, not several calls per parameter.
import * as torch from '../torch';
import { checkNonNegative } from '../torch/arguments';
import { aten, foreachAddScaled_, foreachMulByTensor_, hasOp, untypedOp } from '../torch/foreach';
import { Optimizer, ParamGroup, ResolvedGroup, ParamState, StepOptions, checkNoCapture, optimizerBoolean } from './optimizer';
import { defineDefaults, defineOptions, option, REQUIRED } from '../torch/option-table';

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
  params: Tensor[], dps: Tensor[],
  options: { momentum: number; dampening: number; weightDecay: number; bufDecay?: Tensor },
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
    // NOTE: a capturable step always adds the decay term, with `(1 - dampening) * wd`
    // read from the device: the graph cannot take the `wd !== 0` branch again.
    if (options.bufDecay !== undefined) foreachAddScaled_(oldBufs, oldP, options.bufDecay);
    else if (wd !== 0) aten._foreach_add_.List(oldBufs, oldP, { alpha: (1 - dampening) * wd });
  }
  if (newIdx.length > 0) {
    // New buffers come from an eager step: a captured one would re-create them at every replay.
    checkNoCapture(`The momentum buffers of ${newIdx.length} parameters`);
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
  checkNonNegative(o.lr, `lr${where}`);
  checkNonNegative(o.momentum, `momentum${where}`);
  checkNonNegative(o.dampening, `dampening${where}`);
  checkNonNegative(o.weightDecay, `weightDecay${where}`);
  if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
    throw new RangeError(`Expected momentum > 0 and dampening 0 for nesterov${where} but received ` +
      `momentum ${o.momentum} and dampening ${o.dampening}`);
  }
}

/** The defaults of SGDOptions, as torch.optim.SGD's; `validate` checks them with each group's. */
const SGD_DEFAULTS = defineDefaults<SGDOptions>({ lr: REQUIRED, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false });
// The default of `fused`, an option of the optimizer as a whole (not of a group).
const SGD_STEP_OPTIONS = defineOptions({ fused: option(false, optimizerBoolean) });

/** What `new SGD(params, options)` takes: the group defaults plus options of the optimiser as a whole. */
export interface SGDConstructorOptions extends Partial<SGDOptions>, StepOptions {
  lr: number;
  /**
   * Use `aten::_fused_sgd_` (libtorch >= 2.1 for CUDA parameters, >= 2.4 for CPU ones): one kernel
   * for the whole step, as PyTorch's `fused=True`. Throws on the first step
   * where this libtorch lacks it (default false).
   */
  fused?: boolean;
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
  /** Whether steps call `aten::_fused_sgd_` (see `SGDConstructorOptions.fused`). */
  readonly fused: boolean;
  // The weight decay each group had at its first capturable fused step: the
  // fused kernel takes it as a float, which a captured graph keeps.
  private readonly fusedWeightDecay = new Map<ResolvedGroup<SGDOptions>, number>();

  constructor(params: Tensor[] | ParamGroup<SGDOptions>[], options: SGDConstructorOptions) {
    super(params, SGD_DEFAULTS.resolve(options, (k) => k), { capturable: options.capturable });
    this.fused = SGD_STEP_OPTIONS.resolve(options, (k) => k).fused;
  }

  protected validate(o: SGDOptions, where: string): void {
    checkSGDOptions(o, where);
  }

  protected override capturableValues(group: ResolvedGroup<SGDOptions>): Record<string, number> {
    const { lr, weightDecay: wd, momentum, dampening, nesterov } = group;
    if (this.fused) {
      const first = this.fusedWeightDecay.get(group);
      if (first === undefined) {
        this.fusedWeightDecay.set(group, wd);
      } else if (first !== wd) {
        throw new Error(`Expected weightDecay ${first} for group ${this.paramGroups.indexOf(group)} of a capturable ` +
          `fused SGD but received ${wd}: aten::_fused_sgd_ takes weight decay as a float that a captured graph keeps. ` +
          'Keep the weight decay constant, or use fused: false (a device-scalar weight decay)');
      }
      return { lr };
    }
    if (momentum === 0) return { negLr: -lr, decay: 1 - lr * wd };
    const bufDecay = (1 - dampening) * wd;
    if (!nesterov) return { negLr: -lr, bufDecay };
    return { negLr: -lr, bufDecay, decay: 1 - lr * wd, negLrMomentum: -lr * momentum };
  }

  // NOTE: the same arithmetic as PyTorch's `_multi_tensor_sgd`, regrouped so
  // that steady-state steps allocate nothing (`g + weightDecay * p` is folded
  // into the buffer or the parameter instead of materialised): on CPU an
  // out-of-place list over ResNet-18 costs more than the update itself.
  // Results differ from PyTorch's by rounding only.
  protected updateGroup(group: ResolvedGroup<SGDOptions>, params: Tensor[], grads: Tensor[]): void {
    if (this.fused) {
      this.fusedUpdate(group, params, grads);
      return;
    }
    if (this.capturable) {
      this.capturableUpdate(group, params, grads);
      return;
    }
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

  // The same update with the learning rate and weight decay read from the
  // device (see `capturableValues`): `decay = 1 - lr wd`, `negLr = -lr`,
  // `bufDecay = (1 - dampening) wd`, `negLrMomentum = -lr momentum`.
  private capturableUpdate(group: ResolvedGroup<SGDOptions>, params: Tensor[], grads: Tensor[]): void {
    const negLr = this.deviceScalar(group, 'negLr');
    if (group.momentum === 0) {
      foreachMulByTensor_(params, this.deviceScalar(group, 'decay'));
      foreachAddScaled_(params, grads, negLr);
      return;
    }
    const { momentum, dampening, weightDecay } = group;
    const bufDecay = this.deviceScalar(group, 'bufDecay');
    const bufs = momentumBuffers(params, grads, { momentum, dampening, weightDecay, bufDecay }, (p, init) => this.stateOf(p, init));
    if (!group.nesterov) {
      foreachAddScaled_(params, bufs, negLr);
      return;
    }
    foreachMulByTensor_(params, this.deviceScalar(group, 'decay'));
    foreachAddScaled_(params, grads, negLr);
    foreachAddScaled_(params, bufs, this.deviceScalar(group, 'negLrMomentum'));
  }

  // One `aten::_fused_sgd_` call (two on a step where some parameters get
  // their first momentum buffer), as PyTorch's `_fused_sgd`.
  private fusedUpdate(group: ResolvedGroup<SGDOptions>, params: Tensor[], grads: Tensor[]): void {
    const version = torch.config().torchVersion;
    if (!hasOp('aten::_fused_sgd_')) {
      throw new Error(`SGD fused: true needs aten::_fused_sgd_, which libtorch ${version} lacks (it needs libtorch >= 2.1 ` +
        'and CUDA parameters); use fused: false (the multi-tensor path)');
    }
    if (this.capturable && !hasOp('aten::_fused_sgd_.tensor_lr')) {
      throw new Error(`SGD fused: true with capturable: true needs aten::_fused_sgd_.tensor_lr, which libtorch ${version} ` +
        'lacks; use fused: false (the multi-tensor path, capturable too)');
    }
    const { momentum, weightDecay, dampening, nesterov } = group;
    const op = this.capturable ? untypedOp('_fused_sgd_', 'tensor_lr') : untypedOp('_fused_sgd_');
    const options = {
      weight_decay: weightDecay, momentum, lr: this.capturable ? this.deviceScalar(group, 'lr') : group.lr,
      dampening, nesterov, maximize: false,
    };
    if (momentum === 0) {
      op(params, grads, [], { ...options, is_first_step: false });
      return;
    }
    // NOTE: as PyTorch, a first step hands the kernel uninitialised buffers
    // with is_first_step: true (it writes `buf = g + wd p` into them).
    const oldIdx: number[] = [];
    const newIdx: number[] = [];
    const bufs = params.map((p, i) => {
      const buf = this.stateOf(p, () => ({})).momentum_buffer;
      (buf instanceof torch.Tensor ? oldIdx : newIdx).push(i);
      return buf;
    });
    if (oldIdx.length > 0) {
      op(oldIdx.map((i) => params[i]), oldIdx.map((i) => grads[i]), oldIdx.map((i) => bufs[i]),
        { ...options, is_first_step: false });
    }
    if (newIdx.length > 0) {
      checkNoCapture(`The momentum buffers of ${newIdx.length} parameters`);
      const fresh = newIdx.map((i) => {
        const buf = torch.keep(torch.emptyLike(grads[i]));
        this.stateOf(params[i], () => ({})).momentum_buffer = buf;
        return buf;
      });
      op(newIdx.map((i) => params[i]), newIdx.map((i) => grads[i]), fresh, { ...options, is_first_step: true });
    }
  }
}
