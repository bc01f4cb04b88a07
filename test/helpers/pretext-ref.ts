// Runs test/helpers/pretext_ref.py (scikit-image's Lab conversion and PyTorch
// re-implementations of the pretext tasks) on tensors from the tests.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { runPythonReference } from './python-reference';

/** One reference computation: `op` of pretext_ref.py on named tensors with JSON `args`. */
export interface PretextCase {
  op: string;
  inputs?: Record<string, torch.Tensor>;
  args?: Record<string, unknown>;
}

interface Packed { shape: number[]; data: number[] }
interface Answer { outputs?: Record<string, Packed>; error?: string }

/**
 * Runs the cases in one python process (test/helpers/`script`, default pretext_ref.py); each answer's outputs
 * come back as float64 CPU tensors.
 * @example const [{ lab }] = pretextReference([{ op: 'rgb2lab', inputs: { rgb } }]);
 */
export function pretextReference(cases: PretextCase[], script = 'pretext_ref.py'): Record<string, torch.Tensor>[] {
  const payload = cases.map((c) => ({
    op: c.op,
    args: c.args ?? {},
    inputs: Object.fromEntries(Object.entries(c.inputs ?? {}).map(([k, t]) => [k, {
      shape: t.shape, data: Array.from(t.detach().cpu().to('float64').toTypedArray() as Float64Array),
    }])),
  }));
  return runPythonReference<Answer[]>(script, payload).map((a, i) => {
    if (a.error !== undefined || a.outputs === undefined) assert.fail(`reference ${cases[i].op}: ${a.error}`);
    return Object.fromEntries(Object.entries(a.outputs).map(([k, p]) =>
      [k, torch.tensor(Float64Array.from(p.data), { shape: p.shape })]));
  });
}
