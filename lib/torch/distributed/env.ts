// What torchrun-style launchers tell each rank beyond the rendezvous.

/**
 * LOCAL_RANK: this process's index on its machine (0 when unset), the GPU
 * it should use.
 *
 * @example
 * const device = `cuda:${torch.distributed.localRank()}`;
 */
export function localRank(env: NodeJS.ProcessEnv = process.env): number {
  return envInt(env, 'LOCAL_RANK', 0);
}

/** LOCAL_WORLD_SIZE: processes on this machine (1 when unset). @example torch.distributed.localWorldSize(); */
export function localWorldSize(env: NodeJS.ProcessEnv = process.env): number {
  return envInt(env, 'LOCAL_WORLD_SIZE', 1);
}

function envInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`Expected a non-negative integer in ${name} but received '${v}'`);
  return n;
}
