// One rank of the DDP options test: findUnusedParameters (a layer the loss
// never uses) and gradientAsBucketView (gradients that alias one bucket),
// reported as JSON.
import { nn, torch } from '../../../../lib';

class TwoHeads extends nn.Module {
  readonly used = this.registerModule('used', new nn.Linear(3, 2));
  readonly unused = this.registerModule('unused', new nn.Linear(3, 2));
  forward(x: torch.Tensor): torch.Tensor {
    return this.used.forward(x);
  }
}

function build(): TwoHeads {
  torch.manualSeed(0);
  return new TwoHeads();
}

/** Two forward/backward iterations; the error of the one that failed, if any. */
function twoSteps(ddp: nn.parallel.DistributedDataParallel<TwoHeads>, x: torch.Tensor): string | null {
  try {
    for (let i = 0; i < 2; i++) ddp.forward(x).square().sum().backward();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

async function main(): Promise<void> {
  const dist = torch.distributed;
  await dist.initProcessGroup({ backend: 'gloo', timeout: 30000 });
  const rank = dist.getRank();
  torch.manualSeed(10 + rank);
  const x = torch.randn([4, 3]); // different on each rank
  const out: Record<string, unknown> = { rank };

  const off = new nn.parallel.DistributedDataParallel(build(), { findUnusedParameters: false });
  out.withoutFind = twoSteps(off, x);
  off.dispose();

  const model = build();
  const on = new nn.parallel.DistributedDataParallel(model, { findUnusedParameters: true });
  out.withFind = twoSteps(on, x);
  const g = model.used.weight.grad!.clone();
  const parts = await dist.allGather(g);
  out.usedGradsEqual = Number(parts[0].sub(parts[1]).abs().max().item()) < 1e-6;
  out.unusedGradUndefined = model.unused.weight.grad === undefined;
  on.dispose();

  for (const asView of [true, false]) {
    const m = new nn.Sequential<nn.Module & { forward(t: torch.Tensor): torch.Tensor }>(new nn.Linear(3, 4), new nn.Linear(4, 2));
    const ddp = new nn.parallel.DistributedDataParallel(m, { gradientAsBucketView: asView });
    ddp.forward(x).square().sum().backward();
    const params = m.parameters();
    const total = params.reduce((n, p) => n + p.numel(), 0);
    const gradSum = params.reduce((s, p) => s + Number(p.grad!.sum().item()), 0);
    // One bucket holds every gradient: as a view of it, the first gradient's storage spans all of them.
    try {
      const whole = torch.ops.aten.as_strided(params[0].grad!, [total], [1], 0) as torch.Tensor;
      out[`bucketSum_${asView}`] = Math.abs(Number(whole.sum().item()) - gradSum);
    } catch (e) {
      out[`bucketSum_${asView}`] = (e as Error).message.split('\n')[0];
    }
    ddp.dispose();
  }
  out.done = true;
  dist.destroyProcessGroup();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  process.stderr.write(`rank ${process.env.RANK}: ${(e as Error).stack}\n`);
  process.exit(1);
});
