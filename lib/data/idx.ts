// The IDX file format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/):
// a 4-byte magic number 0x00 0x00 <type> <ndim>, ndim big-endian uint32
// sizes, then the values in row-major order, big-endian. Files may be gzipped.
import * as zlib from 'node:zlib';
import { readDatasetFile } from './dataset-file';

/** Element types of IDX files, by the type byte of the magic number. */
const TYPES = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
} as const;

type IdxType = (typeof TYPES)[keyof typeof TYPES];

export type IdxDType = IdxType['dtype'];

/** The contents of an IDX file: its sizes, element type and values (host byte order). */
export interface IdxArray {
  dims: number[];
  dtype: IdxDType;
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** What the caller expects of an IDX file; a mismatch throws an error naming the file. */
export interface IdxExpectation {
  dtype?: IdxDType;
  /** Number of dimensions (3 for images, 1 for labels). */
  ndim?: number;
}

/**
 * Reads an IDX file, gzipped (detected by its first two bytes) or plain, and
 * checks its magic number, element type, sizes and length. Every problem
 * throws an Error that names the file.
 *
 * @example
 * const { dims, data } = data.readIdx('/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz', { ndim: 1 });
 * dims; // [60000]
 */
export function readIdx(file: string, expect: IdxExpectation = {}): IdxArray {
  let buf = readDatasetFile(file, 'IDX');
  if (buf.length >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      buf = zlib.gunzipSync(buf);
    } catch (err) {
      throw new Error(`IDX file ${file} is a corrupt or truncated gzip file: ${(err as Error).message}`);
    }
  }
  return parseIdx(buf, file, expect);
}

/**
 * Parses IDX bytes (already gunzipped); `file` names the source in errors.
 * @example data.parseIdx(bytes, 'labels.idx', { dtype: 'uint8', ndim: 1 })
 */
export function parseIdx(buf: Uint8Array, file: string, expect: IdxExpectation = {}): IdxArray {
  if (buf.length < 4) throw new Error(`IDX file ${file} is truncated: ${buf.length} bytes, fewer than the 4-byte magic number`);
  const magic = ((buf[0] << 24) | (buf[1] << 16) | (buf[2] << 8) | buf[3]) >>> 0;
  const hex = `0x${magic.toString(16).padStart(8, '0')}`;
  const type = TYPES[buf[2] as keyof typeof TYPES];
  if (buf[0] !== 0 || buf[1] !== 0 || type === undefined || buf[3] === 0) {
    throw new Error(`IDX file ${file} has wrong magic number ${hex}: expected 0x0000TTNN with type TT in ` +
      `08, 09, 0b, 0c, 0d, 0e and NN dimensions (0x00000803 for images, 0x00000801 for labels)`);
  }
  const ndim = buf[3];
  if (expect.ndim !== undefined && ndim !== expect.ndim) {
    throw new Error(`IDX file ${file} has ${ndim} dimensions (magic number ${hex}) but ${expect.ndim} were expected`);
  }
  if (expect.dtype !== undefined && type.dtype !== expect.dtype) {
    throw new Error(`IDX file ${file} holds ${type.dtype} values (magic number ${hex}) but ${expect.dtype} were expected`);
  }
  const headerBytes = 4 + 4 * ndim;
  if (buf.length < headerBytes) {
    throw new Error(`IDX file ${file} is truncated: ${buf.length} bytes, fewer than its ${headerBytes}-byte header`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const expected = count * type.bytes;
  const found = buf.length - headerBytes;
  if (found < expected) {
    throw new Error(`IDX file ${file} is truncated: its header announces (${dims.join(', ')}) ${type.dtype} values, ` +
      `${expected} bytes, but only ${found} bytes follow the header`);
  }
  if (found > expected) {
    throw new Error(`IDX file ${file} has ${found - expected} bytes after the (${dims.join(', ')}) ${type.dtype} ` +
      `values its header announces: the file is not IDX or its header is damaged`);
  }
  return { dims, dtype: type.dtype, data: decode(view, headerBytes, count, type) };
}

/** The values after the header: a view of `view` for bytes, a converted copy (from big-endian) otherwise. */
function decode(view: DataView, offset: number, count: number, type: IdxType): IdxArray['data'] {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, count * type.bytes);
  switch (type.dtype) {
    case 'uint8': return bytes;
    case 'int8': return new Int8Array(bytes.buffer, bytes.byteOffset, count);
    case 'int16': return Int16Array.from({ length: count }, (_, i) => view.getInt16(offset + 2 * i, false));
    case 'int32': return Int32Array.from({ length: count }, (_, i) => view.getInt32(offset + 4 * i, false));
    case 'float32': return Float32Array.from({ length: count }, (_, i) => view.getFloat32(offset + 4 * i, false));
    case 'float64': return Float64Array.from({ length: count }, (_, i) => view.getFloat64(offset + 8 * i, false));
  }
}

/**
 * IDX bytes for `data` of shape `dims` (uint8 only), as the test suites and
 * small custom datasets need.
 *
 * @example fs.writeFileSync('labels-idx1-ubyte', data.encodeIdx([3], Uint8Array.of(1, 2, 3)));
 */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Buffer {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new RangeError(`Expected ${count} values for an IDX array of shape (${dims.join(', ')}) but received ${data.length}`);
  }
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE((0x08 << 8) | dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}
