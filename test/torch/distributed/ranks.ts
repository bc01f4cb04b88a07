// Runs the ranks of a distributed test as child processes (Node workers, or
// Python's torch.distributed) on 127.0.0.1, each with a deadline: a rank that
// hangs is killed and named, so a failing collective never hangs the suite.
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { distributed as torchDistributed } from '../../../lib/torch';

export interface RankResult {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The last line of stdout parsed as JSON (what the worker reports). */
  report: Record<string, unknown> | null;
}

export interface RankSpec {
  /** Command and arguments; the rank's env gets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT. */
  command: string;
  args: string[];
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A fresh temporary folder and a function that removes it. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-dist-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function lastJson(stdout: string): Record<string, unknown> | null {
  const lines = stdout.trim().split('\n').filter((l) => l.startsWith('{'));
  if (!lines.length) return null;
  try {
    return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** The compiled worker script next to this file. */
export function worker(name: string): string {
  return path.join(__dirname, 'workers', `${name}.js`);
}

/**
 * Starts one process per spec (rank = index) with the rendezvous env and
 * waits for all; after `deadlineMs` the remaining ones are killed.
 */
export async function runRanks(specs: RankSpec[], env: NodeJS.ProcessEnv, deadlineMs = 60000): Promise<RankResult[]> {
  const world = specs.length;
  const runs = specs.map((spec, rank) => new Promise<RankResult>((resolve) => {
    const child = childProcess.spawn(spec.command, spec.args, {
      env: { ...process.env, OMP_NUM_THREADS: '1', GLOO_SOCKET_IFNAME: 'lo', MASTER_ADDR: '127.0.0.1',
        RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(world), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => {
      stderr += `\n[test] rank ${rank} killed after ${deadlineMs} ms`;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ rank, code, signal, stdout, stderr, report: lastJson(stdout) });
    });
  }));
  return Promise.all(runs);
}

/** A message with every rank's exit and output, for assertion failures. */
export function describeRuns(results: RankResult[]): string {
  return results.map((r) => `rank ${r.rank}: exit ${r.code} ${r.signal ?? ''}\n${r.stdout}\n${r.stderr}`).join('\n---\n');
}

/** For a suite's `before` hook: fails (not skips) when the addon was built without Gloo. */
export function requireGloo(): void {
  if (!torchDistributed.isBackendAvailable('gloo')) throw new Error('this addon has no gloo backend (libgloo-dev)');
}

/**
 * Runs one compiled Node worker script on `world` ranks over a fresh port,
 * asserts that every rank exited 0 and reported `done: true` (else the
 * message holds every rank's output), and returns the ranks' reports.
 */
export async function runNodeWorker(script: string, world = 2, deadlineMs = 150000): Promise<Record<string, unknown>[]> {
  const spec = { command: process.execPath, args: [script] };
  const runs = await runRanks(Array.from({ length: world }, () => spec), { MASTER_PORT: String(await freePort()) }, deadlineMs);
  if (!runs.every((r) => r.code === 0 && r.report?.done === true)) throw new Error(describeRuns(runs));
  return runs.map((r) => r.report!);
}
