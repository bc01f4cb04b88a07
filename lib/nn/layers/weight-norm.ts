// Weight normalisation: a weight reparametrised as g * v / ||v||, as
// torch.nn.utils.weight_norm (Salimans & Kingma 2016). DINO's head uses it.
import { Tensor, keep, noGrad, ops } from '../../torch';
import { TensorModule } from './container';

/** A module after `weightNorm(module, name)`: it has the parameters `${name}_g` and `${name}_v`. */
export type WeightNormed<M, N extends string> = M & { readonly [K in `${N}_g` | `${N}_v`]: Tensor };

/**
 * Replaces the parameter `name` of `module` by a magnitude `${name}_g` and a
 * direction `${name}_v`, as `torch.nn.utils.weight_norm`: before every
 * forward, `module[name] = g * v / ||v||`, the norm taken over every dimension
 * except `dim` (over all of them when `dim` is null). `g` starts as the norm
 * of the weight and `v` as the weight itself, so the output is unchanged at
 * first. Keys become `${name}_g` and `${name}_v`, after the module's other
 * parameters (as in PyTorch, e.g. `last_layer.weight_g`). The module is
 * changed in place and returned.
 *
 * @example
 * // DINO's last layer: g fixed to 1 (normLastLayer), so only the direction is learned.
 * const lastLayer = nn.weightNorm(new nn.Linear(256, 65536, { bias: false }));
 * nn.init.ones_(lastLayer.weight_g);
 * lastLayer.weight_g.requiresGrad_(false);
 */
export function weightNorm<M extends TensorModule, N extends string = 'weight'>(module: M, name: N = 'weight' as N,
  dim: number | null = 0): WeightNormed<M, N> {
  const entry = [...module.namedParameters({ recurse: false })].find(([n]) => n === name);
  if (!entry) {
    throw new Error(`Expected a parameter named '${name}' in ${module.typeName} for weightNorm but found ` +
      `[${[...module.namedParameters({ recurse: false })].map(([n]) => n).join(', ')}]`);
  }
  const weight = entry[1];
  const fields = module as unknown as Record<string, unknown>;
  if (fields[`${name}_g`] instanceof Tensor) {
    throw new Error(`Expected a parameter without weight norm but ${module.typeName} already has ${name}_g`);
  }
  if (dim !== null && !(Number.isInteger(dim) && dim >= -1 && dim < weight.dim())) {
    throw new RangeError(`Expected dim in [-1, ${weight.dim() - 1}] or null for weightNorm but received ${dim}`);
  }
  // NOTE: as PyTorch, dim null (or -1) means one norm over the whole weight.
  const normDim = dim === null ? -1 : dim;
  const g = noGrad(() => ops.aten.norm_except_dim(weight, 2, normDim));
  const v = weight.detach();
  module.unregisterParameter(name);
  const gParam = module.registerParameter(`${name}_g`, g);
  const vParam = module.registerParameter(`${name}_v`, v);
  weight.dispose();
  fields[`${name}_g`] = gParam;
  fields[`${name}_v`] = vParam;

  let current: Tensor = keep(noGrad(() => ops.aten._weight_norm(vParam, gParam, normDim)));
  fields[name] = current;
  const forward = module.forward;
  // NOTE: the forward computes the weight for this call only (the autograd
  // graph of the step holds its node). What stays readable as
  // `module.weight` afterwards is a detached copy: a kept tensor with a
  // grad_fn would keep the gradient accumulators of weight_g and weight_v
  // alive into the next step, which a CUDA graph warm-up or capture on
  // another stream reports ("The AccumulateGrad node's stream does not match").
  module.forward = (x: Tensor): Tensor => {
    const w = ops.aten._weight_norm(vParam, gParam, normDim);
    fields[name] = w;
    try {
      return forward.call(module, x);
    } finally {
      current.dispose();
      current = keep(w.detach());
      fields[name] = current;
      // The step's graph holds what backward needs; this handle is not needed.
      w.dispose();
    }
  };
  const dispose = module.dispose;
  module.dispose = (): void => {
    current.dispose();
    dispose.call(module);
  };
  return module as WeightNormed<M, N>;
}
