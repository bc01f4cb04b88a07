// Containers: Sequential (a chain), ModuleList (an indexed list) and Identity
// (the placeholder for an optional part, so that forward has no branches).
import { Tensor } from '../../torch';
import { Module } from '../module';
import { scope } from '../../torch/scope';

/** A module that maps one tensor to one tensor, as every layer of this package does. */
export interface TensorModule extends Module {
  forward(x: Tensor): Tensor;
}

/**
 * Returns its input, as `torch.nn.Identity`. timm and torchvision put it in
 * place of optional parts (`head`, `norm`, `downsample`) so forward is unconditional.
 * @example const head = numClasses > 0 ? new nn.Linear(384, numClasses) : new nn.Identity();
 */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

function checkModule(value: unknown, what: string): Module {
  if (value instanceof Module) return value;
  throw new TypeError(`Expected a Module for ${what} but received ${String(value)}`);
}

/**
 * An indexed list of submodules with keys '0', '1', ..., as
 * `torch.nn.ModuleList` (ViT's `blocks.3.attn...`). It has no forward: loop over it.
 *
 * @example
 * const blocks = new nn.ModuleList(Array.from({ length: 12 }, () => new Block(384)));
 * for (const block of blocks) x = block.forward(x);
 */
export class ModuleList<M extends Module = Module> extends Module {
  protected readonly items: M[] = [];

  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Adds a module at the end (key: the next index) and returns this container. */
  append(module: M): this {
    this.items.push(checkModule(module, `${this.typeName} item ${this.items.length}`) as M);
    this.registerModule(String(this.items.length - 1), module);
    return this;
  }

  /** Appends every module of `modules` and returns this list. */
  extend(modules: Iterable<M>): this {
    for (const m of modules) this.append(m);
    return this;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): M {
    const i = index < 0 ? this.items.length + index : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.items.length) {
      throw new RangeError(`Expected an index in [${-this.items.length}, ${this.items.length - 1}] for index but received ${index}`);
    }
    return this.items[i];
  }

  /** The number of modules. */
  get length(): number {
    return this.items.length;
  }

  [Symbol.iterator](): IterableIterator<M> {
    return this.items[Symbol.iterator]();
  }
}

/**
 * Modules applied one after another, as `torch.nn.Sequential`; their keys are
 * prefixed '0.', '1.', ... (so `downsample.0.weight` as in torchvision).
 *
 * @example
 * const mlp = new nn.Sequential(new nn.Linear(512, 2048), new nn.ReLU(), new nn.Linear(2048, 128));
 * mlp.forward(torch.randn([8, 512])); // (8, 128)
 */
export class Sequential<M extends TensorModule = TensorModule> extends ModuleList<M> {
  constructor(...modules: NoInfer<M>[]) {
    super(modules);
  }

  forward(x: Tensor): Tensor {
    // Inside a scope: the intermediates' handles go when the forward returns (autograd keeps what backward needs), as
    // Python frees a function's locals, so their memory is reused sooner (docs/bench.md, "Session 15 ...:
    // intermediates freed at the forward's end").
    return scope(() => {
      let y = x;
      for (const m of this.items) y = m.forward(y);
      return y;
    });
  }
}
