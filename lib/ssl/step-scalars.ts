// A method's per-step values (EMA momentum, teacher temperature, a frozen
// layer's gradient factor) as device scalars, so that a captured CUDA-graph
// step reads this step's values at replay.
import * as torch from '../torch';
import { DeviceScalar, Device } from '../torch';

/**
 * Named `DeviceScalar`s on one device. `set` (in `prepareStep`, before a
 * step runs) creates or updates a value; `read` (inside the step) gives the
 * device tensor once `prepareStep` has set it (every step of a graphed run,
 * warm-up steps included, so they round as the replays do), else the host
 * number (a plain eager run).
 *
 * @example
 * scalars.set('momentum', momentumAt(step), 'cuda');                  // prepareStep
 * emaUpdate_(teacher, student, scalars.read('momentum', m, 'BYOL'));   // inside the step
 */
export class StepScalars {
  private readonly values = new Map<string, DeviceScalar>();

  /** Writes `value` under `name` on `device` (created there on first use, or again after the method moved). */
  set(name: string, value: number, device: Device): void {
    let s = this.values.get(name);
    if (s !== undefined && s.tensor.device !== device) {
      s.dispose();
      s = undefined;
    }
    if (s === undefined) {
      if (torch.cuda.isCapturing()) {
        throw new Error(`Step value '${name}' was first set during a CUDA graph capture: call method.prepareStep(progress) ` +
          'before capturing (the Trainer does)');
      }
      this.values.set(name, new DeviceScalar(value, { device }));
      return;
    }
    s.set(value);
  }

  /**
   * The device tensor of `name` when `prepareStep` set it, else `host`;
   * inside a capture the tensor is required (a host number would be recorded
   * as a constant).
   */
  read(name: string, host: number, method: string): torch.Tensor | number {
    return this.values.has(name) || torch.cuda.isCapturing() ? this.tensor(name, method) : host;
  }

  /** The device tensor of `name`; throws, naming `method`, when `prepareStep` never set it. */
  tensor(name: string, method: string): torch.Tensor {
    const s = this.values.get(name);
    if (s === undefined) {
      throw new Error(`${method} reads its step value '${name}' from the device inside a CUDA graph capture, but ` +
        'method.prepareStep(progress) was not called before the capture');
    }
    return s.tensor;
  }

  /** Frees every scalar. */
  dispose(): void {
    for (const s of this.values.values()) s.dispose();
    this.values.clear();
  }
}
