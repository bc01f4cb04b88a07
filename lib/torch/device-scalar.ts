// A number that lives in a 0-d device tensor, so that a captured CUDA graph
// reads its current value at replay: learning rates, weight decay, EMA
// momentum, temperatures, step counts.
import { Tensor } from './tensor';
import { Device, DType } from './dtype';
import { full } from './creation';
import { keep } from './scope';
import { captureInProgress } from './capture-state';

/**
 * A scalar held on the device. Code inside a (captured) step reads `tensor`;
 * code outside it calls `set(value)`, which writes the tensor with one small
 * kernel (no host synchronisation) and only when the value changed.
 *
 * @example
 * const lr = new torch.DeviceScalar(0.1, { device: 'cuda' });
 * lr.set(schedule(step));                       // before each replay
 * aten._foreach_mul_.List(updates, updates.map(() => lr.tensor));
 */
export class DeviceScalar {
  /** The 0-d tensor (kept: it survives scopes until `dispose()`). */
  readonly tensor: Tensor;
  private current: number;

  constructor(value: number, options: { device?: Device; dtype?: DType } = {}) {
    checkValue(value);
    this.current = value;
    this.tensor = keep(full([], value, { device: options.device ?? 'cpu', dtype: options.dtype ?? 'float32' }));
  }

  /** The value last set (read from the host copy: no synchronisation). */
  get value(): number {
    return this.current;
  }

  /**
   * Writes `value` into the tensor. Throws during a CUDA graph capture (the
   * write would be recorded as a constant): set values before replay.
   * @example momentum.set(schedule(progress.step));
   */
  set(value: number): void {
    checkValue(value);
    if (value === this.current) return;
    const capture = captureInProgress();
    if (capture !== null) {
      throw new Error(`DeviceScalar.set(${value}) during ${capture}: the graph would replay the value it records. ` +
        'Set step values before capture and replay (a method\'s prepareStep, an optimizer\'s prepareStep)');
    }
    this.tensor.fill_(value);
    this.current = value;
  }

  /** Frees the tensor. */
  dispose(): void {
    this.tensor.dispose();
  }
}

function checkValue(value: unknown): void {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`Expected a number for a DeviceScalar but received ${String(value)}`);
  }
}
