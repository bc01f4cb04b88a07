// One rank of the DDP + SyncBatchNorm test: trains on half of a batch under
// DDP and compares with a plain model trained on the whole batch in this
// process (same initial weights), printing the largest differences as JSON.
import { nn, torch } from '../../../../lib';

const maxDiff = (a: torch.Tensor, b: torch.Tensor): number => a.sub(b).abs().max().item() as number;

function make(): nn.Sequential<nn.Module & { forward(x: torch.Tensor): torch.Tensor }> {
  torch.manualSeed(0);
  return new nn.Sequential<nn.Module & { forward(x: torch.Tensor): torch.Tensor }>(
    new nn.Linear(4, 16), new nn.BatchNorm1d(16), new nn.ReLU(), new nn.Linear(16, 16), new nn.BatchNorm1d(16),
    new nn.ReLU(), new nn.Linear(16, 3));
}

function sgd(params: torch.Tensor[], lr: number): void {
  torch.noGrad(() => { for (const p of params) { p.sub_(p.grad!.mul(lr)); p.grad = undefined; } });
}

async function main(): Promise<void> {
  const dist = torch.distributed;
  await dist.initProcessGroup({ backend: 'gloo', initMethod: 'env://', timeout: 30000 });
  const rank = dist.getRank();
  const world = dist.getWorldSize();
  torch.manualSeed(1);
  const x = torch.randn([8, 4]);
  const y = torch.randn([8, 3]);
  const half = 8 / world;
  const xs = x.narrow(0, rank * half, half);
  const ys = y.narrow(0, rank * half, half);
  const ref = make();
  const model = nn.parallel.SyncBatchNorm.convertSyncBatchnorm(make());
  // a different start on rank 1 shows the start-up broadcast of rank 0's weights
  if (rank === 1) torch.noGrad(() => model.parameters()[0].add_(1));
  const ddp = new nn.parallel.DistributedDataParallel(model, { bucketCapMb: 0.0005 }); // several buckets
  const out: Record<string, unknown> = { rank, types: [...model.modules()].map((m) => m.typeName).join(',') };
  const steps: Record<string, number>[] = [];
  for (let step = 0; step < 3; step++) {
    const lossRef = nn.functional.mseLoss(ref.forward(x), y);
    lossRef.backward();
    const loss = nn.functional.mseLoss(ddp.forward(xs), ys);
    loss.backward();
    const globalLoss = (await dist.allReduce(loss.detach().clone(), { op: 'avg' })).item() as number;
    const p = model.parameters();
    const q = ref.parameters();
    const b = model.buffers().filter((t) => t.dtype === 'float32');
    const c = ref.buffers().filter((t) => t.dtype === 'float32');
    steps.push({
      loss: Math.abs(globalLoss - (lossRef.item() as number)),
      grad: Math.max(...p.map((t, i) => maxDiff(t.grad!, q[i].grad!))),
      weight: Math.max(...p.map((t, i) => maxDiff(t, q[i]))),
      running: Math.max(...b.map((t, i) => maxDiff(t, c[i]))),
    });
    sgd(p, 0.1);
    sgd(q, 0.1);
  }
  out.steps = steps;
  // noSync: gradients accumulate locally; the next synced backward reduces the sum.
  ddp.noSync(() => nn.functional.mseLoss(ddp.forward(xs), ys).backward());
  const local = model.parameters()[0].grad!.clone();
  const parts = await dist.allGather(local);
  out.noSyncDiffers = maxDiff(parts[0], parts[1]) > 1e-4;
  nn.functional.mseLoss(ddp.forward(xs), ys).backward();
  for (let k = 0; k < 2; k++) nn.functional.mseLoss(ref.forward(x), y).backward();
  const p = model.parameters();
  const q = ref.parameters();
  out.accumulated = Math.max(...p.map((t, i) => maxDiff(t.grad!, q[i].grad!)));
  out.done = true;
  ddp.dispose();
  dist.destroyProcessGroup();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  process.stderr.write(`rank ${process.env.RANK}: ${(e as Error).stack}\n`);
  process.exit(1);
});
