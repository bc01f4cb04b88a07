// safetensors files, byte for byte as Hugging Face's `safetensors` library
// (`safetensors.torch.save_file`) writes them, so weights move between this
// project and PyTorch both ways. The format (header encoding and checks) is
// in safetensors-format.ts; this file moves tensors to and from files.
import * as fs from 'node:fs';
import { native, Handle } from './native';
import { Tensor } from './tensor';
import { checkDevice, Device } from './dtype';
import { defineOptions, option, optionsKey } from './option-table';
import { op } from './op';
import { writeFileAtomic, writeFileAtomicAsync } from './atomic-file';
import {
  checkName, describe, elementSize, encodeHeader, fail, fileOrder, HeaderEntry, headerLength, METADATA_KEY, parseHeader,
  SafetensorsHeader, SafetensorsTensorInfo,
} from './safetensors-format';

export { MAX_HEADER_BYTES, SafetensorsDtype, SafetensorsHeader, SafetensorsTensorInfo } from './safetensors-format';

/** Named tensors to save: a Map (a `stateDict()`) or a plain object. */
export type TensorDict = ReadonlyMap<string, Tensor> | Readonly<Record<string, Tensor>>;

export interface LoadSafetensorsOptions {
  /** Device for the loaded tensors; default 'cpu'. */
  device?: Device;
}

const ops = {
  detach: op('detach'), contiguous: op('contiguous'), toDevice: op('to', 'device'), empty: op('empty', 'memory_format'),
};

interface Entry extends HeaderEntry { tensor: Tensor }

/** The tensors in file order, validated before any byte is written. */
function entriesOf(fn: string, tensors: TensorDict): Entry[] {
  if (tensors === null || typeof tensors !== 'object') {
    throw new TypeError(`${fn}: expected a Map or an object of tensors but received ${tensors === null ? 'null' : typeof tensors}`);
  }
  const pairs: [string, unknown][] = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const entries = pairs.map(([name, tensor]): Entry => {
    checkName(`${fn} tensor name`, name);
    if (name === METADATA_KEY) throw new Error(`${fn}: '${METADATA_KEY}' is reserved for metadata and cannot name a tensor`);
    if (!(tensor instanceof Tensor)) throw new TypeError(`${fn}: expected a Tensor for '${name}' but received ${typeof tensor}`);
    if (tensor.isDisposed) throw new Error(`${fn}: tensor '${name}' has been disposed`);
    const dtype = tensor.dtype;
    const shape = tensor.shape;
    return { name, tensor, dtype, shape, bytes: tensor.numel() * elementSize(dtype) };
  });
  return fileOrder(entries);
}

/** The tensor's bytes in C order on the host: a view of its memory when it is a contiguous CPU tensor, else one copy. */
function hostBytes(fn: string, e: Entry): Uint8Array {
  const owned: Handle[] = [];
  try {
    let h = ops.detach.raw(e.tensor._h) as Handle;
    owned.push(h);
    if (native.device(h) !== 'cpu') owned.push(h = ops.toDevice.raw(h, 'cpu', e.dtype) as Handle);
    if (!native.isContiguous(h)) owned.push(h = ops.contiguous.raw(h) as Handle);
    // NOTE: the buffer shares the tensor's storage and keeps it alive, so
    // disposing the handles below frees nothing that is still being written.
    const bytes = new Uint8Array(native.viewBuffer(h));
    if (bytes.byteLength !== e.bytes) throw new Error(`holds ${bytes.byteLength} bytes where ${e.bytes} were expected`);
    return bytes;
  } catch (err) {
    throw new Error(`${fn}: tensor '${e.name}': ${(err as Error).message}`);
  } finally {
    for (const h of owned) native.dispose(h);
  }
}

/** Header, then each tensor's bytes, produced one tensor at a time while the file is written. */
function* chunks(fn: string, entries: readonly Entry[], metadata: Readonly<Record<string, string>> | undefined): Iterable<Uint8Array> {
  yield encodeHeader(fn, entries, metadata);
  for (const e of entries) if (e.bytes > 0) yield hostBytes(fn, e);
}

/**
 * The bytes of a safetensors file holding `tensors` (and `metadata`), as
 * `safetensors.torch.save`. Tensors on other devices are copied to the CPU;
 * non-contiguous tensors are written in C order.
 *
 * @example
 * const bytes = torch.serializeSafetensors({ w: torch.ones([2, 2]) }, { format: 'pt' });
 */
export function serializeSafetensors(tensors: TensorDict, metadata?: Readonly<Record<string, string>>): Buffer {
  const list = [...chunks('serializeSafetensors', entriesOf('serializeSafetensors', tensors), metadata)];
  return Buffer.concat(list);
}

/**
 * Writes `tensors` to a safetensors file, byte-identical to what PyTorch's
 * `safetensors.torch.save_file(tensors, path, metadata)` writes (with metadata
 * keys in sorted order). The file is replaced atomically: an error part way
 * leaves the previous file as it was.
 *
 * @example
 * torch.saveSafetensors('resnet18.safetensors', model.stateDict(), { format: 'pt' });
 */
export function saveSafetensors(path: string, tensors: TensorDict, metadata?: Readonly<Record<string, string>>): void {
  const entries = entriesOf('saveSafetensors', tensors);
  writeFileAtomic(path, chunks(`saveSafetensors: ${path}`, entries, metadata));
}

/**
 * `saveSafetensors` without blocking the event loop: device-to-host copies and
 * file writes run on libuv's thread pool. The tensors are read while the file
 * is written: leave them unchanged (and undisposed) until the promise settles.
 *
 * @example
 * await torch.saveSafetensorsAsync('ckpt/model.safetensors', model.stateDict());
 */
export async function saveSafetensorsAsync(path: string, tensors: TensorDict, metadata?: Readonly<Record<string, string>>): Promise<void> {
  const fn = `saveSafetensorsAsync: ${path}`;
  const entries = entriesOf('saveSafetensorsAsync', tensors);
  const header = encodeHeader(fn, entries, metadata);
  async function* produce(): AsyncIterable<Uint8Array> {
    yield header;
    for (const e of entries) {
      if (e.bytes === 0) continue;
      if (e.tensor.device === 'cpu') {
        yield hostBytes(fn, e);
        continue;
      }
      const copied = await native.toBufferAsync(e.tensor._h).catch((err: Error) => {
        throw new Error(`${fn}: tensor '${e.name}': ${err.message}`);
      });
      yield new Uint8Array(copied);
    }
  }
  await writeFileAtomicAsync(path, produce());
}

function readFully(source: string, fd: number, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.byteLength) {
    const n = fs.readSync(fd, into, done, Math.min(into.byteLength - done, 1 << 30), position + done);
    if (n === 0) fail(source, `the file ended at byte ${position + done} while reading (did it change while loading?)`);
    done += n;
  }
}

function readHeaderSync(source: string, fd: number): SafetensorsHeader {
  const size = fs.fstatSync(fd).size;
  const prefix = new Uint8Array(8);
  if (size >= 8) readFully(source, fd, prefix, 0);
  const n = headerLength(source, prefix, size);
  const json = new Uint8Array(n);
  readFully(source, fd, json, 8);
  return parseHeader(source, json, size - 8 - n);
}

/** An empty CPU tensor for `info` and a byte view of its memory, so file data can be read straight into it. */
function emptyFor(info: SafetensorsTensorInfo): { h: Handle; bytes: Uint8Array } {
  const h = ops.empty.raw(info.shape, info.dtype) as Handle;
  return { h, bytes: new Uint8Array(native.viewBuffer(h)) };
}

/** Moves the CPU tensor `h` to `device` and wraps it. */
function finish(h: Handle, info: SafetensorsTensorInfo, device: Device): Tensor {
  if (device === 'cpu') return new Tensor(h);
  try {
    return new Tensor(ops.toDevice.raw(h, device, info.dtype) as Handle);
  } finally {
    native.dispose(h);
  }
}

// The default of LoadSafetensorsOptions: tensors are read into CPU memory.
const LOAD_OPTIONS = defineOptions({ device: option<Device>('cpu', checkDevice) });

function deviceOf(options: LoadSafetensorsOptions): Device {
  return LOAD_OPTIONS.resolve(options, optionsKey).device;
}

/** Runs `build` for each tensor of the header; on an error, frees what was built. */
function buildAll(header: SafetensorsHeader, build: (name: string, info: SafetensorsTensorInfo) => Tensor): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  try {
    for (const [name, info] of header.tensors) out.set(name, build(name, info));
  } catch (err) {
    for (const t of out.values()) t.dispose();
    throw err;
  }
  return out;
}

/**
 * Reads a safetensors file (from PyTorch, Hugging Face or this project) into
 * tensors, in header order, as `safetensors.torch.load_file`. The data is read
 * from disk straight into each tensor's memory. Corrupt files fail with an
 * error naming the file and the problem.
 *
 * @example
 * const sd = torch.loadSafetensors('resnet18.safetensors');
 * model.loadStateDict(sd);
 * @example
 * const onGpu = torch.loadSafetensors('vit.safetensors', { device: 'cuda' });
 */
export function loadSafetensors(path: string, options: LoadSafetensorsOptions = {}): Map<string, Tensor> {
  const device = deviceOf(options);
  const fd = fs.openSync(path, 'r');
  try {
    const header = readHeaderSync(path, fd);
    return buildAll(header, (_name, info) => {
      const { h, bytes } = emptyFor(info);
      try {
        readFully(path, fd, bytes, header.dataStart + info.dataOffsets[0]);
      } catch (err) {
        native.dispose(h);
        throw err;
      }
      return finish(h, info, device);
    });
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * `loadSafetensors` without blocking the event loop: file reads run on
 * libuv's thread pool.
 *
 * @example
 * const sd = await torch.loadSafetensorsAsync('ckpt/model.safetensors');
 */
export async function loadSafetensorsAsync(path: string, options: LoadSafetensorsOptions = {}): Promise<Map<string, Tensor>> {
  const device = deviceOf(options);
  const file = await fs.promises.open(path, 'r');
  const read = async (into: Uint8Array, position: number): Promise<void> => {
    for (let done = 0; done < into.byteLength;) {
      const { bytesRead } = await file.read(into, done, Math.min(into.byteLength - done, 1 << 30), position + done);
      if (bytesRead === 0) fail(path, `the file ended at byte ${position + done} while reading (did it change while loading?)`);
      done += bytesRead;
    }
  };
  const out = new Map<string, Tensor>();
  try {
    const size = (await file.stat()).size;
    const prefix = new Uint8Array(8);
    if (size >= 8) await read(prefix, 0);
    const n = headerLength(path, prefix, size);
    const json = new Uint8Array(n);
    await read(json, 8);
    const header = parseHeader(path, json, size - 8 - n);
    for (const [name, info] of header.tensors) {
      const { h, bytes } = emptyFor(info);
      try {
        await read(bytes, header.dataStart + info.dataOffsets[0]);
      } catch (err) {
        native.dispose(h);
        throw err;
      }
      out.set(name, finish(h, info, device));
    }
    return out;
  } catch (err) {
    for (const t of out.values()) t.dispose();
    throw err;
  } finally {
    await file.close();
  }
}

/**
 * Tensors from the bytes of a safetensors file (copied out of `buffer`), as
 * `safetensors.torch.load`. `source` names the data in error messages.
 *
 * @example
 * const sd = torch.parseSafetensors(await fetchBytes(url), url);
 */
export function parseSafetensors(buffer: Uint8Array, source = '<buffer>', options: LoadSafetensorsOptions = {}): Map<string, Tensor> {
  if (!(buffer instanceof Uint8Array)) throw new TypeError(`Expected a Uint8Array or Buffer for buffer but received ${describe(buffer)}`);
  const device = deviceOf(options);
  const n = headerLength(source, buffer.subarray(0, 8), buffer.byteLength);
  const header = parseHeader(source, buffer.subarray(8, 8 + n), buffer.byteLength - 8 - n);
  return buildAll(header, (_name, info) => {
    const [begin, end] = info.dataOffsets;
    const data = buffer.subarray(header.dataStart + begin, header.dataStart + end);
    return finish(native.fromBuffer(data, info.shape, info.dtype), info, device);
  });
}

/**
 * The validated header of a safetensors file, without reading its data:
 * metadata, and each tensor's dtype, shape and byte range.
 *
 * @example
 * const { tensors } = torch.readSafetensorsHeader('model.safetensors');
 * tensors.get('fc.weight')?.shape;  // [1000, 2048]
 */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = fs.openSync(path, 'r');
  try {
    return readHeaderSync(path, fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The `__metadata__` strings of a safetensors file ({} when it has none), as
 * `safe_open(path, 'pt').metadata()`.
 *
 * @example
 * torch.readSafetensorsMetadata('model.safetensors');  // { format: 'pt' }
 */
export function readSafetensorsMetadata(path: string): Record<string, string> {
  return readSafetensorsHeader(path).metadata ?? {};
}
