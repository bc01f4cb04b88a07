// Constructor argument checks shared by the layers (internal: not exported
// from nn). They produce the project's one error format, naming the argument;
// the checks that are the same for functions and layers live in
// ../functional/arguments and are re-exported here.
import { Tensor } from '../../torch';
import { describe } from '../functional/arguments';

export { checkBoolean } from '../functional/arguments';

/** `value` if it is a positive integer. */
export function positiveInt(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  throw new RangeError(`Expected positive integer for ${what} but received ${describe(value)}`);
}

/** `value` if it is a probability in [0, 1]. */
export function probability(value: unknown, what: string): number {
  if (typeof value === 'number' && value >= 0 && value <= 1) return value;
  throw new RangeError(`Expected a probability in [0, 1] for ${what} but received ${describe(value)}`);
}

/** A number or a pair of numbers as a pair of integers no smaller than `min`, as PyTorch's `_pair`. */
export function pair(value: unknown, what: string, min: number): [number, number] {
  const list = typeof value === 'number' ? [value, value] : value;
  if (Array.isArray(list) && list.length === 2 &&
      list.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= min)) {
    return [list[0] as number, list[1] as number];
  }
  const kind = min === 1 ? 'positive integer' : 'non-negative integer';
  throw new RangeError(`Expected a ${kind} or a pair of them for ${what} but received ${describe(value)}`);
}

/** Throws unless `input` has one of the numbers of dimensions in `dims`, naming the layer. */
export function expectDims(input: Tensor, dims: readonly number[], layer: string, layout: string): void {
  if (!(input instanceof Tensor)) throw new TypeError(`Expected a Tensor for input of ${layer} but received ${describe(input)}`);
  if (dims.includes(input.dim())) return;
  throw new RangeError(`Expected ${dims.map((d) => `${d}-D`).join(' or ')} input ${layout} for ${layer} but received ` +
    `shape [${input.shape.join(', ')}]`);
}

/** A float as Python's `repr` writes it (`1e-05`, `0.1`, `1.0`), for `extraRepr` text equal to PyTorch's. */
export function pyFloat(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`;
  const ax = Math.abs(x);
  if (ax !== 0 && (ax < 1e-4 || ax >= 1e16)) {
    const [mantissa, exponent] = x.toExponential().split('e');
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  return String(x);
}

/** A boolean as Python writes it. */
export const pyBool = (b: boolean): string => (b ? 'True' : 'False');

/** `value` if it is a non-negative finite number. */
export function nonNegativeNumber(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  throw new RangeError(`Expected a non-negative number for ${what} but received ${describe(value)}`);
}
