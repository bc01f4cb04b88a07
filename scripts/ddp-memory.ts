// What DistributedDataParallel keeps in memory besides the model, on 2 Gloo
// ranks: after 3 forward/backward steps (the Reducer rebuilds its buckets
// after the first), the bytes freed by disposing of the DDP-wrapped model
// (c10d's Reducer with its buckets, then the model's gradients), minus the
// bytes freed by disposing of a plain model after the same steps (its
// gradients). Counted exactly by torch.profiler.profile's allocator hook:
// the steps run in one profile, so the CPU allocator records the size of
// every block they allocate, and the disposal runs in a second one, on this
// thread, which counts every such block it frees (the model is built in the
// first profile too, so its parameters count on both sides). The difference is the buckets,
// including any old set that was not freed. (Counting allocations minus
// frees over the steps is not exact: Gloo's threads sometimes drop the last
// reference to an old bucket, and frees on threads without the profiler
// state go uncounted.) Before the disposal, the script waits for Gloo's
// worker threads to let go of the last step's work: a worker marks the
// bucket's all-reduce complete (which wakes the backward pass) before it
// clears its own reference to that work and its tensors; if the disposal
// ran first, the bucket's storage would be freed later on that worker,
// uncounted (CI saw it once under load: gradientAsBucketView read one
// gradient copy short). A barrier, then a pause, gives the workers time to
// run. A measurement, not a benchmark.
import * as nn from '../lib/nn';
import * as torch from '../lib/torch';
import { runRanks } from './bench-ranks';

type Net = nn.Sequential<nn.Module & { forward(x: torch.Tensor): torch.Tensor }>;

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

/** An MLP 784-w-w-10 (w = 2048: 5.8 M parameters, 23 MB of float32 gradients, so several 25 MB buckets... or one). */
function makeModel(width: number): Net {
  torch.manualSeed(0);
  return new nn.Sequential<nn.Module & { forward(x: torch.Tensor): torch.Tensor }>(
    new nn.Linear(784, width), new nn.ReLU(), new nn.Linear(width, width), new nn.ReLU(), new nn.Linear(width, 10));
}

/** Bytes that `fn` freed (frees minus allocations while it ran). */
function freed(fn: () => void): number {
  const { memory } = torch.profiler.profile(fn);
  return memory.freeBytes - memory.allocBytes;
}

/** Whether every gradient lies in a storage larger than itself (a view of a bucket holding others too). */
function gradsAreViews(model: Net): boolean {
  return torch.scope(() => model.parameters().every((p) => {
    try {
      torch.ops.aten.as_strided(p.grad!, [p.grad!.numel() + 1], [1], 0);
      return true;
    } catch {
      return false;
    }
  }));
}

/** One rank: the bytes held after 3 steps without DDP, and under DDP with and without gradientAsBucketView. */
async function rankMain(width: number): Promise<void> {
  await torch.distributed.initProcessGroup({ backend: 'gloo' });
  const x = torch.randn([16, 784]); // (16, 784)
  const y = torch.arange(16).remainder(10); // (16)
  const steps = (forward: (t: torch.Tensor) => torch.Tensor): void => {
    for (let i = 0; i < 3; i++) torch.scope(() => nn.functional.crossEntropy(forward(x), y).backward());
  };
  const plainModel = torch.profiler.profile(() => {
    const m = makeModel(width);
    steps((t) => m.forward(t));
    return m;
  }).result;
  const gradBytes = plainModel.parameters().reduce((n, p) => n + p.numel() * 4, 0);
  const plain = freed(() => plainModel.dispose());
  const ddp = async (gradientAsBucketView: boolean): Promise<{ held: number; gradsAreViews: boolean }> => {
    let model: Net | undefined;
    const wrapped = torch.profiler.profile(() => {
      model = makeModel(width);
      const w = new nn.parallel.DistributedDataParallel(model, { gradientAsBucketView });
      steps((t) => w.forward(t));
      return w;
    }).result;
    const views = gradsAreViews(model!);
    await torch.distributed.barrier();
    await new Promise((resolve) => { setTimeout(resolve, 300); });
    return { held: freed(() => wrapped.dispose()), gradsAreViews: views };
  };
  const copies = await ddp(false);
  const asViews = await ddp(true);
  const out = {
    rank: torch.distributed.getRank(), parameters: gradBytes / 4, gradBytes, plain,
    ddp: copies.held, ddpExtra: copies.held - plain, ddpGradsAreViews: copies.gradsAreViews,
    asViews: asViews.held, asViewsExtra: asViews.held - plain, asViewsGradsAreViews: asViews.gradsAreViews,
  };
  torch.distributed.destroyProcessGroup();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Runs this script as 2 ranks and returns their JSON reports. */
function ranks(width: number): Promise<Record<string, number | boolean>[]> {
  return runRanks<Record<string, number | boolean>>(process.execPath, [__filename, '--width', String(width)], 2, 1, { DDP_MEMORY_RANK: '1' });
}

async function main(): Promise<void> {
  const width = argValue('--width', 2048);
  if (process.env.DDP_MEMORY_RANK === '1') return rankMain(width);
  const reports = await ranks(width);
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(reports)}\n`);
    return;
  }
  const r = reports[0];
  const mb = (b: number): string => `${(Number(b) / 2 ** 20).toFixed(2)} MiB`;
  const copies = (b: number): string => (Number(b) / Number(r.gradBytes)).toFixed(4);
  process.stdout.write(`MLP 784-${width}-${width}-10 (${Number(r.parameters).toLocaleString('en-US')} parameters, ` +
    `${mb(Number(r.gradBytes))} of float32 gradients), 2 Gloo ranks, bytes held after 3 forward/backward steps (freed on release):\n`);
  process.stdout.write(`without DDP (weights and gradients)    ${mb(Number(r.plain)).padStart(12)}\n`);
  process.stdout.write(`DDP                                    ${mb(Number(r.ddp)).padStart(12)}   extra ${copies(Number(r.ddpExtra))} gradient copies\n`);
  process.stdout.write(`DDP, gradientAsBucketView              ${mb(Number(r.asViews)).padStart(12)}   extra ${copies(Number(r.asViewsExtra))} gradient copies` +
    ` (gradients are bucket views: ${String(r.asViewsGradsAreViews)})\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack}\n`);
  process.exit(1);
});
