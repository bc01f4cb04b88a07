// A number that lives in a 0-d device tensor, so that a captured CUDA graph
// reads its current value at replay: learning rates, weight decay, EMA
// momentum, temperatures, step counts; and a named set of them on one device
// (an optimizer group's, a method's).
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
    // The defaults (cpu, float32) are torch.full's for a number.
    this.tensor = keep(full([], value, { device: options.device, dtype: options.dtype }));
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

/**
 * Named `DeviceScalar`s on one device: `set` creates a value on first use
 * (or again, all of them, when the device changed) and updates it after;
 * `get` gives its tensor. Creating is refused during a capture (the graph
 * would record the creation), with a message built from `describe(name)`
 * and `hint`.
 *
 * @example
 * const values = new torch.DeviceScalars((n) => `The device scalar ${n} of group 0`, 'run one eager step first');
 * values.set('lr', 0.1, 'cuda');   // before the step or the replay
 * values.get('lr');                // the 0-d tensor the step reads
 */
export class DeviceScalars {
  private readonly values = new Map<string, DeviceScalar>();
  private device: Device | undefined;

  constructor(private readonly describe: (name: string) => string, private readonly hint: string) {}

  /** Writes `value` under `name` on `device`. */
  set(name: string, value: number, device: Device): void {
    if (device !== this.device) {
      this.refuseDuringCapture(name);
      this.dispose();
      this.device = device;
    }
    const s = this.values.get(name);
    if (s !== undefined) {
      s.set(value);
      return;
    }
    this.refuseDuringCapture(name);
    this.values.set(name, new DeviceScalar(value, { device }));
  }

  /** The 0-d tensor of `name`, or undefined before its first `set`. */
  get(name: string): Tensor | undefined {
    return this.values.get(name)?.tensor;
  }

  /** Frees every scalar. */
  dispose(): void {
    for (const s of this.values.values()) s.dispose();
    this.values.clear();
    this.device = undefined;
  }

  private refuseDuringCapture(name: string): void {
    const capture = captureInProgress();
    if (capture !== null) throw new Error(`${this.describe(name)} would be created during ${capture}: ${this.hint}`);
  }
}

function checkValue(value: unknown): void {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`Expected a number for a DeviceScalar but received ${String(value)}`);
  }
}
