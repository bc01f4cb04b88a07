// Data types and devices, named as in PyTorch (`torch.float32` is 'float32').

/** Tensor element types. */
export type DType =
  | 'float32' | 'float64' | 'float16' | 'bfloat16'
  | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

/** 'cpu', 'cuda' or 'cuda:N'. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

/** Memory layouts accepted by `contiguous`, `to` and creation functions. */
export type MemoryFormat = 'contiguous_format' | 'channels_last' | 'channels_last_3d' | 'preserve_format';

export const DTYPES: readonly DType[] = [
  'float32', 'float64', 'float16', 'bfloat16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'bool',
];

/** True for the floating point dtypes. */
export function isFloatingPoint(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

export type AnyTypedArray =
  | Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/**
 * The dtype whose bytes a TypedArray holds, and the dtype it is read back as.
 * NOTE: float16 and bfloat16 have no TypedArray in Node 20; they travel as
 * float32 and are converted by libtorch.
 */
export function typedArrayDtype(data: ArrayBufferView): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'uint8';
  throw new TypeError(`Expected a Float32Array, Float64Array, BigInt64Array, Int32Array, Int16Array, Int8Array or ` +
    `Uint8Array but received ${data.constructor.name}`);
}

/** The dtype that data of `dtype` is carried in on its way to and from JS. */
export function carrierDtype(dtype: DType): DType {
  if (dtype === 'float16' || dtype === 'bfloat16') return 'float32';
  if (dtype === 'bool') return 'uint8';
  return dtype;
}

/** Makes a TypedArray of the carrier type for `dtype` over `buffer`. */
export function typedArrayOver(dtype: DType, buffer: ArrayBuffer): AnyTypedArray {
  switch (carrierDtype(dtype)) {
    case 'float32': return new Float32Array(buffer);
    case 'float64': return new Float64Array(buffer);
    case 'int64': return new BigInt64Array(buffer);
    case 'int32': return new Int32Array(buffer);
    case 'int16': return new Int16Array(buffer);
    case 'int8': return new Int8Array(buffer);
    default: return new Uint8Array(buffer);
  }
}

/** Throws unless `value` names a dtype. */
export function checkDtype(value: unknown, what = 'dtype'): DType {
  if (typeof value === 'string' && (DTYPES as readonly string[]).includes(value)) return value as DType;
  throw new TypeError(`Expected one of ${DTYPES.join(', ')} for ${what} but received ${String(value)}`);
}

/** True if `value` names a device: 'cpu', 'cuda' or 'cuda:N'. */
export function isDevice(value: unknown): value is Device {
  return typeof value === 'string' && /^(cpu|cuda(:\d+)?)$/.test(value);
}

/** Throws unless `value` names a device. */
export function checkDevice(value: unknown, what = 'device'): Device {
  if (isDevice(value)) return value;
  throw new TypeError(`Expected 'cpu', 'cuda' or 'cuda:N' for ${what} but received ${String(value)}`);
}

/** Nested arrays of numbers or booleans, as returned by `toArray()`. */
export type NestedArray = number | boolean | NestedArray[];
