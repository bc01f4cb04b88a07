// NumPy's .npy format (version 1.0): a magic string, a header that is a
// Python dict literal padded to 64 bytes, then the raw little-endian data in
// C order. numpy.load reads what this writes, and this reads what numpy.save
// writes for the dtypes embeddings use.

/** The element types written and read here, with their numpy descr. */
const DESCR = { float32: '<f4', int64: '<i8', int32: '<i4', uint8: '|u1' } as const;
/** A dtype this module writes and reads. */
export type NpyDtype = keyof typeof DESCR;

type NpyArray = Float32Array | BigInt64Array | Int32Array | Uint8Array;

/** A decoded .npy array. */
export interface NpyData {
  dtype: NpyDtype;
  shape: number[];
  data: NpyArray;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

function dtypeOf(data: NpyArray): NpyDtype {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  throw new TypeError('Expected a Float32Array, BigInt64Array, Int32Array or Uint8Array for encodeNpy');
}

/**
 * The bytes of a .npy file holding `data` with `shape` (C order).
 *
 * @example
 * fs.writeFileSync('x.npy', encodeNpy(new Float32Array([1, 2, 3, 4]), [2, 2])); // np.load('x.npy') -> 2x2 float32
 */
export function encodeNpy(data: NpyArray, shape: readonly number[]): Buffer {
  const dtype = dtypeOf(data);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || count !== data.length) {
    throw new RangeError(`Expected a shape of non-negative integers whose product is ${data.length} for encodeNpy but ` +
      `received [${shape.join(', ')}]`);
  }
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': (${dims}), }`;
  // NOTE: the format pads the header with spaces and ends it with '\n' so that
  // magic (6) + version (2) + length (2) + header is a multiple of 64 bytes.
  const unpadded = MAGIC.length + 4 + header.length + 1;
  header = header + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(prefix);
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]);
}

/**
 * Decodes a .npy file's bytes (versions 1 to 3, C order, the dtypes of `NpyDtype`, little-endian).
 *
 * @example
 * const { shape, data } = decodeNpy(fs.readFileSync('embeddings.npy')); // shape [N, D], Float32Array
 */
export function decodeNpy(bytes: Uint8Array, source = '<buffer>'): NpyData {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw new Error(`${source} is not a .npy file (no \\x93NUMPY magic)`);
  const major = buf[6];
  const lenBytes = major === 1 ? 2 : 4;
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = 8 + lenBytes + headerLen;
  const header = buf.subarray(8 + lenBytes, start).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  const dtype = (Object.keys(DESCR) as NpyDtype[]).find((k) => DESCR[k] === descr);
  if (dtype === undefined || fortran !== 'False' || shapeText === undefined) {
    throw new Error(`${source}: unsupported .npy header ${header.trim()} (expected C order and one of ` +
      `${Object.values(DESCR).join(', ')})`);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const raw = buf.subarray(start);
  const width = { float32: 4, int64: 8, int32: 4, uint8: 1 }[dtype];
  if (raw.length !== count * width) {
    throw new Error(`${source}: expected ${count * width} bytes of data for shape [${shape.join(', ')}] but found ${raw.length}`);
  }
  // Copy into an aligned buffer: the data may start at an odd offset in `bytes`.
  const copy = new Uint8Array(raw).buffer;
  const data = dtype === 'float32' ? new Float32Array(copy) : dtype === 'int64' ? new BigInt64Array(copy)
    : dtype === 'int32' ? new Int32Array(copy) : new Uint8Array(copy);
  return { dtype, shape, data };
}
