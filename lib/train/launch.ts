// The distributed launcher: starts one process per rank with the rendezvous
// environment torchrun sets, forwards signals, and stops every rank when one
// fails, reporting which rank failed and how.
import * as childProcess from 'node:child_process';

export interface LaunchOptions {
  /** Processes on this machine (torchrun's --nproc-per-node). */
  nprocPerNode: number;
  /** Machines in the job; default 1. */
  nnodes?: number;
  /** This machine's index; default 0. */
  nodeRank?: number;
  /** Address of node 0, where rank 0 hosts the TCPStore; default 127.0.0.1. */
  masterAddr?: string;
  /** Port of the TCPStore; default 29500, as torchrun. */
  masterPort?: number;
  /** The program each rank runs and its arguments (run with this Node). */
  script: string;
  args?: readonly string[];
  /** Milliseconds between SIGTERM and SIGKILL when stopping the ranks; default 10000. */
  killGraceMs?: number;
  /** Extra environment for every rank. */
  env?: NodeJS.ProcessEnv;
}

/** Why a launch failed: the first rank that exited with an error. */
export class LaunchError extends Error {
  constructor(readonly rank: number, readonly exitCode: number | null, readonly signal: NodeJS.Signals | null,
    readonly stderrTail: string) {
    super(`rank ${rank} failed (${signal ? `signal ${signal}` : `exit code ${exitCode}`}); the other ranks were stopped` +
      (stderrTail ? `\nrank ${rank}'s last output:\n${stderrTail}` : ''));
  }
}

function positiveInt(v: unknown, what: string, min = 1): number {
  if (!Number.isInteger(v) || (v as number) < min) throw new Error(`Expected an integer >= ${min} for ${what} but received ${String(v)}`);
  return v as number;
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
  const nproc = positiveInt(options.nprocPerNode, 'nprocPerNode');
  const nnodes = positiveInt(options.nnodes ?? 1, 'nnodes');
  const nodeRank = positiveInt(options.nodeRank ?? 0, 'nodeRank', 0);
  if (nodeRank >= nnodes) throw new Error(`Expected nodeRank < nnodes but received ${nodeRank} and ${nnodes}`);
  const port = positiveInt(options.masterPort ?? 29500, 'masterPort');
  if (port > 65535) throw new Error(`Expected masterPort <= 65535 but received ${port}`);
  const env: NodeJS.ProcessEnv = {
    ...base, ...options.env,
    RANK: String(nodeRank * nproc + localRank), LOCAL_RANK: String(localRank), WORLD_SIZE: String(nnodes * nproc),
    LOCAL_WORLD_SIZE: String(nproc), GROUP_RANK: String(nodeRank),
    MASTER_ADDR: options.masterAddr ?? '127.0.0.1', MASTER_PORT: String(port),
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
  const nproc = positiveInt(options.nprocPerNode, 'nprocPerNode');
  const grace = options.killGraceMs ?? 10000;
  const envs = Array.from({ length: nproc }, (_, r) => rankEnv(options, r));
  return new Promise((resolve, reject) => {
    const children = envs.map((env) => childProcess.spawn(process.execPath, [options.script, ...(options.args ?? [])],
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
