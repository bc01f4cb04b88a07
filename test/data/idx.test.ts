// The IDX reader: exact values back from files written here, plain and
// gzipped, and an error naming the file for each kind of damage.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { encodeIdx, parseIdx, readIdx } from '../../lib/data/idx';

describe('data: IDX files', () => {
  let dir: string;
  const pixels = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37 + 5) % 256);
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-idx-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, bytes: Uint8Array): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return file;
  };

  it('reads a plain uint8 file: magic, dims and every byte', () => {
    const file = write('images-idx3-ubyte', encodeIdx([2, 3, 4], pixels));
    assert.deepEqual([...fs.readFileSync(file).subarray(0, 8)], [0, 0, 8, 3, 0, 0, 0, 2]);
    const got = readIdx(file, { dtype: 'uint8', ndim: 3 });
    assert.deepEqual(got.dims, [2, 3, 4]);
    assert.equal(got.dtype, 'uint8');
    assert.deepEqual([...got.data], [...pixels]);
  });

  it('reads a gzipped file the same way', () => {
    const file = write('images-idx3-ubyte.gz', zlib.gzipSync(encodeIdx([2, 3, 4], pixels)));
    assert.deepEqual([...readIdx(file).data], [...pixels]);
  });

  it('decodes big-endian int32 and float32 values', () => {
    const buf = Buffer.alloc(4 + 4 + 12);
    buf.writeUInt32BE(0x00000c01, 0);
    buf.writeUInt32BE(3, 4);
    [-2, 70000, 5].forEach((v, i) => buf.writeInt32BE(v, 8 + 4 * i));
    assert.deepEqual([...parseIdx(buf, 'ints').data], [-2, 70000, 5]);
    buf.writeUInt32BE(0x00000d01, 0);
    [1.5, -0.25, 3].forEach((v, i) => buf.writeFloatBE(v, 8 + 4 * i));
    const f = parseIdx(buf, 'floats');
    assert.equal(f.dtype, 'float32');
    assert.deepEqual([...f.data], [1.5, -0.25, 3]);
  });

  it('names the file when it is missing', () => {
    const file = path.join(dir, 'nope-idx1-ubyte');
    assert.throws(() => readIdx(file), (e: Error) => e.message === `IDX file ${file} does not exist`);
  });

  it('rejects a wrong magic number', () => {
    const bytes = encodeIdx([4], Uint8Array.of(1, 2, 3, 4));
    bytes[0] = 0x1a;
    const file = write('bad-magic', bytes);
    assert.throws(() => readIdx(file), new RegExp(`^Error: IDX file ${file} has wrong magic number 0x1a000801`));
    const unknownType = encodeIdx([4], Uint8Array.of(1, 2, 3, 4));
    unknownType[2] = 0x07;
    assert.throws(() => parseIdx(unknownType, 'x.idx'), /x\.idx has wrong magic number 0x00000701/);
  });

  it('rejects a file whose header promises more data than it holds', () => {
    const whole = encodeIdx([2, 3, 4], pixels);
    const file = write('truncated-idx3-ubyte', whole.subarray(0, whole.length - 5));
    assert.throws(() => readIdx(file), (e: Error) => e.message.startsWith(`IDX file ${file} is truncated`) &&
      e.message.includes('24 bytes, but only 19 bytes follow the header'));
    const headerOnly = write('short-header', whole.subarray(0, 9));
    assert.throws(() => readIdx(headerOnly), /short-header is truncated: 9 bytes, fewer than its 16-byte header/);
    assert.throws(() => parseIdx(Uint8Array.of(0, 0), 'tiny'), /tiny is truncated: 2 bytes/);
  });

  it('rejects trailing bytes after the announced values', () => {
    const file = write('long', Buffer.concat([encodeIdx([3], Uint8Array.of(1, 2, 3)), Buffer.from([9, 9])]));
    assert.throws(() => readIdx(file), /long has 2 bytes after the \(3\) uint8 values/);
  });

  it('rejects corrupt and truncated gzip data', () => {
    const gz = zlib.gzipSync(encodeIdx([2, 3, 4], pixels));
    const cut = write('cut.gz', gz.subarray(0, gz.length - 10));
    assert.throws(() => readIdx(cut), new RegExp(`IDX file ${cut} is a corrupt or truncated gzip file`));
    const garbled = Buffer.from(gz);
    garbled.fill(0xff, 10, 20);
    const bad = write('garbled.gz', garbled);
    assert.throws(() => readIdx(bad), /garbled\.gz is a corrupt or truncated gzip file/);
  });

  it('checks the expected dimensions and type', () => {
    const file = write('labels-idx1-ubyte', encodeIdx([3], Uint8Array.of(1, 2, 3)));
    assert.throws(() => readIdx(file, { ndim: 3 }), /labels-idx1-ubyte has 1 dimensions \(magic number 0x00000801\) but 3 were expected/);
    assert.throws(() => readIdx(file, { dtype: 'float32' }), /holds uint8 values .* but float32 were expected/);
  });
});
