// Runs test/helpers/optim_ref.py (torch.optim and reference formulas in
// Debian's python3-torch) and shares the seeded inputs of the optimiser tests.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mulberry32 } from '../helpers/parity';

/** The python3 that has Debian's torch (as test/helpers/parity.ts). */
export const PYTHON = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';

/** Tensor data as sent to Python. */
export interface Packed { shape: number[]; data: number[] }

/** A seeded uniform generator in [0, 1), so inputs are the same on every run. */
export const seeded = mulberry32;

/** float32 values uniform in [low, high) with the given shape. */
export function randomPacked(rng: () => number, shape: number[], low = -1, high = 1): Packed {
  const n = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Array.from({ length: n }, () => Math.fround(low + (high - low) * rng())) };
}

function findRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'selfsup') return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/** Sends `cases` to optim_ref.py and returns its JSON answer. */
export function runOptimRef<T>(cases: object[]): T[] {
  const script = path.join(findRoot(), 'test', 'helpers', 'optim_ref.py');
  const out = execFileSync(PYTHON, [script], { input: JSON.stringify(cases), maxBuffer: 1 << 28, encoding: 'utf8' });
  return JSON.parse(out) as T[];
}
