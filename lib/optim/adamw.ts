// Adam with decoupled weight decay, as torch.optim.AdamW: multi-tensor
// (`_foreach_*`) by default, and libtorch 2.x's single fused CUDA kernel
// (`_fused_adamw_`) on request, as PyTorch's `fused=True`.
import * as torch from '../torch';
import { checkNonNegative, checkUnitInterval } from '../torch/arguments';
import { aten, foreachMulByTensor_, hasOp, untypedOp } from '../torch/foreach';
import {
  Optimizer, ParamGroup, ResolvedGroup, ParamState, StepOptions, checkNoCapture,
} from './optimizer';
import { ScalarSlots } from './scratch';
import { defineDefaults } from '../torch/option-table';

type Tensor = torch.Tensor;

/** Options of `AdamW`, as torch.optim.AdamW's arguments. */
export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  /**
   * Use `aten::_fused_adamw_` (libtorch >= 2.0 for CUDA parameters, >= 2.4 for CPU ones): one kernel
   * for the whole step. Throws on the first step where it is unavailable.
   */
  fused: boolean;
}

/**
 * Throws on an invalid Adam-style option (lr, eps, weightDecay, betas; LAMB
 * shares them); `where` is appended to the message.
 *
 * @example
 * protected validate(o: LAMBOptions, where: string): void { checkAdamOptions(o, where); }
 */
export function checkAdamOptions(o: Pick<AdamWOptions, 'lr' | 'eps' | 'weightDecay' | 'betas'>, where: string): void {
  checkNonNegative(o.lr, `lr${where}`);
  checkNonNegative(o.eps, `eps${where}`);
  checkNonNegative(o.weightDecay, `weightDecay${where}`);
  if (!Array.isArray(o.betas) || o.betas.length !== 2) {
    throw new RangeError(`Expected two numbers for betas${where} but received ${String(o.betas)}`);
  }
  checkUnitInterval(o.betas[0], `betas[0]${where}`);
  checkUnitInterval(o.betas[1], `betas[1]${where}`);
}

/** The defaults of AdamWOptions, as torch.optim.AdamW's; `validate` checks them with each group's. */
const ADAMW_DEFAULTS = defineDefaults<AdamWOptions>({
  lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, fused: false,
});

/** What `new AdamW(params, options)` takes: the group defaults plus options of the optimiser as a whole. */
export type AdamWConstructorOptions = Partial<AdamWOptions> & StepOptions;

/**
 * AdamW (Loshchilov & Hutter) with PyTorch's update rule:
 * `p *= 1 - lr * weightDecay; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)`
 * (`v` replaced by its running maximum with `amsgrad`). State keys are
 * PyTorch's: `step`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`.
 *
 * @example
 * const opt = new optim.AdamW(model.parameters(), { lr: 1.5e-4, betas: [0.9, 0.95], weightDecay: 0.05 });
 * opt.step();
 */
export class AdamW extends Optimizer<AdamWOptions> {
  // Capturable steps: per-parameter bias-correction factors, computed on the
  // device, one set per group (or CPU chunk), keyed by its first parameter.
  private readonly corrections = new Map<Tensor, Record<'bc2Sqrt' | 'negStepSize', ScalarSlots>>();

  constructor(params: Tensor[] | ParamGroup<AdamWOptions>[], options: AdamWConstructorOptions = {}) {
    super(params, ADAMW_DEFAULTS.resolve(options, (k) => k), { capturable: options.capturable });
  }

  protected validate(o: AdamWOptions, where: string): void {
    checkAdamOptions(o, where);
  }

  protected override disposeWork(): void {
    for (const slots of this.corrections.values()) for (const s of Object.values(slots)) s.dispose();
    this.corrections.clear();
  }

  // `decay` is the decoupled weight decay factor `1 - lr * weightDecay`.
  protected override capturableValues(group: ResolvedGroup<AdamWOptions>): Record<string, number> {
    return { lr: group.lr, decay: 1 - group.lr * group.weightDecay };
  }

  private initState(p: Tensor, amsgrad: boolean): ParamState {
    const s = this.stateOf(p, () => ({ step: 0 }));
    if (!(s.exp_avg instanceof torch.Tensor) || (amsgrad && !(s.max_exp_avg_sq instanceof torch.Tensor))) {
      checkNoCapture('The AdamW moments of a parameter');
    }
    if (!(s.exp_avg instanceof torch.Tensor)) {
      // NOTE: `_foreach_zero` would be one call, but state is created once; zerosLike keeps dtype, device and layout.
      s.exp_avg = torch.keep(torch.zerosLike(p));
      s.exp_avg_sq = torch.keep(torch.zerosLike(p));
    }
    if (amsgrad && !(s.max_exp_avg_sq instanceof torch.Tensor)) s.max_exp_avg_sq = torch.keep(torch.zerosLike(p));
    return s;
  }

  protected updateGroup(group: ResolvedGroup<AdamWOptions>, params: Tensor[], grads: Tensor[]): void {
    const states = params.map((p) => this.initState(p, group.amsgrad));
    if (group.fused) {
      this.fusedUpdate(group, params, grads, states);
      return;
    }
    if (this.capturable) {
      this.capturableUpdate(group, params, grads, states);
      return;
    }
    // Parameters are bucketed by step count: one bucket unless some
    // parameters missed gradients on earlier steps.
    const buckets = new Map<number, number[]>();
    states.forEach((s, i) => {
      if (s.step instanceof torch.Tensor) { // after a fused or capturable run (or loading one's state); once
        const t = s.step;
        s.step = Number(t.item());
        t.dispose();
      }
      const next = (s.step as number) + 1;
      s.step = next;
      const b = buckets.get(next);
      if (b === undefined) buckets.set(next, [i]);
      else b.push(i);
    });
    const [beta1, beta2] = group.betas;
    for (const [step, idx] of buckets) {
      const ps = idx.map((i) => params[i]);
      const gs = idx.map((i) => grads[i]);
      const ms = idx.map((i) => states[i].exp_avg as Tensor);
      const vs = idx.map((i) => states[i].exp_avg_sq as Tensor);
      if (group.weightDecay !== 0) aten._foreach_mul_.Scalar(ps, 1 - group.lr * group.weightDecay);
      aten._foreach_mul_.Scalar(ms, beta1);
      aten._foreach_add_.List(ms, gs, { alpha: 1 - beta1 });
      aten._foreach_mul_.Scalar(vs, beta2);
      aten._foreach_addcmul_.Scalar(vs, gs, gs, 1 - beta2);
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** step);
      let second = vs;
      if (group.amsgrad) {
        second = idx.map((i) => states[i].max_exp_avg_sq as Tensor);
        aten._foreach_maximum_.List(second, vs);
      }
      // NOTE: the functional sqrt, as PyTorch's AdamW: libtorch's `_foreach_sqrt.out` allocates the same
      // results and then copies them into `out` (one more pass and one copy_ per parameter).
      const denom = aten._foreach_sqrt(second);
      aten._foreach_div_.Scalar(denom, biasCorrection2Sqrt);
      aten._foreach_add_.Scalar(denom, group.eps);
      aten._foreach_addcdiv_.Scalar(ps, ms, denom, -group.lr / biasCorrection1);
    }
  }

  /**
   * The step counts as float32 0-d tensors on each parameter's device (as
   * PyTorch's capturable and fused AdamW), converted from numbers once.
   */
  private stepTensors(params: Tensor[], states: ParamState[]): Tensor[] {
    return states.map((s, i) => {
      if (!(s.step instanceof torch.Tensor)) {
        checkNoCapture('The step count tensor of a parameter');
        s.step = torch.keep(torch.full([], s.step as number, { dtype: 'float32', device: params[i].device }));
      }
      return s.step;
    });
  }

  // As PyTorch's `_multi_tensor_adamw` with capturable=True: no host value
  // that changes between steps reaches a kernel. Each parameter's step count
  // is its own tensor, so parameters that missed gradients need no buckets.
  private capturableUpdate(group: ResolvedGroup<AdamWOptions>, params: Tensor[], grads: Tensor[], states: ParamState[]): void {
    const steps = this.stepTensors(params, states);
    aten._foreach_add_.Scalar(steps, 1);
    const [beta1, beta2] = group.betas;
    const ms = states.map((s) => s.exp_avg as Tensor);
    const vs = states.map((s) => s.exp_avg_sq as Tensor);
    foreachMulByTensor_(params, this.deviceScalar(group, 'decay'));
    aten._foreach_mul_.Scalar(ms, beta1);
    aten._foreach_add_.List(ms, grads, { alpha: 1 - beta1 });
    aten._foreach_mul_.Scalar(vs, beta2);
    aten._foreach_addcmul_.Scalar(vs, grads, grads, 1 - beta2);
    // NOTE: the bias corrections are computed in float64 (as the host path
    // does in JS): in float32, 1 - 0.999^t loses about 5 digits at t = 1.
    let slots = this.corrections.get(params[0]);
    if (slots === undefined) {
      slots = { bc2Sqrt: new ScalarSlots(), negStepSize: new ScalarSlots() };
      this.corrections.set(params[0], slots);
    }
    const t = torch.stack(steps).to('float64'); // (numParams)
    const bc2Sqrt = slots.bc2Sqrt.get(params);
    bc2Sqrt.vector.copy_(torch.pow(beta2, t).neg().add(1).sqrt()); // sqrt(1 - beta2^t)
    const negStepSize = slots.negStepSize.get(params);
    negStepSize.vector.copy_(this.deviceScalar(group, 'lr').to('float64').div(torch.pow(beta1, t).sub(1))); // -lr / (1 - beta1^t)
    let second = vs;
    if (group.amsgrad) {
      second = states.map((s) => s.max_exp_avg_sq as Tensor);
      aten._foreach_maximum_.List(second, vs);
    }
    // p += m / ((sqrt(v) / sqrt(bc2) + eps) / (-lr / bc1)): the step size is
    // folded into the denominator, as PyTorch's capturable branch does.
    const denom = aten._foreach_sqrt(second); // not `.out`: see the host path
    aten._foreach_div_.List(denom, bc2Sqrt.views);
    aten._foreach_add_.Scalar(denom, group.eps);
    aten._foreach_div_.List(denom, negStepSize.views);
    aten._foreach_addcdiv_.Scalar(params, ms, denom, 1);
  }

  private fusedUpdate(group: ResolvedGroup<AdamWOptions>, params: Tensor[], grads: Tensor[], states: ParamState[]): void {
    const version = torch.config().torchVersion;
    if (!hasOp('aten::_fused_adamw_')) {
      throw new Error(`AdamW fused: true needs aten::_fused_adamw_, which libtorch ${version} lacks; ` +
        'use fused: false (the multi-tensor path)');
    }
    if (this.capturable && !hasOp('aten::_fused_adamw_.tensor_lr')) {
      throw new Error(`AdamW fused: true with capturable: true needs aten::_fused_adamw_.tensor_lr, which libtorch ` +
        `${version} lacks; use fused: false (the multi-tensor path, capturable too)`);
    }
    // NOTE: the fused kernel reads the step from a float32 tensor on the
    // parameter's device, so a captured CUDA graph replays correctly.
    const steps = this.stepTensors(params, states);
    aten._foreach_add_.Scalar(steps, 1);
    const moments = [states.map((s) => s.exp_avg), states.map((s) => s.exp_avg_sq),
      group.amsgrad ? states.map((s) => s.max_exp_avg_sq) : []];
    const options = { beta1: group.betas[0], beta2: group.betas[1], eps: group.eps, amsgrad: group.amsgrad, maximize: false };
    if (!this.capturable) {
      untypedOp('_fused_adamw_')(params, grads, ...moments, steps, { ...options, lr: group.lr, weight_decay: group.weightDecay });
      return;
    }
    // NOTE: the kernel takes weight decay as a float, which a captured graph
    // would keep through a weight-decay schedule; the same decoupled decay
    // (the kernel's first operation) is applied here by a device factor instead.
    foreachMulByTensor_(params, this.deviceScalar(group, 'decay'));
    untypedOp('_fused_adamw_', 'tensor_lr')(params, grads, ...moments, steps,
      { ...options, lr: this.deviceScalar(group, 'lr'), weight_decay: 0 });
  }
}
