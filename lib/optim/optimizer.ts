// The optimiser base class, as torch.optim.Optimizer: parameter groups with
// per-group options, per-parameter state, zeroGrad, and a state dict that a
// checkpoint can store (JSON plus a map of tensors).
import * as torch from '../torch';
import { captureInProgress } from '../torch/capture-state';
import { aten } from '../torch/foreach';
import { defineOptions, option, OptionCheck } from '../torch/option-table';

type Tensor = torch.Tensor;

/** Options that every optimiser has. */
export interface BaseOptions {
  lr: number;
  weightDecay: number;
}

/**
 * A parameter group: its tensors and the options that override the
 * optimiser's defaults for them. `lrScale` and `weightDecayScale` multiply the
 * value an `OptionScheduler` sets (layer-wise decay, MAE's `lr_scale`).
 */
export type ParamGroup<O extends BaseOptions = BaseOptions> = Partial<O> & {
  params: Tensor[];
  /** Multiplies the scheduled learning rate for this group (default 1). */
  lrScale?: number;
  /** Multiplies the scheduled weight decay for this group (default 1). */
  weightDecayScale?: number;
  /** A label for messages and state dicts. */
  name?: string;
};

/** A group after defaults are applied: every option is present; `lr` and the others are mutable. */
export type ResolvedGroup<O extends BaseOptions = BaseOptions> = O & {
  params: Tensor[];
  lrScale?: number;
  weightDecayScale?: number;
  name?: string;
};

/** One parameter's state: tensors (kept alive by the optimiser) and numbers (as `step`). */
export type ParamState = Record<string, Tensor | number>;

/** A JSON value of a state dict's non-tensor part. */
export type StateValue = number | boolean | string | number[] | null;

/**
 * An optimiser's state in two parts: `json` (JSON-able) and `tensors`. The
 * layout follows PyTorch's `optimizer.state_dict()`:
 * `json.state[i]` holds the numbers of parameter `i` (parameters numbered
 * across groups in order), `json.paramGroups[g]` holds group `g`'s options
 * and `params: [i, ...]`; tensor `state.<i>.<key>` is parameter i's
 * `<key>` (`momentum_buffer`, `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`).
 */
export interface OptimizerStateDict {
  json: {
    state: Record<string, Record<string, number>>;
    paramGroups: Record<string, StateValue>[];
  };
  tensors: Map<string, Tensor>;
}

/** Options of the optimiser as a whole (not per group, not in the state dict). */
export interface StepOptions {
  /**
   * Run steps without host synchronisation and without per-step host values
   * in kernel arguments, as PyTorch's `capturable=True`: the learning rate and
   * weight decay reach the step through device scalars written by
   * `prepareStep()`, so a CUDA graph captured once replays under changing
   * schedules (default false).
   */
  capturable?: boolean;
}

/**
 * A boolean, in the optimizers' wording (`Expected a boolean for fused but received 1`).
 * @example const FUSED = defineOptions({ fused: option(false, optimizerBoolean) });
 */
export const optimizerBoolean: OptionCheck<boolean> = (v, what) => {
  if (typeof v === 'boolean') return v;
  throw new TypeError(`Expected a boolean for ${what} but received ${String(v)}`);
};

// The defaults of StepOptions and of zeroGrad's options, as PyTorch's.
const STEP_OPTIONS = defineOptions({ capturable: option(false, optimizerBoolean) });
const ZERO_GRAD_OPTIONS = defineOptions({ setToNone: option(true, optimizerBoolean) });

/**
 * Throws when a CUDA graph capture (or a `checkCapturable` rehearsal) is in
 * progress: `what` (optimiser state, a device scalar) would be created inside
 * the graph, and every replay would create (re-zero) it again.
 *
 * @example
 * checkNoCapture('the momentum buffers of 3 parameters');
 */
export function checkNoCapture(what: string): void {
  const capture = captureInProgress();
  if (capture === null) return;
  throw new Error(`${what} would be created during ${capture}: ${NO_CAPTURE_HINT}`);
}

const NO_CAPTURE_HINT = 'optimiser state must exist before a capture. ' +
  'Run one eager optimizer.step() (with every captured parameter holding a gradient) before capturing';

/**
 * Base of SGD, AdamW and LARS. Subclasses implement `updateGroup` with
 * multi-tensor (`_foreach_*`) operators, so a step costs a few dispatcher
 * calls per group whatever the number of parameters.
 *
 * @example
 * const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * loss.backward();
 * opt.step();
 * opt.zeroGrad();
 */
export abstract class Optimizer<O extends BaseOptions> {
  /**
   * On CPU, a group is updated in chunks of parameters of about this many
   * bytes (counted as float32), so that each chunk stays in cache across the
   * step's multi-tensor operators. A step then costs a handful of calls per
   * chunk; CUDA parameters are updated as one list per group.
   */
  static cpuChunkBytes = 2 << 20;
  /** The groups, with defaults applied; set `paramGroups[g].lr` to change a learning rate. */
  readonly paramGroups: ResolvedGroup<O>[] = [];
  /** Per-parameter state, created on the first step that sees a gradient. */
  readonly state = new Map<Tensor, ParamState>();
  /** Whether steps are capturable (see `StepOptions.capturable`). */
  readonly capturable: boolean;
  // The device scalars of each group (capturable only), by name.
  private readonly deviceScalars = new Map<ResolvedGroup<O>, torch.DeviceScalars>();

  protected constructor(params: Tensor[] | ParamGroup<O>[], readonly defaults: O, options: StepOptions = {}) {
    this.capturable = STEP_OPTIONS.resolve(options, (k) => k).capturable;
    if (!Array.isArray(params) || params.length === 0) {
      throw new TypeError('Expected a non-empty array of parameters or parameter groups for params but received ' +
        (Array.isArray(params) ? 'an empty array' : String(params)));
    }
    // Defaults first, so that their errors carry no group number.
    this.validate(defaults, '');
    const groups: ParamGroup<O>[] = params[0] instanceof torch.Tensor
      ? [{ params: params as Tensor[] } as ParamGroup<O>]
      : (params as ParamGroup<O>[]);
    for (const g of groups) this.addParamGroup(g);
  }

  /**
   * Adds a group (as `optimizer.add_param_group`), e.g. a head unfrozen later.
   *
   * @example
   * opt.addParamGroup({ params: head.parameters(), lr: 0.01 });
   */
  addParamGroup(group: ParamGroup<O>): void {
    const g = this.paramGroups.length;
    if (group === null || typeof group !== 'object' || !Array.isArray(group.params)) {
      throw new TypeError(`Expected parameter group ${g} to be { params: Tensor[], ... } but received ${String(group)}`);
    }
    const seen = new Set<Tensor>();
    for (const other of this.paramGroups) for (const p of other.params) seen.add(p);
    group.params.forEach((p, i) => {
      const where = `parameter ${i} of group ${g}`;
      if (!(p instanceof torch.Tensor)) throw new TypeError(`Expected a Tensor for ${where} but received ${String(p)}`);
      if (!p.requiresGrad) {
        throw new TypeError(`Expected ${where} to require grad; leave frozen parameters out ` +
          '(filter by p.requiresGrad) or call p.requiresGrad_()');
      }
      if (!p.isLeaf) throw new TypeError(`Expected ${where} to be a leaf tensor: an optimiser cannot update a computed tensor`);
      if (seen.has(p)) throw new TypeError(`Expected ${where} to appear in only one parameter group`);
      seen.add(p);
    });
    const resolved = { ...this.defaults } as ResolvedGroup<O>;
    for (const [k, v] of Object.entries(group)) {
      if (v !== undefined) (resolved as unknown as Record<string, unknown>)[k] = v;
    }
    resolved.params = group.params.slice();
    this.validate(resolved, ` (group ${g})`);
    this.paramGroups.push(resolved);
  }

  /** Throws on an invalid option; `where` is appended to the message. */
  protected abstract validate(options: O, where: string): void;

  /**
   * Updates one group's parameters that have a gradient. Runs under
   * `noGrad` inside a scope: new state tensors must be `torch.keep()`-ed.
   */
  protected abstract updateGroup(group: ResolvedGroup<O>, params: Tensor[], grads: Tensor[]): void;

  /**
   * The values a capturable step of `group` reads from the device, by name,
   * computed on the host (in float64) from the group's current options:
   * `{ negLr: -group.lr, ... }`. Only called when `capturable` is true.
   */
  protected capturableValues(group: ResolvedGroup<O>): Record<string, number> {
    return { lr: group.lr, weightDecay: group.weightDecay };
  }

  /**
   * Writes every group's current learning rate and weight decay (as an
   * `OptionScheduler` left them), and the factors derived from them, into the
   * device scalars that a capturable step reads; creates them (float32, on
   * the group's device) the first time. A no-op unless `capturable`.
   * `step()` calls it; call it yourself before each replay of a captured step.
   * During a capture it only checks: a value changed since the last call
   * throws (the graph would replay the stale one).
   *
   * @example
   * sched.step();          // the schedule moves on the host
   * opt.prepareStep();     // its values reach the device
   * graph.replay();        // the captured step reads them
   */
  prepareStep(): void {
    if (!this.capturable) return;
    this.paramGroups.forEach((group, g) => {
      if (group.params.length === 0) return;
      let scalars = this.deviceScalars.get(group);
      if (scalars === undefined) {
        scalars = new torch.DeviceScalars((name) => `The device scalar ${name} of group ${g}`, NO_CAPTURE_HINT);
        this.deviceScalars.set(group, scalars);
      }
      const device = group.params[0].device;
      for (const [name, value] of Object.entries(this.capturableValues(group))) scalars.set(name, value, device);
    });
  }

  /**
   * The 0-d float32 device tensor holding `name` of `group` (see
   * `capturableValues`), as written by the last `prepareStep()`.
   */
  protected deviceScalar(group: ResolvedGroup<O>, name: string): Tensor {
    const t = this.deviceScalars.get(group)?.get(name);
    if (t === undefined) throw new Error(`No device scalar ${name} for this group: prepareStep() must run before the step`);
    return t;
  }

  /**
   * One optimisation step over every parameter that has a gradient
   * (parameters whose `grad` is undefined are skipped, as in PyTorch).
   *
   * @example
   * loss.backward(); opt.step(); opt.zeroGrad();
   */
  step(): void {
    if (this.capturable) this.prepareStep();
    torch.noGrad(() => torch.scope(() => {
      for (const group of this.paramGroups) {
        const params: Tensor[] = [];
        const grads: Tensor[] = [];
        for (const p of group.params) {
          const g = p.grad;
          if (g === undefined) continue;
          params.push(p);
          grads.push(g);
        }
        if (params.length === 0) continue;
        if (params[0].device !== 'cpu') {
          this.updateGroup(group, params, grads);
          continue;
        }
        // NOTE: on CPU a multi-tensor operator over a whole model streams all
        // of it through memory once per operator; chunks of about
        // `cpuChunkBytes` keep a chunk's parameters, gradients and state in
        // cache across the step's operators (measured on ResNet-18 with
        // AdamW and LARS: about twice as fast). On CUDA one list is best.
        const budget = Optimizer.cpuChunkBytes;
        let start = 0;
        let bytes = 0;
        for (let i = 0; i < params.length; i++) {
          bytes += params[i].numel() * 4;
          if (bytes >= budget || i === params.length - 1) {
            // A scope per chunk: its temporaries are freed before the next chunk
            // allocates, which then reuses that memory while it is still in cache
            // instead of growing the heap (fresh pages fault in on first touch).
            const [ps, gs] = [params.slice(start, i + 1), grads.slice(start, i + 1)];
            torch.scope(() => this.updateGroup(group, ps, gs));
            start = i + 1;
            bytes = 0;
          }
        }
      }
    }));
  }

  /**
   * Frees the optimiser's state (momentum buffers, moments) and work tensors
   * now rather than when the garbage collector finds them: device memory.
   * The optimiser must not step afterwards.
   * @example opt.dispose();
   */
  dispose(): void {
    for (const s of this.state.values()) {
      for (const v of Object.values(s)) if (v instanceof torch.Tensor) v.dispose();
    }
    this.state.clear();
    for (const scalars of this.deviceScalars.values()) scalars.dispose();
    this.deviceScalars.clear();
    this.disposeWork();
  }

  /** Frees subclass work tensors (scratch buffers); called by `dispose`. */
  protected disposeWork(): void {}

  /**
   * Clears gradients: by default sets them to undefined (PyTorch 2.x's
   * `set_to_none=True`), else zeroes them in place with one call per group.
   *
   * @example
   * opt.zeroGrad();                       // grads become undefined
   * opt.zeroGrad({ setToNone: false });   // grads become zeros
   */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const { setToNone } = ZERO_GRAD_OPTIONS.resolve(options, (k) => k);
    torch.scope(() => {
      for (const group of this.paramGroups) {
        if (setToNone) {
          for (const p of group.params) p.grad = undefined;
          continue;
        }
        const grads = group.params.map((p) => p.grad).filter((g): g is Tensor => g !== undefined);
        if (grads.length > 0) aten._foreach_zero_(grads);
      }
    });
  }

  /** Parameter state, created with `init` (whose tensors are kept) if absent. */
  protected stateOf(p: Tensor, init: () => ParamState): ParamState {
    let s = this.state.get(p);
    if (s === undefined) {
      checkNoCapture('The state of a parameter seen for the first time');
      s = init();
      for (const v of Object.values(s)) if (v instanceof torch.Tensor) torch.keep(v);
      this.state.set(p, s);
    }
    return s;
  }

  /**
   * The state in PyTorch's layout (see `OptimizerStateDict`). Tensors are the
   * optimiser's own (not copies): save them before the next step.
   *
   * @example
   * const { json, tensors } = opt.stateDict();
   * torch.saveSafetensors('opt.safetensors', tensors, { optimizer: JSON.stringify(json) });
   */
  stateDict(): OptimizerStateDict {
    const state: Record<string, Record<string, number>> = {};
    const tensors = new Map<string, Tensor>();
    const paramGroups: Record<string, StateValue>[] = [];
    let index = 0;
    for (const group of this.paramGroups) {
      const ids: number[] = [];
      for (const p of group.params) {
        const s = this.state.get(p);
        if (s !== undefined) {
          const numbers: Record<string, number> = {};
          for (const [k, v] of Object.entries(s)) {
            if (v instanceof torch.Tensor) tensors.set(`state.${index}.${k}`, v);
            else numbers[k] = v;
          }
          state[String(index)] = numbers;
        }
        ids.push(index++);
      }
      const options: Record<string, StateValue> = {};
      for (const [k, v] of Object.entries(group)) {
        if (k === 'params') continue;
        if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') options[k] = v;
        else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) options[k] = v as number[];
      }
      options.params = ids;
      paramGroups.push(options);
    }
    return { json: { state, paramGroups }, tensors };
  }

  /**
   * Restores options and state saved by `stateDict()` into an optimiser built
   * over the same parameters (same groups, same sizes). State tensors are
   * copied to each parameter's device; floating state takes the parameter's
   * dtype, as PyTorch does.
   *
   * @example
   * opt.loadStateDict({ json, tensors: torch.loadSafetensors('opt.safetensors') });
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const groups = sd.json.paramGroups;
    if (groups.length !== this.paramGroups.length) {
      throw new RangeError(`Expected ${this.paramGroups.length} parameter groups in the state dict but received ${groups.length}`);
    }
    groups.forEach((saved, g) => {
      const ids = saved.params;
      const n = this.paramGroups[g].params.length;
      if (!Array.isArray(ids) || ids.length !== n) {
        throw new RangeError(`Expected ${n} parameters in group ${g} of the state dict but received ` +
          `${Array.isArray(ids) ? ids.length : String(ids)}`);
      }
    });
    const fresh = new Map<Tensor, ParamState>();
    torch.noGrad(() => {
      groups.forEach((saved, g) => {
        const group = this.paramGroups[g];
        const ids = saved.params as number[];
        group.params.forEach((p, i) => {
          const id = String(ids[i]);
          const s: ParamState = { ...(sd.json.state[id] ?? {}) };
          const prefix = `state.${id}.`;
          for (const [key, t] of sd.tensors) {
            if (!key.startsWith(prefix)) continue;
            const name = key.slice(prefix.length);
            // NOTE: as PyTorch, `step` keeps its dtype (float32 even for fp16 parameters).
            const floating = t.dtype === 'float16' || t.dtype === 'bfloat16' || t.dtype === 'float32' || t.dtype === 'float64';
            const dtype = floating && name !== 'step' ? p.dtype : t.dtype;
            s[name] = torch.keep(t.to({ device: p.device, dtype, copy: true }));
          }
          if (Object.keys(s).length > 0) fresh.set(p, s);
        });
        for (const [k, v] of Object.entries(saved)) {
          if (k !== 'params' && v !== null) (group as unknown as Record<string, unknown>)[k] = v;
        }
      });
    });
    // Old state tensors are freed now (device memory), unless the caller's
    // state dict still holds them (loading a dict taken from this optimiser).
    const given = new Set(sd.tensors.values());
    for (const s of this.state.values()) {
      for (const v of Object.values(s)) if (v instanceof torch.Tensor && !given.has(v)) v.dispose();
    }
    this.state.clear();
    for (const [p, s] of fresh) this.state.set(p, s);
  }
}
