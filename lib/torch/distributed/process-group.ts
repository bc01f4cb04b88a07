// The default process group: torch.distributed's init_process_group,
// get_rank, get_world_size, is_initialized, destroy_process_group.
import { dist, GroupHandle } from './addon';
import { InitProcessGroupOptions, resolveRendezvous } from './rendezvous';

interface DefaultGroup {
  handle: GroupHandle;
  backend: 'gloo' | 'nccl';
  rank: number;
  worldSize: number;
  timeoutMs: number;
}

let current: DefaultGroup | null = null;
let starting = false;

/** @internal The default group, or a clear error when there is none. */
export function defaultGroup(what: string): DefaultGroup {
  if (!current) {
    throw new Error(`${what}: the default process group has not been initialized (await torch.distributed.initProcessGroup() first)`);
  }
  return current;
}

/**
 * Joins the default process group: opens the store (rank 0 hosts the TCPStore),
 * waits for every rank, and connects the backend. The rendezvous is the one
 * torch.distributed uses, so Node and Python ranks can share a group.
 *
 * @example
 * // under `selfsup launch --nproc-per-node 2 train.js` (or torchrun)
 * await torch.distributed.initProcessGroup({ backend: 'gloo' });
 * torch.distributed.getRank(); // 0 or 1
 */
export async function initProcessGroup(options: InitProcessGroupOptions = {}): Promise<void> {
  if (current || starting) throw new Error('initProcessGroup: the default process group is already initialized (call destroyProcessGroup() first)');
  const resolved = resolveRendezvous(options, process.env);
  if (!isBackendAvailable(resolved.backend)) {
    throw new Error(`initProcessGroup: backend '${resolved.backend}' is not available in this build of the addon ` +
      `(available: ${dist.distBackends().join(', ') || 'none'}; docs/distributed.md says how to get it)`);
  }
  starting = true;
  try {
    const handle = await dist.distInit(resolved);
    current = { handle, backend: resolved.backend as 'gloo' | 'nccl', rank: resolved.rank,
      worldSize: resolved.worldSize, timeoutMs: resolved.timeoutMs };
  } finally {
    starting = false;
  }
}

/** True once `initProcessGroup` has finished and until `destroyProcessGroup`. @example if (torch.distributed.isInitialized()) ... */
export function isInitialized(): boolean {
  return current !== null;
}

/** This process's rank in the default group. @example const rank = torch.distributed.getRank(); */
export function getRank(): number {
  return defaultGroup('getRank').rank;
}

/** Number of ranks in the default group. @example const n = torch.distributed.getWorldSize(); */
export function getWorldSize(): number {
  return defaultGroup('getWorldSize').worldSize;
}

/** The default group's backend. @example torch.distributed.getBackend(); // 'gloo' */
export function getBackend(): 'gloo' | 'nccl' {
  return defaultGroup('getBackend').backend;
}

/** The backends this addon was built with. @example torch.distributed.isBackendAvailable('gloo'); */
export function isBackendAvailable(backend: string): boolean {
  return dist.distBackends().includes(backend);
}

/** True when the addon has any distributed backend. @example torch.distributed.isAvailable(); */
export function isAvailable(): boolean {
  try {
    return dist.distBackends().length > 0;
  } catch {
    return false;
  }
}

/**
 * Leaves the default group and releases its connections; a new
 * `initProcessGroup` may follow. Collectives still in flight keep the group
 * alive until they settle.
 *
 * @example
 * torch.distributed.destroyProcessGroup();
 */
export function destroyProcessGroup(): void {
  const g = defaultGroup('destroyProcessGroup');
  current = null;
  dist.distDestroy(g.handle);
}
