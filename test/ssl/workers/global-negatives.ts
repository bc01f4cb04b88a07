// One rank of the global-negatives test: the losses of this rank's rows with
// gatherDistributed, against one process's loss on every rank's rows (the
// same seeded tensors), values and gradients, printed as JSON.
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { ntXent } from '../../../lib/ssl/losses/nt-xent';
import { mocoV3Loss } from '../../../lib/ssl/losses/moco-loss';
import { DINOLoss } from '../../../lib/ssl/losses/dino-loss';

const B = 6; // rows per rank
const D = 5;

const maxDiff = (a: Tensor, b: Tensor): number => Number(a.sub(b).abs().max().item());
const leaf = (t: Tensor): Tensor => t.detach().clone().requiresGrad_(true);

/**
 * Runs `loss` on this rank's rows (with and without gathering) and on all
 * rows here; returns the differences of the mean loss over ranks and of the
 * gradients (this rank's gradient / W against its rows of the whole-batch one).
 */
async function compare(rank: number, world: number, inputs: Tensor[],
  loss: (xs: Tensor[], gather: boolean) => Tensor): Promise<Record<string, number>> {
  const whole = inputs.map(leaf);
  const ref = loss(whole, false);
  ref.backward();
  const mine = inputs.map((t) => leaf(t.narrow(0, rank * B, B)));
  const l = loss(mine, true);
  l.backward();
  const mean = await torch.distributed.allReduce(l.detach().clone(), { op: 'avg' });
  const local = loss(inputs.map((t) => t.narrow(0, rank * B, B)), false);
  const grads = mine.map((t, i) => (whole[i].grad === undefined ? 0 : maxDiff(t.grad!.div(world), whole[i].grad!.narrow(0, rank * B, B))));
  return {
    loss: Math.abs(Number(mean.item()) - Number(ref.item())),
    grad: Math.max(...grads),
    localDiffers: Math.abs(Number(local.item()) - Number(ref.item())),
  };
}

async function main(): Promise<void> {
  await torch.distributed.initProcessGroup({ backend: 'gloo', timeout: 60000 });
  const rank = torch.distributed.getRank();
  const world = torch.distributed.getWorldSize();
  torch.manualSeed(7);
  const [z1, z2, q1, q2, k1, k2] = Array.from({ length: 6 }, () => torch.randn([world * B, D], { dtype: 'float64' }));
  const simclr = await compare(rank, world, [z1, z2], ([a, b], gather) => ntXent(a, b, { temperature: 0.5, gatherDistributed: gather }));
  const moco = await compare(rank, world, [q1, q2, k1, k2], ([a, b, c, d], gather) =>
    mocoV3Loss(a, d, { temperature: 0.2, gatherDistributed: gather }).add(mocoV3Loss(b, c, { temperature: 0.2, gatherDistributed: gather })));
  // DINO: teacher and student outputs of 2 crops, (2, W B, K); rank r holds rows r B .. r B + B - 1 of each crop.
  const K = 7;
  const teacher = torch.randn([2, world * B, K]);
  const student = torch.randn([2, world * B, K]);
  const mineOf = (t: Tensor): Tensor => t.narrow(1, rank * B, B).reshape([2 * B, K]); // (2B, K)
  const ref = new DINOLoss({ outDim: K, epochs: 1 });
  const refLoss = Number(ref.forward(student.reshape([2 * world * B, K]), teacher.reshape([2 * world * B, K]), 0).item());
  const dino = new DINOLoss({ outDim: K, epochs: 1 });
  const loss = torch.tensor([Number(dino.forward(mineOf(student), mineOf(teacher), 0).item())], { dtype: 'float64' });
  await torch.distributed.allReduce(loss, { op: 'avg' });
  const dinoDiff = { loss: Math.abs(Number(loss.item()) - refLoss), center: maxDiff(dino.center, ref.center) };
  process.stdout.write(`${JSON.stringify({ rank, world, simclr, moco, dino: dinoDiff, done: true })}\n`);
  torch.distributed.destroyProcessGroup();
}

main().catch((e: Error) => {
  process.stderr.write(`rank ${process.env.RANK}: ${e.stack}\n`);
  process.exit(1);
});
