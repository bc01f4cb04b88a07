// safetensors: the format pinned by hand-checked bytes (the upstream crate's
// own test vectors), byte equality and two-way loading against a Python
// reference (test/helpers/safetensors_ref.py, run with Debian's torch), and
// an error test per kind of corrupt file.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import {
  loadSafetensors, loadSafetensorsAsync, parseSafetensors, readSafetensorsHeader, readSafetensorsMetadata,
  saveSafetensors, saveSafetensorsAsync, serializeSafetensors,
} from '../../lib/torch/safetensors';

type Tensor = torch.Tensor;

const PYTHON = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';

function repoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'selfsup') return dir;
  }
  throw new Error(`no selfsup package.json above ${__dirname}`);
}
const REF = path.join(repoRoot(), 'test', 'helpers', 'safetensors_ref.py');

/** A tensor described the same way here and in safetensors_ref.py (`build`): keep the two in step. */
interface Spec {
  name: string;
  dtype: torch.DType;
  shape: number[];
  seed: number;
  layout?: 'contiguous' | 'transpose' | 'narrow';
  specials?: boolean;
}
interface FileSpec { tensors: Spec[]; metadata: Record<string, string> | null }

function values(dtype: torch.DType, n: number, seed: number, specials: boolean): Tensor {
  const idx = Array.from({ length: n }, (_, i) => i);
  switch (dtype) {
    case 'int64':
      return torch.tensor(BigInt64Array.from(idx, (i) => BigInt(i) * 3000000007123n - 2n ** 60n + BigInt(seed)));
    case 'int32':
      return torch.tensor(Int32Array.from(idx, (i) => ((i * 7919 * 100003 + seed) % 4294967296) - 2147483648));
    case 'int16':
      return torch.tensor(Int16Array.from(idx, (i) => ((i * 7919 + seed) % 65536) - 32768));
    case 'int8':
      return torch.tensor(Int8Array.from(idx, (i) => ((i * 7919 + seed) % 256) - 128));
    case 'uint8':
      return torch.tensor(Uint8Array.from(idx, (i) => (i * 7919 + seed) % 256));
    case 'bool':
      return torch.tensor(Uint8Array.from(idx, (i) => ((i * 7919 + seed) % 3 === 0 ? 1 : 0)), { dtype: 'bool' });
    default: {
      const v = Float64Array.from(idx, (i) => (((i * 7919 + seed * 131) % 2001) - 1000) / 16);
      if (specials) [NaN, Infinity, -Infinity, -0].slice(0, n).forEach((x, i) => { v[i] = x; });
      return torch.tensor(v).to(dtype);
    }
  }
}

function build(s: Spec): Tensor {
  const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
  if (s.layout === 'transpose') {
    return values(s.dtype, numel(s.shape), s.seed, !!s.specials).reshape([s.shape[1], s.shape[0]]).t();
  }
  if (s.layout === 'narrow') {
    const wide = [...s.shape.slice(0, -1), s.shape[s.shape.length - 1] * 2];
    return values(s.dtype, numel(wide), s.seed, !!s.specials).reshape(wide).narrow(s.shape.length - 1, 1, s.shape[s.shape.length - 1]);
  }
  return values(s.dtype, numel(s.shape), s.seed, !!s.specials).reshape(s.shape);
}

function buildAll(spec: FileSpec): Map<string, Tensor> {
  return new Map(spec.tensors.map((s) => [s.name, build(s)]));
}

/** The elements' bit patterns, so NaN, -0 and bf16 compare exactly. */
function bits(t: Tensor): ArrayLike<number | bigint> {
  const as: Partial<Record<torch.DType, torch.DType>> = {
    float64: 'int64', float32: 'int32', float16: 'int16', bfloat16: 'int16', bool: 'uint8',
  };
  const c = t.contiguous();
  return torch.ops.aten.view.dtype(c, as[t.dtype] ?? t.dtype).toTypedArray();
}

function assertSameTensor(got: Tensor | undefined, want: Tensor, name: string): void {
  assert.ok(got !== undefined, `missing tensor ${name}`);
  assert.equal(got.dtype, want.dtype, `${name} dtype`);
  assert.deepEqual(got.shape, want.shape, `${name} shape`);
  assert.deepEqual(bits(got), bits(want), `${name} values`);
}

interface RefResult { ok: boolean; problems?: string[]; keys?: string[] }

function runReference(dir: string, jobs: { op: 'write' | 'check'; spec: FileSpec; file: string }[]): RefResult[] {
  const file = path.join(dir, 'jobs.json');
  fs.writeFileSync(file, JSON.stringify({ jobs }));
  const out = execFileSync(PYTHON, [REF, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out) as RefResult[];
}

/** Header JSON text of a file's bytes, padding included. */
function headerText(bytes: Buffer): string {
  const n = Number(bytes.readBigUInt64LE(0));
  return bytes.subarray(8, 8 + n).toString('utf8');
}

let tmp: string;

// One describe around the others so that the folder is removed before the run's
// leftover-folder check (a root-level after hook would run after it).
describe('safetensors', () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-safetensors-'));
  });
  after(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('safetensors format', () => {
    it('writes the upstream crate\'s test vectors byte for byte', () => {
      // safetensors/src/tensor.rs, test_serialization: "attn.0", F32 [1, 2, 3], values 0..5.
      const expected = Buffer.from([
        64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100,
        116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34,
        58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115,
        101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 0, 0, 0, 0, 0, 0, 128, 63,
        0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
      ]);
      const data = torch.tensor(new Float32Array([0, 1, 2, 3, 4, 5]));
      assert.deepEqual(serializeSafetensors({ 'attn.0': data.reshape([1, 2, 3]) }), expected);

      // test_serialization_forced_alignement: a shorter name needs 7 spaces of padding.
      const forced = serializeSafetensors({ attn0: data.reshape([1, 1, 2, 3]) });
      const json = '{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}';
      assert.equal(json.length, 65);
      assert.deepEqual(forced.subarray(0, 8), Buffer.from([72, 0, 0, 0, 0, 0, 0, 0]));
      assert.equal(forced.subarray(8, 80).toString('latin1'), `${json}       `);
      assert.deepEqual(forced.subarray(80), expected.subarray(72));

      // test_empty: no tensors, without and with metadata.
      assert.deepEqual(serializeSafetensors({}), Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]));
      const meta = serializeSafetensors(new Map(), { framework: 'pt' });
      assert.equal(meta.readBigUInt64LE(0), 40n);
      assert.equal(meta.subarray(8).toString('latin1'), '{"__metadata__":{"framework":"pt"}}     ');
    });

    it('lays tensors out by descending alignment, then by name in UTF-8 order', () => {
      const dtypes: torch.DType[] = ['bool', 'uint8', 'int8', 'int16', 'float16', 'bfloat16', 'int32', 'float32', 'float64', 'int64'];
      const tensors: Record<string, Tensor> = {};
      for (const d of dtypes) tensors[`t_${d}`] = torch.zeros([3], { dtype: d });
      // U+FF5E is one UTF-16 unit above U+D83D (the first unit of U+1F600) but
      // its UTF-8 bytes sort first, as Rust compares strings.
      for (const name of ['b', 'a', 'B', '\u{1F600}', '\uFF5E']) tensors[name] = torch.zeros([1]);
      const bytes = serializeSafetensors(tensors);
      const header = headerText(bytes);
      const order = [...header.matchAll(/"([^"]+)":\{"dtype"/g)].map((m) => m[1]);
      assert.deepEqual(order, ['t_int64', 't_float64', 'B', 'a', 'b', 't_float32', '\uFF5E', '\u{1F600}', 't_int32',
        't_bfloat16', 't_float16', 't_int16', 't_int8', 't_uint8', 't_bool']);
      // Every tensor starts aligned to its element size within the file.
      const start = 8 + Number(bytes.readBigUInt64LE(0));
      for (const m of header.matchAll(/"dtype":"([A-Z0-9]+)","shape":\[[0-9,]*\],"data_offsets":\[(\d+),/g)) {
        const size = { I64: 8, F64: 8, F32: 4, I32: 4, BF16: 2, F16: 2, I16: 2 }[m[1]] ?? 1;
        assert.equal((start + Number(m[2])) % size, 0, `${m[1]} at ${m[2]}`);
      }
    });

    it('writes "__metadata__" first, keys sorted, and omits it when metadata is undefined', () => {
      const x = { x: torch.zeros([1]) };
      assert.match(headerText(serializeSafetensors(x, { z: '1', a: '2' })), /^\{"__metadata__":\{"a":"2","z":"1"\},"x":/);
      assert.match(headerText(serializeSafetensors(x, {})), /^\{"__metadata__":\{\},"x":/);
      assert.match(headerText(serializeSafetensors(x)), /^\{"x":/);
    });
  });

  describe('safetensors interop with PyTorch', function () {
    this.timeout(120_000);
    const ALL: FileSpec = {
      metadata: { format: 'pt', epoch: '3' },
      tensors: [
        { name: 'f64', dtype: 'float64', shape: [3, 4], seed: 1, specials: true },
        { name: 'f32', dtype: 'float32', shape: [2, 3, 4], seed: 2, specials: true },
        { name: 'f16', dtype: 'float16', shape: [5, 3], seed: 3, specials: true },
        { name: 'bf16', dtype: 'bfloat16', shape: [7], seed: 4, specials: true },
        { name: 'i64', dtype: 'int64', shape: [4, 2], seed: 5 },
        { name: 'i32', dtype: 'int32', shape: [9], seed: 6 },
        { name: 'i16', dtype: 'int16', shape: [3, 3], seed: 7 },
        { name: 'i8', dtype: 'int8', shape: [11], seed: 8 },
        { name: 'u8', dtype: 'uint8', shape: [2, 5], seed: 9 },
        { name: 'mask', dtype: 'bool', shape: [13], seed: 10 },
        { name: 'scalar', dtype: 'float32', shape: [], seed: 11 },
        { name: 'step', dtype: 'int64', shape: [], seed: 12 },
        { name: 'empty', dtype: 'float32', shape: [0, 3], seed: 13 },
        { name: 'empty.bf16', dtype: 'bfloat16', shape: [2, 0], seed: 14 },
        { name: 'layer.0.weight.T', dtype: 'float32', shape: [6, 4], seed: 15, layout: 'transpose' },
        { name: 'half.T', dtype: 'float16', shape: [3, 5], seed: 16, layout: 'transpose' },
        { name: 'odd', dtype: 'bfloat16', shape: [2, 3, 4], seed: 17, layout: 'narrow' },
        { name: 'big', dtype: 'float32', shape: [64, 257], seed: 18 },
      ],
    };
    const NAMES: FileSpec = {
      metadata: { 'quote"back\\slash': 'line\nbreak\ttab\u0001', 'é': '\u{1F600}', '/': '\u2028' },
      tensors: [
        { name: 'q"uote', dtype: 'float32', shape: [2], seed: 1 },
        { name: 'back\\slash', dtype: 'float32', shape: [2], seed: 2 },
        { name: 'new\nline\u0007', dtype: 'int8', shape: [2], seed: 3 },
        { name: 'café', dtype: 'int8', shape: [2], seed: 4 },
        { name: '\u{1F600}', dtype: 'float32', shape: [1], seed: 5 },
        { name: '\uFF5E', dtype: 'float32', shape: [1], seed: 6 },
        { name: '10', dtype: 'float32', shape: [1], seed: 7 },
        { name: '2', dtype: 'float32', shape: [1], seed: 8 },
        { name: '__proto__', dtype: 'float32', shape: [1], seed: 9 },
      ],
    };
    const NO_META: FileSpec = { metadata: null, tensors: [{ name: 'w', dtype: 'float32', shape: [2, 2], seed: 1 }] };
    const specs = { all: ALL, names: NAMES, noMeta: NO_META };
    const results = new Map<string, RefResult>();

    before(() => {
      const jobs: { op: 'write' | 'check'; spec: FileSpec; file: string }[] = [];
      for (const [key, spec] of Object.entries(specs)) {
        const file = path.join(tmp, `${key}.js.safetensors`);
        saveSafetensors(file, buildAll(spec), spec.metadata ?? undefined);
        jobs.push({ op: 'check', spec, file }, { op: 'write', spec, file: path.join(tmp, `${key}.py.safetensors`) });
      }
      runReference(tmp, jobs).forEach((r, i) => results.set(`${jobs[i].op} ${path.basename(jobs[i].file)}`, r));
    });

    for (const key of Object.keys(specs) as (keyof typeof specs)[]) {
      it(`${key}: files written here load in Python with equal values, in the same order`, () => {
        const r = results.get(`check ${key}.js.safetensors`);
        assert.ok(r?.ok, JSON.stringify(r?.problems));
        const header = readSafetensorsHeader(path.join(tmp, `${key}.js.safetensors`));
        const ours = [...(header.metadata ? ['__metadata__'] : []), ...header.tensors.keys()];
        assert.deepEqual(r?.keys, ours);
      });

      it(`${key}: files written by the Python reference load here`, () => {
        const spec = specs[key];
        const loaded = loadSafetensors(path.join(tmp, `${key}.py.safetensors`));
        const want = buildAll(spec);
        assert.equal(loaded.size, want.size);
        for (const [name, t] of want) assertSameTensor(loaded.get(name), t, name);
        assert.deepEqual(readSafetensorsMetadata(path.join(tmp, `${key}.py.safetensors`)), spec.metadata ?? {});
      });

      it(`${key}: bytes equal the Python reference writer's`, () => {
        const spec = specs[key];
        const py = fs.readFileSync(path.join(tmp, `${key}.py.safetensors`));
        const ours = serializeSafetensors(buildAll(spec), spec.metadata ?? undefined);
        assert.equal(headerText(ours), headerText(py));
        assert.ok(ours.equals(py), 'data sections differ');
        assert.ok(fs.readFileSync(path.join(tmp, `${key}.js.safetensors`)).equals(py), 'saveSafetensors differs from serializeSafetensors');
      });
    }
  });

  describe('loadSafetensors', () => {
    it('keeps header order (integer-like names included) and returns fresh CPU tensors', async () => {
      const file = path.join(tmp, 'order.safetensors');
      const src = new Map<string, Tensor>([['10', torch.ones([2])], ['2', torch.zeros([2])], ['a', torch.full([2], 3)]]);
      saveSafetensors(file, src);
      const sync = loadSafetensors(file);
      assert.deepEqual([...sync.keys()], ['10', '2', 'a']);
      const parsed = parseSafetensors(fs.readFileSync(file), file);
      const asynced = await loadSafetensorsAsync(file, { device: 'cpu' });
      for (const m of [sync, parsed, asynced]) {
        assert.deepEqual([...m.keys()], ['10', '2', 'a']);
        assert.deepEqual(m.get('a')?.toArray(), [3, 3]);
        assert.equal(m.get('a')?.device, 'cpu');
      }
    });

    it('saves parameters that require grad and reads bytes from the middle of a larger buffer', () => {
      const w = torch.randn([3, 4]).requiresGrad_();
      const bytes = serializeSafetensors({ w: w.mul(2) });
      const padded = Buffer.concat([Buffer.from('xyz'), bytes]);
      const back = parseSafetensors(padded.subarray(3));
      assert.equal(back.get('w')?.requiresGrad, false);
      assertSameTensor(back.get('w'), w.mul(2).detach(), 'w');
    });

    it('async save and load round trip', async () => {
      const file = path.join(tmp, 'async.safetensors');
      const src = buildAll({ metadata: null, tensors: [
        { name: 'a', dtype: 'bfloat16', shape: [4, 3], seed: 1, layout: 'transpose' },
        { name: 'b', dtype: 'int64', shape: [5], seed: 2 },
      ] });
      await saveSafetensorsAsync(file, src, { k: 'v' });
      assert.ok(fs.readFileSync(file).equals(serializeSafetensors(src, { k: 'v' })));
      const back = await loadSafetensorsAsync(file);
      for (const [name, t] of src) assertSameTensor(back.get(name), t, name);
    });

    it('round trips CUDA tensors when a GPU is present', async function () {
      if (!torch.cuda.isAvailable()) this.skip();
      const file = path.join(tmp, 'cuda.safetensors');
      const x = torch.randn([64, 33], { device: 'cuda' }).to('bfloat16');
      const y = x.t();
      saveSafetensors(file, { x, y });
      const back = loadSafetensors(file, { device: 'cuda' });
      assert.equal(back.get('x')?.device, 'cuda:0');
      assertSameTensor(back.get('x')?.cpu(), x.cpu(), 'x');
      assertSameTensor(back.get('y')?.cpu(), y.cpu(), 'y');
      await saveSafetensorsAsync(file, { x, y });
      assertSameTensor((await loadSafetensorsAsync(file)).get('y'), y.cpu(), 'y async');
    });

    it('frees everything it made: live tensors stay flat', () => {
      const file = path.join(tmp, 'leak.safetensors');
      saveSafetensors(file, { a: torch.ones([8]), b: torch.ones([2, 2], { dtype: 'float16' }) });
      const before = torch.memory().tensors;
      for (let i = 0; i < 20; i++) torch.scope(() => { loadSafetensors(file); serializeSafetensors({ c: torch.ones([3]).t() }); });
      assert.equal(torch.memory().tensors, before);
    });
  });

  describe('safetensors errors', () => {
    /** A file from a header (object or raw text) and data bytes. */
    function craft(name: string, header: object | string | Buffer, data: Buffer = Buffer.alloc(0), length?: bigint): string {
      const json = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(length ?? BigInt(json.length));
      const file = path.join(tmp, name);
      fs.writeFileSync(file, Buffer.concat([prefix, json, data]));
      return file;
    }
    const f32 = (shape: number[], offsets: number[]): object => ({ dtype: 'F32', shape, data_offsets: offsets });
    const fails = (file: string, pattern: RegExp): void => {
      const escaped = file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      assert.throws(() => loadSafetensors(file), new RegExp(`^Error: ${escaped}: ${pattern.source}`));
    };

    it('names the file and the problem for each kind of corruption', () => {
      fails(craft('zero.safetensors', ''), /the header is not valid JSON/);
      const tiny = path.join(tmp, 'tiny.safetensors');
      fs.writeFileSync(tiny, Buffer.from([1, 2, 3]));
      fails(tiny, /the file has 3 bytes, too few for the 8-byte header length/);
      fails(craft('long-header.safetensors', '{}', Buffer.alloc(292), 1048576n), /the header says it is 1048576 bytes but the file has only 294 after the length/);
      fails(craft('huge-header.safetensors', '{}', Buffer.alloc(0), 1n << 40n), /the header length is 1099511627776 bytes, more than the 100000000 allowed/);
      fails(craft('utf8.safetensors', Buffer.from('{"\xff":1}', 'latin1')), /the header is not valid UTF-8/);
      fails(craft('json.safetensors', '{"a": {'), /the header is not valid JSON/);
      fails(craft('array.safetensors', '[1, 2]'), /the header must be a JSON object but is an array/);
      fails(craft('dtype.safetensors', { a: { dtype: 'X9', shape: [1], data_offsets: [0, 4] } }, Buffer.alloc(4)),
        /tensor 'a' has unknown dtype "X9" \(expected one of I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL\)/);
      fails(craft('u16.safetensors', { a: { dtype: 'U16', shape: [2], data_offsets: [0, 4] } }, Buffer.alloc(4)),
        /tensor 'a' has dtype U16, which libtorch has no tensor type for here/);
      fails(craft('shape.safetensors', { a: f32([-1], [0, 4]) }, Buffer.alloc(4)), /tensor 'a': expected an array of non-negative integers for shape/);
      fails(craft('missing.safetensors', { a: { dtype: 'F32', shape: [1] } }, Buffer.alloc(4)), /tensor 'a': expected data_offsets \[begin, end\]/);
      fails(craft('size.safetensors', { a: f32([2, 3], [0, 20]) }, Buffer.alloc(20)),
        /tensor 'a': F32 of shape \[2, 3\] needs 24 bytes but data_offsets \[0, 20\] span 20/);
      fails(craft('overlap.safetensors', { a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, Buffer.alloc(12)),
        /tensor 'b' starts at byte 4 of the data and overlaps tensor 'a', which ends at 8/);
      fails(craft('gap.safetensors', { a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, Buffer.alloc(12)),
        /tensor 'b' starts at byte 8 of the data and leaves a gap after tensor 'a', which ends at 4/);
      fails(craft('start.safetensors', { a: f32([1], [4, 8]) }, Buffer.alloc(8)), /tensor 'a' starts at byte 4 of the data and leaves a gap after the start/);
      fails(craft('truncated.safetensors', { a: f32([4], [0, 16]) }, Buffer.alloc(10)),
        /the file is truncated: its tensors need 16 bytes of data after the header but it has 10/);
      fails(craft('trailing.safetensors', { a: f32([1], [0, 4]) }, Buffer.alloc(6)), /the tensors cover 4 bytes of data but the file has 6 after the header/);
      fails(craft('dup.safetensors', '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
        Buffer.alloc(4)), /the header names 'a' twice/);
      fails(craft('meta.safetensors', { __metadata__: { epoch: 3 } }), /__metadata__ must map strings to strings but 'epoch' holds number 3/);
      fails(craft('info.safetensors', { a: 'F32' }), /tensor 'a': expected an object with dtype, shape and data_offsets but found "F32"/);
    });

    it('reports truncation of a real file, from parse, header reads and async loads too', async () => {
      const file = path.join(tmp, 'cut.safetensors');
      saveSafetensors(file, { w: torch.ones([100]) });
      const whole = fs.readFileSync(file);
      fs.writeFileSync(file, whole.subarray(0, whole.length - 7));
      fails(file, /the file is truncated: its tensors need 400 bytes of data after the header but it has 393/);
      assert.throws(() => readSafetensorsHeader(file), /cut\.safetensors: the file is truncated/);
      await assert.rejects(loadSafetensorsAsync(file), /cut\.safetensors: the file is truncated/);
      assert.throws(() => parseSafetensors(whole.subarray(0, 20), 'model.bin'), /^Error: model\.bin: the header says it is \d+ bytes but the file has only 12/);
    });

    it('rejects what it cannot write, naming the tensor', () => {
      const x = torch.ones([1]);
      assert.throws(() => serializeSafetensors({ __metadata__: x }), /'__metadata__' is reserved/);
      assert.throws(() => serializeSafetensors({ a: [1, 2] as unknown as Tensor }), /expected a Tensor for 'a' but received object/);
      assert.throws(() => serializeSafetensors({ x }, { epoch: 3 as unknown as string }), /expected a string for metadata\['epoch'\] but received number/);
      assert.throws(() => serializeSafetensors({ ['bad\uD800']: x }), /lone surrogate/);
      const gone = torch.ones([1]);
      gone.dispose();
      assert.throws(() => serializeSafetensors({ gone }), /tensor 'gone' has been disposed/);
      assert.throws(() => loadSafetensors(path.join(tmp, 'nope.safetensors')), /ENOENT/);
      assert.throws(() => loadSafetensors(path.join(tmp, 'nope.safetensors'), { device: 'gpu' as torch.Device }), /Expected 'cpu', 'cuda' or 'cuda:N' for options.device/);
    });

    it('a failed save leaves the previous file intact and no temporary file', () => {
      const dir = fs.mkdtempSync(path.join(tmp, 'atomic-'));
      const file = path.join(dir, 'model.safetensors');
      saveSafetensors(file, { w: torch.ones([4]) });
      const before = fs.readFileSync(file);
      const gone = torch.ones([1]);
      gone.dispose();
      assert.throws(() => saveSafetensors(file, { w: torch.zeros([4]), gone }), /has been disposed/);
      assert.ok(fs.readFileSync(file).equals(before));
      fs.mkdirSync(path.join(dir, 'is-a-dir'));
      assert.throws(() => saveSafetensors(path.join(dir, 'is-a-dir'), { w: torch.zeros([4]) }), /EISDIR|EPERM|ENOTEMPTY|EEXIST/);
      assert.deepEqual(fs.readdirSync(dir).sort(), ['is-a-dir', 'model.safetensors']);
    });
  });
});
