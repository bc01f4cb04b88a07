// The distributed launcher: starts one process per rank with the rendezvous
// environment torchrun sets, forwards signals, and stops every rank when one
// fails, reporting which rank failed and how.
import * as childProcess from 'node:child_process';
import { defineOptions, GivenOptions, option, OptionCheck, REQUIRED } from '../torch/option-table';

/** An integer >= min, else a TypeError (not an integer) or RangeError (too small) in the launcher's words. */
function atLeast(min: number): OptionCheck<number> {
  return (v, what) => {
    if (Number.isInteger(v) && (v as number) >= min) return v as number;
    const message = `Expected an integer >= ${min} for ${what} but received ${String(v)}`;
    throw Number.isInteger(v) ? new RangeError(message) : new TypeError(message);
  };
}

/** The launcher's options: defaults (torchrun's) and checks. */
export const LAUNCH_OPTIONS = defineOptions({
  /** Processes on this machine (torchrun's --nproc-per-node). */
  nprocPerNode: option(REQUIRED, atLeast(1)),
  /** Machines in the job; default 1. */
  nnodes: option(1, atLeast(1)),
  /** This machine's index; default 0. */
  nodeRank: option(0, atLeast(0)),
  /** Address of node 0, where rank 0 hosts the TCPStore; default 127.0.0.1. */
  masterAddr: option('127.0.0.1', (v, what) => {
    if (typeof v !== 'string' || v === '') throw new TypeError(`Expected a host name or address for ${what} but received ${String(v)}`);
    return v;
  }),
  /** Port of the TCPStore; default 29500, as torchrun. */
  masterPort: option(29500, (v, what) => {
    const port = atLeast(1)(v, what);
    if (port > 65535) throw new RangeError(`Expected ${what} <= 65535 but received ${port}`);
    return port;
  }),
  /** Arguments of the program each rank runs; default none. */
  args: option<readonly string[]>([], (v, what) => {
    if (!Array.isArray(v) || !v.every((a) => typeof a === 'string')) {
      throw new TypeError(`Expected a list of strings for ${what} but received ${JSON.stringify(v)}`);
    }
    return [...v];
  }),
  /** Milliseconds between SIGTERM and SIGKILL when stopping the ranks; default 10000. */
  killGraceMs: option(10000, atLeast(0)),
});

export interface LaunchOptions extends GivenOptions<typeof LAUNCH_OPTIONS.specs> {
  /** Processes on this machine (torchrun's --nproc-per-node). */
  nprocPerNode: number;
  /** The program each rank runs (run with this Node), with `args`. */
  script: string;
  /** Extra environment for every rank. */
  env?: NodeJS.ProcessEnv;
}

/** Names a launch option in messages. */
const named = (k: string): string => k;

/** Why a launch failed: the first rank that exited with an error. */
export class LaunchError extends Error {
  constructor(readonly rank: number, readonly exitCode: number | null, readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string) {
    super(`rank ${rank} failed (${signal ? `signal ${signal}` : `exit code ${exitCode}`}); the other ranks were stopped` +
      (stderrTail ? `\nrank ${rank}'s last output:\n${stderrTail}` : ''));
  }
}

/**
 * The environment of local rank `localRank`, as torchrun sets it: RANK,
 * LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR,
 * MASTER_PORT, and OMP_NUM_THREADS=1 when several ranks share the machine and
 * the caller did not set it.
 *
 * @example
 * rankEnv({ nprocPerNode: 2, script: 'train.js' }, 1).RANK; // '1'
 */
export function rankEnv(options: LaunchOptions, localRank: number, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { nprocPerNode: nproc, nnodes, nodeRank, masterAddr, masterPort: port } = LAUNCH_OPTIONS.resolve(options, named);
  if (nodeRank >= nnodes) throw new RangeError(`Expected nodeRank < nnodes but received ${nodeRank} and ${nnodes}`);
  const env: NodeJS.ProcessEnv = {
    ...base, ...options.env,
    RANK: String(nodeRank * nproc + localRank), LOCAL_RANK: String(localRank), WORLD_SIZE: String(nnodes * nproc),
    LOCAL_WORLD_SIZE: String(nproc), GROUP_RANK: String(nodeRank),
    MASTER_ADDR: masterAddr, MASTER_PORT: String(port),
  };
  // NOTE: torchrun's default too: N ranks each with all cores' threads oversubscribe the CPU.
  if (nproc > 1 && base.OMP_NUM_THREADS === undefined && options.env?.OMP_NUM_THREADS === undefined) env.OMP_NUM_THREADS = '1';
  return env;
}

/**
 * Runs `script` in `nprocPerNode` processes and resolves when all exit with
 * code 0. When one fails, the others get SIGTERM (then SIGKILL after
 * `killGraceMs`) and the Promise rejects with a LaunchError naming that rank.
 * SIGINT and SIGTERM sent to the launcher are forwarded to every rank.
 *
 * @example
 * await launch({ nprocPerNode: 2, script: 'dist/examples/ddp.js' });
 */
export function launch(options: LaunchOptions): Promise<void> {
  const { nprocPerNode: nproc, killGraceMs: grace, args } = LAUNCH_OPTIONS.resolve(options, named);
  const envs = Array.from({ length: nproc }, (_, r) => rankEnv(options, r));
  return new Promise((resolve, reject) => {
    const children = envs.map((env) => childProcess.spawn(process.execPath, [options.script, ...args],
      { env, stdio: ['inherit', 'inherit', 'pipe'] }));
    const tails = children.map(() => '');
    let failure: LaunchError | null = null;
    let running = nproc;
    const killTimers: NodeJS.Timeout[] = [];
    const stopAll = (): void => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      killTimers.push(setTimeout(() => {
        for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      }, grace).unref());
    };
    const forward = (sig: NodeJS.Signals) => (): void => { for (const c of children) c.kill(sig); };
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    children.forEach((child, rank) => {
      child.stderr?.on('data', (d: Buffer) => {
        process.stderr.write(d);
        tails[rank] = (tails[rank] + d.toString()).slice(-2000);
      });
      child.on('error', (err) => { tails[rank] += `\n${err.message}`; });
      child.on('close', (code, signal) => {
        running--;
        if ((code !== 0 || signal) && !failure) {
          failure = new LaunchError(Number(envs[rank].RANK), code, signal, tails[rank].trim().split('\n').slice(-10).join('\n'));
          stopAll();
        }
        if (running === 0) {
          process.off('SIGINT', onInt);
          process.off('SIGTERM', onTerm);
          for (const t of killTimers) clearTimeout(t);
          if (failure) reject(failure);
          else resolve();
        }
      });
    });
  });
}
