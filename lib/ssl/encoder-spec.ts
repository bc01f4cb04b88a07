// How a method is told which encoder to train: a registry name with options,
// a factory, or (for single-network methods) a ready Encoder. One place turns
// all three into a factory, so every method accepts and rejects the same things.
import { Module } from '../nn/module';
import { Encoder } from '../models/encoder';
import { create } from '../models/registry';
import { describe } from '../torch/arguments';

/** Builds a fresh encoder each call (BYOL and DINO call it twice: student and teacher). */
export type EncoderFactory = () => Encoder;

/**
 * What a method's `encoder` option accepts: a registry name
 * (`'resnet18'`, `'small_cnn'`, `'vit_small_patch16_224'`, built with
 * `encoderOptions` and `numClasses: 0` unless told otherwise), a factory, or an
 * Encoder instance (only for methods that need one copy: SimCLR and MAE).
 */
export type EncoderSpec = string | Encoder | EncoderFactory;

/** What `makeEncoder` needs to know about the method asking. */
export interface MakeEncoderContext {
  /** True when the method builds the encoder more than once (teacher-student methods: BYOL, DINO). */
  needsFactory: boolean;
  /** The method's name, for error messages ('byol'). */
  method: string;
}

/**
 * Resolves a method's `encoder` and `encoderOptions` options into a factory.
 *
 * - a name: each call runs `models.create(name, { numClasses: 0, ...options })`
 *   (the first one already inside `makeEncoder`, so an unknown name or option
 *   fails before any other work; the first call returns that encoder);
 * - a factory: each call runs it (no `encoderOptions` allowed);
 * - an Encoder instance: the factory returns it on its first call and throws on
 *   a second; with `needsFactory` (BYOL, DINO) it is rejected at once, because a
 *   teacher must be a second, separate network.
 *
 * Every built encoder is checked to return features (`numClasses` 0), since the
 * method's heads take `featureDim` inputs. Errors name the method and say what
 * to pass instead.
 *
 * @example
 * const build = makeEncoder('small_cnn', { inChannels: 1 }, { needsFactory: true, method: 'byol' });
 * const student = build(); const teacher = build(); // two separate networks
 * makeEncoder(() => models.create('resnet18', { smallImages: true, numClasses: 0 }), undefined,
 *   { needsFactory: true, method: 'dino' });
 */
export function makeEncoder(
  spec: EncoderSpec,
  options: Readonly<Record<string, unknown>> | undefined,
  context: MakeEncoderContext,
): EncoderFactory {
  const { method } = context;
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new TypeError(`Expected an options object for ${method} option encoderOptions but received ${describe(options)}`);
  }
  if (typeof spec === 'string') {
    const name = spec;
    const merged = { numClasses: 0, ...(options ?? {}) };
    // Build once now so an unknown name or option fails before any work starts.
    let pending: Encoder | undefined = checkEncoder(create(name, merged), method, `models.create('${name}')`);
    return () => {
      if (pending !== undefined) {
        const e = pending;
        pending = undefined;
        return e;
      }
      return checkEncoder(create(name, merged), method, `models.create('${name}')`);
    };
  }
  if (options !== undefined && Object.keys(options).length > 0) {
    throw new TypeError(`${method}: encoderOptions apply only when encoder is a registry name; ` +
      'build the encoder with its options inside your factory instead');
  }
  if (spec instanceof Module) {
    if (context.needsFactory) {
      throw new TypeError(`${method} needs two copies of the encoder (online and target/teacher) but received an ` +
        `Encoder instance (${spec.typeName}); pass a registry name such as encoder: 'resnet18' (with encoderOptions) ` +
        'or a factory such as encoder: () => models.create(\'resnet18\', { numClasses: 0 })');
    }
    const encoder = checkEncoder(spec as Encoder, method, 'the encoder instance');
    let used = false;
    return () => {
      if (used) {
        throw new Error(`${method} was given an Encoder instance, which can be used once; ` +
          'pass a registry name or a factory to build another copy');
      }
      used = true;
      return encoder;
    };
  }
  if (typeof spec === 'function') {
    if (/^class[\s{]/.test(Function.prototype.toString.call(spec))) {
      throw new TypeError(`${method}: expected a factory for encoder but received a class; ` +
        `pass () => new ${spec.name || 'MyEncoder'}(...) instead`);
    }
    return () => checkEncoder(spec(), method, 'the encoder factory');
  }
  throw new TypeError(`Expected a registry name, a factory () => Encoder${context.needsFactory ? '' : ' or an Encoder'} ` +
    `for ${method} option encoder but received ${describe(spec)}`);
}

/**
 * A JSON-able record of an encoder spec for a method's `config()`: the name
 * and options, or `'custom'` for a factory or instance (which JSON cannot hold).
 *
 * @example encoderConfig('small_cnn', { width: 16 }); // { encoder: 'small_cnn', encoderOptions: { width: 16 } }
 */
export function encoderConfig(
  spec: EncoderSpec,
  options: Readonly<Record<string, unknown>> | undefined,
): { encoder: string; encoderOptions?: Record<string, unknown> } {
  if (typeof spec !== 'string') return { encoder: 'custom' };
  return options === undefined ? { encoder: spec } : { encoder: spec, encoderOptions: { ...options } };
}

function checkEncoder(value: unknown, method: string, source: string): Encoder {
  if (!(value instanceof Module) || typeof (value as unknown as { forward?: unknown }).forward !== 'function') {
    throw new TypeError(`${method}: expected ${source} to give an Encoder (a Module with forward and featureDim) ` +
      `but received ${describe(value)}`);
  }
  const e = value as Encoder;
  if (typeof e.featureDim !== 'number' || !(e.featureDim > 0)) {
    throw new TypeError(`${method}: expected ${source} to give an Encoder with a positive featureDim but received ` +
      `${describe(e.featureDim)}`);
  }
  if (e.numClasses !== 0) {
    throw new RangeError(`${method}: expected ${source} to give a feature encoder (numClasses 0) but it has ` +
      `numClasses ${String(e.numClasses)}; build it with numClasses: 0`);
  }
  return e;
}
