// Assertions for tensor values against hand-computed nested arrays, and small tensor builders.
import * as assert from 'node:assert/strict';
import { torch } from '../../lib';

/**
 * Asserts that `actual` has the nesting (shape) of `expected` and values within
 * `tol` (relative to 1 + |expected|); NaN matches NaN, infinities match exactly.
 */
export function assertClose(actual: torch.Tensor, expected: torch.NestedArray, tol = 1e-5): void {
  const got = actual.toArray();
  const walk = (a: torch.NestedArray, e: torch.NestedArray, path: string): void => {
    if (Array.isArray(e)) {
      assert.ok(Array.isArray(a) && a.length === e.length,
        `shape differs at ${path}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
      for (let i = 0; i < e.length; i++) walk((a as torch.NestedArray[])[i], e[i], `${path}[${i}]`);
      return;
    }
    assert.ok(!Array.isArray(a), `shape differs at ${path}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    const x = Number(a);
    const y = Number(e);
    const ok = Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)) || Math.abs(x - y) <= tol * (1 + Math.abs(y));
    assert.ok(ok, `${path}: got ${x}, expected ${y} (all: ${JSON.stringify(got)})`);
  };
  walk(got, expected, 'value');
}

/** The values of a tensor as a flat array of numbers. */
export function flat(t: torch.Tensor): number[] {
  return Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
}

/** A float32 tensor. */
export const f = (data: torch.NestedInput): torch.Tensor => torch.tensor(data, { dtype: 'float32' });
/** An int64 tensor. */
export const i64 = (data: torch.NestedInput): torch.Tensor => torch.tensor(data, { dtype: 'int64' });
/** 0, 1, ..., n-1 as float32 with the given shape. */
export const grid = (shape: number[]): torch.Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return torch.tensor(Float32Array.from({ length: n }, (_, i) => i), { shape });
};

/** Asserts |actual - expected| <= tol * (1 + |expected|), naming `what`. @example near(loss, 0.6931, 'loss'); */
export function near(actual: number, expected: number, what: string, tol = 1e-5): void {
  assert.ok(Math.abs(actual - expected) <= tol * (1 + Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

/** `near` for each element, after equal lengths. @example nearAll(values(t), [1, 2], 'row'); */
export function nearAll(actual: number[], expected: number[], what: string, tol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((v, i) => near(v, expected[i], `${what}[${i}]`, tol));
}
