// writeFileAtomic: complete content or the old content, never a torn file,
// and no temporary file left behind when something fails.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic, writeFileAtomicAsync } from '../../lib/torch/atomic-file';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-atomic-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const listing = (): string[] => fs.readdirSync(dir).sort();

function* failingChunks(after: number): Iterable<Uint8Array> {
  for (let i = 0; i < after; i++) yield Buffer.alloc(1 << 16, i);
  throw new Error('serialisation failed');
}

describe('writeFileAtomic', () => {
  it('writes strings, bytes, chunk lists and chunk iterables', () => {
    const file = path.join(dir, 'out.bin');
    writeFileAtomic(file, 'héllo');
    assert.equal(fs.readFileSync(file, 'utf8'), 'héllo');
    writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    assert.deepEqual([...fs.readFileSync(file)], [1, 2, 3]);
    writeFileAtomic(file, [Buffer.from('ab'), new Uint8Array(0), Buffer.from('cd')]);
    assert.equal(fs.readFileSync(file, 'utf8'), 'abcd');
    writeFileAtomic(file, (function* () { yield Buffer.from('x'); yield Buffer.from('yz'); })(), { fsync: false });
    assert.equal(fs.readFileSync(file, 'utf8'), 'xyz');
    // A view into a larger buffer writes only its own bytes.
    writeFileAtomic(file, Buffer.from('0123456789').subarray(2, 5));
    assert.equal(fs.readFileSync(file, 'utf8'), '234');
    assert.deepEqual(listing(), ['out.bin']);
  });

  it('keeps the mode of the file it replaces and applies `mode` to new files', function () {
    if (process.platform === 'win32') this.skip();
    const file = path.join(dir, 'secret.json');
    fs.writeFileSync(file, '{}');
    fs.chmodSync(file, 0o600);
    writeFileAtomic(file, '{"a":1}');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const fresh = path.join(dir, 'fresh.json');
    writeFileAtomic(fresh, '{}', { mode: 0o640 });
    assert.equal(fs.statSync(fresh).mode & 0o777, 0o640 & ~process.umask());
  });

  it('a chunk iterable that throws part way leaves the old file and no temporary file', () => {
    const file = path.join(dir, 'model.safetensors');
    fs.writeFileSync(file, 'old content');
    assert.throws(() => writeFileAtomic(file, failingChunks(3)), /serialisation failed/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'old content');
    assert.deepEqual(listing(), ['model.safetensors']);
  });

  it('a failing rename (target is a directory) removes the temporary file', () => {
    fs.mkdirSync(path.join(dir, 'target'));
    assert.throws(() => writeFileAtomic(path.join(dir, 'target'), 'data'), /EISDIR|EPERM|ENOTEMPTY|EEXIST/);
    assert.deepEqual(listing(), ['target']);
  });

  it('fails cleanly in a directory that does not exist and on bad chunks', () => {
    assert.throws(() => writeFileAtomic(path.join(dir, 'missing', 'f.txt'), 'x'), /ENOENT/);
    const file = path.join(dir, 'f.txt');
    assert.throws(() => writeFileAtomic(file, [Buffer.from('a'), 5 as unknown as Uint8Array]), /Expected Uint8Array chunks but chunk 1 is number/);
    assert.throws(() => writeFileAtomic('', 'x'), /Expected a non-empty string for path/);
    assert.deepEqual(listing(), []);
  });
});

describe('writeFileAtomicAsync', () => {
  it('writes every kind of data, async iterables included', async () => {
    const file = path.join(dir, 'metrics.json');
    await writeFileAtomicAsync(file, '{"loss":1}');
    assert.equal(fs.readFileSync(file, 'utf8'), '{"loss":1}');
    await writeFileAtomicAsync(file, [Buffer.from('a'), Buffer.from('b')]);
    assert.equal(fs.readFileSync(file, 'utf8'), 'ab');
    await writeFileAtomicAsync(file, (async function* () { yield Buffer.from('c'); yield Buffer.from('d'); })());
    assert.equal(fs.readFileSync(file, 'utf8'), 'cd');
    assert.deepEqual(listing(), ['metrics.json']);
  });

  it('an async iterable that throws leaves the old file and no temporary file', async () => {
    const file = path.join(dir, 'ckpt.bin');
    fs.writeFileSync(file, 'old');
    async function* chunks(): AsyncIterable<Uint8Array> {
      yield Buffer.alloc(1000);
      throw new Error('device copy failed');
    }
    await assert.rejects(writeFileAtomicAsync(file, chunks()), /device copy failed/);
    assert.equal(fs.readFileSync(file, 'utf8'), 'old');
    assert.deepEqual(listing(), ['ckpt.bin']);
  });

  it('concurrent writers leave one complete version, never a mix', async () => {
    const file = path.join(dir, 'shared.bin');
    const versions = Array.from({ length: 8 }, (_, i) => Buffer.alloc(1 << 18, i + 1));
    await Promise.all(versions.map((v) => writeFileAtomicAsync(file, [v.subarray(0, 1000), v.subarray(1000)])));
    const got = fs.readFileSync(file);
    assert.ok(versions.some((v) => v.equals(got)), 'the file is a mix of versions');
    assert.deepEqual(listing(), ['shared.bin']);
  });
});
