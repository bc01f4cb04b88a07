// One rank of the collectives test: runs each collective on known inputs and
// prints what it got as one JSON line (the test compares ranks and values).
import { torch } from '../../../../lib';

const dist = torch.distributed;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  await dist.initProcessGroup({ backend: 'gloo', initMethod: process.env.INIT_METHOD, timeout: 30000,
    rank: Number(process.env.RANK), worldSize: Number(process.env.WORLD_SIZE) });
  const rank = dist.getRank();
  const world = dist.getWorldSize();
  const out: Record<string, unknown> = { rank, world, initialized: dist.isInitialized(), backend: dist.getBackend() };
  const v = () => torch.tensor([rank + 1, 10 * (rank + 1), -rank], { dtype: 'float32' });
  for (const op of ['sum', 'avg', 'product', 'min', 'max'] as const) {
    out[op] = (await dist.allReduce(v(), { op })).toArray();
  }
  out.broadcast = (await dist.broadcast(v(), { src: 1 })).toArray();
  out.allGather = (await dist.allGather(v())).map((t) => t.toArray());
  const rs = torch.zeros([2]);
  const inputs = [torch.tensor([rank, 1]), torch.tensor([10 * rank, 2])];
  out.reduceScatter = (await dist.reduceScatter(rs, inputs)).toArray();
  // The event loop keeps turning while a collective waits: rank 1 joins late.
  let ticks = 0;
  const timer = setInterval(() => { ticks++; }, 5);
  if (rank === 1) await sleep(400);
  await dist.barrier();
  clearInterval(timer);
  out.ticksDuringBarrier = ticks;
  // Gradient through the all-gather: loss = sum(w_rank * gathered); d loss_total / d x_r = sum_k w_k[r].
  const x = torch.tensor([[rank + 1, rank + 2]], { dtype: 'float32', requiresGrad: true }); // (1, 2)
  const all = dist.allGatherWithGrad(x.mul(2)); // (world, 2)
  const w = torch.tensor([[1, 2], [3, 4]], { dtype: 'float32' }).mul(rank + 1);
  all.mul(w).sum().backward();
  out.gathered = all.detach().toArray();
  out.gatherGrad = x.grad?.toArray();
  // A timeout rejects with a message; rank 1 joins after, so both finish.
  if (rank === 0) {
    try {
      await dist.allReduce(v(), { timeout: 300 });
      out.timeout = 'no error';
    } catch (e) {
      out.timeout = (e as Error).message;
    }
  } else {
    await sleep(1500);
    // 1.13 and 2.6 keep rank 0's timed-out all-reduce pending, so this completes it;
    // 2.14's Gloo closes the connection on the timeout, so this fails by that message.
    try {
      await dist.allReduce(v());
      out.lateJoin = 'ok';
    } catch (e) {
      out.lateJoin = (e as Error).message;
    }
  }
  await sleep(rank === 0 ? 1500 : 0); // let rank 0's late collective finish before leaving
  dist.destroyProcessGroup();
  out.afterDestroy = dist.isInitialized();
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  process.stderr.write(`rank ${process.env.RANK}: ${(e as Error).stack}\n`);
  process.exit(1);
});
