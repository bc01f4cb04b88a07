// The fast path from a TypeScript method to one ATen operator overload:
// a lazily resolved handle, argument unwrapping and result wrapping.
import { native, Handle } from './native';
import { Tensor } from './tensor';
import { checkSyncOp, isHostSyncOp } from './capture-state';

/**
 * One operator overload, resolved on first use so that an operator missing
 * from this libtorch fails where it is called, naming the operator.
 */
export class Op {
  private resolved: Handle | undefined;
  // Operators with a data-dependent output are refused during a CUDA graph capture (capture-state.ts).
  private readonly syncs: boolean;
  constructor(readonly name: string, readonly overload = '') {
    this.syncs = isHostSyncOp(name);
  }

  get handle(): Handle {
    return (this.resolved ??= native.lookupOp(this.name, this.overload));
  }

  /** Calls the operator with already unwrapped arguments; returns the raw result. */
  raw(...args: unknown[]): unknown {
    if (this.syncs) checkSyncOp(this.name);
    return native.call(this.handle, ...args);
  }

  /** Calls an operator that returns one Tensor. */
  tensor(...args: unknown[]): Tensor {
    if (this.syncs) checkSyncOp(this.name);
    return new Tensor(native.call(this.handle, ...args) as Handle);
  }

  /** Calls an operator that returns a list or tuple of Tensors. */
  tensors(...args: unknown[]): Tensor[] {
    if (this.syncs) checkSyncOp(this.name);
    return (native.call(this.handle, ...args) as Handle[]).map(wrap);
  }
}

/** `new Op(name, overload)`. */
export function op(name: string, overload = ''): Op {
  return new Op(name, overload);
}

/** A native result as a Tensor (an in-place result is already the caller's Tensor). */
export function wrap(result: unknown): Tensor {
  return result instanceof Tensor ? result : new Tensor(result as Handle);
}

/** The handle of a Tensor argument; other values pass through for the native side to check and report. */
export function h(value: unknown): unknown {
  return value instanceof Tensor ? value._h : value;
}

/** Handles of a Tensor list argument. */
export function hs(values: readonly unknown[]): unknown {
  return Array.isArray(values) ? values.map(h) : values;
}
