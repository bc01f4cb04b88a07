// Argument checks: the one home of the project's argument validation, at the
// bottom layer so that every layer above (nn, optim, data, models, ssl, eval,
// train, cli, bench) imports them from here and none reaches sideways into
// another. Every check runs on JS values and tensor metadata only, never on
// tensor data, so nothing here waits for a device.
//
// One rule for the error class: a TypeError when the value has the wrong type
// (not a number, not an integer, not a Tensor, not one of the allowed names),
// a RangeError when it has the right type but lies outside the allowed range
// (a negative count, a probability above 1, a tensor of the wrong rank).
// One message format: `Expected <what is allowed> for <argument> but received <value>`.
import { Tensor } from './tensor';

export { checkDtype, checkDevice, isDevice } from './dtype';

/** `value` as error messages show it: strings quoted, arrays as JSON, tensors by shape. */
export function describe(value: unknown): string {
  if (value instanceof Tensor) return `a Tensor of shape [${value.shape.join(', ')}]`;
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return JSON.stringify(value);
  return String(value);
}

/** A TypeError if `value` is not a number, else a RangeError: the project's rule for bad numbers. */
function numberError(value: unknown, message: string): TypeError | RangeError {
  return typeof value === 'number' && !Number.isNaN(value) ? new RangeError(message) : new TypeError(message);
}

/** A TypeError if `value` is not an integer, else a RangeError. */
function integerError(value: unknown, message: string): TypeError | RangeError {
  return typeof value === 'number' && Number.isInteger(value) ? new RangeError(message) : new TypeError(message);
}

/**
 * `value` as a Tensor, or a TypeError naming the argument.
 * @example const x = checkTensor(input, 'input');
 */
export function checkTensor(value: unknown, what: string): Tensor {
  if (value instanceof Tensor) return value;
  throw new TypeError(`Expected a Tensor for ${what} but received ${describe(value)}`);
}

/** The handle of an optional Tensor argument; null (ATen's None) when absent. */
export function optionalTensor(value: Tensor | null | undefined, what: string): unknown {
  return value === undefined || value === null ? null : checkTensor(value, what)._h;
}

/**
 * `value` if it is an integer no smaller than `min`.
 * @example const n = checkInt(steps, 'steps', 1);
 */
export function checkInt(value: unknown, what: string, min = -Infinity): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  const kind = min === 1 ? 'positive integer' : min === 0 ? 'non-negative integer'
    : min === -Infinity ? 'integer' : `integer >= ${min}`;
  throw integerError(value, `Expected ${kind} for ${what} but received ${describe(value)}`);
}

/**
 * `value` if it is a number within [min, max] (NaN never is; min Number.MIN_VALUE means positive).
 * @example const tau = checkNumber(temperature, 'temperature', Number.MIN_VALUE);
 */
export function checkNumber(value: unknown, what: string, min = -Infinity, max = Infinity): number {
  if (typeof value === 'number' && value >= min && value <= max) return value;
  const range = max !== Infinity ? `a number in [${min}, ${max}]`
    : min === -Infinity ? 'a number' : min === 0 ? 'a non-negative number'
      : min === Number.MIN_VALUE ? 'a positive number' : `a number >= ${min}`;
  throw numberError(value, `Expected ${range} for ${what} but received ${describe(value)}`);
}

/** `value` if it is a finite number. */
export function checkFinite(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  throw numberError(value, `Expected a finite number for ${what} but received ${String(value)}`);
}

/** `value` if it is a boolean. */
export function checkBoolean(value: unknown, what: string): boolean {
  if (typeof value === 'boolean') return value;
  throw new TypeError(`Expected true or false for ${what} but received ${describe(value)}`);
}

/**
 * `value` if it is one of `allowed`.
 * @example const fan = checkOneOf(mode, ['fan_in', 'fan_out'], 'mode');
 */
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

/** Throws unless `input` is a Tensor with one of the numbers of dimensions in `dims`, naming the layer. */
export function expectDims(input: Tensor, dims: readonly number[], layer: string, layout: string): void {
  if (!(input instanceof Tensor)) throw new TypeError(`Expected a Tensor for input of ${layer} but received ${describe(input)}`);
  if (dims.includes(input.dim())) return;
  throw new RangeError(`Expected ${dims.map((d) => `${d}-D`).join(' or ')} input ${layout} for ${layer} but received ` +
    `shape [${input.shape.join(', ')}]`);
}

/** `value` if it is a positive integer. */
export function positiveInt(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  throw integerError(value, `Expected positive integer for ${what} but received ${describe(value)}`);
}

/**
 * `value` if it is an integer no smaller than `min`, in the short form
 * `Expected integer >= min` (the schedules' wording).
 */
export function checkIntAtLeast(value: unknown, what: string, min: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  throw integerError(value, `Expected integer >= ${min} for ${what} but received ${String(value)}`);
}

/**
 * `value` if it is a probability in [0, 1].
 * @example const p = probability(value, 'RandomHorizontalFlip options.p');
 */
export function probability(value: unknown, what: string): number {
  if (typeof value === 'number' && value >= 0 && value <= 1) return value;
  throw numberError(value, `Expected a probability in [0, 1] for ${what} but received ${describe(value)}`);
}

/** `value` if it is a number in [0, 1) (a momentum, a decay). */
export function checkUnitInterval(value: unknown, what: string): number {
  if (typeof value === 'number' && value >= 0 && value < 1) return value;
  throw numberError(value, `Expected number in [0, 1) for ${what} but received ${String(value)}`);
}

/** `value` if it is a non-negative finite number. */
export function nonNegativeNumber(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  throw numberError(value, `Expected a non-negative number for ${what} but received ${describe(value)}`);
}

/**
 * `value` if it is a non-negative finite number, in the optimizers' wording
 * (`Expected non-negative number for lr`).
 */
export function checkNonNegative(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  throw numberError(value, `Expected non-negative number for ${what} but received ${String(value)}`);
}

/** A number or a pair of numbers as a pair of integers no smaller than `min`, as PyTorch's `_pair`. */
export function pair(value: unknown, what: string, min: number): [number, number] {
  const list = typeof value === 'number' ? [value, value] : value;
  if (Array.isArray(list) && list.length === 2 &&
      list.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= min)) {
    return [list[0] as number, list[1] as number];
  }
  const kind = min === 1 ? 'positive integer' : 'non-negative integer';
  const integers = Array.isArray(list) && list.length === 2 && list.every((v) => Number.isInteger(v));
  const message = `Expected a ${kind} or a pair of them for ${what} but received ${describe(value)}`;
  throw integers ? new RangeError(message) : new TypeError(message);
}

/**
 * Checks a [low, high] range option with low <= high (and both >= min; min Number.MIN_VALUE means positive).
 * @example const [lo, hi] = checkRange(scale, 'options.scale', 0);
 */
export function checkRange(range: unknown, what: string, min = -Infinity): [number, number] {
  const numbers = Array.isArray(range) && range.length === 2 && typeof range[0] === 'number' && typeof range[1] === 'number';
  if (numbers && range[0] <= range[1] && range[0] >= min) return [range[0], range[1]];
  const floor = min === -Infinity ? '' : min === Number.MIN_VALUE ? ' with low > 0' : ` with low >= ${min}`;
  const message = `Expected [low, high] with low <= high${floor} for ${what} but received ${JSON.stringify(range)}`;
  throw numbers ? new RangeError(message) : new TypeError(message);
}
