// `torch.ops.<namespace>.<name>[.<overload>](...)`: every registered operator,
// called by name through the dispatcher, with results wrapped according to
// the operator's schema and keyword arguments mapped by argument name.
import { native, Handle, OpInfo } from './native';
import { Tensor } from './tensor';
import { wrap } from './op';
import { checkSyncOp, isHostSyncOp } from './capture-state';
import type { AtenOps } from './generated/aten';

/** A callable operator overload, as `torch.ops.aten.add.Tensor`. */
export interface OpOverload {
  (...args: unknown[]): unknown;
  /** The schema, as 'aten::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor'. */
  readonly schema: string;
  readonly info: OpInfo;
}

/** All overloads of one operator, as `torch.ops.aten.add`: calling it picks the first overload that accepts the arguments. */
export type OpPacket = ((...args: unknown[]) => unknown) & { readonly overloads: string[] } & Record<string, OpOverload>;

type Wrapper = (raw: unknown) => unknown;

function wrapperFor(type: string): Wrapper {
  switch (type) {
    // NOTE: an undefined tensor in a result (e.g. a gradient that an
    // output_mask switched off) arrives as null even where the schema says Tensor.
    case 'Tensor':
    case 'Tensor?': return (r) => (r === null ? null : wrap(r));
    case 'Tensor[]':
    case 'Tensor?[]': return (r) => (r as unknown[]).map((x) => (x === null ? null : wrap(x)));
    default: return (r) => r;
  }
}

function resultWrapper(info: OpInfo): Wrapper {
  const parts = info.returns.map((r) => wrapperFor(r.type));
  if (parts.length === 0) return () => undefined;
  if (parts.length === 1) return parts[0];
  return (r) => (r as unknown[]).map((x, i) => parts[i](x));
}

function isKwargs(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
}

/** Positional arguments for `info`, with keyword arguments put in their places; null if a keyword is unknown or already given by position. */
function placeKwargs(info: OpInfo, positional: unknown[], kwargs: Record<string, unknown>): unknown[] | null {
  const args = positional.slice();
  for (const [key, value] of Object.entries(kwargs)) {
    const index = info.args.findIndex((a) => a.name === key);
    if (index < 0) return null;
    if (index < positional.length) return null;
    while (args.length < index) args.push(undefined);
    args[index] = value;
  }
  return args;
}

// Errors raised while converting arguments, before any kernel runs: the
// signal to try the next overload.
const CONVERSION = /: (expected |missing required argument|takes at most|argument '.*' (is a disposed|cannot be null))/;

const overloadCache = new Map<string, OpOverload>();

function makeOverload(qualified: string, overload: string): OpOverload {
  const key = `${qualified}.${overload}`;
  const cached = overloadCache.get(key);
  if (cached) return cached;
  const handle = native.lookupOp(qualified, overload);
  const info = native.opInfo(handle);
  const wrapResult = resultWrapper(info);
  const syncs = isHostSyncOp(qualified);
  const fn = ((...args: unknown[]) => {
    if (syncs) checkSyncOp(qualified);
    if (args.length > 0 && isKwargs(args[args.length - 1])) {
      const placed = placeKwargs(info, args.slice(0, -1), args[args.length - 1] as Record<string, unknown>);
      if (placed === null) {
        const names = info.args.map((a) => a.name).join(', ');
        const given = Object.keys(args[args.length - 1] as object).join(', ');
        throw new TypeError(`${qualified}.${overload}: unknown keyword argument, or one also given by position, among ` +
          `{${given}}; arguments are (${names})`);
      }
      args = placed;
    }
    return wrapResult(native.call(handle, ...args));
  }) as OpOverload;
  Object.defineProperty(fn, 'schema', { value: info.schema });
  Object.defineProperty(fn, 'info', { value: info });
  overloadCache.set(key, fn);
  return fn;
}

function makePacket(qualified: string): OpPacket {
  let handles: Handle[] | undefined;
  let infos: OpInfo[] = [];
  let wrappers: Wrapper[] = [];
  const resolve = (): Handle[] => {
    if (handles === undefined) {
      handles = native.lookupOverloads(qualified);
      infos = handles.map((x) => native.opInfo(x));
      wrappers = infos.map(resultWrapper);
    }
    return handles;
  };
  const syncs = isHostSyncOp(qualified);
  const call = (...args: unknown[]): unknown => {
    if (syncs) checkSyncOp(qualified);
    const hs = resolve();
    if (args.length === 0 || !isKwargs(args[args.length - 1])) {
      const [index, raw] = native.callAny(hs, ...args);
      return wrappers[index](raw);
    }
    const kwargs = args[args.length - 1] as Record<string, unknown>;
    const positional = args.slice(0, -1);
    const failures: string[] = [];
    for (let i = 0; i < hs.length; i++) {
      const placed = placeKwargs(infos[i], positional, kwargs);
      if (placed === null) continue;
      try {
        return wrappers[i](native.call(hs[i], ...placed));
      } catch (err) {
        if (!(err instanceof Error) || !CONVERSION.test(err.message)) throw err;
        failures.push(err.message);
      }
    }
    throw new TypeError(`${qualified}: no overload matches the arguments` +
      (failures.length ? `:\n  ${failures.join('\n  ')}` : ` (keywords: ${Object.keys(kwargs).join(', ')})`));
  };
  return new Proxy(call, {
    get(target, prop) {
      if (typeof prop !== 'string') return Reflect.get(target, prop);
      if (prop === 'overloads') {
        resolve();
        return infos.map((i) => i.overload);
      }
      if (prop === 'name' || prop === 'length' || prop === 'call' || prop === 'apply' || prop === 'bind') {
        return Reflect.get(target, prop);
      }
      return makeOverload(qualified, prop === 'default' ? '' : prop);
    },
  }) as OpPacket;
}

function namespace(ns: string): Record<string, OpPacket> {
  const packets = new Map<string, OpPacket>();
  return new Proxy({} as Record<string, OpPacket>, {
    get(_target, prop) {
      if (typeof prop !== 'string') return undefined;
      let p = packets.get(prop);
      if (p === undefined) {
        p = makePacket(`${ns}::${prop}`);
        packets.set(prop, p);
      }
      return p;
    },
  });
}

/**
 * Every operator registered with the dispatcher, by namespace and name:
 * `torch.ops.aten.logsumexp(x, [1], false)`, `torch.ops.aten.add.Tensor(a, b, { alpha: 2 })`.
 * Tensor results are wrapped; a plain object as last argument passes keyword arguments.
 */
export const ops = new Proxy({} as Record<string, Record<string, OpPacket>>, {
  get(target, prop) {
    if (typeof prop !== 'string') return undefined;
    return (target[prop] ??= namespace(prop));
  },
}) as { aten: AtenOps } & { [ns: string]: Record<string, OpPacket> };

/** Every registered operator as 'ns::name.overload'. */
export function listOps(): string[] {
  return native.listOps();
}

/** True if `value` is a Tensor (for code that receives untyped results). */
export function isTensor(value: unknown): value is Tensor {
  return value instanceof Tensor;
}
