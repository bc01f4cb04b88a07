// Starts one benchmark's ranks on this machine, the way torchrun would: RANK,
// WORLD_SIZE, MASTER_ADDR/PORT on 127.0.0.1 (a free port), Gloo on loopback,
// a thread budget per rank. Used by the distributed benchmarks for both their
// Node ranks and their PyTorch ranks; a PyTorch rank also gets the reference
// environment of scripts/bench-python.ts (Node's BLAS build), so both sides
// run the same BLAS threads.
import * as childProcess from 'node:child_process';
import * as net from 'node:net';
import { PYTHON, referenceProcessEnv } from './bench-python';

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** The environment of rank `rank` of `world`, with `threads` OpenMP threads, rendezvous at `port`. */
export function rankEnv(rank: number, world: number, port: number, threads: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, RANK: String(rank), WORLD_SIZE: String(world), MASTER_ADDR: '127.0.0.1',
    MASTER_PORT: String(port), GLOO_SOCKET_IFNAME: 'lo', OMP_NUM_THREADS: String(threads) };
}

/**
 * Runs `command args` as `world` ranks with `threads` threads each and returns
 * the last line each rank printed, parsed as JSON ({} for a rank that printed
 * nothing), in rank order. `command` PYTHON starts the PyTorch reference in
 * referenceProcessEnv.
 *
 * @example const [{ ms }] = await runRanks<{ ms: number }>(PYTHON, ['scripts/bench_ddp.py', 'ddp', '20', '128'], 2, 1);
 */
export async function runRanks<T>(command: string, args: readonly string[], world: number, threads: number,
  extra: NodeJS.ProcessEnv = {}): Promise<T[]> {
  const port = await freePort();
  const outs = await Promise.all(Array.from({ length: world }, (_, rank) => new Promise<string>((resolve, reject) => {
    const env = rankEnv(rank, world, port, threads, extra);
    const child = childProcess.spawn(command, args, {
      env: command === PYTHON ? referenceProcessEnv(env) : env, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} rank ${rank} exited with ${code}`))));
  })));
  return outs.map((out) => JSON.parse(out.trim().split('\n').pop() || '{}') as T);
}
