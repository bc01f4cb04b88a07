// LAMB (You et al. 2020, "Large Batch Optimization for Deep Learning:
// Training BERT in 76 minutes", Algorithm 2): Adam's direction plus decoupled
// weight decay, rescaled per parameter tensor by the trust ratio
// ||w|| / ||update||. ALBERT's optimiser (batch 4096, lr 0.00176).
// Multi-tensor: the moments, the update, both norms and the ratios are a
// handful of `_foreach_*` calls per group, with no host synchronisation.
import * as torch from '../torch';
import { aten } from '../torch/foreach';
import { Optimizer, ParamGroup, ParamState, ResolvedGroup, StepOptions } from './optimizer';
import { ScalarSlots } from './scratch';
import { defineDefaults } from '../torch/option-table';
import { checkAdamOptions } from './adamw';

type Tensor = torch.Tensor;

/** Options of `LAMB`, as timm's `Lamb` arguments where they exist. */
export interface LAMBOptions {
  lr: number;
  betas: [number, number];
  /** Added to sqrt(v) (default 1e-6: the paper's BERT runs, NVIDIA's and timm's). */
  eps: number;
  /** lambda in Algorithm 2: `weightDecay * w` is added to the Adam ratio before the trust ratio (decoupled). */
  weightDecay: number;
  /**
   * Divide the moments by `1 - beta^t` (Algorithm 2, NVIDIA's and timm's
   * default). Google's ALBERT code (`lamb_optimizer.py`) has none: `false`.
   */
  biasCorrection: boolean;
  /**
   * Apply the trust ratio to groups without weight decay too (Algorithm 2
   * applies it to every layer). Default false: as timm's `always_adapt=False`,
   * NVIDIA's `use_nvlamb=False` and ALBERT's `exclude_from_layer_adaptation`,
   * a group with `weightDecay: 0` (biases and LayerNorm gains in
   * `paramGroupsWeightDecay`) takes the plain Adam ratio.
   */
  alwaysAdapt: boolean;
  /** Clamp the trust ratio to at most 1 (timm's `trust_clip`, "LAMBC"). Default false. */
  trustClip: boolean;
}

/** The defaults of LAMBOptions, as timm's Lamb; `validate` checks them with each group's. */
const LAMB_DEFAULTS = defineDefaults<LAMBOptions>({
  lr: 1e-3, betas: [0.9, 0.999], eps: 1e-6, weightDecay: 0.01, biasCorrection: true, alwaysAdapt: false, trustClip: false,
});

/** What `new LAMB(params, options)` takes: the group defaults. */
export type LAMBConstructorOptions = Partial<LAMBOptions> & StepOptions;

/**
 * LAMB, per parameter tensor `w` with gradient `g` at step `t`:
 * `m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;`
 * `r = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) + weightDecay w;`
 * `w -= lr * (||w|| / ||r||) * r`, with the ratio 1 where either norm is 0
 * (and where the group is not adapted, see `alwaysAdapt`). The paper's
 * scaling function phi is the identity, as in its experiments. State keys are
 * timm's: `step`, `exp_avg`, `exp_avg_sq`.
 *
 * @example
 * const opt = new optim.LAMB(method.parameterGroups(0.01), { lr: 1.76e-3 });
 * loss.backward(); opt.step(); opt.zeroGrad();
 */
export class LAMB extends Optimizer<LAMBOptions> {
  // Per group (or CPU chunk), keyed by its first parameter: the norms and ratios.
  private readonly slots = new Map<Tensor, Record<'w' | 'u' | 'scale', ScalarSlots>>();

  constructor(params: Tensor[] | ParamGroup<LAMBOptions>[], options: LAMBConstructorOptions = {}) {
    if (options.capturable === true) {
      throw new Error('LAMB does not support capturable: true in this version (its bias correction reads the step on the host); ' +
        'use AdamW or LARS for a CUDA-graph step, or capturable: false');
    }
    super(params, LAMB_DEFAULTS.resolve(options, (k) => k), { capturable: false });
  }

  protected validate(o: LAMBOptions, where: string): void {
    checkAdamOptions(o, where);
    for (const k of ['biasCorrection', 'alwaysAdapt', 'trustClip'] as const) {
      if (typeof o[k] !== 'boolean') throw new TypeError(`Expected a boolean for ${k}${where} but received ${String(o[k])}`);
    }
  }

  protected override disposeWork(): void {
    for (const s of this.slots.values()) for (const v of Object.values(s)) v.dispose();
    this.slots.clear();
  }

  private initState(p: Tensor): ParamState {
    const s = this.stateOf(p, () => ({ step: 0 }));
    if (!(s.exp_avg instanceof torch.Tensor)) {
      s.exp_avg = torch.keep(torch.zerosLike(p));
      s.exp_avg_sq = torch.keep(torch.zerosLike(p));
    }
    return s;
  }

  protected updateGroup(group: ResolvedGroup<LAMBOptions>, params: Tensor[], grads: Tensor[]): void {
    const states = params.map((p) => this.initState(p));
    // Bucketed by step count, as AdamW: one bucket unless some parameters
    // missed gradients on earlier steps.
    const buckets = new Map<number, number[]>();
    states.forEach((s, i) => {
      const next = Number(s.step) + 1;
      s.step = next;
      const b = buckets.get(next);
      if (b === undefined) buckets.set(next, [i]);
      else b.push(i);
    });
    for (const [step, idx] of buckets) {
      this.updateBucket(group, step, idx.map((i) => params[i]), idx.map((i) => grads[i]), idx.map((i) => states[i]));
    }
  }

  private updateBucket(group: ResolvedGroup<LAMBOptions>, step: number, ps: Tensor[], gs: Tensor[], states: ParamState[]): void {
    const [beta1, beta2] = group.betas;
    const ms = states.map((s) => s.exp_avg as Tensor);
    const vs = states.map((s) => s.exp_avg_sq as Tensor);
    aten._foreach_mul_.Scalar(ms, beta1);
    aten._foreach_add_.List(ms, gs, { alpha: 1 - beta1 });
    aten._foreach_mul_.Scalar(vs, beta2);
    aten._foreach_addcmul_.Scalar(vs, gs, gs, 1 - beta2);
    const bc1 = group.biasCorrection ? 1 - beta1 ** step : 1;
    const bc2Sqrt = group.biasCorrection ? Math.sqrt(1 - beta2 ** step) : 1;
    // r = m / ((sqrt(v) / sqrt(bc2) + eps) * bc1): the first correction is
    // folded into the denominator (one pass fewer; equal within rounding).
    // NOTE: functional foreach operators, not their `.out` variants: libtorch's
    // `.out` ones allocate the same results and then copy them into `out`.
    const denom = aten._foreach_sqrt(vs);
    if (bc2Sqrt !== 1) aten._foreach_div_.Scalar(denom, bc2Sqrt);
    aten._foreach_add_.Scalar(denom, group.eps);
    if (bc1 !== 1) aten._foreach_mul_.Scalar(denom, bc1);
    const r = aten._foreach_div.List(ms, denom);
    if (group.weightDecay !== 0) aten._foreach_add_.List(r, ps, { alpha: group.weightDecay });
    if (group.weightDecay === 0 && !group.alwaysAdapt) {
      aten._foreach_add_.List(ps, r, { alpha: -group.lr });
      return;
    }
    let slots = this.slots.get(ps[0]);
    if (slots === undefined) {
      slots = { w: new ScalarSlots(), u: new ScalarSlots(), scale: new ScalarSlots() };
      this.slots.set(ps[0], slots);
    }
    const w = slots.w.get(ps);
    const u = slots.u.get(ps);
    aten._foreach_norm.Scalar_out(ps, 2, { out: w.views }); // w.vector: (numParams)
    aten._foreach_norm.Scalar_out(r, 2, { out: u.views }); // u.vector: (numParams)
    // NOTE: a zero weight norm (a freshly zeroed tensor) or a zero update
    // norm gives ratio 1, as NVIDIA's and timm's Lamb: otherwise the tensor
    // would never move (or divide by zero).
    let ratio = torch.where(w.vector.gt(0).logicalAnd(u.vector.gt(0)), w.vector.div(u.vector), 1);
    if (group.trustClip) ratio = ratio.clamp(null, 1);
    const scale = slots.scale.get(ps);
    scale.vector.copy_(ratio.mul(-group.lr));
    aten._foreach_addcmul_.Scalar(ps, r, scale.views, 1);
  }
}
