// Splitting a model's parameters into a weight-decay group and a no-decay
// group, as timm's `param_groups_weight_decay` and the SimCLR/BYOL recipes.
import * as torch from '../torch';
import { checkNonNegative } from '../torch/arguments';
import { defineOptions, is, option } from '../torch/option-table';

type Tensor = torch.Tensor;

/** Options of `paramGroupsWeightDecay`. */
export interface ParamGroupsWeightDecayOptions {
  /** Weight decay of the decayed group (default 1e-5, timm's). */
  weightDecay?: number;
  /** Exact parameter names that are never decayed (timm's `no_weight_decay_list`, as `['pos_embed', 'cls_token']`). */
  noWeightDecayList?: Iterable<string>;
}

// The defaults of ParamGroupsWeightDecayOptions (timm's weight decay; no names skipped).
const PARAM_GROUPS_OPTIONS = defineOptions({
  weightDecay: option(1e-5, checkNonNegative),
  noWeightDecayList: option<Iterable<string>>([], is.checkedLater<Iterable<string>>()),
});

/** The two groups: `[decay, noDecay]`; the no-decay group has `weightDecay: 0` and `larsExclude: true`. */
export type WeightDecayGroups = [
  { params: Tensor[]; weightDecay: number; name: 'decay' },
  { params: Tensor[]; weightDecay: number; larsExclude: true; name: 'no_decay' },
];

/**
 * Splits named parameters into a decayed group and a group without weight
 * decay (and without LARS adaptation): biases (`*.bias`), 1-d tensors (the
 * weights of batch, layer and group norms) and 0-d tensors, plus the names in
 * `noWeightDecayList`, as timm does. Parameters that do not require grad are
 * left out. Order within each group follows the input.
 *
 * @example
 * const groups = optim.paramGroupsWeightDecay(model.namedParameters(), { weightDecay: 0.05 });
 * const opt = new optim.AdamW(groups, { lr: 1e-3 });
 */
export function paramGroupsWeightDecay(
  namedParameters: Iterable<[string, Tensor]>, options: ParamGroupsWeightDecayOptions = {},
): WeightDecayGroups {
  const { weightDecay, noWeightDecayList } = PARAM_GROUPS_OPTIONS.resolve(options, (k) => k);
  const skip = new Set(noWeightDecayList);
  const decay: Tensor[] = [];
  const noDecay: Tensor[] = [];
  for (const [name, p] of namedParameters) {
    if (!(p instanceof torch.Tensor)) {
      throw new TypeError(`Expected [name, Tensor] pairs for namedParameters but received ${String(p)} for ${name}`);
    }
    if (!p.requiresGrad) continue;
    if (p.dim() <= 1 || name.endsWith('.bias') || skip.has(name)) noDecay.push(p);
    else decay.push(p);
  }
  return [
    { params: decay, weightDecay, name: 'decay' },
    { params: noDecay, weightDecay: 0, larsExclude: true, name: 'no_decay' },
  ];
}
