// Parity tests: run the same computation here and in Debian's python3-torch
// (the same libtorch 1.13) on the same inputs, and compare outputs and
// gradients within dtype tolerance.
//
//   parity('conv and pooling', [
//     { name: 'conv2d stride 2', inputs: [input('x', [2, 3, 8, 8]), input('w', [4, 3, 3, 3])],
//       js: (x, w) => F.conv2d(x, w, undefined, { stride: 2 }),
//       py: 'F.conv2d(x, w, stride=2)' },
//   ]);
import { execFileSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { torch } from '../../lib';

type Tensor = torch.Tensor;

export interface InputSpec {
  name: string;
  shape: number[];
  dtype?: 'float32' | 'float64' | 'int64' | 'bool' | 'uint8' | 'int32';
  requiresGrad?: boolean;
  /** Values are drawn uniformly from [low, high) (integers for integer dtypes). */
  low?: number;
  high?: number;
  /** Explicit values instead of random ones. */
  values?: number[];
}

export interface ParityCase {
  name: string;
  inputs: InputSpec[];
  /** The computation here, given the inputs in order. */
  js: (...inputs: Tensor[]) => Tensor | (Tensor | null | undefined)[] | { [k: string]: Tensor };
  /** The same computation as a Python expression over the inputs by name (`torch`, `F` and `math` in scope). */
  py: string;
  rtol?: number;
  atol?: number;
  /** Compare gradients too (default: when some input requires grad). */
  grads?: boolean;
}

/** A float32 input requiring grad, uniform in [-1, 1) unless stated. */
export function input(name: string, shape: number[], options: Omit<InputSpec, 'name' | 'shape'> = {}): InputSpec {
  const integral = options.dtype !== undefined && options.dtype !== 'float32' && options.dtype !== 'float64';
  return { name, shape, requiresGrad: !integral, ...options };
}

/** An input that does not require grad. */
export function constant(name: string, shape: number[], options: Omit<InputSpec, 'name' | 'shape'> = {}): InputSpec {
  return { name, shape, ...options, requiresGrad: false };
}

/** A small seeded uniform generator in [0, 1) (mulberry32), so inputs are the same on every run. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function values(spec: InputSpec, rng: () => number): number[] {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.values) {
    assert.equal(spec.values.length, n, `input ${spec.name}: ${spec.values.length} values for shape [${spec.shape}]`);
    return spec.values;
  }
  const dtype = spec.dtype ?? 'float32';
  if (dtype === 'bool') return Array.from({ length: n }, () => (rng() < 0.5 ? 1 : 0));
  const low = spec.low ?? (dtype === 'float32' || dtype === 'float64' ? -1 : 0);
  const high = spec.high ?? (dtype === 'float32' || dtype === 'float64' ? 1 : 10);
  if (dtype === 'float32') return Array.from({ length: n }, () => Math.fround(low + (high - low) * rng()));
  if (dtype === 'float64') return Array.from({ length: n }, () => low + (high - low) * rng());
  return Array.from({ length: n }, () => Math.floor(low + (high - low) * rng()));
}

interface Packed { shape: number[]; dtype: string; data: (number | string)[] }
interface Reference { outputs?: Packed[]; grads?: Record<string, Packed | null>; error?: string }

function decode(v: number | string): number {
  if (v === 'nan') return NaN;
  if (v === 'inf') return Infinity;
  if (v === '-inf') return -Infinity;
  return v as number;
}

/** The python3 that has Debian's torch (not a pyenv python3 that may come first on PATH). */
export const PYTHON = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';

// dist/test/helpers/parity.js -> test/helpers/parity.py; the working
// directory when compiled elsewhere.
const SCRIPT = [path.join(__dirname, '..', '..', '..', 'test', 'helpers', 'parity.py'),
  path.join(process.cwd(), 'test', 'helpers', 'parity.py')].find((p) => fs.existsSync(p)) ?? 'test/helpers/parity.py';

function runPython(cases: object[]): Reference[] {
  const out = execFileSync(PYTHON, [SCRIPT], {
    input: JSON.stringify(cases),
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  return JSON.parse(out) as Reference[];
}

function flatOutputs(result: ReturnType<ParityCase['js']>): Tensor[] {
  if (result instanceof torch.Tensor) return [result];
  if (Array.isArray(result)) return result.filter((t): t is Tensor => t instanceof torch.Tensor);
  return Object.values(result);
}

function compare(what: string, actual: Tensor, expected: Packed, rtol: number, atol: number): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  assert.equal(actual.dtype, expected.dtype, `${what}: dtype`);
  const got = actual.detach().to('float64').toTypedArray() as Float64Array;
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < got.length; i++) {
    const e = decode(expected.data[i]);
    const g = got[i];
    if (Number.isNaN(e) || Number.isNaN(g)) {
      assert.ok(Number.isNaN(e) && Number.isNaN(g), `${what}[${i}]: got ${g}, expected ${e}`);
      continue;
    }
    if (!Number.isFinite(e) || !Number.isFinite(g)) {
      assert.equal(g, e, `${what}[${i}]`);
      continue;
    }
    const excess = Math.abs(g - e) - (atol + rtol * Math.abs(e));
    if (excess > worst) {
      worst = excess;
      worstAt = i;
    }
  }
  if (worstAt >= 0) {
    assert.fail(`${what}[${worstAt}]: got ${got[worstAt]}, expected ${decode(expected.data[worstAt])} ` +
      `(rtol ${rtol}, atol ${atol})`);
  }
}

function gradWeights(t: Tensor): Tensor {
  const n = t.numel();
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = Math.sin(0.37 * i + 0.1);
  return torch.tensor(w, { shape: t.shape }).to(t.dtype);
}

/** Total count of parity cases registered, for the summary line. */
export let registeredCases = 0;

/**
 * Registers a mocha suite that checks each case's outputs (and gradients of
 * `sum(output * w)` with a fixed w) against PyTorch.
 */
export function parity(title: string, cases: ParityCase[]): void {
  registeredCases += cases.length;
  describe(`parity: ${title}`, function () {
    this.timeout(120000);
    const seeds = cases.map((_, i) => 1000 + i);
    const inputData = cases.map((c, i) => {
      const rng = mulberry32(seeds[i] * 7919 + title.length);
      return c.inputs.map((spec) => values(spec, rng));
    });
    let refs: Reference[] = [];
    before(() => {
      refs = runPython(cases.map((c, i) => ({
        py: c.py,
        inputs: c.inputs.map((spec, k) => ({ name: spec.name, shape: spec.shape, dtype: spec.dtype ?? 'float32',
          requiresGrad: spec.requiresGrad ?? false, data: inputData[i][k] })),
      })));
    });
    cases.forEach((c, i) => {
      it(c.name, () => {
        const ref = refs[i];
        assert.ok(ref && !ref.error, `PyTorch failed on the reference: ${ref?.error}`);
        torch.scope(() => {
          const leaves = c.inputs.map((spec, k) => {
            const dtype = spec.dtype ?? 'float32';
            const t = torch.tensor(Float64Array.from(inputData[i][k]), { shape: spec.shape }).to(dtype);
            return spec.requiresGrad ? t.requiresGrad_() : t;
          });
          const outs = flatOutputs(c.js(...leaves));
          const expected = ref.outputs!;
          assert.equal(outs.length, expected.length, 'number of outputs');
          const rtol = c.rtol ?? 1e-4;
          const atol = c.atol ?? 1e-5;
          outs.forEach((o, k) => compare(`output ${k}`, o, expected[k], rtol, atol));
          const wantGrads = c.grads ?? c.inputs.some((s) => s.requiresGrad);
          const diff = outs.filter((o) => o.requiresGrad);
          if (!wantGrads || diff.length === 0) return;
          let total: Tensor | undefined;
          for (const o of diff) {
            const term = torch.ops.aten.sum(torch.ops.aten.mul(o, gradWeights(o))) as Tensor;
            total = total === undefined ? term : (torch.ops.aten.add(total, term) as Tensor);
          }
          total!.backward();
          c.inputs.forEach((spec, k) => {
            if (!spec.requiresGrad) return;
            const e = ref.grads?.[spec.name];
            const g = leaves[k].grad;
            if (e === null || e === undefined) {
              assert.equal(g, undefined, `grad of ${spec.name}: PyTorch has none`);
              return;
            }
            assert.ok(g !== undefined, `grad of ${spec.name}: missing`);
            compare(`grad of ${spec.name}`, g, e, rtol * 10, atol * 10);
          });
        });
      });
    });
  });
}
