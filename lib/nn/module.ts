// Module: the base of every layer and model, as torch.nn.Module.
import { Tensor, DType, Device, MemoryFormat, noGrad, keep } from '../torch';
import { sameShape } from '../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../torch/option-table';

// The defaults of the methods' options, as PyTorch 2's.
const LOAD_STATE_DICT_OPTIONS = defineOptions({ strict: option(true, is.boolean) });
const ZERO_GRAD_OPTIONS = defineOptions({ setToNone: option(true, is.boolean) });
const BUFFER_OPTIONS = defineOptions({ persistent: option(true, is.boolean) });
const NUM_PARAMETERS_OPTIONS = defineOptions({ trainableOnly: option(false, is.boolean) });

/** A state dict: PyTorch key names to tensors, in registration order. */
export type StateDict = Map<string, Tensor>;

/** What `loadStateDict` found, as PyTorch's `_IncompatibleKeys`. */
export interface LoadResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Where and how `Module.to` moves parameters and buffers. */
export interface ModuleToOptions {
  device?: Device;
  /** Floating-point parameters and buffers are cast; integer buffers keep their dtype. */
  dtype?: DType;
  /** `'channels_last'` for 4-d weights (convolutions), as `module.to(memory_format=...)`. */
  memoryFormat?: MemoryFormat;
}

const FLOATING = new Set<DType>(['float16', 'bfloat16', 'float32', 'float64']);

/**
 * Base class of layers and models. Parameters, buffers and submodules are
 * registered under their PyTorch key names, so `stateDict()` keys equal
 * PyTorch's and checkpoints move between the two.
 *
 * Subclasses register in field initialisers or the constructor and define
 * `forward`:
 * @example
 * class Affine extends nn.Module {
 *   readonly weight = this.registerParameter('weight', torch.ones([4]));
 *   forward(x: Tensor): Tensor { return x.mul(this.weight); }
 * }
 */
export class Module {
  /** Training mode: dropout active, batch norm updates running statistics. */
  training = true;
  private readonly _parameters = new Map<string, Tensor | null>();
  private readonly _buffers = new Map<string, Tensor | null>();
  private readonly _nonPersistent = new Set<string>();
  private readonly _modules = new Map<string, Module | null>();

  /** The class name shown by `toString()` (PyTorch's class name by default). */
  get typeName(): string {
    return this.constructor.name;
  }

  /**
   * Registers `value` as a parameter named `name` (it is made to require
   * gradients) and returns it. `null` registers an absent optional parameter
   * (as `bias=False`).
   */
  registerParameter<T extends Tensor | null>(name: string, value: T): T {
    checkName(name, this._parameters, this);
    if (value !== null) {
      keep(value);
      if (!value.requiresGrad) value.requiresGrad_(true);
    }
    this._parameters.set(name, value);
    return value;
  }

  /**
   * Registers a buffer (state that is not trained, such as batch norm's running
   * mean) and returns it. Non-persistent buffers are left out of `stateDict()`.
   */
  registerBuffer<T extends Tensor | null>(name: string, value: T, options: { persistent?: boolean } = {}): T {
    checkName(name, this._buffers, this);
    const { persistent } = BUFFER_OPTIONS.resolve(options, optionsKey);
    if (value !== null) keep(value);
    this._buffers.set(name, value);
    if (!persistent) this._nonPersistent.add(name);
    return value;
  }

  /**
   * Removes a registered parameter and returns its tensor (not disposed), as
   * `del module._parameters[name]`. Reparametrisations such as `weightNorm`
   * use it to replace a parameter by others.
   * @example
   * const old = fc.unregisterParameter('weight');  // 'weight' leaves parameters() and stateDict()
   */
  unregisterParameter(name: string): Tensor | null {
    if (!this._parameters.has(name)) throw new Error(`${this.typeName} has no parameter named '${name}'`);
    const t = this._parameters.get(name) ?? null;
    this._parameters.delete(name);
    return t;
  }

  /** Registers a submodule under `name` (its keys get the prefix `name.`) and returns it. */
  registerModule<M extends Module | null>(name: string, module: M): M {
    checkName(name, this._modules, this);
    this._modules.set(name, module);
    return module;
  }

  /** Direct children with their names. */
  *namedChildren(): IterableIterator<[string, Module]> {
    for (const [name, m] of this._modules) if (m) yield [name, m];
  }

  /** Direct children. */
  *children(): IterableIterator<Module> {
    for (const [, m] of this.namedChildren()) yield m;
  }

  /** This module and all submodules, depth first, with dotted names ('' is this module). */
  *namedModules(prefix = ''): IterableIterator<[string, Module]> {
    const seen = new Set<Module>();
    function* walk(m: Module, p: string): IterableIterator<[string, Module]> {
      if (seen.has(m)) return;
      seen.add(m);
      yield [p, m];
      for (const [name, child] of m.namedChildren()) yield* walk(child, p ? `${p}.${name}` : name);
    }
    yield* walk(this, prefix);
  }

  /** This module and all submodules. */
  *modules(): IterableIterator<Module> {
    for (const [, m] of this.namedModules()) yield m;
  }

  /** Parameters with their state-dict names; a tensor shared by two modules is listed once. */
  *namedParameters(options: { prefix?: string; recurse?: boolean } = {}): IterableIterator<[string, Tensor]> {
    yield* this.namedMembers((m) => m._parameters, options);
  }

  /** Parameters, as `module.parameters()`. */
  parameters(options: { recurse?: boolean } = {}): Tensor[] {
    return [...this.namedParameters(options)].map(([, p]) => p);
  }

  /** Buffers with their state-dict names. */
  *namedBuffers(options: { prefix?: string; recurse?: boolean } = {}): IterableIterator<[string, Tensor]> {
    yield* this.namedMembers((m) => m._buffers, options);
  }

  /** Buffers, as `module.buffers()`. */
  buffers(options: { recurse?: boolean } = {}): Tensor[] {
    return [...this.namedBuffers(options)].map(([, b]) => b);
  }

  private *namedMembers(
    members: (m: Module) => Map<string, Tensor | null>,
    { prefix = '', recurse = true }: { prefix?: string; recurse?: boolean },
  ): IterableIterator<[string, Tensor]> {
    const seen = new Set<Tensor>();
    const mods: Iterable<[string, Module]> = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [p, m] of mods) {
      for (const [name, t] of members(m)) {
        if (t === null || seen.has(t)) continue;
        seen.add(t);
        yield [p ? `${p}.${name}` : name, t];
      }
    }
  }

  /** The number of parameter elements (all, or only those that require gradients). */
  numParameters(options: { trainableOnly?: boolean } = {}): number {
    const { trainableOnly } = NUM_PARAMETERS_OPTIONS.resolve(options, optionsKey);
    let n = 0;
    for (const p of this.parameters()) if (!trainableOnly || p.requiresGrad) n += p.numel();
    return n;
  }

  /**
   * Parameters and persistent buffers by PyTorch key name. The tensors are the
   * module's own (not copies): save them, do not dispose them.
   */
  stateDict(): StateDict {
    const sd: StateDict = new Map();
    for (const [p, m] of this.namedModules()) {
      const key = (name: string): string => (p ? `${p}.${name}` : name);
      for (const [name, t] of m._parameters) if (t) sd.set(key(name), t);
      for (const [name, t] of m._buffers) if (t && !m._nonPersistent.has(name)) sd.set(key(name), t);
    }
    return sd;
  }

  /**
   * Copies values from `stateDict` into this module's parameters and buffers
   * (converting dtype and device as needed), as `load_state_dict`. Shape
   * mismatches always throw, listing every mismatched key; with `strict`
   * (the default) missing or unexpected keys throw too, otherwise they are
   * returned.
   */
  loadStateDict(stateDict: StateDict | Record<string, Tensor>, options: { strict?: boolean } = {}): LoadResult {
    const { strict } = LOAD_STATE_DICT_OPTIONS.resolve(options, optionsKey);
    const source = stateDict instanceof Map ? stateDict : new Map(Object.entries(stateDict));
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !source.has(k));
    const unexpectedKeys = [...source.keys()].filter((k) => !own.has(k));
    const mismatched: string[] = [];
    for (const [k, t] of own) {
      const s = source.get(k);
      if (s && !sameShape(s.shape, t.shape))
        mismatched.push(`${k}: checkpoint [${s.shape.join(', ')}], model [${t.shape.join(', ')}]`);
    }
    const problems: string[] = [];
    if (mismatched.length) problems.push(`size mismatch for ${mismatched.length} key(s):\n  ${mismatched.join('\n  ')}`);
    if (strict && missingKeys.length) problems.push(`missing keys: ${missingKeys.join(', ')}`);
    if (strict && unexpectedKeys.length) problems.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
    if (problems.length) throw new Error(`Error loading state dict into ${this.typeName}: ${problems.join('; ')}`);
    noGrad(() => {
      for (const [k, t] of own) {
        const s = source.get(k);
        if (s) t.copy_(s);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode here and in every submodule, as `module.train(mode)`. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Sets evaluation mode, as `module.eval()`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Moves and/or casts parameters and buffers in place, as `module.to(...)`:
   * the parameter objects stay the same (an optimizer built before still sees
   * them). Only floating-point tensors change dtype. Gradients are dropped.
   * @example model.to('cuda'); model.to({ dtype: 'bfloat16' });
   */
  to(target: Device | ModuleToOptions): this {
    const opts: ModuleToOptions = typeof target === 'string' ? { device: target } : target;
    noGrad(() => {
      for (const t of [...this.parameters(), ...this.buffers()]) {
        const moved = convert(t, opts);
        if (moved === t) continue;
        const g = t.grad;
        if (g) {
          t.grad = undefined;
          g.dispose();
        }
        t.data = moved;
        moved.dispose();
      }
    });
    return this;
  }

  /** The current tensor of a registered buffer. */
  getBuffer(name: string): Tensor | null {
    const b = this._buffers.get(name);
    if (b === undefined) throw new Error(`${this.typeName} has no buffer named '${name}'`);
    return b;
  }

  /** Calls `fn` on every submodule and then this one (children first), as `module.apply(fn)`. */
  apply(fn: (m: Module) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Sets `requiresGrad` on every parameter (freezing with `false`), as `module.requires_grad_()`. */
  requiresGrad_(value = true): this {
    for (const p of this.parameters()) p.requiresGrad_(value);
    return this;
  }

  /** Clears gradients: sets them to undefined (the default, as PyTorch 2) or zeroes them in place. */
  zeroGrad(options: { setToNone?: boolean } = {}): void {
    const { setToNone } = ZERO_GRAD_OPTIONS.resolve(options, optionsKey);
    for (const p of this.parameters()) {
      const g = p.grad;
      if (!g) continue;
      if (setToNone) {
        p.grad = undefined;
        g.dispose();
      } else {
        g.zero_();
      }
    }
  }

  /**
   * Frees every parameter and buffer now (the module is unusable afterwards).
   * Children are disposed through their own `dispose`, so what a subclass
   * keeps besides its parameters (a weight-normed layer's computed weight, a
   * method's device scalars) is freed too.
   */
  dispose(): void {
    for (const [, child] of this.namedChildren()) child.dispose();
    for (const t of [...this.parameters({ recurse: false }), ...this.buffers({ recurse: false })]) {
      if (t.isDisposed) continue; // shared with a child, already freed
      t.grad?.dispose();
      t.dispose();
    }
  }

  /** Extra text shown between the parentheses by `toString()`, as PyTorch's `extra_repr`. */
  extraRepr(): string {
    return '';
  }

  /** A tree like PyTorch's module printout. */
  toString(): string {
    const children = [...this.namedChildren()];
    const extra = this.extraRepr();
    if (!children.length) return `${this.typeName}(${extra})`;
    const lines = children.map(([n, m]) => `  (${n}): ${m.toString().replace(/\n/g, '\n  ')}`);
    if (extra) lines.unshift(`  ${extra}`);
    return `${this.typeName}(\n${lines.join('\n')}\n)`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

function checkName(name: string, map: Map<string, unknown>, owner: Module): void {
  if (!name || name.includes('.'))
    throw new Error(`Expected a non-empty name without '.' in ${owner.typeName} but received '${name}'`);
  if (map.has(name)) throw new Error(`${owner.typeName} already has a member named '${name}'`);
}

function convert(t: Tensor, opts: ModuleToOptions): Tensor {
  const dtype = opts.dtype && FLOATING.has(t.dtype) ? opts.dtype : undefined;
  const memoryFormat = opts.memoryFormat && t.dim() === 4 ? opts.memoryFormat : undefined;
  const device = opts.device && opts.device !== t.device ? opts.device : undefined;
  if (!dtype && !memoryFormat && !device) return t;
  if (dtype === t.dtype && !memoryFormat && !device) return t;
  return t.to({ device, dtype, memoryFormat });
}
