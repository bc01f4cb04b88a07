// Assertion for tensor values against hand-computed nested arrays.
import * as assert from 'node:assert/strict';
import { NestedArray, Tensor } from '../../../lib/torch';

/**
 * Asserts that `actual` has the nesting (shape) of `expected` and values within
 * `tol` (relative to 1 + |expected|); NaN matches NaN, infinities match exactly.
 */
export function assertClose(actual: Tensor, expected: NestedArray, tol = 1e-5): void {
  const got = actual.toArray();
  const walk = (a: NestedArray, e: NestedArray, path: string): void => {
    if (Array.isArray(e)) {
      assert.ok(Array.isArray(a) && a.length === e.length,
        `shape differs at ${path}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
      for (let i = 0; i < e.length; i++) walk((a as NestedArray[])[i], e[i], `${path}[${i}]`);
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
