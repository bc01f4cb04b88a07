// The host-sync detector: which events of a profile made the host wait for
// the device. The same knowledge as the CUDA-graph capture rules
// (capture-state.ts), applied outside a capture: reads of tensor data
// (`item()`, `toTypedArray()`, printing), `torch.cuda.synchronize()`,
// operators whose output depends on the data (`nonzero`, `equal`, ...,
// `_local_scalar_dense`), and blocking copies between host and device memory. On the
// CPU nothing waits, but the same calls are counted, so a step's syncs are
// testable without a GPU.
import { isHostSyncOp } from './capture-state';
import { ProfilerEvent } from './profile-events';

/** The user range a host read or wait is recorded as (profiler.ts opens one around it while profiling). */
export const HOST_SYNC_RANGE = 'selfsup::host_sync ';

/** One host synchronisation. */
export interface HostSync {
  /** 'read' (item(), toTypedArray(), torch.cuda.synchronize() from JS), 'operator' (a data-dependent ATen operator), 'copy' (a blocking copy between host and device). */
  kind: 'read' | 'operator' | 'copy';
  /** The call or operator: 'item()', 'aten::nonzero', 'aten::copy_'. */
  call: string;
  /** The enclosing events, outermost first (user ranges tell which part of a step it was). */
  path: string[];
  /** Index of the event in the profile. */
  index: number;
}

/**
 * Whether event `i` syncs, and how. A data-dependent operator counts when one
 * of its inputs is on a device, or in a profile where nothing ran on a device
 * (a CPU run: the reads a GPU run would make, so CPU tests see them); an
 * `aten::item` of a CPU scalar during a GPU step waits for nothing.
 */
function syncKind(e: ProfilerEvent, deviceRun: boolean): HostSync['kind'] | undefined {
  if (e.scope === 'user_scope' && e.name.startsWith(HOST_SYNC_RANGE)) return 'read';
  if (e.syncCopy) return 'copy';
  // `aten::item` dispatches to `_local_scalar_dense` (in the capture rules' list); either counts once.
  const op = e.name.startsWith('aten::') && (isHostSyncOp(e.name) || e.name === 'aten::item');
  if (op && (e.onDevice || !deviceRun)) return 'operator';
  return undefined;
}

/**
 * True when event `i` is the `_local_scalar_dense` of an `aten::item` next to
 * it whose time overlaps its own: the recorder's clock was too coarse to nest
 * them (PyTorch 1.13's profiler stamps whole microseconds, so the two can
 * even come out in either order, a stamp apart).
 */
const STAMP_US = 1;

function partOfItem(events: readonly ProfilerEvent[], i: number): boolean {
  const e = events[i];
  if (e.name !== 'aten::_local_scalar_dense') return false;
  return [events[i - 1], events[i + 1]].some((o) => o !== undefined && o.name === 'aten::item' && o.thread === e.thread &&
    o.startUs <= e.startUs + e.durationUs + STAMP_US && e.startUs <= o.startUs + o.durationUs + STAMP_US);
}

/**
 * The host synchronisations among `events`, one per outermost syncing
 * event: an `item()` from JS counts once although it runs `aten::item` and
 * `aten::_local_scalar_dense` inside.
 *
 * @example
 * const prof = torch.profiler.profile(() => step());
 * findHostSyncs(prof.events).length // 0 for a step that reads nothing back
 */
export function findHostSyncs(events: readonly ProfilerEvent[]): HostSync[] {
  const deviceRun = events.some((e) => e.onDevice);
  const kinds = events.map((e) => syncKind(e, deviceRun));
  const out: HostSync[] = [];
  events.forEach((e, i) => {
    const kind = kinds[i];
    if (kind === undefined || partOfItem(events, i)) return;
    const path: string[] = [];
    for (let p = e.parent; p >= 0; p = events[p].parent) {
      if (kinds[p] !== undefined) return;  // inside a sync already counted
      path.unshift(events[p].name);
    }
    const call = kind === 'read' ? e.name.slice(HOST_SYNC_RANGE.length) : e.name;
    out.push({ kind, call, path, index: i });
  });
  return out;
}
