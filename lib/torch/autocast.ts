// Automatic mixed precision, as torch.autocast.
import { native } from './native';
import { defineOptions, is, option, optionsKey } from './option-table';

const AUTOCAST_OPTIONS = defineOptions({ enabled: option(true, is.boolean) });

/**
 * Runs `fn` with autocast on `deviceType`: eligible operators (matmul, conv,
 * linear, ...) run in `dtype`, as `with torch.autocast(device_type, dtype)`.
 * Nesting and the weight cast cache behave as in PyTorch.
 *
 * @example
 * const loss = torch.autocast('cuda', 'bfloat16', () => model.forward(x).mean());
 */
export function autocast<T>(deviceType: 'cpu' | 'cuda', dtype: 'bfloat16' | 'float16' | 'float32', fn: () => T,
  options: { enabled?: boolean } = {}): T {
  const { enabled } = AUTOCAST_OPTIONS.resolve(options, optionsKey);
  const previous = native.autocastState(deviceType);
  native.setAutocast(deviceType, enabled, dtype);
  native.autocastIncrementNesting();
  try {
    return fn();
  } finally {
    if (native.autocastDecrementNesting() === 0) native.clearAutocastCache();
    native.setAutocast(deviceType, previous.enabled, previous.dtype);
  }
}

/** Whether autocast is on for `deviceType` now. */
export function isAutocastEnabled(deviceType: 'cpu' | 'cuda' = 'cuda'): boolean {
  return native.autocastState(deviceType).enabled;
}
