// Dynamic loss scaling for float16 training, as torch.cuda.amp.GradScaler:
// multiply the loss by a large scale so small gradients survive float16,
// unscale before the step, skip steps whose gradients overflowed and adapt
// the scale (halve on overflow, double after `growthInterval` good steps).
import * as torch from '../torch';
import { aten, foreachMulByTensor_, foreachNorms } from '../torch/foreach';
import { Optimizer, BaseOptions, optimizerBoolean } from './optimizer';
import { defineOptions, option, OptionCheck } from '../torch/option-table';

type Tensor = torch.Tensor;

/** Options of `GradScaler`, as torch.cuda.amp.GradScaler's arguments. */
export interface GradScalerOptions {
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
  /** When false every method passes through: scale returns its input, step just steps. */
  enabled?: boolean;
}

/** A number that `valid` accepts, else a RangeError saying what was `expected`. */
function numberWhere(valid: (v: number) => boolean, expected: string): OptionCheck<number> {
  return (v, what) => {
    if (valid(v as number)) return v as number;
    throw new RangeError(`Expected ${expected} for ${what} but received ${String(v)}`);
  };
}

// The defaults of GradScalerOptions, as torch.cuda.amp.GradScaler's.
const GRAD_SCALER_OPTIONS = defineOptions({
  initScale: option(2 ** 16, numberWhere((v) => v > 0 && Number.isFinite(v), 'positive number')),
  growthFactor: option(2, numberWhere((v) => v > 1, 'number > 1')),
  backoffFactor: option(0.5, numberWhere((v) => v > 0 && v < 1, 'number in (0, 1)')),
  growthInterval: option(2000, numberWhere((v) => Number.isInteger(v) && v >= 1, 'positive integer')),
  enabled: option(true, optimizerBoolean),
});

type Stage = 'ready' | 'unscaled' | 'stepped';

interface PerOptimizer {
  stage: Stage;
  foundInf: Tensor;
}

/**
 * The loss scaler. `scale`, `unscale_`, `step` and `update` follow PyTorch,
 * with the same checks. On CUDA it uses the fused kernels
 * `_amp_foreach_non_finite_check_and_unscale_` and `_amp_update_scale_`; on
 * CPU (where libtorch 1.13 has no kernels for them) the same arithmetic runs
 * as a few tensor operations, so it can be tested anywhere.
 *
 * NOTE: `step` reads `found_inf` back to decide whether to step, as PyTorch
 * does: the one host synchronisation of a mixed-precision step.
 *
 * @example
 * const scaler = new optim.GradScaler();
 * torch.scope(() => scaler.scale(loss).backward());
 * scaler.unscale_(opt);                    // optional: to clip true gradients
 * optim.clipGradNorm_(params, 1.0);
 * scaler.step(opt);                        // skipped if gradients overflowed
 * scaler.update();
 */
export class GradScaler {
  readonly enabled: boolean;
  private readonly growthFactor: number;
  private readonly backoffFactor: number;
  private readonly growthInterval: number;
  private readonly initScale: number;
  private scaleTensor: Tensor | undefined;
  private growthTracker: Tensor | undefined;
  private readonly perOptimizer = new Map<Optimizer<BaseOptions>, PerOptimizer>();

  constructor(options: GradScalerOptions = {}) {
    const o = GRAD_SCALER_OPTIONS.resolve(options, (k) => k);
    this.initScale = o.initScale;
    this.growthFactor = o.growthFactor;
    this.backoffFactor = o.backoffFactor;
    this.growthInterval = o.growthInterval;
    this.enabled = o.enabled;
  }

  private lazyInit(device: torch.Device): Tensor {
    if (this.scaleTensor === undefined) {
      this.scaleTensor = torch.keep(torch.full([], this.initScale, { dtype: 'float32', device }));
      this.growthTracker = torch.keep(torch.zeros([], { dtype: 'int32', device }));
    }
    return this.scaleTensor;
  }

  /**
   * `outputs * scale` (the scale lives on the outputs' device, float32).
   *
   * @example
   * scaler.scale(loss).backward();
   */
  scale(outputs: Tensor): Tensor {
    if (!this.enabled) return outputs;
    const s = this.lazyInit(outputs.device);
    return outputs.mul(s.to(outputs.device));
  }

  /** The current scale as a number (a host read), 1 when disabled. @example scaler.getScale() */
  getScale(): number {
    if (!this.enabled) return 1;
    return this.scaleTensor === undefined ? this.initScale : Number(this.scaleTensor.item());
  }

  private entry(optimizer: Optimizer<BaseOptions>): PerOptimizer {
    let e = this.perOptimizer.get(optimizer);
    if (e === undefined) {
      e = { stage: 'ready', foundInf: torch.keep(torch.zeros([], { dtype: 'float32', device: this.scaleTensor!.device })) };
      this.perOptimizer.set(optimizer, e);
    }
    return e;
  }

  /**
   * Divides the optimiser's gradients by the scale in place and records
   * whether any is inf or NaN. At most once per optimiser between updates.
   *
   * @example
   * scaler.unscale_(opt); optim.clipGradNorm_(model.parameters(), 1);
   */
  unscale_(optimizer: Optimizer<BaseOptions>): void {
    if (!this.enabled) return;
    if (this.scaleTensor === undefined) {
      throw new Error('GradScaler.unscale_ was called before scale(): scale the loss first');
    }
    const e = this.entry(optimizer);
    if (e.stage === 'unscaled') throw new Error('unscale_() has already been called on this optimizer since the last update()');
    if (e.stage === 'stepped') throw new Error('unscale_() is being called after step()');
    torch.noGrad(() => torch.scope(() => {
      const grads: Tensor[] = [];
      for (const g of optimizer.paramGroups) {
        for (const p of g.params) {
          const grad = p.grad;
          if (grad === undefined) continue;
          if (grad.dtype === 'float16') throw new Error('Attempting to unscale FP16 gradients: keep parameters in float32');
          grads.push(grad);
        }
      }
      // NOTE: as PyTorch, the reciprocal is taken in float64 and rounded to float32.
      const invScale = this.scaleTensor!.to('float64').reciprocal().to('float32');
      if (grads.length === 0) return;
      if (grads[0].device.startsWith('cuda')) {
        aten._amp_foreach_non_finite_check_and_unscale_(grads, e.foundInf, invScale);
        return;
      }
      // NOTE: the largest |g| of a tensor is inf or NaN exactly when some
      // entry is (a 2-norm could overflow on finite values).
      const anyNonFinite = foreachNorms(grads, Infinity).isfinite().logicalNot().any().to('float32');
      e.foundInf.copy_(torch.maximum(e.foundInf, anyNonFinite));
      foreachMulByTensor_(grads, invScale);
    }));
    e.stage = 'unscaled';
  }

  /**
   * Unscales (if not done yet) and runs `optimizer.step()` unless a gradient
   * was inf or NaN. Returns whether the step ran.
   *
   * @example
   * const stepped = scaler.step(opt);
   */
  step(optimizer: Optimizer<BaseOptions>): boolean {
    if (!this.enabled) {
      optimizer.step();
      return true;
    }
    if (this.scaleTensor === undefined) throw new Error('GradScaler.step was called before scale(): scale the loss first');
    const e = this.entry(optimizer);
    if (e.stage === 'stepped') throw new Error('step() has already been called since the last update()');
    if (e.stage === 'ready') this.unscale_(optimizer);
    const skip = Number(e.foundInf.item()) !== 0;
    if (!skip) optimizer.step();
    e.stage = 'stepped';
    return !skip;
  }

  /**
   * Adapts the scale: times `backoffFactor` if any optimiser stepped over
   * inf/NaN gradients since the last update, times `growthFactor` after
   * `growthInterval` clean updates in a row (if the result is finite).
   * `newScale` sets it directly instead.
   *
   * @example
   * scaler.step(opt); scaler.update();
   */
  update(newScale?: number): void {
    if (!this.enabled || this.scaleTensor === undefined) return;
    const scale = this.scaleTensor;
    const tracker = this.growthTracker!;
    torch.noGrad(() => torch.scope(() => {
      if (newScale !== undefined) {
        scale.fill_(newScale);
        return;
      }
      const found = [...this.perOptimizer.values()].map((e) => e.foundInf);
      if (found.length === 0) throw new Error('No inf checks were recorded prior to update(): call step() (or unscale_()) first');
      const foundInf = found.length === 1 ? found[0] : torch.stack(found).sum();
      if (scale.device.startsWith('cuda')) {
        aten._amp_update_scale_(scale, tracker, foundInf, this.growthFactor, this.backoffFactor, this.growthInterval);
        return;
      }
      // The CUDA kernel's arithmetic (aten/src/ATen/native/cuda/AmpKernels.cu), on tensors.
      const overflow = foundInf.gt(0);
      const successful = tracker.add(1);
      const due = successful.eq(this.growthInterval).logicalAnd(overflow.logicalNot());
      const grown = scale.mul(this.growthFactor).to('float32');
      const next = torch.where(overflow, scale.mul(this.backoffFactor),
        torch.where(due.logicalAnd(grown.isfinite()), grown, scale));
      tracker.copy_(torch.where(overflow.logicalOr(due), 0, successful));
      scale.copy_(next);
    }));
    for (const e of this.perOptimizer.values()) e.foundInf.dispose();
    this.perOptimizer.clear();
  }

  /**
   * PyTorch's GradScaler state dict keys, as numbers (a host read).
   *
   * @example
   * const s = scaler.stateDict(); // { scale: 65536, growth_factor: 2, ... }
   */
  stateDict(): { scale: number; growth_factor: number; backoff_factor: number; growth_interval: number; _growth_tracker: number } {
    return {
      scale: this.getScale(),
      growth_factor: this.growthFactor,
      backoff_factor: this.backoffFactor,
      growth_interval: this.growthInterval,
      _growth_tracker: this.growthTracker === undefined ? 0 : Number(this.growthTracker.item()),
    };
  }

  /**
   * Restores the scale and growth tracker of `stateDict()` (the factors are the constructor's).
   *
   * @example
   * scaler.loadStateDict(saved);
   */
  loadStateDict(state: { scale: number; _growth_tracker: number }, device: torch.Device = 'cpu'): void {
    const scale = this.lazyInit(this.scaleTensor?.device ?? device);
    scale.fill_(state.scale);
    this.growthTracker!.fill_(state._growth_tracker);
  }
}
