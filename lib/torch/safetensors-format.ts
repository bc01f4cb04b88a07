// The safetensors format itself, without file I/O: dtype names, header
// encoding as the Rust crate writes it, and header decoding with the checks
// that make a corrupt file fail with a clear message. lib/torch/safetensors.ts
// reads and writes files with it. The layout (docs/checkpoints.md):
//
//   8 bytes   N, the header length, unsigned little-endian
//   N bytes   JSON header: {"__metadata__": {str: str}, name: {"dtype": "F32",
//             "shape": [..], "data_offsets": [begin, end]}, ...}, compact,
//             padded with spaces to a multiple of 8 bytes
//   the rest  tensor data, C order, little-endian, packed back to back;
//             offsets count from the end of the header
import { endianness } from 'node:os';
import { DType } from './dtype';

/** The dtype names of the safetensors format that map to dtypes here. */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

// `rank` is the position in the Rust crate's `Dtype` enum, which is ordered
// by alignment; the writer lays tensors out by descending rank, then by name,
// so every tensor starts aligned (the header keeps the data 8-byte aligned).
// Only the relative order matters, and it is the same in every crate version.
const FORMATS: Readonly<Record<DType, { name: SafetensorsDtype; size: number; rank: number }>> = {
  int64: { name: 'I64', size: 8, rank: 9 },
  float64: { name: 'F64', size: 8, rank: 8 },
  float32: { name: 'F32', size: 4, rank: 7 },
  int32: { name: 'I32', size: 4, rank: 6 },
  bfloat16: { name: 'BF16', size: 2, rank: 5 },
  float16: { name: 'F16', size: 2, rank: 4 },
  int16: { name: 'I16', size: 2, rank: 3 },
  int8: { name: 'I8', size: 1, rank: 2 },
  uint8: { name: 'U8', size: 1, rank: 1 },
  bool: { name: 'BOOL', size: 1, rank: 0 },
};
const DTYPE_OF = new Map<string, DType>(Object.entries(FORMATS).map(([dtype, f]) => [f.name, dtype as DType]));
// Valid safetensors dtypes that libtorch 1.13 has no tensor type for.
const UNSUPPORTED = ['U16', 'U32', 'U64', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64'];

/** The largest header the reference implementation accepts (100 MB); larger means a corrupt file. */
export const MAX_HEADER_BYTES = 100_000_000;
export const METADATA_KEY = '__metadata__';

/** One tensor's entry in a safetensors header. */
export interface SafetensorsTensorInfo {
  dtype: DType;
  shape: number[];
  /** [begin, end) in bytes, counted from the start of the data section. */
  dataOffsets: [number, number];
}

/** A parsed and validated safetensors header. */
export interface SafetensorsHeader {
  /** The `__metadata__` map, when the file has one. */
  metadata?: Record<string, string>;
  /** Tensors in header order. */
  tensors: Map<string, SafetensorsTensorInfo>;
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
}

// NOTE: tensor bytes go between memory and file as they are; the format is
// little-endian, as are x86-64 and arm64. A big-endian host would need swaps.
function checkHost(fn: string): void {
  if (endianness() !== 'LE') throw new Error(`${fn}: safetensors needs a little-endian host; this one is big-endian`);
}

/** An error naming the file (or buffer) and the problem. */
export function fail(source: string, problem: string): never {
  throw new Error(`${source}: ${problem}`);
}

/** Rust's `str` order (UTF-8 bytes), which differs from JS's UTF-16 order for characters beyond U+FFFF. */
function compareUtf8(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

/** Throws unless `name` is a string with a UTF-8 form. */
export function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string') throw new TypeError(`Expected a string for ${what} but received ${typeof name}`);
  // NOTE: a lone surrogate has no UTF-8 form; Python's writer rejects it as well.
  if (/\p{Cs}/u.test(name)) throw new TypeError(`Expected valid Unicode for ${what} but ${JSON.stringify(name)} has a lone surrogate`);
  return name;
}

/** Bytes per element of `dtype` in the file. */
export function elementSize(dtype: DType): number {
  return FORMATS[dtype].size;
}

/** What the header records about one tensor to be written. */
export interface HeaderEntry { name: string; dtype: DType; shape: readonly number[]; bytes: number }

/** `entries` sorted in file order, as the Rust writer's `prepare`: descending alignment, then name. */
export function fileOrder<T extends HeaderEntry>(entries: T[]): T[] {
  const keyed = entries.map((e) => ({ e, key: Buffer.from(e.name, 'utf8') }));
  keyed.sort((a, b) => FORMATS[b.e.dtype].rank - FORMATS[a.e.dtype].rank || compareUtf8(a.key, b.key));
  return keyed.map(({ e }) => e);
}

/**
 * The 8-byte length and the padded JSON header. Field order and spacing are
 * those of the Rust writer (serde_json, compact): `__metadata__` first, then
 * the tensors in file order, each as {"dtype", "shape", "data_offsets"}.
 * JSON.stringify escapes strings as serde_json does (\" \\ \b \f \n \r \t,
 * other control characters as lowercase \u00xx, everything else raw UTF-8).
 */
export function encodeHeader(fn: string, entries: readonly HeaderEntry[], metadata: Readonly<Record<string, string>> | undefined): Buffer {
  checkHost(fn);
  const parts: string[] = [];
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new TypeError(`${fn}: expected an object of strings for metadata but received ${metadata === null ? 'null' : typeof metadata}`);
    }
    // NOTE: the Rust crate keeps metadata in a HashMap and writes it in an
    // arbitrary order (safetensors issue #584); sorted keys make our files
    // reproducible and are one of the orders it can produce.
    const keys = Object.keys(metadata).map((k) => ({ k: checkName(`${fn} metadata key`, k), b: Buffer.from(k) }));
    keys.sort((x, y) => compareUtf8(x.b, y.b));
    const fields = keys.map(({ k }) => {
      const v: unknown = metadata[k];
      if (typeof v !== 'string') throw new TypeError(`${fn}: expected a string for metadata['${k}'] but received ${typeof v}`);
      return `${JSON.stringify(k)}:${JSON.stringify(checkName(`${fn} metadata['${k}']`, v))}`;
    });
    parts.push(`"${METADATA_KEY}":{${fields.join(',')}}`);
  }
  let offset = 0;
  for (const e of entries) {
    parts.push(`${JSON.stringify(e.name)}:{"dtype":"${FORMATS[e.dtype].name}","shape":[${e.shape.join(',')}],` +
      `"data_offsets":[${offset},${offset + e.bytes}]}`);
    offset += e.bytes;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Math.ceil(json.length / 8) * 8;
  const out = Buffer.alloc(8 + padded, 0x20); // pad with spaces, as the format asks
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, 8);
  return out;
}


/** Top-level keys of a valid JSON object text, in order and with repeats (JSON.parse hides both). */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) { // a string: skip to its closing quote
      let j = i + 1;
      while (text.charCodeAt(j) !== 0x22) j += text.charCodeAt(j) === 0x5c ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      expectKey = depth === 1;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  const text = JSON.stringify(v);
  return typeof v === 'string' ? text : `${typeof v} ${text}`;
}

/** `v` as a list of non-negative integers, or undefined when it is not one. */
function intList(v: unknown): number[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const list = v as unknown[];
  return list.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0) ? (list as number[]) : undefined;
}

function parseInfo(source: string, name: string, raw: unknown): SafetensorsTensorInfo {
  const where = `tensor '${name}'`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    fail(source, `${where}: expected an object with dtype, shape and data_offsets but found ${describe(raw)}`);
  }
  const fields = raw as Record<string, unknown>;
  const dtypeName = fields.dtype;
  const dtype = typeof dtypeName === 'string' ? DTYPE_OF.get(dtypeName) : undefined;
  if (dtype === undefined) {
    const known = [...DTYPE_OF.keys()].join(', ');
    if (typeof dtypeName === 'string' && UNSUPPORTED.includes(dtypeName)) {
      fail(source, `${where} has dtype ${dtypeName}, which libtorch has no tensor type for here (supported: ${known})`);
    }
    fail(source, `${where} has unknown dtype ${describe(dtypeName)} (expected one of ${known})`);
  }
  const shape = intList(fields.shape);
  if (shape === undefined) {
    fail(source, `${where}: expected an array of non-negative integers for shape but found ${describe(fields.shape)}`);
  }
  const offsets = intList(fields.data_offsets);
  if (offsets === undefined || offsets.length !== 2 || offsets[0] > offsets[1]) {
    fail(source, `${where}: expected data_offsets [begin, end] with 0 <= begin <= end but found ${describe(fields.data_offsets)}`);
  }
  const [begin, end] = offsets;
  const bytes = shape.reduce((a, b) => a * b, 1) * FORMATS[dtype].size;
  if (!Number.isSafeInteger(bytes) || bytes !== end - begin) {
    fail(source, `${where}: ${FORMATS[dtype].name} of shape [${shape.join(', ')}] needs ${bytes} bytes but data_offsets ` +
      `[${begin}, ${end}] span ${end - begin}`);
  }
  return { dtype, shape, dataOffsets: [begin, end] };
}

/**
 * Validates the JSON header (`bytes`, without the length prefix) against a
 * data section of `dataLength` bytes: every tensor's offsets must match its
 * dtype and shape, and the tensors must tile the data section exactly.
 */
export function parseHeader(source: string, bytes: Uint8Array, dataLength: number): SafetensorsHeader {
  checkHost(source);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    fail(source, 'the header is not valid UTF-8 (not a safetensors file, or a corrupt one)');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    fail(source, `the header is not valid JSON (${(err as Error).message}); not a safetensors file, or a corrupt one`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    fail(source, `the header must be a JSON object but is ${describe(json)}`);
  }
  const record = json as Record<string, unknown>;
  const seen = new Set<string>();
  const header: SafetensorsHeader = { tensors: new Map(), dataStart: 8 + bytes.byteLength };
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) fail(source, `the header names '${key}' twice`);
    seen.add(key);
    if (key === METADATA_KEY) {
      const meta = record[key];
      if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) fail(source, `${METADATA_KEY} must be an object but is ${describe(meta)}`);
      for (const [k, v] of Object.entries(meta)) {
        if (typeof v !== 'string') fail(source, `${METADATA_KEY} must map strings to strings but '${k}' holds ${describe(v)}`);
      }
      header.metadata = { ...(meta as Record<string, string>) };
    } else {
      header.tensors.set(key, parseInfo(source, key, record[key]));
    }
  }
  const byOffset = [...header.tensors].sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let end = 0;
  let previous = '';
  for (const [name, { dataOffsets: [begin, stop] }] of byOffset) {
    if (begin !== end) {
      const what = begin < end ? 'overlaps' : 'leaves a gap after';
      fail(source, `tensor '${name}' starts at byte ${begin} of the data and ${what} ` +
        (previous ? `tensor '${previous}', which ends at ${end}` : 'the start of the data') + ' (tensors must be packed back to back)');
    }
    end = stop;
    previous = name;
  }
  if (end > dataLength) {
    fail(source, `the file is truncated: its tensors need ${end} bytes of data after the header but it has ${dataLength}`);
  }
  if (end < dataLength) {
    fail(source, `the tensors cover ${end} bytes of data but the file has ${dataLength} after the header (${dataLength - end} extra)`);
  }
  return header;
}

/** Checks the 8-byte prefix and returns the header length. */
export function headerLength(source: string, prefix: Uint8Array, fileSize: number): number {
  if (fileSize < 8) fail(source, `the file has ${fileSize} bytes, too few for the 8-byte header length (not a safetensors file, or truncated)`);
  const n = Buffer.from(prefix.buffer, prefix.byteOffset, 8).readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    fail(source, `the header length is ${n} bytes, more than the ${MAX_HEADER_BYTES} allowed (not a safetensors file, or a corrupt one)`);
  }
  if (Number(n) + 8 > fileSize) {
    fail(source, `the header says it is ${n} bytes but the file has only ${fileSize - 8} after the length (truncated?)`);
  }
  return Number(n);
}
