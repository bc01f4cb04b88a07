// One rank of test/ssl/losses-ranks.test.ts: every line of lib/ssl/losses
// that only a process group of 2 ranks runs, against one process on the
// concatenated rows (the same seeded float64 tensors), printed as JSON: the
// gather helpers' values, ntXent's and mocoV3Loss's global negatives (loss
// and gradient), Sinkhorn's all-reduced sums, DINO's all-reduced centre, and
// the sharded k-means of 3 + 2 rows (centroids, assignments, its refusals).
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { normalize } from '../../../lib/nn/functional';
import { gatherFromRanks, rankAndWorld, sumOverRanks } from '../../../lib/ssl/losses/gather';
import { ntXent } from '../../../lib/ssl/losses/nt-xent';
import { mocoV3Loss } from '../../../lib/ssl/losses/moco-loss';
import { sinkhornKnopp } from '../../../lib/ssl/losses/swav-loss';
import { DINOLoss } from '../../../lib/ssl/losses/dino-loss';
import { sphericalKMeans } from '../../../lib/ssl/losses/deepcluster-v2';

const B = 3; // rows per rank
const D = 4;

const values = (t: Tensor): number[] => Array.from(t.to('float64').contiguous().toTypedArray() as Float64Array);
const leaf = (t: Tensor): Tensor => t.detach().clone().requiresGrad_(true);

function errorOf(f: () => unknown): string {
  try {
    f();
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}

/** A two-input loss on this rank's rows with gathering, and its gradient, next to one process's on all rows. */
async function pairLoss(rank: number, world: number, a: Tensor, b: Tensor,
  loss: (x: Tensor, y: Tensor, gather: boolean) => Tensor): Promise<Record<string, number[]>> {
  const wa = leaf(a);
  const wb = leaf(b);
  const ref = loss(wa, wb, false);
  ref.backward();
  const ma = leaf(a.narrow(0, rank * B, B));
  const mb = leaf(b.narrow(0, rank * B, B));
  const l = loss(ma, mb, true);
  l.backward();
  const mean = await torch.distributed.allReduce(l.detach().clone(), { op: 'avg' });
  return {
    mine: [Number(l.item())], mean: [Number(mean.item())], whole: [Number(ref.item())],
    // This rank's gradient / W against its rows of one process's gradient (the mean over ranks is what DDP steps with).
    grad: values(ma.grad!.div(world)), wholeGrad: values(wa.grad!.narrow(0, rank * B, B)),
  };
}

async function main(): Promise<void> {
  const before = rankAndWorld();
  await torch.distributed.initProcessGroup({ backend: 'gloo', timeout: 60000 });
  const { rank, world } = rankAndWorld();
  torch.manualSeed(11);
  const [z1, z2, q, k] = Array.from({ length: 4 }, () => torch.randn([world * B, D], { dtype: 'float64' }));
  const r: Record<string, unknown> = { rank, world, before: [before.rank, before.world] };

  // The helpers: every rank's rows in rank order, this rank's index, the sum over ranks.
  const mine = torch.tensor([rank + 1, 10 * (rank + 1)], { dtype: 'float64' }); // (2)
  const g = gatherFromRanks(() => mine.unsqueeze(0))!;
  r.gather = { all: values(g.all), shape: g.all.shape, rank: g.rank, world: g.world };
  r.sum = values(sumOverRanks(mine));

  r.ntXent = await pairLoss(rank, world, z1, z2, (x, y, gather) => ntXent(x, y, { temperature: 0.3, gatherDistributed: gather }));
  r.mocoV3 = await pairLoss(rank, world, q, k, (x, y, gather) => mocoV3Loss(x, y, { temperature: 0.7, gatherDistributed: gather }));

  const scores = torch.randn([world * B, 5], { dtype: 'float64' }).mul(0.5);
  const options = { epsilon: 0.2, iterations: 3 };
  r.sinkhorn = {
    mine: values(sinkhornKnopp(scores.narrow(0, rank * B, B), { ...options, gatherDistributed: true })),
    whole: values(sinkhornKnopp(scores, options).narrow(0, rank * B, B)),
  };

  // DINO: this rank's rows of both crops, (2B, K); the centre is the mean over every rank's teacher rows.
  const K = 6;
  const teacher = torch.randn([2, world * B, K], { dtype: 'float64' });
  const student = torch.randn([2, world * B, K], { dtype: 'float64' });
  const ofRank = (t: Tensor): Tensor => t.narrow(1, rank * B, B).reshape([2 * B, K]);
  const whole = new DINOLoss({ outDim: K, epochs: 1, centerMomentum: 0.6 }).to({ dtype: 'float64' });
  whole.forward(student.reshape([2 * world * B, K]), teacher.reshape([2 * world * B, K]), 0);
  const dino = new DINOLoss({ outDim: K, epochs: 1, centerMomentum: 0.6 }).to({ dtype: 'float64' });
  dino.forward(ofRank(student), ofRank(teacher), 0);
  r.dino = { mine: values(dino.center), whole: values(whole.center) };

  // k-means over 5 rows, 3 on rank 0 and 2 on rank 1, from the same 2 centroids.
  const bank = normalize(torch.randn([5, D], { dtype: 'float64' }), { dim: 1 });
  const start = normalize(torch.randn([2, D], { dtype: 'float64' }), { dim: 1 });
  const share = rank === 0 ? bank.narrow(0, 0, 3) : bank.narrow(0, 3, 2);
  const got = sphericalKMeans(share, 2, { centroids: start, iterations: 3, gatherDistributed: true });
  const ref = sphericalKMeans(bank, 2, { centroids: start, iterations: 3 });
  r.kmeans = {
    centroids: values(got.centroids), wholeCentroids: values(ref.centroids),
    assignments: values(got.assignments.to('float64')), wholeAssignments: values(ref.assignments.to('float64')),
    assignmentsDtype: got.assignments.dtype,
    // Without gathering, this rank's rows alone.
    local: values(sphericalKMeans(share, 2, { centroids: start, iterations: 3 }).assignments.to('float64')),
  };
  r.kmeansErrors = [
    errorOf(() => sphericalKMeans(share, 2, { iterations: 1, gatherDistributed: true })),
    errorOf(() => sphericalKMeans(share, 6, { centroids: normalize(torch.randn([6, D], { dtype: 'float64' }), { dim: 1 }),
      iterations: 1, gatherDistributed: true })),
    // k = 5: more than one rank's rows but all of them together; accepted.
    errorOf(() => sphericalKMeans(share, 5, { centroids: bank, iterations: 1, gatherDistributed: true })),
  ];
  process.stdout.write(`${JSON.stringify({ ...r, done: true })}\n`);
  torch.distributed.destroyProcessGroup();
}

main().catch((e: Error) => {
  process.stderr.write(`rank ${process.env.RANK}: ${e.stack}\n`);
  process.exit(1);
});
