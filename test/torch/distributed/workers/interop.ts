// The Node rank of the Node+Python interop test (the Python rank is
// interop_rank.py): the same collectives on the same inputs, reported as JSON.
import { torch } from '../../../../lib';

async function main(): Promise<void> {
  const dist = torch.distributed;
  await dist.initProcessGroup({ backend: 'gloo', initMethod: process.env.INIT_METHOD, timeout: 30000 });
  const rank = dist.getRank();
  const out: Record<string, unknown> = { rank, world: dist.getWorldSize() };
  // 1000 values that differ by rank and are exact in float32
  const x = torch.arange(1000, { dtype: 'float32' }).mul(rank + 1).add(0.25 * rank);
  await dist.allReduce(x);
  out.sumFirst = x.narrow(0, 0, 4).toArray();
  out.sumTotal = x.sum().item();
  const m = torch.tensor([rank + 0.5, 1 - 3 * rank], { dtype: 'float32' });
  out.max = (await dist.allReduce(m, { op: 'max' })).toArray();
  const b = torch.full([3], rank === 1 ? 7.5 : 0, { dtype: 'float32' });
  out.broadcast = (await dist.broadcast(b, { src: 1 })).toArray();
  out.allGather = (await dist.allGather(torch.tensor([rank, 10 + rank], { dtype: 'float32' }))).map((t) => t.toArray());
  await dist.barrier();
  dist.destroyProcessGroup();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  process.stderr.write(`rank ${process.env.RANK}: ${(e as Error).stack}\n`);
  process.exit(1);
});
