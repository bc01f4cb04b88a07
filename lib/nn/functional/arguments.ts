// Argument checks and shaping shared by the functional operators (internal:
// not re-exported). Every check runs on JS values and tensor metadata only,
// never on tensor data, so nothing here waits for a device.
import { Tensor } from '../../torch/tensor';

/** `value` as error messages show it: strings quoted, arrays as JSON, tensors by shape. */
export function describe(value: unknown): string {
  if (value instanceof Tensor) return `a Tensor of shape [${value.shape.join(', ')}]`;
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

/** `value` as a Tensor, or a TypeError naming the argument. */
export function checkTensor(value: unknown, what: string): Tensor {
  if (value instanceof Tensor) return value;
  throw new TypeError(`Expected a Tensor for ${what} but received ${describe(value)}`);
}

/** The handle of an optional Tensor argument; null (ATen's None) when absent. */
export function optionalTensor(value: Tensor | null | undefined, what: string): unknown {
  return value === undefined || value === null ? null : checkTensor(value, what)._h;
}

/** `value` if it is an integer no smaller than `min`. */
export function checkInt(value: unknown, what: string, min = -Infinity): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  const kind = min === 1 ? 'positive integer' : min === 0 ? 'non-negative integer'
    : min === -Infinity ? 'integer' : `integer >= ${min}`;
  throw new TypeError(`Expected ${kind} for ${what} but received ${describe(value)}`);
}

/** `value` if it is a number within [min, max] (NaN never is; min Number.MIN_VALUE means positive). */
export function checkNumber(value: unknown, what: string, min = -Infinity, max = Infinity): number {
  if (typeof value === 'number' && value >= min && value <= max) return value;
  const range = max !== Infinity ? `a number in [${min}, ${max}]`
    : min === -Infinity ? 'a number' : min === 0 ? 'a non-negative number'
      : min === Number.MIN_VALUE ? 'a positive number' : `a number >= ${min}`;
  throw new TypeError(`Expected ${range} for ${what} but received ${describe(value)}`);
}

/** `value` if it is a boolean. */
export function checkBoolean(value: unknown, what: string): boolean {
  if (typeof value === 'boolean') return value;
  throw new TypeError(`Expected true or false for ${what} but received ${describe(value)}`);
}

/** `value` if it is one of `allowed`. */
export function checkOneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new TypeError(`Expected one of ${allowed.map((a) => `'${a}'`).join(', ')} for ${what} but received ` +
    describe(value));
}

/**
 * One integer per spatial dimension, as PyTorch's `_pair`/`_triple`: a number
 * (which the operator repeats `n` times), or an array of `n` entries.
 */
export function intTuple(value: number | readonly number[], n: number, what: string, min = -Infinity): number | number[] {
  // NOTE: a single number stays a number: the operators' `int[N]` arguments
  // repeat it natively, which is cheaper than reading an array across N-API.
  if (typeof value === 'number') return checkInt(value, what, min);
  if (Array.isArray(value) && value.length === n) {
    return value.map((v, i) => checkInt(v, `${what}[${i}]`, min));
  }
  throw new TypeError(`Expected a number or an array of ${n} numbers for ${what} but received ${describe(value)}`);
}

/** Whether two shapes are equal, dimension by dimension. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Throws unless `input` has one of the numbers of dimensions in `dims`. */
export function checkDims(input: Tensor, dims: readonly number[], what: string, layout: string): void {
  const d = input.dim();
  if (dims.includes(d)) return;
  const expected = dims.length === 1 ? `${dims[0]}-D` : `${dims.slice(0, -1).join('-D, ')}-D or ${dims[dims.length - 1]}-D`;
  throw new RangeError(`Expected a ${expected} ${what} ${layout} but received shape [${input.shape.join(', ')}]`);
}
