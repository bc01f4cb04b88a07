// Runs test/helpers/inpainting_ref.py (PyTorch re-implementations of the
// context encoder and the damaged jigsaw) on tensors from the tests.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { runPythonReference } from './python-reference';

/** One reference computation: `op` of inpainting_ref.py on named tensors with JSON `args`. */
export interface InpaintingCase {
  op: string;
  inputs?: Record<string, torch.Tensor>;
  args?: Record<string, unknown>;
}

interface Packed { shape: number[]; data: number[] }
interface Answer { outputs?: Record<string, Packed>; error?: string }

/**
 * Runs the cases in one python process; each answer's outputs come back as float64 CPU tensors.
 * @example const [{ weights }] = inpaintingReference([{ op: 'inpainting_weights', inputs: { hole }, args: { overlap: 1, overlapWeight: 10 } }]);
 */
export function inpaintingReference(cases: InpaintingCase[]): Record<string, torch.Tensor>[] {
  const payload = cases.map((c) => ({
    op: c.op,
    args: c.args ?? {},
    inputs: Object.fromEntries(Object.entries(c.inputs ?? {}).map(([k, t]) => [k, {
      shape: t.shape, data: Array.from(t.detach().cpu().to('float64').toTypedArray() as Float64Array),
    }])),
  }));
  return runPythonReference<Answer[]>('inpainting_ref.py', payload).map((a, i) => {
    if (a.error !== undefined || a.outputs === undefined) assert.fail(`reference ${cases[i].op}: ${a.error}`);
    return Object.fromEntries(Object.entries(a.outputs).map(([k, p]) =>
      [k, torch.tensor(Float64Array.from(p.data), { shape: p.shape })]));
  });
}
