// All-reduce latency on 2 ranks over loopback (Gloo): selfsup's Node ranks
// against torch.distributed's Python ranks on the same machine and libtorch.
// Usage: node dist/scripts/bench-distributed.js [--iters 20]
// (run without RANK: it starts the ranks itself, then prints the table).
import { torch } from '../lib';
import { PYTHON, pythonScript } from './bench-python';
import { runRanks } from './bench-ranks';

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

async function main(): Promise<void> {
  const i = process.argv.indexOf('--iters');
  const iters = i > 0 ? Number(process.argv[i + 1]) : 20;
  if (process.env.RANK !== undefined) return rankMain(iters);
  const [node] = await runRanks<Record<string, number>>(process.execPath, [__filename, '--iters', String(iters)], 2, 1);
  const [py] = await runRanks<Record<string, number>>(PYTHON, [pythonScript('bench_distributed.py'), String(iters)], 2, 1);
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
