// DDP training-step throughput: selfsup's DistributedDataParallel (Node,
// c10d's Reducer) against PyTorch's (Python), both on Gloo over 127.0.0.1 with
// the same model, batch and thread budget, on the same libtorch. Rows: one
// process with 2 threads on the whole batch; 2 ranks x 1 thread x half the
// batch under DDP; the same 2 ranks under noSync (no communication: the
// bucket all-reduce's cost is the difference). A benchmark, not a test.
// Usage: node dist/scripts/bench-ddp.js [--iters 20] [--batch 128] [--model mlp|cnn]
// --model cnn: a small CNN on 28 x 28 images (87 K parameters, ~5.7 M
// multiply-adds an image): much compute per gradient byte, to see whether
// the 2-rank step can come within 1.2x of the one-process step (issue 17)
// when the all-reduce is small; the MLP (default) is the communication-bound case.
import { nn, optim, torch } from '../lib';
import { PYTHON, pythonScript } from './bench-python';
import { runRanks } from './bench-ranks';

type Mode = 'single' | 'ddp' | 'nosync';
type ModelKind = 'mlp' | 'cnn';
const MODES: readonly Mode[] = ['single', 'ddp', 'nosync'];

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

type Net = nn.Sequential<nn.Module & { forward(x: torch.Tensor): torch.Tensor }>;

/** The benchmarked model: an MLP of 5.8 M parameters (23 MB of gradients, so buckets matter), or the small CNN. */
function makeModel(kind: ModelKind): Net {
  torch.manualSeed(0);
  if (kind === 'cnn') {
    return new nn.Sequential<nn.Module & { forward(x: torch.Tensor): torch.Tensor }>(
      new nn.Conv2d(1, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.Conv2d(32, 64, 3, { stride: 2, padding: 1 }), new nn.ReLU(),
      new nn.Conv2d(64, 64, 3, { stride: 2, padding: 1 }), new nn.ReLU(), new nn.Flatten(), new nn.Linear(64 * 7 * 7, 10));
  }
  return new nn.Sequential<nn.Module & { forward(x: torch.Tensor): torch.Tensor }>(
    new nn.Linear(784, 2048), new nn.ReLU(), new nn.Linear(2048, 2048), new nn.ReLU(), new nn.Linear(2048, 10));
}

/** One rank (or the single process): median ms per SGD step of `mode`. */
async function rankMain(mode: Mode, iters: number, batch: number, kind: ModelKind): Promise<void> {
  const world = Number(process.env.WORLD_SIZE ?? '1');
  if (world > 1) await torch.distributed.initProcessGroup({ backend: 'gloo' });
  const model = makeModel(kind);
  const ddp = world > 1 ? new nn.parallel.DistributedDataParallel(model) : undefined;
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const n = batch / world;
  const x = kind === 'cnn' ? torch.randn([n, 1, 28, 28]) : torch.randn([n, 784]); // (n, 1, 28, 28) or (n, 784)
  const y = torch.arange(n).remainder(10); // (n)
  const step = (): void => torch.scope(() => {
    opt.zeroGrad();
    const out = ddp !== undefined ? ddp.forward(x) : model.forward(x); // (n, 10)
    nn.functional.crossEntropy(out, y).backward();
    opt.step();
  });
  const times: number[] = [];
  for (let i = 0; i < iters + 3; i++) {
    if (world > 1) await torch.distributed.barrier();
    const t0 = process.hrtime.bigint();
    if (mode === 'nosync' && ddp !== undefined) ddp.noSync(step);
    else step();
    if (i >= 3) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const parameters = model.parameters().reduce((n, p) => n + p.numel(), 0); // before dispose: DDP's frees the model's tensors
  ddp?.dispose();
  if (world > 1) torch.distributed.destroyProcessGroup();
  if ((process.env.RANK ?? '0') === '0') process.stdout.write(`${JSON.stringify({ ms: times[Math.floor(times.length / 2)], parameters })}\n`);
}

async function main(): Promise<void> {
  const iters = argValue('--iters', 20);
  const batch = argValue('--batch', 128);
  const i = process.argv.indexOf('--model');
  const kind = (i > 0 ? process.argv[i + 1] : 'mlp') as ModelKind;
  if (kind !== 'mlp' && kind !== 'cnn') throw new RangeError(`Expected --model mlp or cnn but received ${String(kind)}`);
  const mode = process.env.BENCH_DDP_MODE as Mode | undefined;
  if (mode !== undefined) return rankMain(mode, iters, batch, kind);
  const py = pythonScript('bench_ddp.py');
  const what = kind === 'cnn' ? 'a CNN 1-32-64-64 on 28 x 28 (87 K parameters)' : 'an MLP 784-2048-2048-10 (5.8 M parameters)';
  process.stdout.write(`SGD step of ${what}, global batch ${batch}, Gloo on 127.0.0.1, ` +
    `median of ${iters} steps, ms per step (lower is better); PyTorch on Node's BLAS build\n`);
  process.stdout.write('mode                                  selfsup   PyTorch   selfsup/PyTorch\n');
  const rows: Record<Mode, string> = {
    single: `1 process x 2 threads, batch ${batch}`, ddp: `DDP 2 ranks x 1 thread, ${batch / 2} each`,
    nosync: `2 ranks under noSync (no all-reduce)`,
  };
  const results: Partial<Record<Mode, [number, number]>> = {};
  for (const m of MODES) {
    // 1 thread each for 2 ranks, 2 threads for a single process: the same 2 cores either way.
    const world = m === 'single' ? 1 : 2;
    const [{ ms: node }] = await runRanks<{ ms: number }>(process.execPath, [__filename, '--iters', String(iters), '--batch', String(batch), '--model', kind],
      world, 2 / world, { BENCH_DDP_MODE: m });
    const [{ ms: python }] = await runRanks<{ ms: number }>(PYTHON, [py, m, String(iters), String(batch), kind], world, 2 / world);
    results[m] = [node, python];
    process.stdout.write(`${rows[m].padEnd(36)}${node.toFixed(1).padStart(9)}${python.toFixed(1).padStart(10)}` +
      `${(node / python).toFixed(2).padStart(18)}\n`);
  }
  const [s, d, n] = [results.single!, results.ddp!, results.nosync!];
  process.stdout.write(`DDP step / single-process step: selfsup ${(d[0] / s[0]).toFixed(2)}, PyTorch ${(d[1] / s[1]).toFixed(2)}; ` +
    `communication share of the DDP step: selfsup ${(1 - n[0] / d[0]).toFixed(2)}, PyTorch ${(1 - n[1] / d[1]).toFixed(2)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
