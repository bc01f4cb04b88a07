// LARS (You et al. 2017, "Large Batch Training of Convolutional Networks"),
// the optimiser of SimCLR and BYOL, with lightly's and solo-learn's rule:
// SGD whose per-parameter update is rescaled by a trust ratio.
import * as torch from '../torch';
import { checkNonNegative } from '../torch/arguments';
import { aten, foreachAddScaled_ } from '../torch/foreach';
import { Optimizer, ParamGroup, ResolvedGroup, StepOptions } from './optimizer';
import { SGDOptions, checkSGDOptions, momentumDirection } from './sgd';
import { ScalarSlots } from './scratch';
import { defineDefaults, REQUIRED } from '../torch/option-table';

type Tensor = torch.Tensor;

/** Options of `LARS`, as lightly's `LARS` arguments: SGD's, plus the trust ratio's. */
export interface LARSOptions extends SGDOptions {
  /** eta in the paper: the trust ratio is `trustCoefficient * ||w|| / (||g|| + weightDecay ||w|| + eps)`. */
  trustCoefficient: number;
  eps: number;
  /**
   * Plain SGD for this group: no trust ratio and no weight decay (lightly's
   * `exclude_bias_n_norm`, applied per group: give biases and normalisation
   * parameters their own group, see `paramGroupsWeightDecay`).
   */
  larsExclude: boolean;
}

/**
 * The defaults of LARSOptions, as lightly's LARS (momentum 0.9, unlike SGD's 0);
 * `validate` checks them with each group's.
 */
const LARS_DEFAULTS = defineDefaults<LARSOptions>({
  lr: REQUIRED, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false,
  trustCoefficient: 0.001, eps: 1e-8, larsExclude: false,
});

/** What `new LARS(params, options)` takes: the group defaults plus options of the optimiser as a whole. */
export type LARSConstructorOptions = Partial<LARSOptions> & StepOptions & { lr: number };

/**
 * LARS: for each parameter with `||w|| > 0` and `||g|| > 0`,
 * `d = trustCoefficient * ||w|| / (||g|| + weightDecay ||w|| + eps) * (g + weightDecay w)`,
 * otherwise `d = g`; then SGD momentum on `d` and `p -= lr * buf`. Groups with
 * `larsExclude: true` take `d = g`. The norms and ratios stay on the device
 * (no host synchronisation), computed for the whole group at once.
 *
 * @example
 * const groups = optim.paramGroupsWeightDecay(model.namedParameters(), { weightDecay: 1e-6 });
 * const opt = new optim.LARS(groups, { lr: 0.3 * batchSize / 256, momentum: 0.9 });
 */
export class LARS extends Optimizer<LARSOptions> {
  // Work tensors reused across steps (see scratch.ts): the per-parameter
  // norms and factors of each group.
  private readonly slots = new Map<Tensor, Record<'w' | 'g' | 'scale' | 'decay', ScalarSlots>>();

  constructor(params: Tensor[] | ParamGroup<LARSOptions>[], options: LARSConstructorOptions) {
    super(params, LARS_DEFAULTS.resolve(options, (k) => k), { capturable: options.capturable });
  }

  protected validate(o: LARSOptions, where: string): void {
    checkSGDOptions(o, where);
    checkNonNegative(o.trustCoefficient, `trustCoefficient${where}`);
    checkNonNegative(o.eps, `eps${where}`);
  }

  // A capturable step reads the weight decay (in the trust ratio and the
  // update) and `-lr` from the device.
  protected override capturableValues(group: ResolvedGroup<LARSOptions>): Record<string, number> {
    return group.larsExclude ? { negLr: -group.lr } : { negLr: -group.lr, weightDecay: group.weightDecay };
  }

  protected override disposeWork(): void {
    for (const slots of this.slots.values()) for (const s of Object.values(slots)) s.dispose();
    this.slots.clear();
  }

  protected updateGroup(group: ResolvedGroup<LARSOptions>, params: Tensor[], grads: Tensor[]): void {
    let dps = grads;
    if (!group.larsExclude) {
      const wd = group.weightDecay;
      // NOTE: a capturable step reads wd from the device and always takes the
      // decay branch: a captured graph cannot take the `wd === 0` branch again.
      const wdDevice = this.capturable ? this.deviceScalar(group, 'weightDecay') : undefined;
      // Keyed by the first parameter: one set per group, or per CPU chunk.
      let slots = this.slots.get(params[0]);
      if (slots === undefined) {
        slots = { w: new ScalarSlots(), g: new ScalarSlots(), scale: new ScalarSlots(), decay: new ScalarSlots() };
        this.slots.set(params[0], slots);
      }
      const w = slots.w.get(params);
      const g = slots.g.get(params);
      aten._foreach_norm.Scalar_out(params, 2, { out: w.views }); // w.vector: (numParams)
      aten._foreach_norm.Scalar_out(grads, 2, { out: g.views }); // g.vector: (numParams)
      const adapt = w.vector.gt(0).logicalAnd(g.vector.gt(0));
      // NOTE: lightly computes the ratio in the parameter's dtype; so do we (fp32 norms for fp32 weights).
      const gPlusDecay = wdDevice === undefined ? g.vector.add(w.vector, { alpha: wd }) : w.vector.mul(wdDevice).add(g.vector);
      const ratio = w.vector.div(gPlusDecay.add(group.eps)).mul(group.trustCoefficient);
      const scale = slots.scale.get(params);
      scale.vector.copy_(torch.where(adapt, ratio, 1));
      // NOTE: functional foreach operators, not their `.out` variants into kept
      // tensors: libtorch's `.out` ones allocate the same results and then copy
      // them into `out` (one more pass over every parameter).
      if (wd === 0 && wdDevice === undefined) {
        dps = aten._foreach_mul.List(grads, scale.views);
      } else {
        // d = (g + wd w) * ratio, in two passes over the tensors: d = w * (wd ratio),
        // then d += g * ratio. wd is 0 where the ratio is not applied (lightly).
        // NOTE: lightly rounds (g + wd w) before scaling; this rounds each
        // product instead: the same within float32 rounding.
        const decay = slots.decay.get(params);
        decay.vector.copy_(adapt.to(w.vector.dtype).mul(wdDevice ?? wd).mul(scale.vector));
        dps = aten._foreach_mul.List(params, decay.views);
        aten._foreach_addcmul_.Scalar(dps, grads, scale.views, 1);
      }
    }
    if (group.momentum !== 0) dps = momentumDirection(params, dps, group, (p, init) => this.stateOf(p, init));
    if (this.capturable) foreachAddScaled_(params, dps, this.deviceScalar(group, 'negLr'));
    else aten._foreach_add_.List(params, dps, { alpha: -group.lr });
  }
}
