// Runs test/helpers/transforms_ref.py (torchvision 0.14, image by image) on
// the same images and parameters as the batched JS transforms.
import { execFileSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../../../lib/torch';

/** The python3 that has Debian's torch and torchvision (not a pyenv python3 first on PATH). */
const PYTHON = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';

/** The repository root: the first folder above this file with package.json named "selfsup". */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'selfsup') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`No selfsup package.json above ${__dirname}`);
    dir = up;
  }
}

/** One reference computation: `op` of transforms_ref.py on `images` (optional) with `args`. */
export interface RefCase { op: string; images?: torch.Tensor; args?: Record<string, unknown> }

interface Packed { shape?: number[]; data?: number[]; error?: string }

/** Runs the cases in one python process and returns float64 CPU tensors. */
export function reference(cases: RefCase[]): torch.Tensor[] {
  const payload = cases.map((c) => ({
    op: c.op,
    args: c.args ?? {},
    ...(c.images === undefined ? {} : {
      shape: c.images.shape,
      images: Array.from(c.images.detach().cpu().to('float64').toTypedArray() as Float64Array),
    }),
  }));
  const out = execFileSync(PYTHON, [path.join(repoRoot(), 'test', 'helpers', 'transforms_ref.py')], {
    input: JSON.stringify(payload), maxBuffer: 1 << 30, encoding: 'utf8',
  });
  return (JSON.parse(out) as Packed[]).map((p, i) => {
    if (p.error !== undefined) assert.fail(`reference ${cases[i].op}: ${p.error}`);
    return torch.tensor(Float64Array.from(p.data ?? []), { shape: p.shape ?? [] });
  });
}

/** Asserts equal shapes and |actual - expected| <= atol everywhere, naming the worst element. */
export function assertAllClose(actual: torch.Tensor, expected: torch.Tensor, atol = 1e-5, what = 'value'): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = actual.detach().cpu().to('float64').toTypedArray() as Float64Array;
  const e = expected.detach().cpu().to('float64').toTypedArray() as Float64Array;
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - e[i]);
    if (!(d <= worst)) { worst = d; at = i; }
  }
  assert.ok(worst <= atol, `${what}[${at}]: got ${a[at]}, expected ${e[at]} (|diff| ${worst} > atol ${atol})`);
}

/** Seeded float images in [0, 1]. */
export function images(shape: number[], seed = 0): torch.Tensor {
  return torch.rand(shape, { generator: new torch.Generator().manualSeed(seed) });
}

/** A seeded generator. */
export function gen(seed = 0): torch.Generator {
  return new torch.Generator().manualSeed(seed);
}
