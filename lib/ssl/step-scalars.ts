// A method's per-step values (EMA momentum, teacher temperature, a frozen
// layer's gradient factor) as device scalars, so that a captured CUDA-graph
// step reads this step's values at replay.
import * as torch from '../torch';
import { DeviceScalar, Device } from '../torch';

/**
 * Named `DeviceScalar`s on one device. `set` (in `prepareStep`, before a
 * step runs) creates or updates a value; `tensor` (inside the step) reads it.
 *
 * @example
 * scalars.set('momentum', momentumAt(step), 'cuda');   // prepareStep
 * emaUpdate_(teacher, student, scalars.tensor('momentum', 'BYOL'));   // inside the captured step
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
