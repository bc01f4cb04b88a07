// Runs test/helpers/optim_ref.py (torch.optim and reference formulas in
// Debian's python3-torch) and shares the seeded inputs of the optimiser tests.
import { mulberry32 } from '../helpers/parity';
import { runPythonReference } from '../helpers/python-reference';

/** Tensor data as sent to Python. */
export interface Packed { shape: number[]; data: number[] }

/** A seeded uniform generator in [0, 1), so inputs are the same on every run. */
export const seeded = mulberry32;

/** float32 values uniform in [low, high) with the given shape. */
export function randomPacked(rng: () => number, shape: number[], low = -1, high = 1): Packed {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Array.from({ length: n }, () => Math.fround(low + (high - low) * rng())) };
}

/** Sends `cases` to optim_ref.py and returns its JSON answer. */
export function runOptimRef<T>(cases: object[]): T[] {
  return runPythonReference<T[]>('optim_ref.py', cases);
}
