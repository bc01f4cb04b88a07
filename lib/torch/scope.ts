// Deterministic memory: scopes free every tensor created inside them except
// what they return or keep().

import { native, Handle } from './native';

/** Something a scope can free: a Tensor. */
export interface Disposable {
  dispose(): void;
  /** @internal */ readonly _h: Handle;
  /** @internal */ _kept: boolean;
  /** @internal Called when no scope owns the tensor any more: the GC safety net takes over. */
  _unscoped(): void;
}

let current: Disposable[] | null = null;
const NONE = { has: (_t: unknown) => false };

/** @internal Registers a new tensor with the innermost open scope; false when no scope is open. */
export function track(t: Disposable): boolean {
  if (current === null) return false;
  current.push(t);
  return true;
}

function collect(value: unknown, into: Set<unknown>, seen: Set<unknown>): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if ('_h' in value && '_kept' in value) {
    into.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into, seen);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, into, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, into, seen);
  }
}

/**
 * Runs `fn` and frees every tensor created during it, except the tensors in
 * its result (found in arrays, Maps and plain objects) and those passed to
 * `keep()`. Returned tensors move to the enclosing scope.
 *
 * @example
 * const loss = torch.scope(() => {
 *   const l = model.forward(x).pow(2).mean();
 *   l.backward();
 *   return l;            // survives; the intermediates are freed
 * });
 */
export function scope<T>(fn: () => T): T {
  const outer = current;
  const mine: Disposable[] = [];
  current = mine;
  let result: T;
  try {
    result = fn();
  } catch (err) {
    current = outer;
    for (const t of mine) if (!t._kept) t.dispose();
    throw err;
  }
  current = outer;
  if (result instanceof Promise) {
    for (const t of mine) if (!t._kept) t.dispose();
    throw new TypeError('torch.scope(fn) needs a synchronous fn: tensors would be freed while the promise runs; ' +
      'await inside the caller and use scope around the synchronous parts');
  }
  // The common results (nothing, one tensor, a number) need no search.
  let survivors: { has(t: unknown): boolean };
  if (result === null || typeof result !== 'object') survivors = NONE;
  else if ('_h' in result && '_kept' in result) survivors = { has: (t) => t === result };
  else {
    const found = new Set<unknown>();
    collect(result, found, new Set());
    survivors = found;
  }
  // One native call frees them all. Tensors owned by a scope are never
  // registered with the GC safety net, so there is nothing to unregister.
  const free = new Float64Array(mine.length);
  let count = 0;
  for (const t of mine) {
    if (survivors.has(t)) {
      if (outer !== null) outer.push(t);
      else t._unscoped();
    } else if (!t._kept) {
      free[count++] = t._h as unknown as number;
    }
  }
  if (count > 0) native.disposeAll(free, count);
  return result;
}

/**
 * Exempts a tensor from every scope: it lives until `dispose()` (or until
 * garbage collection finds it unreachable).
 *
 * @example
 * const running = torch.keep(torch.zeros([10]));
 */
export function keep<T extends Disposable>(t: T): T {
  if (!t._kept) {
    t._kept = true;
    t._unscoped();
  }
  return t;
}
