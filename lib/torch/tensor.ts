// The Tensor class: a handle to a libtorch tensor, its metadata, data out,
// autograd state and lifetime. Operator methods are added by the files in
// methods/, which extend this class.
import { native, Handle } from './native';
import { AnyTypedArray, carrierDtype, Device, DType, NestedArray, typedArrayOver } from './dtype';

export { NestedArray };
import { track } from './scope';
import { formatTensor } from './format';
import { hostRead } from './capture-state';

// The safety net for tensors that no scope owns and nobody disposed: V8 tells
// us when their Tensor object is gone. Registering costs about as much as a
// small operator, so it is deferred: unscoped tensors wait in `unwatched`
// and only those still alive when the event loop turns (or when 1,024 have
// queued) are registered. A tensor made and disposed in between, as a loop
// of top-level operations does, never pays. Tensors inside scopes skip all
// of this: the scope frees them. A tensor's CPU bytes are told to V8 when it
// is registered (native watchBytes), so that V8 sees the memory only it can
// free; bytes that a scope or dispose() frees are never told, since V8 would
// only collect garbage for them in vain (native/handle.cc).
const forgotten = new FinalizationRegistry<Handle>((h) => native.dispose(h));
let unwatched: Tensor[] = [];
let flushScheduled = false;

function watchPending(): void {
  const pending = unwatched;
  unwatched = [];
  flushScheduled = false;
  const handles = new Float64Array(pending.length);
  let count = 0;
  for (const t of pending) {
    if (!t._disposed) {
      t._watched = true;
      forgotten.register(t, t._h, t);
      handles[count++] = t._h as unknown as number;
    }
  }
  if (count > 0) native.watchBytes?.(handles, count);
}


/**
 * A multi-dimensional array on a device, as `torch.Tensor`.
 *
 * Free it with `dispose()`, `using`, or by creating it inside `torch.scope`.
 *
 * @example
 * const x = torch.tensor([[1, 2], [3, 4]]);
 * x.shape;           // [2, 2]
 * x.add(1).toArray(); // [[2, 3], [4, 5]]
 */
export class Tensor {
  /** @internal The native handle. */
  _h: Handle;
  /** @internal Set by keep(): no scope frees this tensor. */
  _kept = false;
  /** @internal Registered with the GC safety net. */
  _watched = false;
  /** @internal Queued for registration with the GC safety net. */
  _queued = false;
  /** @internal Set by dispose(). */
  _disposed = false;
  /** @internal The Tensor `grad` last returned, valid while `_gradAt` equals the backward generation. */
  _grad: Tensor | undefined = undefined;
  /** @internal The backward generation `_grad` was read in (-1: none). */
  _gradAt = -1;

  /** @internal Tensors are made by torch functions, not by `new`. */
  constructor(handle: Handle) {
    this._h = handle;
    if (!track(this)) this._unscoped();
  }

  /** @internal No scope owns this tensor: free it when V8 collects it, unless disposed first. */
  _unscoped(): void {
    if (this._queued) return; // set before _watched and never cleared
    this._queued = true;
    unwatched.push(this);
    if (unwatched.length >= 1024) watchPending();
    else if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(watchPending).unref();
    }
  }

  /** Size of each dimension, as `tensor.shape`. */
  get shape(): readonly number[] {
    return native.shape(this._h);
  }

  /** Element type, as `tensor.dtype` ('float32', ...). */
  get dtype(): DType {
    return native.dtype(this._h) as DType;
  }

  /** Device the data lives on ('cpu', 'cuda:0'). */
  get device(): Device {
    return native.device(this._h) as Device;
  }

  /** Whether autograd records operations on this tensor. */
  get requiresGrad(): boolean {
    return native.requiresGrad(this._h);
  }
  set requiresGrad(value: boolean) {
    native.setRequiresGrad(this._h, value);
  }

  /**
   * The gradient accumulated by `backward()`, or undefined. Assign undefined
   * to clear it. As in PyTorch, `.grad` is one object: reads return the same
   * Tensor until a backward pass or an assignment may have replaced it.
   * @example loss.backward(); p.grad === p.grad // true
   */
  get grad(): Tensor | undefined {
    // NOTE: a backward pass may replace a gradient (the first accumulation
    // creates it), invisibly to JS, so every backward starts a new
    // generation; in-place changes (zero_, clipping, the optimizers) keep the
    // same tensor, so the cached handle stays right. A cached handle freed
    // by its scope (or by the caller) is read afresh.
    const cached = this._grad;
    if (cached !== undefined && this._gradAt === gradGeneration && !cached.isDisposed) return cached;
    const g = native.getGrad(this._h);
    this._grad = g === undefined ? undefined : new Tensor(g);
    this._gradAt = gradGeneration;
    return this._grad;
  }
  set grad(value: Tensor | undefined) {
    native.setGrad(this._h, value === undefined ? undefined : value._h);
    this._grad = value;
    this._gradAt = gradGeneration;
  }

  /** True for tensors created by the user rather than by a recorded operation. */
  get isLeaf(): boolean {
    return native.isLeaf(this._h);
  }

  /** Name of the autograd node that produced this tensor ('MulBackward0'), or null. */
  get gradFn(): string | null {
    return native.gradFnName(this._h);
  }

  /** True once `dispose()` has freed this tensor. */
  get isDisposed(): boolean {
    return native.isDisposed(this._h);
  }

  /** Number of elements. */
  numel(): number {
    return native.numel(this._h);
  }

  /** Number of dimensions. */
  dim(): number {
    return native.dim(this._h);
  }

  /** Size of dimension `dim` (negative counts from the end), or the shape. */
  size(): readonly number[];
  size(dim: number): number;
  size(dim?: number): number | readonly number[] {
    const shape = this.shape;
    if (dim === undefined) return shape;
    const d = dim < 0 ? dim + shape.length : dim;
    if (!Number.isInteger(d) || d < 0 || d >= shape.length) {
      throw new RangeError(`Dimension out of range (expected to be in range of [${-shape.length}, ${shape.length - 1}], but got ${dim})`);
    }
    return shape[d];
  }

  /** Strides of each dimension, in elements. */
  stride(): number[] {
    return native.strides(this._h);
  }

  /** Whether the elements are laid out densely in row-major order. */
  isContiguous(): boolean {
    return native.isContiguous(this._h);
  }

  /** Sets `requiresGrad` in place (leaf tensors only) and returns this. */
  requiresGrad_(value = true): this {
    native.setRequiresGrad(this._h, value);
    return this;
  }

  /**
   * A detached alias of this tensor (shares storage, no autograd history), as
   * PyTorch's `tensor.data`. Assigning replaces this tensor's storage, dtype and
   * device while keeping the JS object and its autograd flags (what
   * `Module.to()` does to parameters).
   * @example p.data = p.data.to({ device: 'cuda' });
   */
  get data(): Tensor {
    return new Tensor(callOp('detach', '', this._h) as Handle);
  }

  set data(value: Tensor) {
    native.setData(this._h, value._h);
  }

  /** Keeps `.grad` on this non-leaf tensor after backward. */
  retainGrad(): this {
    native.retainGrad(this._h);
    return this;
  }

  /**
   * Computes gradients of this tensor with respect to the graph's leaves and
   * accumulates them in their `.grad`, as `tensor.backward()`.
   *
   * @example
   * const w = torch.randn([3]).requiresGrad_();
   * w.mul(w).sum().backward();  // w.grad = 2w
   */
  backward(gradient?: Tensor, options: { retainGraph?: boolean; createGraph?: boolean; inputs?: Tensor[] } = {}): void {
    gradientsMayChange();
    // NOTE: createGraph's default (false) and retainGraph's (createGraph) are
    // the addon's, as libtorch's: an absent option reaches it as undefined.
    native.backward(
      [this._h],
      gradient === undefined ? undefined : [gradient._h],
      options.retainGraph,
      options.createGraph,
      options.inputs?.map((t) => t._h),
    );
  }

  /** Frees the tensor's memory now. Later use throws. Safe to call twice. */
  dispose(): void {
    this._disposed = true;
    if (this._watched) {
      this._watched = false;
      forgotten.unregister(this);
    }
    native.dispose(this._h);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * A copy of the data in a TypedArray: Float32Array for float32, float16
   * and bfloat16; Float64Array; BigInt64Array for int64; Int32Array, Int16Array,
   * Int8Array; Uint8Array for uint8 and bool. Blocks until the data is on the host.
   */
  toTypedArray(): AnyTypedArray {
    return hostRead('toTypedArray()', () => {
      const dtype = this.dtype;
      const h = carrier(this._h, dtype);
      try {
        return typedArrayOver(dtype, native.toBuffer(h));
      } finally {
        if (h !== this._h) native.dispose(h);
      }
    });
  }

  /**
   * A TypedArray over this CPU tensor's own memory, without a copy, as
   * `tensor.numpy()`: writes through it change the tensor and the other way
   * round, and it keeps the memory alive after `dispose()`. Needs a
   * contiguous CPU tensor of a dtype that has a TypedArray (not float16,
   * bfloat16 or bool: use `toTypedArray()` for a copy).
   *
   * @example
   * const x = torch.zeros([3]);
   * x.asTypedArray()[1] = 5;   // x is now [0, 5, 0]
   */
  asTypedArray(): AnyTypedArray {
    return hostRead('asTypedArray()', () => {
      const dtype = this.dtype;
      if (dtype === 'float16' || dtype === 'bfloat16' || dtype === 'bool') {
        throw new TypeError(`asTypedArray() needs a dtype with its own TypedArray, not ${dtype}; toTypedArray() returns a copy`);
      }
      return typedArrayOver(dtype, native.viewBuffer(this._h));
    });
  }

  /** Like `toTypedArray`, but copies on a worker thread so the event loop keeps running. */
  async toTypedArrayAsync(): Promise<AnyTypedArray> {
    // The copy runs on a worker thread: the read counts where it is asked for (the observer sees an empty range).
    hostRead('toTypedArrayAsync()', () => undefined);
    const dtype = this.dtype;
    const h = carrier(this._h, dtype);
    try {
      return typedArrayOver(dtype, await native.toBufferAsync(h));
    } finally {
      if (h !== this._h) native.dispose(h);
    }
  }

  /** The data as nested arrays of numbers (booleans for bool), as `tensor.tolist()`. */
  toArray(): NestedArray {
    return nest(this.toTypedArray(), this.shape, this.dtype === 'bool');
  }

  /** Like `toArray`, without blocking the event loop. */
  async toArrayAsync(): Promise<NestedArray> {
    const shape = this.shape;
    const isBool = this.dtype === 'bool';
    return nest(await this.toTypedArrayAsync(), shape, isBool);
  }

  /** The value of a one-element tensor, as `tensor.item()`. */
  item(): number | boolean {
    const n = this.numel();
    if (n !== 1) throw new RangeError(`item() needs a tensor with one element but this one has ${n}`);
    return hostRead('item()', () => callOp('item', '', this._h) as number | boolean);
  }

  toString(): string {
    if (this.isDisposed) return 'tensor(<disposed>)';
    const shape = this.shape;
    const dtype = this.dtype;
    const device = this.device;
    const extras: string[] = [];
    if (device !== 'cpu') extras.push(`device='${device}'`);
    if (dtype !== 'float32' && dtype !== 'int64' && dtype !== 'bool') extras.push(`dtype=${dtype}`);
    if (this.requiresGrad) extras.push('requires_grad=True');
    return formatTensor(this.numel() <= 1000 ? this.toArray() : [], shape, dtype, extras);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

// NOTE: the three operators this file needs (detach, item, to.dtype) are
// called through the native layer here rather than through op.ts, because
// op.ts builds Tensors and so imports this file: going through it would make
// an import cycle in lib/torch. None of the three is a host-sync operator
// (capture-state.ts), so op.ts's capture check has nothing to add for them.
// The backward generation: `Tensor.grad` caches are valid within one.
let gradGeneration = 0;

/** @internal Called before every backward pass: gradients read before may have been replaced. */
export function gradientsMayChange(): void {
  gradGeneration++;
}

const opHandles = new Map<string, Handle>();

/** Calls ATen operator `name.overload`, its handle looked up once per process. */
function callOp(name: string, overload: string, ...args: unknown[]): unknown {
  const key = `${name}.${overload}`;
  let handle = opHandles.get(key);
  if (handle === undefined) {
    handle = native.lookupOp(name, overload);
    opHandles.set(key, handle);
  }
  return native.call(handle, ...args);
}

/** The handle of `h` in the dtype its data travels to JS in (float16 as float32, bool as uint8). */
function carrier(h: Handle, dtype: DType): Handle {
  const target = carrierDtype(dtype);
  if (target === dtype) return h;
  return callOp('to', 'dtype', h, target) as Handle;
}

function nest(flat: AnyTypedArray, shape: readonly number[], isBool: boolean): NestedArray {
  const at = (i: number): number | boolean => {
    const v = flat[i];
    const num = typeof v === 'bigint' ? Number(v) : v;
    return isBool ? num !== 0 : num;
  };
  if (shape.length === 0) return at(0);
  let offset = 0;
  const build = (d: number): NestedArray[] => {
    const out: NestedArray[] = new Array(shape[d]);
    for (let i = 0; i < shape[d]; i++) out[i] = d === shape.length - 1 ? at(offset++) : build(d + 1);
    return out;
  };
  return build(0);
}

/** Anything that can stand for a tensor argument: a Tensor or a number. */
export type TensorOrScalar = Tensor | number;
