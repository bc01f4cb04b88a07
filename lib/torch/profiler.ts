// torch.profiler for TypeScript: `profile(fn)` records every ATen operator,
// autograd node and `recordFunction` range that runs during `fn` (libtorch's
// RecordFunction callbacks, native/profiler.cc), with input shapes, host time
// and allocations, and the host synchronisations among them. Outside
// `profile` no callback is registered and no JS hook runs.
import { native, NativeProfile } from './native';
import { observeHostReads } from './capture-state';
import {
  ProfilerEvent, OpStats, KeyAveragesOptions, TableOptions, keyAverages, formatTable, isOperator, eventsFromColumns,
  mergeNestedDuplicates,
} from './profile-events';
import { HostSync, HOST_SYNC_RANGE, findHostSyncs } from './host-sync';

export {
  ProfilerEvent, RecordScope, OpStats, KeyAveragesOptions, TableOptions, SortKey, EventColumns, keyAverages, formatTable,
  hostCalls, isOperator, eventsFromColumns, mergeNestedDuplicates,
} from './profile-events';
export { HostSync, findHostSyncs } from './host-sync';

/** Allocator calls during a profile (CPU and CUDA caching allocators), wherever they happened. */
export interface MemoryTotals {
  allocs: number;
  allocBytes: number;
  frees: number;
  freeBytes: number;
}

/** What `profile(fn)` recorded, and what `fn` returned. */
export class Profile<T = unknown> {
  constructor(
    /** Every event in order of start (nested duplicates merged, as PyTorch's profiler does). */
    readonly events: readonly ProfilerEvent[],
    readonly memory: MemoryTotals,
    /** Host time from start to stop, microseconds. */
    readonly wallUs: number,
    /** `fn`'s return value. */
    readonly result: T,
  ) {}

  /** Events aggregated by name, as PyTorch's `prof.key_averages()`. @example prof.keyAverages()[0].count */
  keyAverages(options: KeyAveragesOptions = {}): OpStats[] {
    return keyAverages(this.events, options);
  }

  /**
   * The key averages as a text table, as `prof.key_averages().table()`.
   * @example console.log(prof.table({ sortBy: 'count', rowLimit: 15 }));
   */
  table(options: TableOptions & KeyAveragesOptions = {}): string {
    return formatTable(this.keyAverages(options), options);
  }

  /** ATen operator calls (nested ones included), by name. @example prof.operatorCounts().get('aten::mm') */
  operatorCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.events) if (isOperator(e)) out.set(e.name, (out.get(e.name) ?? 0) + 1);
    return out;
  }

  /** The host synchronisations (reads back, waits, data-dependent operators, blocking host-device copies). */
  hostSyncs(): HostSync[] {
    return findHostSyncs(this.events);
  }
}

let profiling = false;

/** Whether a `profile` is running now. @example torch.profiler.isProfiling() // false */
export function isProfiling(): boolean {
  return profiling;
}

/**
 * Whether libtorch has any global RecordFunction callback registered: false
 * whenever no profile runs (what keeps operators free of profiling cost).
 * @example torch.profiler.hasRecordFunctionCallbacks() // false
 */
export function hasRecordFunctionCallbacks(): boolean {
  return native.recordFunctionCallbacks();
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : typeof value === 'function' ? 'a function' : String(value);
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Runs `fn` with the profiler on and returns what ran, as
 * `with torch.profiler.profile() as prof:` for the CPU activity (host time):
 * every operator with its input shapes, autograd's backward nodes, the
 * `recordFunction` ranges, allocations and host syncs. `fn` runs
 * synchronously (a Promise is refused: other work would interleave).
 * Profiles do not nest.
 *
 * @example
 * const prof = torch.profiler.profile(() => torch.scope(() => model.forward(x).sum().backward()));
 * console.log(prof.table({ sortBy: 'count', rowLimit: 10 }));
 * prof.hostSyncs().length; // 0
 */
export function profile<T>(fn: () => T): Profile<T> {
  if (typeof fn !== 'function') throw new TypeError(`Expected a function for profile(fn) but received ${describe(fn)}`);
  if (profiling) throw new Error('A profile is already running: profiles do not nest (profile(fn) inside another profile\'s fn)');
  native.profilerStart();
  profiling = true;
  const previous = observeHostReads({ begin: (call) => native.rangePush(HOST_SYNC_RANGE + call), end: () => native.rangePop() });
  let raw: NativeProfile;
  let result: T;
  try {
    result = fn();
  } finally {
    observeHostReads(previous);
    profiling = false;
    raw = native.profilerStop();
  }
  if (isThenable(result)) {
    throw new TypeError('profile(fn) runs fn synchronously but fn returned a Promise: profile the synchronous part, ' +
      'or await before profile and pass a function that does not return a Promise');
  }
  return new Profile(mergeNestedDuplicates(eventsFromColumns(raw)), raw.memory, raw.wallNs / 1e3, result);
}

/**
 * Runs `fn` inside a range named `name` that profiles show as one event
 * around the operators it ran, as `with torch.profiler.record_function(name):`.
 * Costs one check when no profile runs.
 *
 * @example torch.profiler.recordFunction('loss', () => criterion(z1, z2));
 */
export function recordFunction<T>(name: string, fn: () => T): T {
  if (typeof name !== 'string' || name.length === 0) {
    throw new TypeError(`Expected a non-empty string for recordFunction(name) but received ${describe(name)}`);
  }
  if (typeof fn !== 'function') throw new TypeError(`Expected a function for recordFunction(name, fn) but received ${describe(fn)}`);
  if (!profiling) return fn();
  native.rangePush(name);
  try {
    return fn();
  } finally {
    native.rangePop();
  }
}

/**
 * The host synchronisations `fn` makes (see `Profile.hostSyncs`).
 * @example torch.profiler.hostSyncs(() => loss.item()).length // 1
 */
export function hostSyncs(fn: () => unknown): HostSync[] {
  return profile(fn).hostSyncs();
}
