// Multi-tensor building blocks shared by the optimisers, the clipper, the
// loss scaler and the EMA teachers: one dispatcher call for a whole list of
// tensors, and the run-time detection of operators that only newer libtorch
// versions have. They are tensor operations, so they live in lib/torch where
// optim, ssl, train and cli can all reach them.
import { Tensor } from './tensor';
import { ops, listOps, OpPacket } from './ops';
import { stack } from './functions';

type AnyOp = (...args: unknown[]) => unknown;

/** The ATen operators, typed for the installed libtorch 1.13 schemas. */
export const aten = ops.aten;

let available: Set<string> | undefined;

/**
 * Whether this libtorch registers `qualified` (as `'aten::_fused_adamw_'`,
 * with or without an overload name). Looked up once per process.
 *
 * @example
 * if (hasOp('aten::_foreach_mul_.Tensor')) ...
 */
export function hasOp(qualified: string): boolean {
  if (available === undefined) {
    available = new Set<string>();
    for (const name of listOps()) {
      available.add(name);
      const dot = name.indexOf('.');
      if (dot > 0) available.add(name.slice(0, dot));
    }
  }
  return available.has(qualified);
}

/**
 * An operator overload that the generated 1.13 types do not know (a newer
 * libtorch's), by name: `untypedOp('_fused_adamw_')`.
 *
 * @example
 * untypedOp('_foreach_mul_', 'Tensor')(grads, coef);
 */
export function untypedOp(name: string, overload?: string): AnyOp {
  const packet = (ops as unknown as Record<string, Record<string, OpPacket>>).aten[name];
  return overload === undefined ? packet : packet[overload];
}

/**
 * Multiplies every tensor of `tensors` in place by the 0-d tensor `factor`,
 * without reading it back to the host.
 *
 * NOTE: libtorch 2.x has `_foreach_mul_.Tensor` (one scalar tensor for the
 * list, a single fused kernel on CUDA); 1.13 only has `.List`, which takes one
 * factor per tensor, so the same 0-d tensor is repeated.
 *
 * @example
 * foreachMulByTensor_(grads, clipCoef);
 */
export function foreachMulByTensor_(tensors: Tensor[], factor: Tensor): void {
  if (tensors.length === 0) return;
  if (hasOp('aten::_foreach_mul_.Tensor')) {
    untypedOp('_foreach_mul_', 'Tensor')(tensors, factor);
    return;
  }
  aten._foreach_mul_.List(tensors, tensors.map(() => factor));
}

/**
 * The p-norms of each tensor as one 1-d tensor (two dispatcher calls).
 *
 * @example
 * const norms = foreachNorms(grads, 2); // (numTensors)
 */
export function foreachNorms(tensors: Tensor[], normType: number): Tensor {
  return stack(aten._foreach_norm.Scalar(tensors, normType) as Tensor[]);
}

/**
 * `targets[i] += sources[i] * factor` for a 0-d tensor `factor`, without
 * reading it back to the host: the update `p -= lr * buf` of a capturable
 * step, with `factor` holding `-lr` on the device.
 *
 * NOTE: libtorch 2.x multiplies the list by one scalar tensor in one fused
 * kernel (`_foreach_mul.Tensor`), then adds; 1.13 has no such overload, and
 * `_foreach_addcmul_` with the 0-d factor repeated (broadcast per tensor)
 * does it without a temporary list.
 *
 * @example
 * foreachAddScaled_(params, bufs, negLr);   // p += buf * (-lr)
 */
export function foreachAddScaled_(targets: Tensor[], sources: Tensor[], factor: Tensor): void {
  if (targets.length === 0) return;
  if (hasOp('aten::_foreach_mul.Tensor')) {
    aten._foreach_add_.List(targets, untypedOp('_foreach_mul', 'Tensor')(sources, factor) as Tensor[]);
    return;
  }
  aten._foreach_addcmul_.Scalar(targets, sources, sources.map(() => factor), 1);
}
