// The precision the self-supervised losses compute in: float32 whatever the
// inputs or an enclosing autocast, because their logits are divided by small
// temperatures (0.1, 0.04) that magnify bf16's 3 significant digits into
// visible errors in the softmax.
import * as torch from '../../torch';
import { Tensor } from '../../torch';

/**
 * `x` in float32, or unchanged when it is float32 or float64 (float64 inputs
 * keep their precision, so gradient checks in double work).
 *
 * @example const z = atLeastFloat32(projector.forward(x)); // bf16 under autocast -> float32
 */
export function atLeastFloat32(x: Tensor): Tensor {
  return x.dtype === 'float64' || x.dtype === 'float32' ? x : x.to('float32');
}

/**
 * Runs `fn` with autocast off for the device of `like`, so that matrix
 * products inside it run in their inputs' dtype instead of bf16/fp16.
 * Without an enclosing autocast it simply calls `fn`.
 *
 * @example const logits = withoutAutocast(z, () => z.matmul(z.t())); // float32 under bf16 autocast
 */
export function withoutAutocast<T>(like: Tensor, fn: () => T): T {
  const deviceType = like.device.startsWith('cuda') ? 'cuda' : 'cpu';
  if (!torch.isAutocastEnabled(deviceType)) return fn();
  return torch.autocast(deviceType, 'bfloat16', fn, { enabled: false });
}
