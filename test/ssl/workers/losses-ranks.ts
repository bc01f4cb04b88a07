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
import { MoCoV3 } from '../../../lib/ssl/moco-v3';
import { SwAV } from '../../../lib/ssl/swav';
import { errorOf } from '../../helpers/refuses';

const B = 3; // rows per rank
const D = 4;

const values = (t: Tensor): number[] => Array.from(t.to('float64').contiguous().toTypedArray() as Float64Array);
const leaf = (t: Tensor): Tensor => t.detach().clone().requiresGrad_(true);

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

/**
 * What this rank computes on its own rows without gatherDistributed: the same
 * inside the group as before it (no collective without the option; DINO's
 * centre has no such option: main_dino.py always all-reduces it).
 */
function alone(rank: number, world: number): number[] {
  torch.manualSeed(11);
  const [z1, z2, q, k] = Array.from({ length: 4 }, () => torch.randn([world * B, D], { dtype: 'float64' }).narrow(0, rank * B, B));
  const scores = torch.randn([world * B, 5], { dtype: 'float64' }).mul(0.5).narrow(0, rank * B, B);
  const bank = normalize(torch.randn([B, D], { dtype: 'float64', generator: new torch.Generator().manualSeed(20 + rank) }), { dim: 1 });
  return [Number(ntXent(z1, z2, { temperature: 0.3 }).item()), Number(mocoV3Loss(q, k, { temperature: 0.7 }).item()),
    ...values(sinkhornKnopp(scores, { epsilon: 0.2, iterations: 3 })),
    ...values(sphericalKMeans(bank, 2, { centroids: bank.narrow(0, 0, 2), iterations: 2 }).centroids)];
}

/** MoCo v3's step on this rank's views against its losses by hand with gathered keys (eval mode: fixed batch norm). */
function mocoV3Step(rank: number): Record<string, number> {
  torch.manualSeed(14);
  const m = new MoCoV3({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 2 }, hiddenDim: 6, outDim: 5 }).to({ dtype: 'float64' });
  m.eval();
  const g = new torch.Generator().manualSeed(15 + rank);
  const [x1, x2] = [0, 1].map(() => torch.randn([B, 1, 8, 8], { dtype: 'float64', generator: g }));
  const loss = Number(m.trainingStep([x1, x2], { step: 0, totalSteps: 4, epoch: 0, stepsPerEpoch: 4 }).loss.item());
  return torch.noGrad(() => {
    const q = [x1, x2].map((x) => m.predictionHead.forward(m.projectionHead.forward(m.encoder.forward(x))));
    const k = [x1, x2].map((x) => m.momentumProjectionHead.forward(m.momentumEncoder.forward(x)));
    const byHand = (gather: boolean): number => Number(mocoV3Loss(q[0], k[1], { temperature: 1, gatherDistributed: gather })
      .add(mocoV3Loss(q[1], k[0], { temperature: 1, gatherDistributed: gather })).item());
    return { loss, gathered: byHand(true), local: byHand(false) };
  });
}

async function main(): Promise<void> {
  const before = rankAndWorld();
  const rankEnv = Number(process.env.RANK);
  const worldEnv = Number(process.env.WORLD_SIZE);
  const aloneBefore = alone(rankEnv, worldEnv);
  const dinoInputs = (() => {
    const g = new torch.Generator().manualSeed(18);
    const teacher = torch.randn([2, worldEnv * B, 6], { dtype: 'float64', generator: g });
    const student = torch.randn([2, worldEnv * B, 6], { dtype: 'float64', generator: g });
    const whole = new DINOLoss({ outDim: 6, epochs: 1, centerMomentum: 0.6 }).to({ dtype: 'float64' });
    whole.forward(student.reshape([2 * worldEnv * B, 6]), teacher.reshape([2 * worldEnv * B, 6]), 0);
    return { teacher, student, wholeCenter: values(whole.center) };
  })();
  await torch.distributed.initProcessGroup({ backend: 'gloo', timeout: 60000 });
  const { rank, world } = rankAndWorld();
  const r: Record<string, unknown> = { rank, world, before: [before.rank, before.world], aloneBefore, aloneInGroup: alone(rank, world) };
  torch.manualSeed(11);
  const [z1, z2, q, k] = Array.from({ length: 4 }, () => torch.randn([world * B, D], { dtype: 'float64' }));

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

  // DINO: this rank's rows of both crops, (2B, K); the centre is the mean over every rank's teacher rows, as
  // one process's before the group (a whole-batch DINOLoss inside the group would all-reduce too).
  const K = 6;
  const { teacher, student, wholeCenter } = dinoInputs;
  const ofRank = (t: Tensor): Tensor => t.narrow(1, rank * B, B).reshape([2 * B, K]);
  const dino = new DINOLoss({ outDim: K, epochs: 1, centerMomentum: 0.6 }).to({ dtype: 'float64' });
  dino.forward(ofRank(student), ofRank(teacher), 0);
  r.dino = { mine: values(dino.center), whole: wholeCenter };

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
  r.mocoV3Step = mocoV3Step(rank);
  // SwAV's batch check counts the global batch: 2 ranks x 3 against 6 and 7 prototypes.
  const swav = (numPrototypes: number): string => errorOf(() => {
    torch.manualSeed(16);
    const m = new SwAV({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 2 }, hiddenDim: 6, outDim: 5, numPrototypes,
      queueLength: 0, localCrops: 1 }).to({ dtype: 'float64' });
    const g = new torch.Generator().manualSeed(17 + rank);
    m.trainingStep([8, 8, 4].map((s) => torch.randn([B, 1, s, s], { dtype: 'float64', generator: g })),
      { step: 0, totalSteps: 4, epoch: 0, stepsPerEpoch: 4 });
  });
  r.swavErrors = [swav(6), swav(7)];
  process.stdout.write(`${JSON.stringify({ ...r, done: true })}\n`);
  torch.distributed.destroyProcessGroup();
}

main().catch((e: Error) => {
  process.stderr.write(`rank ${process.env.RANK}: ${e.stack}\n`);
  process.exit(1);
});
