// Runs test/helpers/transforms_ref.py (torchvision 0.14, image by image) on
// the same images and parameters as the batched JS transforms.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { runPythonReference } from '../../helpers/python-reference';

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
  return runPythonReference<Packed[]>('transforms_ref.py', payload).map((p, i) => {
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
