// Creating tensors: from JS data, filled, ranges, random.
import { native, Handle } from './native';
import { AnyTypedArray, carrierDtype, checkDevice, checkDtype, Device, DType, typedArrayDtype } from './dtype';
import { Tensor } from './tensor';
import { Op, op } from './op';
import { Generator } from './random';

/** Options shared by creation functions, as PyTorch's keyword arguments. */
export interface CreationOptions {
  /** Element type; float32 unless stated otherwise. */
  dtype?: DType;
  /** 'cpu' (default), 'cuda' or 'cuda:N'. */
  device?: Device;
  /** Make a leaf tensor that records gradients. */
  requiresGrad?: boolean;
}

export interface RandomOptions extends CreationOptions {
  /** Draw from this generator instead of the global one. */
  generator?: Generator;
}

/** Nested arrays of numbers, booleans or bigints. */
export type NestedInput = number | boolean | bigint | readonly NestedInput[];

const ops = {
  zeros: op('zeros'), ones: op('ones'), empty: op('empty', 'memory_format'), full: op('full'),
  arange: op('arange', 'start_step'), linspace: op('linspace'), eye: op('eye', 'm'),
  rand: op('rand'), randG: op('rand', 'generator'), randn: op('randn'), randnG: op('randn', 'generator'),
  randint: op('randint', 'low'), randintG: op('randint', 'low_generator'),
  randperm: op('randperm'), randpermG: op('randperm', 'generator'),
  toDtype: op('to', 'dtype'), toDevice: op('to', 'device'),
  zerosLike: op('zeros_like'), onesLike: op('ones_like'), emptyLike: op('empty_like'), fullLike: op('full_like'),
  randLike: op('rand_like'), randnLike: op('randn_like'), randintLike: op('randint_like', 'low_dtype'),
};

function checkShape(shape: readonly number[], what = 'shape'): readonly number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(`Expected an array of non-negative integers for ${what} but received ${JSON.stringify(shape)}`);
  }
  return shape;
}

function dtypeOf(options: CreationOptions, fallback: DType = 'float32'): DType {
  return options.dtype === undefined ? fallback : checkDtype(options.dtype, 'options.dtype');
}

function deviceOf(options: CreationOptions): Device | undefined {
  return options.device === undefined ? undefined : checkDevice(options.device, 'options.device');
}

/** Applies requiresGrad from the options to a freshly made tensor. */
function finish(t: Tensor, options: CreationOptions): Tensor {
  if (options.requiresGrad) t.requiresGrad_(true);
  return t;
}

function flatten(data: NestedInput, shape: number[], out: (number | boolean | bigint)[], depth: number): void {
  if (Array.isArray(data)) {
    if (depth === shape.length) shape.push(data.length);
    else if (shape[depth] !== data.length) {
      throw new TypeError(`Expected a rectangular nested array: found length ${data.length} at depth ${depth} where ` +
        `${shape[depth]} was expected`);
    }
    for (const d of data) flatten(d, shape, out, depth + 1);
    return;
  }
  if (depth !== shape.length) throw new TypeError(`Expected a rectangular nested array: found a scalar at depth ${depth}`);
  if (typeof data !== 'number' && typeof data !== 'boolean' && typeof data !== 'bigint') {
    throw new TypeError(`Expected numbers, booleans or bigints in tensor data but received ${typeof data}`);
  }
  out.push(data);
}

function fill(values: (number | boolean | bigint)[], dtype: DType): AnyTypedArray {
  const carrier = carrierDtype(dtype);
  const n = values.length;
  if (carrier === 'int64') {
    const a = new BigInt64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      a[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v)));
    }
    return a;
  }
  const nums = values.map((v) => Number(v));
  switch (carrier) {
    case 'float32': return Float32Array.from(nums);
    case 'float64': return Float64Array.from(nums);
    case 'int32': return Int32Array.from(nums, Math.trunc);
    case 'int16': return Int16Array.from(nums, Math.trunc);
    case 'int8': return Int8Array.from(nums, Math.trunc);
    default: return Uint8Array.from(nums, dtype === 'bool' ? (v) => (v !== 0 ? 1 : 0) : Math.trunc);
  }
}

/** A tensor of `dtype` on `device` from carrier data: a CPU tensor over the data, converted and moved at most once. */
function fromCarrier(data: AnyTypedArray, shape: readonly number[], dtype: DType, device: Device | undefined): Tensor {
  const carrier = typedArrayDtype(data);
  const handle: Handle = native.fromBuffer(data, shape, carrier);
  const onDevice = device !== undefined && device !== 'cpu';
  if (carrier === dtype && !onDevice) return new Tensor(handle);
  // One `to` converts the dtype and moves to the device together.
  const converted = (onDevice ? ops.toDevice.raw(handle, device, dtype) : ops.toDtype.raw(handle, dtype)) as Handle;
  native.dispose(handle);
  return new Tensor(converted);
}

/**
 * A tensor from nested arrays or a TypedArray (copied), as `torch.tensor`.
 *
 * NOTE: JS has no separate integer type, so numbers become float32 unless
 * `dtype` says otherwise (Python would give int64 for `[1, 2]`); booleans
 * become bool, bigints int64, and a TypedArray keeps its own type
 * (Uint8Array -> uint8). `shape` reshapes flat TypedArray data.
 *
 * @example
 * torch.tensor([[1, 2], [3, 4]]);                 // float32 (2, 2)
 * torch.tensor([0, 2, 1], { dtype: 'int64' });
 * torch.tensor(new Float32Array(6), { shape: [2, 3] });
 */
export function tensor(data: NestedInput | ArrayBufferView, options: CreationOptions & { shape?: readonly number[] } = {}): Tensor {
  const device = deviceOf(options);
  if (ArrayBuffer.isView(data)) {
    const own = typedArrayDtype(data);
    const shape = checkShape(options.shape ?? [(data as AnyTypedArray).length], 'options.shape');
    return finish(fromCarrier(data as AnyTypedArray, shape, dtypeOf(options, own), device), options);
  }
  const shape: number[] = [];
  const values: (number | boolean | bigint)[] = [];
  flatten(data, shape, values, 0);
  const first = values[0];
  const inferred: DType = typeof first === 'boolean' ? 'bool' : typeof first === 'bigint' ? 'int64' : 'float32';
  const dtype = dtypeOf(options, inferred);
  const t = fromCarrier(fill(values, dtype), options.shape ? checkShape(options.shape, 'options.shape') : shape,
    dtype, device);
  return finish(t, options);
}

/**
 * A tensor filled with zeros, as `torch.zeros`.
 * @example torch.zeros([2, 3], { dtype: 'float64' })
 */
export function zeros(shape: readonly number[], options: CreationOptions = {}): Tensor {
  return finish(ops.zeros.tensor(checkShape(shape), dtypeOf(options), undefined, deviceOf(options)), options);
}

/** A tensor filled with ones, as `torch.ones`. @example torch.ones([4]) */
export function ones(shape: readonly number[], options: CreationOptions = {}): Tensor {
  return finish(ops.ones.tensor(checkShape(shape), dtypeOf(options), undefined, deviceOf(options)), options);
}

/** An uninitialised tensor, as `torch.empty`. @example torch.empty([128, 3, 32, 32]) */
export function empty(shape: readonly number[], options: CreationOptions = {}): Tensor {
  return finish(ops.empty.tensor(checkShape(shape), dtypeOf(options), undefined, deviceOf(options)), options);
}

/**
 * A tensor filled with `value`, as `torch.full` (float32 for numbers, bool for booleans, unless `dtype`).
 * @example torch.full([2, 2], 0.5)
 */
export function full(shape: readonly number[], value: number | boolean, options: CreationOptions = {}): Tensor {
  const dtype = dtypeOf(options, typeof value === 'boolean' ? 'bool' : 'float32');
  return finish(ops.full.tensor(checkShape(shape), value, dtype, undefined, deviceOf(options)), options);
}

/**
 * Values from `start` to `end` (exclusive) by `step`, as `torch.arange`.
 * NOTE: as in PyTorch, all-integer arguments give int64; otherwise float32.
 * @example torch.arange(5)  // [0, 1, 2, 3, 4] int64
 * @example torch.arange(0, 1, 0.25)
 */
export function arange(end: number, options?: CreationOptions): Tensor;
export function arange(start: number, end: number, step?: number, options?: CreationOptions): Tensor;
export function arange(a: number, b?: number | CreationOptions, c?: number | CreationOptions, d?: CreationOptions): Tensor {
  let start = 0;
  let end: number;
  let step = 1;
  let options: CreationOptions = {};
  if (typeof b === 'number') {
    start = a;
    end = b;
    if (typeof c === 'number') step = c;
    else if (c !== undefined) options = c;
    if (d !== undefined) options = d;
  } else {
    end = a;
    if (b !== undefined) options = b;
  }
  for (const [name, v] of [['start', start], ['end', end], ['step', step]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`Expected a finite number for ${name} but received ${v}`);
  }
  if (step === 0) throw new RangeError('arange: step must be nonzero');
  const integral = Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step);
  const dtype = dtypeOf(options, integral ? 'int64' : 'float32');
  return finish(ops.arange.tensor(start, end, step, dtype, undefined, deviceOf(options)), options);
}

/** `steps` evenly spaced values from `start` to `end` inclusive, as `torch.linspace`. @example torch.linspace(0, 1, 5) */
export function linspace(start: number, end: number, steps: number, options: CreationOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new TypeError(`Expected a non-negative integer for steps but received ${steps}`);
  return finish(ops.linspace.tensor(start, end, steps, dtypeOf(options), undefined, deviceOf(options)), options);
}

/** The identity matrix (n x m), as `torch.eye`. @example torch.eye(3) */
export function eye(n: number, m?: number | CreationOptions, options: CreationOptions = {}): Tensor {
  if (typeof m === 'object') {
    options = m;
    m = undefined;
  }
  return finish(ops.eye.tensor(n, m ?? n, dtypeOf(options), undefined, deviceOf(options)), options);
}

/** Samples of `shape` from `plain`, or from `withGenerator` when the options name a generator. */
function sample(plain: Op, withGenerator: Op, shape: readonly number[], options: RandomOptions): Tensor {
  checkShape(shape);
  const t = options.generator
    ? withGenerator.tensor(shape, options.generator, dtypeOf(options), undefined, deviceOf(options))
    : plain.tensor(shape, dtypeOf(options), undefined, deviceOf(options));
  return finish(t, options);
}

/** Uniform samples in [0, 1), as `torch.rand`. @example torch.rand([2, 3], { generator: g }) */
export function rand(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return sample(ops.rand, ops.randG, shape, options);
}

/** Standard normal samples, as `torch.randn`. @example torch.randn([8, 3, 32, 32]) */
export function randn(shape: readonly number[], options: RandomOptions = {}): Tensor {
  return sample(ops.randn, ops.randnG, shape, options);
}

/** Integers uniform in [low, high), int64 by default, as `torch.randint`. @example torch.randint(0, 10, [5]) */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  checkShape(shape);
  const dtype = dtypeOf(options, 'int64');
  const t = options.generator
    ? ops.randintG.tensor(low, high, shape, options.generator, dtype, undefined, deviceOf(options))
    : ops.randint.tensor(low, high, shape, dtype, undefined, deviceOf(options));
  return finish(t, options);
}

/** A random permutation of 0..n-1 (int64), as `torch.randperm`. @example torch.randperm(10) */
export function randperm(n: number, options: RandomOptions = {}): Tensor {
  const dtype = dtypeOf(options, 'int64');
  const t = options.generator
    ? ops.randpermG.tensor(n, options.generator, dtype, undefined, deviceOf(options))
    : ops.randperm.tensor(n, dtype, undefined, deviceOf(options));
  return finish(t, options);
}

/** Options of the `*Like` functions: unset fields follow the input tensor. */
export type LikeOptions = CreationOptions;

function like(o: LikeOptions): [DType | undefined, undefined, Device | undefined] {
  return [o.dtype === undefined ? undefined : checkDtype(o.dtype, 'options.dtype'), undefined, deviceOf(o)];
}

/** Zeros shaped like `t`, as `torch.zeros_like`. @example torch.zerosLike(x) */
export function zerosLike(t: Tensor, options: LikeOptions = {}): Tensor {
  return finish(ops.zerosLike.tensor(t._h, ...like(options)), options);
}
/** Ones shaped like `t`, as `torch.ones_like`. @example torch.onesLike(x) */
export function onesLike(t: Tensor, options: LikeOptions = {}): Tensor {
  return finish(ops.onesLike.tensor(t._h, ...like(options)), options);
}
/** Uninitialised, shaped like `t`, as `torch.empty_like`. @example torch.emptyLike(x) */
export function emptyLike(t: Tensor, options: LikeOptions = {}): Tensor {
  return finish(ops.emptyLike.tensor(t._h, ...like(options)), options);
}
/** Filled with `value`, shaped like `t`, as `torch.full_like`. @example torch.fullLike(x, 7) */
export function fullLike(t: Tensor, value: number | boolean, options: LikeOptions = {}): Tensor {
  return finish(ops.fullLike.tensor(t._h, value, ...like(options)), options);
}
/** Uniform [0, 1) samples shaped like `t`, as `torch.rand_like`. @example torch.randLike(x) */
export function randLike(t: Tensor, options: LikeOptions = {}): Tensor {
  return finish(ops.randLike.tensor(t._h, ...like(options)), options);
}
/** Normal samples shaped like `t`, as `torch.randn_like`. @example torch.randnLike(x) */
export function randnLike(t: Tensor, options: LikeOptions = {}): Tensor {
  return finish(ops.randnLike.tensor(t._h, ...like(options)), options);
}
/** Integers in [low, high) shaped like `t`, as `torch.randint_like`. @example torch.randintLike(x, 0, 5) */
export function randintLike(t: Tensor, low: number, high: number, options: LikeOptions = {}): Tensor {
  return finish(ops.randintLike.tensor(t._h, low, high, ...like(options)), options);
}
