// Where ranks meet: torch.distributed's init methods (env://, tcp://,
// file://) turned into the store the addon opens.
import { NativeInitOptions } from './addon';
import { defineOptions, is, option } from '../option-table';

/** How `initProcessGroup` finds the other ranks, as `torch.distributed.init_process_group`. */
export interface InitProcessGroupOptions {
  /** 'gloo' (CPU tensors) or 'nccl' (CUDA tensors; CUDA builds with NCCL). Default 'gloo'. */
  backend?: 'gloo' | 'nccl';
  /**
   * 'env://' (default: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE as torchrun
   * and `selfsup launch` set them), 'tcp://host:port' or 'file:///path'.
   */
  initMethod?: string;
  /** This process's rank; default from the URL's query or RANK. */
  rank?: number;
  /** Number of ranks; default from the URL's query or WORLD_SIZE. */
  worldSize?: number;
  /** Milliseconds for the rendezvous and each collective; default 30 minutes, as PyTorch. */
  timeout?: number;
}

/** PyTorch's default_pg_timeout: 30 minutes. */
export const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

function intFrom(value: string | number | undefined | null, what: string, min: number): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`Expected an integer >= ${min} for ${what} but received ${value}`);
  return n;
}

// The defaults of InitProcessGroupOptions, as PyTorch's (rank and worldSize have
// none of their own: they come from the URL's query or the environment).
const RENDEZVOUS_OPTIONS = defineOptions({
  backend: option<'gloo' | 'nccl'>('gloo', (v) => {
    if (v === 'gloo' || v === 'nccl') return v;
    throw new Error(`Expected backend 'gloo' or 'nccl' but received '${String(v)}'`);
  }),
  // Checked where it is parsed as a URL, with the forms it may take.
  initMethod: option('env://', is.checkedLater<string>()),
  timeout: option(DEFAULT_TIMEOUT_MS, (v) => intFrom(v as number | null, 'timeout (milliseconds)', 1) ?? DEFAULT_TIMEOUT_MS),
});

function required(value: number | undefined, what: string, hint: string): number {
  if (value === undefined) throw new Error(`initProcessGroup: ${what} is not set (${hint})`);
  return value;
}

function envVar(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`initProcessGroup: env:// rendezvous needs the environment variable ${name} (torchrun and selfsup launch set it)`);
  return v;
}

/**
 * The store, rank and world size an init method names, as torch.distributed's
 * rendezvous handlers read them: options first, then the URL's `rank` and
 * `world_size` query, then RANK and WORLD_SIZE (env:// only).
 *
 * @example
 * resolveRendezvous({ initMethod: 'tcp://127.0.0.1:29500', rank: 0, worldSize: 2 }, process.env);
 * // { backend: 'gloo', store: 'tcp', host: '127.0.0.1', port: 29500, isServer: 1, rank: 0, worldSize: 2, timeoutMs: 1800000 }
 */
export function resolveRendezvous(options: InitProcessGroupOptions, env: NodeJS.ProcessEnv): NativeInitOptions {
  const { backend, initMethod: method, timeout: timeoutMs } = RENDEZVOUS_OPTIONS.resolve(options, (k) => k);
  let url: URL;
  try {
    url = new URL(method);
  } catch {
    throw new Error(`Expected initMethod 'env://', 'tcp://host:port' or 'file:///path' but received '${method}'`);
  }
  const q = url.searchParams;
  let rank = intFrom(options.rank, 'rank', 0) ?? intFrom(q.get('rank'), 'the rank query', 0);
  let worldSize = intFrom(options.worldSize, 'worldSize', 1) ?? intFrom(q.get('world_size'), 'the world_size query', 1);
  if (url.protocol === 'env:') {
    rank ??= intFrom(envVar(env, 'RANK'), 'RANK', 0);
    worldSize ??= intFrom(envVar(env, 'WORLD_SIZE'), 'WORLD_SIZE', 1);
  }
  const hint = 'pass it, or use env:// under selfsup launch or torchrun';
  const r = required(rank, 'rank', hint);
  const w = required(worldSize, 'worldSize', hint);
  if (r >= w) throw new Error(`Expected rank < worldSize but received rank ${r} and worldSize ${w}`);
  const base = { backend, rank: r, worldSize: w, timeoutMs };
  if (url.protocol === 'file:') {
    if (!url.pathname || url.pathname === '/') throw new Error(`Expected a file path in initMethod but received '${method}'`);
    return { ...base, store: 'file', path: decodeURIComponent(url.pathname) };
  }
  let host: string;
  let port: number | undefined;
  if (url.protocol === 'env:') {
    host = envVar(env, 'MASTER_ADDR');
    port = intFrom(envVar(env, 'MASTER_PORT'), 'MASTER_PORT', 1);
  } else if (url.protocol === 'tcp:') {
    host = url.hostname.replace(/^\[|\]$/g, '');
    port = intFrom(url.port, 'the port of initMethod', 1);
    if (port === undefined) throw new Error(`initProcessGroup: tcp:// rendezvous needs a port ('${method}')`);
  } else {
    throw new Error(`Expected initMethod 'env://', 'tcp://host:port' or 'file:///path' but received '${method}'`);
  }
  if (port === undefined || port > 65535) throw new Error(`Expected a port from 1 to 65535 but received ${String(port)}`);
  return { ...base, store: 'tcp', host, port, isServer: r === 0 ? 1 : 0, useLibuv: useLibuv(q.get('use_libuv') ?? env.USE_LIBUV) };
}

/**
 * TCPStore's server as Python's rendezvous picks it (libtorch 2.x): the URL's
 * `use_libuv` query, else USE_LIBUV; '1' asks for libuv, any other value for the
 * classic server; -1 when neither is set, where the addon uses libuv if the build
 * has it and the classic server if not (Debian 13's libtorch 2.6 has none, and its
 * Python refuses env:// until USE_LIBUV=0). libtorch 1.13 has only the classic one.
 */
function useLibuv(value: string | undefined): number {
  if (value === undefined || value === '') return -1;
  return value === '1' ? 1 : 0;
}
