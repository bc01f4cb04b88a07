// The events of one profile and their aggregation, as torch.profiler's
// FunctionEvent list and key_averages(): plain data, so that the PyTorch
// reference's events (scripts/profile_step.py) go through the same code.
import { defineOptions, is, option, OPTIONAL } from './option-table';

/** libtorch's at::RecordScope, in its enum order (ATen/record_function.h). */
export const RECORD_SCOPES = ['function', 'backward_function', 'torchscript_function', 'kernel_function_dtype',
  'custom_class', 'build_feature', 'lite_interpreter', 'user_scope', 'static_runtime_op', 'static_runtime_model'] as const;

/** Where an event came from: 'function' for operators, 'backward_function' for autograd nodes, 'user_scope' for ranges. */
export type RecordScope = typeof RECORD_SCOPES[number] | 'other';

/** One recorded operator call, autograd node or user range. Times in microseconds of host time. */
export interface ProfilerEvent {
  /** 'aten::mm', 'MmBackward0', a `recordFunction` name, ... */
  name: string;
  /** Index of the enclosing event on the same thread, -1 at the top. */
  parent: number;
  depth: number;
  scope: RecordScope;
  /** 1, 2, ... in the order threads first recorded (autograd's device threads on CUDA). */
  thread: number;
  startUs: number;
  durationUs: number;
  /** `durationUs` less the direct children's. */
  selfUs: number;
  /** Allocator calls made directly inside this event (not its children), and their bytes. */
  allocs: number;
  allocBytes: number;
  /** The inputs' shapes as PyTorch prints them: '[[8, 3], [3, 4], []]' ([] for a non-tensor). */
  inputShapes: string;
  /** A blocking copy between host and device memory (the host waits for the device). */
  syncCopy: boolean;
  /** Some tensor input is in device (not host) memory. */
  onDevice: boolean;
}

/**
 * Events as columns, one entry per event in each (native/profiler.cc's
 * profilerStop, scripts/profile_step.py's JSON): names interned in `names`,
 * times in nanoseconds.
 */
export interface EventColumns {
  names: readonly string[];
  name: ArrayLike<number>;
  parent: ArrayLike<number>;
  depth: ArrayLike<number>;
  scope: ArrayLike<number>;
  thread: ArrayLike<number>;
  syncCopy: ArrayLike<number>;
  /** Absent where the recorder cannot tell (PyTorch's profiler): false. */
  onDevice?: ArrayLike<number>;
  startNs: ArrayLike<number>;
  durationNs: ArrayLike<number>;
  selfNs: ArrayLike<number>;
  allocs: ArrayLike<number>;
  allocBytes: ArrayLike<number>;
  shapes: readonly string[];
}

/**
 * The events of `columns`, one object each.
 * @example const events = eventsFromColumns(pythonProfile.columns);
 */
export function eventsFromColumns(c: EventColumns): ProfilerEvent[] {
  const out = new Array<ProfilerEvent>(c.name.length);
  for (let i = 0; i < c.name.length; i++) {
    out[i] = {
      name: c.names[c.name[i]], parent: c.parent[i], depth: c.depth[i], scope: RECORD_SCOPES[c.scope[i]] ?? 'other',
      thread: c.thread[i], startUs: c.startNs[i] / 1e3, durationUs: c.durationNs[i] / 1e3, selfUs: c.selfNs[i] / 1e3,
      allocs: c.allocs[i], allocBytes: c.allocBytes[i], inputShapes: c.shapes[i], syncCopy: c.syncCopy[i] === 1,
      onDevice: c.onDevice?.[i] === 1,
    };
  }
  return out;
}

/**
 * The events with PyTorch's rule for nested duplicates applied
 * (`EventList._remove_dup_nodes`): an event that is the only child of a
 * parent of the same name (`aten::sum` calling `aten::sum.dim_IntList`)
 * merges into its parent, whose self time and allocations take its own.
 * `profile()` applies it, so that counts mean what PyTorch's key_averages
 * counts.
 *
 * @example mergeNestedDuplicates(events).length <= events.length
 */
export function mergeNestedDuplicates(events: readonly ProfilerEvent[]): ProfilerEvent[] {
  const n = events.length;
  const children = new Int32Array(n);
  for (const e of events) if (e.parent >= 0) children[e.parent] += 1;
  // survivor[i]: the event that stands for i (itself, or the ancestor it merged into).
  const survivor = new Int32Array(n);
  const out: ProfilerEvent[] = [];
  const index = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const e = events[i];
    const parent = e.parent >= 0 ? survivor[e.parent] : -1;
    if (parent >= 0 && events[parent].name === e.name && children[parent] === 1) {
      survivor[i] = parent;
      children[parent] = children[i];
      const into = out[index[parent]];
      into.selfUs += e.selfUs;
      into.allocs += e.allocs;
      into.allocBytes += e.allocBytes;
      continue;
    }
    survivor[i] = i;
    index[i] = out.length;
    const p = parent >= 0 ? index[parent] : -1;
    out.push({ ...e, parent: p, depth: p >= 0 ? out[p].depth + 1 : 0 });
  }
  return out;
}

/** One row of `keyAverages`: the events of one name (and input shapes, when grouped by them). */
export interface OpStats {
  name: string;
  count: number;
  selfUs: number;
  totalUs: number;
  allocs: number;
  allocBytes: number;
  /** Set when grouped by input shape. */
  inputShapes?: string;
}

/** How `keyAverages` groups and which events it keeps. */
export interface KeyAveragesOptions {
  /** One row per name and input shapes, as key_averages(group_by_input_shape=True). Default false. */
  groupByInputShape?: boolean;
  /** Keep only events of these scopes (default: all). */
  scopes?: readonly RecordScope[];
}

// The defaults of KeyAveragesOptions (scopes has none: all scopes are kept).
const KEY_AVERAGES_OPTIONS = defineOptions({
  groupByInputShape: option(false, is.boolean),
  scopes: option(OPTIONAL, is.checkedLater<readonly RecordScope[]>()),
});

/**
 * Aggregates events by name (and input shapes), as PyTorch's
 * `prof.key_averages()`: count, self and total host time, allocations.
 * Rows come in order of first appearance.
 *
 * @example keyAverages(prof.events).find((r) => r.name === 'aten::mm')?.count
 */
export function keyAverages(events: readonly ProfilerEvent[], options: KeyAveragesOptions = {}): OpStats[] {
  const o = KEY_AVERAGES_OPTIONS.resolve(options, (k) => k);
  const byShape = o.groupByInputShape;
  const scopes = o.scopes === undefined ? undefined : new Set(o.scopes);
  const rows = new Map<string, OpStats>();
  for (const e of events) {
    if (scopes !== undefined && !scopes.has(e.scope)) continue;
    const key = byShape ? `${e.name}\u0000${e.inputShapes}` : e.name;
    let row = rows.get(key);
    if (row === undefined) {
      row = { name: e.name, count: 0, selfUs: 0, totalUs: 0, allocs: 0, allocBytes: 0 };
      if (byShape) row.inputShapes = e.inputShapes;
      rows.set(key, row);
    }
    row.count += 1;
    row.selfUs += e.selfUs;
    row.totalUs += e.durationUs;
    row.allocs += e.allocs;
    row.allocBytes += e.allocBytes;
  }
  return [...rows.values()];
}

/** Whether an event is an ATen operator (what launches kernels), not an autograd node or a range. */
export function isOperator(e: ProfilerEvent): boolean {
  return e.name.startsWith('aten::');
}

/**
 * The ATen operators that the host language (or autograd's engine) called
 * itself: those not nested in another ATen operator. Each costs one trip
 * through the dispatcher from the caller; the nested ones are the
 * operators' own implementation.
 *
 * @example hostCalls(prof.events).length
 */
export function hostCalls(events: readonly ProfilerEvent[]): ProfilerEvent[] {
  return events.filter((e) => {
    if (!isOperator(e)) return false;
    for (let p = e.parent; p >= 0; p = events[p].parent) if (isOperator(events[p])) return false;
    return true;
  });
}

/** Columns `formatTable` can sort by. */
export type SortKey = 'count' | 'self' | 'total' | 'allocs' | 'name';
const SORT_KEYS: readonly SortKey[] = ['count', 'self', 'total', 'allocs', 'name'];

/** Options of `formatTable`. */
export interface TableOptions {
  /** Default 'self' (self host time, largest first), as PyTorch's sort_by='self_cpu_time_total'. */
  sortBy?: SortKey;
  /** At most this many rows (default all). */
  rowLimit?: number;
}

// The defaults of TableOptions, with the checks' own messages.
const TABLE_OPTIONS = defineOptions({
  sortBy: option<SortKey>('self', (v, what) => {
    if (SORT_KEYS.includes(v as SortKey)) return v as SortKey;
    throw new RangeError(`Expected one of ${SORT_KEYS.join(', ')} for ${what} but received ${String(v)}`);
  }),
  rowLimit: option(Infinity, (v, what) => {
    if (v === Infinity || (Number.isInteger(v) && (v as number) >= 1)) return v as number;
    throw new RangeError(`Expected a positive integer for ${what} but received ${String(v)}`);
  }),
});

/**
 * The rows as a fixed-width text table, as PyTorch's `key_averages().table()`:
 * name, calls, self and total host time with their shares, average, allocations
 * (and input shapes when the rows have them), then the totals.
 *
 * @example console.log(formatTable(keyAverages(events), { sortBy: 'count', rowLimit: 20 }));
 */
export function formatTable(rows: readonly OpStats[], options: TableOptions = {}): string {
  const { sortBy, rowLimit: limit } = TABLE_OPTIONS.resolve(options, (k) => k);
  const key: Record<SortKey, (a: OpStats, b: OpStats) => number> = {
    count: (a, b) => b.count - a.count, self: (a, b) => b.selfUs - a.selfUs, total: (a, b) => b.totalUs - a.totalUs,
    allocs: (a, b) => b.allocs - a.allocs, name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  };
  const sorted = [...rows].sort(key[sortBy]).slice(0, limit);
  const selfTotal = rows.reduce((s, r) => s + r.selfUs, 0);
  const shapes = rows.some((r) => r.inputShapes !== undefined);
  const header = ['Name', 'Self CPU %', 'Self CPU', 'CPU total', 'CPU time avg', '# of Calls', 'Allocs', 'Alloc bytes'];
  if (shapes) header.push('Input Shapes');
  const body = sorted.map((r) => {
    const cells = [r.name, pct(r.selfUs, selfTotal), us(r.selfUs), us(r.totalUs), us(r.totalUs / r.count), String(r.count),
      String(r.allocs), bytes(r.allocBytes)];
    if (shapes) cells.push(r.inputShapes ?? '');
    return cells;
  });
  const widths = header.map((h, i) => Math.min(i === 0 ? 60 : 200, Math.max(h.length, ...body.map((c) => c[i].length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 8 ? cut(c, widths[i]).padEnd(widths[i])
    : c.padStart(widths[i]))).join('  ');
  const rule = '-'.repeat(widths.reduce((s, w) => s + w + 2, -2));
  const calls = rows.reduce((s, r) => s + r.count, 0);
  return [rule, line(header), rule, ...body.map(line), rule,
    `Self CPU time total: ${us(selfTotal)}; events: ${calls}; rows: ${rows.length}${sorted.length < rows.length ? ` (${sorted.length} shown)` : ''}`,
  ].join('\n');
}

function cut(s: string, width: number): string {
  return s.length <= width ? s : `${s.slice(0, width - 3)}...`;
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${(100 * part / whole).toFixed(2)}%` : '-';
}

/** Microseconds as PyTorch prints them: 12.345us, 1.234ms, 1.234s. */
export function us(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(3)}s`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(3)}ms`;
  return `${value.toFixed(3)}us`;
}

function bytes(b: number): string {
  if (b >= 2 ** 20) return `${(b / 2 ** 20).toFixed(2)} MiB`;
  if (b >= 2 ** 10) return `${(b / 2 ** 10).toFixed(2)} KiB`;
  return `${b} B`;
}
