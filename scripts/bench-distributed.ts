// All-reduce latency on 2 ranks over loopback (Gloo): selfsup's Node ranks
// against torch.distributed's Python ranks on the same machine and libtorch.
// Usage: node dist/scripts/bench-distributed.js [--iters 20]
// (run without RANK: it starts the ranks itself, then prints the table).
import * as childProcess from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { torch } from '../lib';

const SIZES_MB = [1, 25];

async function rankMain(iters: number): Promise<void> {
  await torch.distributed.initProcessGroup({ backend: 'gloo' });
  const out: Record<string, number> = {};
  for (const mb of SIZES_MB) {
    const t = torch.ones([(mb * 1024 * 1024) / 4]);
    const times: number[] = [];
    for (let i = 0; i < iters + 3; i++) {
      await torch.distributed.barrier();
      const t0 = process.hrtime.bigint();
      await torch.distributed.allReduce(t);
      if (i >= 3) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    out[`${mb}MB`] = times[Math.floor(times.length / 2)];
    t.dispose();
  }
  torch.distributed.destroyProcessGroup();
  if (process.env.RANK === '0') process.stdout.write(`${JSON.stringify(out)}\n`);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

async function runPair(command: string, args: string[]): Promise<Record<string, number>> {
  const port = await freePort();
  const runs = [0, 1].map((rank) => new Promise<string>((resolve, reject) => {
    const child = childProcess.spawn(command, args, {
      env: { ...process.env, RANK: String(rank), WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port),
        GLOO_SOCKET_IFNAME: 'lo', OMP_NUM_THREADS: '1' }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} rank ${rank} exited with ${code}`))));
  }));
  const outs = await Promise.all(runs);
  return JSON.parse(outs[0].trim().split('\n').pop() ?? '{}') as Record<string, number>;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--iters');
  const iters = i > 0 ? Number(process.argv[i + 1]) : 20;
  if (process.env.RANK !== undefined) return rankMain(iters);
  const node = await runPair(process.execPath, [__filename, '--iters', String(iters)]);
  const py = await runPair('/usr/bin/python3', [path.resolve(__dirname, '../../scripts/bench_distributed.py'), String(iters)]);
  process.stdout.write('all-reduce (sum, float32, Gloo, 2 ranks on 127.0.0.1), median ms\n');
  process.stdout.write('size    selfsup (Node)   torch.distributed (Python)   ratio\n');
  for (const mb of SIZES_MB) {
    const k = `${mb}MB`;
    process.stdout.write(`${k.padEnd(8)}${node[k].toFixed(2).padStart(14)}${py[k].toFixed(2).padStart(29)}${(node[k] / py[k]).toFixed(2).padStart(8)}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
