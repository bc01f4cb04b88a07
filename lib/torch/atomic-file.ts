// Atomic file replacement: readers see the old content or the new one, never
// half of it, and a crash or an error while writing leaves the old file as it
// was. Checkpoints, metrics and configuration files are written this way.
//
// How: write a temporary file in the same directory (a rename is atomic only
// within one file system), flush it to disk (fsync), rename it over the
// target, then fsync the directory so that the rename itself survives a power
// cut. On any error the temporary file is removed and the error rethrown.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * What `writeFileAtomic` accepts: a string (UTF-8), bytes, a list of byte
 * chunks written one after the other, or any iterable of chunks. An iterable
 * is consumed while the file is written, so chunks can be produced lazily
 * (one tensor copied off the GPU at a time); if it throws, nothing replaces
 * the target.
 */
export type AtomicData = string | Uint8Array | readonly Uint8Array[] | Iterable<Uint8Array>;

/** `AtomicData`, or an async iterable of chunks, for `writeFileAtomicAsync`. */
export type AtomicDataAsync = AtomicData | AsyncIterable<Uint8Array>;

export interface WriteFileAtomicOptions {
  /**
   * Flush the data (and the rename) to disk before returning; default true.
   * Without it the replacement is still atomic for readers, but a power cut
   * may leave an empty or old file.
   */
  fsync?: boolean;
  /** File mode of a new file; an existing file keeps its mode. Default 0o666 (less the umask). */
  mode?: number;
}

// The defaults of WriteFileAtomicOptions, stated once. A frozen record, not an
// option table: this file loads without the addon (option-table's checks import Tensor).
const WRITE_DEFAULTS: Readonly<Required<WriteFileAtomicOptions>> = Object.freeze({ fsync: true, mode: 0o666 });

/** The options with their defaults; only `fsync: false` turns the flushes off. */
function writeOptions(options: WriteFileAtomicOptions): Required<WriteFileAtomicOptions> {
  return {
    fsync: options.fsync === undefined ? WRITE_DEFAULTS.fsync : options.fsync !== false,
    mode: options.mode ?? WRITE_DEFAULTS.mode,
  };
}

// Larger writes are split: one write(2) call moves at most about 2 GiB on Linux.
const MAX_WRITE = 1 << 30;

/** A temporary name beside `file`, hidden and unique to this process and call. */
function tempNameFor(file: string): string {
  const dir = path.dirname(file);
  return path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * The mode for the new file: the existing target's (set exactly, past the
 * umask, so a `chmod 600` checkpoint stays private), else the option's.
 */
function modeFor(file: string, newMode: number): { mode: number; exact: boolean } {
  try {
    return { mode: fs.statSync(file).mode & 0o7777, exact: true };
  } catch {
    return { mode: newMode, exact: false };
  }
}

function checkTarget(file: unknown): string {
  if (typeof file !== 'string' || file.length === 0) {
    throw new TypeError(`Expected a non-empty string for path but received ${typeof file === 'string' ? "''" : typeof file}`);
  }
  return file;
}

function asChunk(chunk: unknown, index: number): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError(`Expected Uint8Array chunks but chunk ${index} is ${chunk === null ? 'null' : typeof chunk}`);
}

/** The chunks of `data`, in order. */
function* chunksOf(data: AtomicData): Iterable<Uint8Array> {
  if (typeof data === 'string') {
    yield Buffer.from(data, 'utf8');
  } else if (ArrayBuffer.isView(data)) {
    yield data;
  } else {
    let i = 0;
    for (const chunk of data) yield asChunk(chunk, i++);
  }
}

function writeAllSync(fd: number, chunk: Uint8Array): void {
  let done = 0;
  while (done < chunk.byteLength) {
    done += fs.writeSync(fd, chunk, done, Math.min(chunk.byteLength - done, MAX_WRITE));
  }
}

/** fsync of a directory, so a rename in it is durable. Some platforms cannot open directories: skip there. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // NOTE: Windows refuses to open or fsync a directory (EISDIR, EPERM);
    // the rename there is as durable as the platform makes it.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Replaces `file` with `data` atomically: the old content stays until the new
 * content is complete on disk, and an error (from the disk or from a chunk
 * iterable) leaves the old file untouched and no temporary file behind.
 *
 * @example
 * writeFileAtomic('run/config.json', JSON.stringify(config, null, 2));
 * writeFileAtomic('run/model.safetensors', [header, ...tensorBytes]);
 */
export function writeFileAtomic(file: string, data: AtomicData, options: WriteFileAtomicOptions = {}): void {
  checkTarget(file);
  const o = writeOptions(options);
  const tmp = tempNameFor(file);
  let fd: number | undefined;
  try {
    const { mode, exact } = modeFor(file, o.mode);
    fd = fs.openSync(tmp, 'wx', mode);
    if (exact) fs.fchmodSync(fd, mode);
    for (const chunk of chunksOf(data)) writeAllSync(fd, chunk);
    if (o.fsync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // the write error is the one to report
      }
    }
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  if (o.fsync) syncDirectory(path.dirname(file));
}

async function syncDirectoryAsync(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // NOTE: as in syncDirectory: not possible on every platform.
  } finally {
    await handle?.close();
  }
}

async function* chunksOfAsync(data: AtomicDataAsync): AsyncIterable<Uint8Array> {
  if (typeof data === 'object' && data !== null && Symbol.asyncIterator in data) {
    let i = 0;
    for await (const chunk of data as AsyncIterable<Uint8Array>) yield asChunk(chunk, i++);
  } else {
    yield* chunksOf(data as AtomicData);
  }
}

/**
 * `writeFileAtomic` on libuv's thread pool: the event loop keeps running
 * while the data goes to disk. Also accepts an async iterable of chunks.
 *
 * @example
 * await writeFileAtomicAsync('run/metrics.json', JSON.stringify(metrics));
 */
export async function writeFileAtomicAsync(
  file: string, data: AtomicDataAsync, options: WriteFileAtomicOptions = {},
): Promise<void> {
  checkTarget(file);
  const o = writeOptions(options);
  const tmp = tempNameFor(file);
  let handle: fs.promises.FileHandle | undefined;
  try {
    const { mode, exact } = modeFor(file, o.mode);
    handle = await fs.promises.open(tmp, 'wx', mode);
    if (exact) await handle.chmod(mode);
    for await (const chunk of chunksOfAsync(data)) {
      let done = 0;
      while (done < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, done, Math.min(chunk.byteLength - done, MAX_WRITE));
        done += bytesWritten;
      }
    }
    if (o.fsync) await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(tmp, file);
  } catch (err) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
  if (o.fsync) await syncDirectoryAsync(path.dirname(file));
}
