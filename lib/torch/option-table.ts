// Options as data: a configurable class (a Method, an encoder, a head) states
// its options once, as one frozen table of defaults and checks, and derives
// from it what used to be written out per class: the keys it accepts, the
// checked values with the defaults filled in, its options type and the JSON
// its config() writes. Beside arguments.ts at the bottom layer, because
// models, ssl and eval all declare options.
import { checkBoolean, checkInt, checkNumber, checkOneOf, checkRange, describe, intTuple } from './arguments';

/** Checks one given value and returns it (copied when it is an array), or throws naming `what`. */
export type OptionCheck<T> = (value: unknown, what: string) => T;

/** No default: the option stays undefined unless given (an optional size, an override). */
export const OPTIONAL: unique symbol = Symbol('optional');
/** No default here: the class derives it from what it built (the encoder's width, a ViT or not) unless given. */
export const DERIVED: unique symbol = Symbol('derived');
/** No default: the option must be given (its check runs on undefined too, and throws naming it). */
export const REQUIRED: unique symbol = Symbol('required');

/** How an option without a plain default behaves. */
type NoDefault = typeof OPTIONAL | typeof DERIVED | typeof REQUIRED;

/** One option: its default (or how it does without one) and its check. `T` is the type of its value. */
export interface Option<T> {
  readonly default: T | NoDefault;
  readonly check: OptionCheck<T>;
}

/** A table's entries, by option name. */
export type OptionSpecs = Record<string, Option<unknown>>;

/** The value type of each option (what a class holds after resolving). */
export type OptionValues<S> = { -readonly [K in keyof S]: S[K] extends Option<infer T> ? T : never };

/** The value type of each option of a table (`OptionValues` of its specs): a class's fields. */
export type TableValues<T extends { readonly specs: object }> = OptionValues<T['specs']>;

/** What a caller may pass: every option of the table, each optional. */
export type GivenOptions<S> = { [K in keyof S]?: S[K] extends Option<infer T> ? T : never };

/**
 * One option with its default and check.
 *
 * @example
 * option(2048, is.int(1));           // a positive integer, 2048 when omitted
 * option(OPTIONAL, is.int(1));       // undefined when omitted
 */
export function option<T>(defaultValue: T, check: OptionCheck<T>): Option<T>;
export function option<T>(noDefault: typeof OPTIONAL, check: OptionCheck<T>): Option<T | undefined>;
export function option<T>(noDefault: typeof DERIVED | typeof REQUIRED, check: OptionCheck<T>): Option<T>;
export function option<T>(defaultValue: T | NoDefault, check: OptionCheck<T>): Option<T> {
  return Object.freeze({ default: defaultValue, check });
}

/**
 * The checks options use, in the project's one vocabulary (arguments.ts):
 * a TypeError for a wrong type, a RangeError for a value out of range.
 *
 * @example option(0.5, is.positive)
 */
export const is = Object.freeze({
  /** An integer >= min. */
  int: (min = -Infinity): OptionCheck<number> => (v, what) => checkInt(v, what, min),
  /** A number in [min, max]. */
  number: (min = -Infinity, max = Infinity): OptionCheck<number> => (v, what) => checkNumber(v, what, min, max),
  /** A number > 0. */
  positive: ((v, what) => checkNumber(v, what, Number.MIN_VALUE)) as OptionCheck<number>,
  /** true or false. */
  boolean: ((v, what) => checkBoolean(v, what)) as OptionCheck<boolean>,
  /** One of the names in `allowed`. */
  oneOf: <T extends string>(allowed: readonly T[]): OptionCheck<T> => (v, what) => checkOneOf(v, allowed, what),
  /** A [low, high] pair with min <= low <= high (a copy). */
  range: (min = -Infinity): OptionCheck<readonly [number, number]> => (v, what) => checkRange(v, what, min),
  /**
   * No check here: the value is checked where it is used (an optimizer's
   * parameter groups, `calculateGain`), so the message names it there.
   */
  checkedLater: <T>(): OptionCheck<T> => (v) => v as T,
  /** One integer >= min per spatial dimension: a number, or an array of `n` (a copy), as PyTorch's `_pair`. */
  intTuple: (n: number, min = -Infinity): OptionCheck<number | readonly number[]> =>
    (v, what) => intTuple(v as number | readonly number[], n, what, min),
});

/**
 * A class's options as data: the frozen specs, the keys in their order, the
 * defaults record, and the resolution of what a caller gives.
 *
 * @example
 * const SMALL_OPTIONS = defineOptions({ width: option(32, is.int(1)) });
 * const { width } = SMALL_OPTIONS.resolve({}, (k) => `options.${k}`); // 32
 */
export class OptionTable<S extends OptionSpecs> {
  /** The option names, in the order config() writes them. */
  readonly keys: readonly (keyof S & string)[];
  /** The plain defaults, frozen (options without one are left out). */
  readonly defaults: Readonly<Partial<OptionValues<S>>>;

  constructor(readonly specs: Readonly<S>) {
    Object.freeze(specs);
    this.keys = Object.freeze(Object.keys(specs)) as readonly (keyof S & string)[];
    const defaults: Record<string, unknown> = {};
    for (const k of this.keys) {
      const d = specs[k].default;
      if (typeof d !== 'symbol') defaults[k] = d;
    }
    this.defaults = Object.freeze(defaults) as Readonly<Partial<OptionValues<S>>>;
    Object.freeze(this);
  }

  /**
   * The checked value of every option: the given one, else the default
   * (OPTIONAL and DERIVED ones stay undefined when not given). `what(key)`
   * names an option in error messages. Keys outside the table are not
   * looked at (`resolveKnown` refuses them).
   *
   * @example MAE_OPTIONS.resolve({ maskRatio: 0.5 }, (k) => `MAE option ${k}`).decoderDim; // 512
   */
  resolve(given: object, what: (key: string) => string): OptionValues<S> {
    const values: Record<string, unknown> = {};
    for (const k of this.keys) {
      const spec = this.specs[k];
      const v = (given as Record<string, unknown>)[k];
      if (v !== undefined) values[k] = spec.check(v, what(k));
      else if (spec.default === REQUIRED) values[k] = spec.check(undefined, what(k));
      // A default array is copied, as the checks copy given ones: no caller can change the table's.
      else values[k] = typeof spec.default === 'symbol' ? undefined : Array.isArray(spec.default) ? [...spec.default] : spec.default;
    }
    return values as OptionValues<S>;
  }

  /**
   * `resolve`, after refusing keys outside the table (and `extra`, keys the
   * caller reads itself) by name, with the valid ones listed: for a function
   * whose options bag is this table, so that a misspelt key is not silently
   * ignored.
   *
   * @example NT_XENT_OPTIONS.resolveKnown({ temprature: 1 }, 'ntXent', (k) => `options.${k}`);
   * // TypeError: Unknown option(s) 'temprature' for ntXent; expected some of temperature, gatherDistributed
   */
  resolveKnown(given: object, owner: string, what: (key: string) => string, extra: readonly string[] = []): OptionValues<S> {
    checkOptionKeys(given, extra.length === 0 ? this.keys : [...this.keys, ...extra], owner);
    return this.resolve(given, what);
  }

  /**
   * Throws when a DERIVED option is still undefined: the class forgot to derive it.
   * @internal
   */
  checkDerived(values: object, owner: string): void {
    for (const k of this.keys) {
      if (this.specs[k].default === DERIVED && (values as Record<string, unknown>)[k] === undefined) {
        throw new Error(`${owner} did not derive its option '${k}' (a bug in ${owner})`);
      }
    }
  }

  /**
   * The options as JSON-able data, in the table's order, read from `source`
   * (the resolved values, or the object holding them): undefined ones left
   * out, arrays copied. What a config() writes.
   *
   * @example SIMCLR_OPTIONS.toJSON(method); // { hiddenDim: 2048, outDim: 128, temperature: 0.5, cropScale: [0.08, 1] }
   */
  toJSON(source: object): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of this.keys) {
      const v = (source as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = Array.isArray(v) ? [...v] : v;
    }
    return out;
  }

  /**
   * Some of the specs, to build a larger table from (DINO takes its head's and its loss's).
   * @example defineOptions({ ...DINO_HEAD_OPTIONS.pick('outDim', 'hiddenDim'), momentumTeacher: option(0.996, is.number(0, 1)) })
   */
  pick<K extends keyof S & string>(...keys: K[]): Pick<S, K> {
    const out = {} as Pick<S, K>;
    for (const k of keys) out[k] = this.specs[k];
    return out;
  }
}

/**
 * The option table of a class, from its specs (in the order its config() writes them).
 * @example export const SIMCLR_OPTIONS = defineOptions({ temperature: option(0.5, is.positive) });
 */
export function defineOptions<S extends OptionSpecs>(specs: S): OptionTable<S> {
  return new OptionTable<S>(specs);
}

/**
 * The option table of options that their class checks as a whole where it
 * uses them (an optimizer validates its defaults and then each parameter
 * group with one function, naming the group): the defaults stated once, each
 * entry without a check of its own (REQUIRED: no default either).
 *
 * @example
 * const SGD_DEFAULTS = defineDefaults<SGDOptions>({ lr: REQUIRED, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false });
 * super(params, SGD_DEFAULTS.resolve(options, (k) => k));
 */
export function defineDefaults<D extends object>(
  defaults: { readonly [K in keyof D]: D[K] | typeof REQUIRED },
): OptionTable<{ [K in keyof D]: Option<D[K]> }> {
  const specs: Record<string, Option<unknown>> = {};
  for (const [k, d] of Object.entries(defaults)) specs[k] = Object.freeze({ default: d, check: (v: unknown) => v });
  return new OptionTable<{ [K in keyof D]: Option<D[K]> }>(specs as { [K in keyof D]: Option<D[K]> });
}

/**
 * Throws unless `options` is an object whose keys are all in `allowed`,
 * naming the unknown keys and listing the valid ones.
 *
 * @example checkOptionKeys(options, ['encoder', 'temperature'], 'SimCLR');
 */
export function checkOptionKeys(options: unknown, allowed: readonly string[], owner: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`Expected an options object for ${owner} but received ${describe(options)}`);
  }
  const unknown = Object.keys(options).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new TypeError(`Unknown option(s) ${unknown.map((k) => `'${k}'`).join(', ')} for ${owner}; ` +
      `expected some of ${allowed.join(', ')}`);
  }
}

/**
 * Names an entry of a function's options bag in messages (`options.eps`): the
 * `what` that layers and functional ops pass to `resolve`.
 *
 * @example LINEAR_OPTIONS.resolve({ bias: 1 }, optionsKey); // TypeError: Expected true or false for options.bias ...
 */
export function optionsKey(key: string): string {
  return `options.${key}`;
}
