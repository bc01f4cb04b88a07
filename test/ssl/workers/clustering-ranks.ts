// One rank of the clustering-methods test on 2 Gloo ranks: SwAV's
// distributed Sinkhorn and queue, DeepCluster v2's k-means and bank, and
// MoCo v2's queue of every rank's keys, against one process on the
// concatenated batch (the same seeded tensors and weights, float64), printed as JSON.
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { SyncBatchNorm } from '../../../lib/nn/parallel/sync-batch-norm';
import { Method, TrainProgress } from '../../../lib/ssl/method';
import { SwAV } from '../../../lib/ssl/swav';
import { sinkhornKnopp } from '../../../lib/ssl/losses/swav-loss';
import { DeepClusterV2 } from '../../../lib/ssl/deepcluster-v2';
import { MoCoV2 } from '../../../lib/ssl/moco-v2';
import { sphericalKMeans } from '../../../lib/ssl/losses/deepcluster-v2';
import { normalize } from '../../../lib/nn/functional';
import { errorOf } from '../../helpers/refuses';

const B = 4; // images per rank

const maxDiff = (a: Tensor, b: Tensor): number => Number(a.sub(b).abs().max().item());
const progress = (step: number): TrainProgress => ({ step, totalSteps: 10, epoch: 0, stepsPerEpoch: 10 });

/** Codes of this rank's rows with the sums all-reduced, and without, against one process's codes of all rows. */
function sinkhorn(rank: number, world: number): Record<string, number> {
  const scores = torch.randn([world * B, 7], { dtype: 'float64' }).mul(0.3);
  const options = { epsilon: 0.1, iterations: 4 };
  const ref = sinkhornKnopp(scores, options).narrow(0, rank * B, B);
  const mine = scores.narrow(0, rank * B, B);
  return {
    codes: maxDiff(sinkhornKnopp(mine, { ...options, gatherDistributed: true }), ref),
    localDiffers: maxDiff(sinkhornKnopp(mine, options), ref),
  };
}

/**
 * k-means of this rank's share of 11 rows (6 and 5 on 2 ranks) with the sums
 * all-reduced, against one process's k-means of all rows from the same centroids.
 */
function kmeans(rank: number, world: number): Record<string, number> {
  const bank = normalize(torch.randn([11, 4], { dtype: 'float64' }), { dim: 1 });
  const start = bank.narrow(0, 0, 3);
  const ref = sphericalKMeans(bank, 3, { centroids: start, iterations: 4 });
  const share = Math.ceil(11 / world);
  const mine = bank.narrow(0, rank * share, Math.min(share, 11 - rank * share));
  const got = sphericalKMeans(mine, 3, { centroids: start, iterations: 4, gatherDistributed: true });
  const local = sphericalKMeans(mine, 3, { centroids: start, iterations: 4 });
  return {
    centroids: maxDiff(got.centroids, ref.centroids),
    assignments: Number(got.assignments.ne(ref.assignments).sum().item()),
    rows: got.assignments.shape[0],
    localDiffers: maxDiff(local.centroids, ref.centroids),
  };
}

/** This rank's rows of every crop. */
const mineOf = (views: Tensor[], rank: number): Tensor[] => views.map((v) => v.narrow(0, rank * B, B));

/** What one process records of a run: the loss and the gradients of every step, and the method's state at the end. */
interface Record1 { losses: number[]; grads: Tensor[][]; state: Tensor[] }

/** A method's run: SGD steps (lr 0.5) with the gradients `average` makes. */
export interface Run {
  make: () => Method;
  crops: (step: number) => Tensor[];
  steps: number;
  state: (m: Method) => Tensor[];
  /** The progress of a step; `rank` given: of that rank's rows (DeepCluster's indices). */
  at: (step: number, rank?: number) => TrainProgress;
  /** Calls `afterOptimizerStep` after each update (MoCo v2's EMA and enqueue). */
  afterStep?: boolean;
}

/** One process on every rank's crops; run before the group exists, so the method sees no ranks. */
function single(run: Run): Record1 {
  const m = run.make();
  m.train();
  const rec: Record1 = { losses: [], grads: [], state: [] };
  for (let step = 0; step < run.steps; step++) {
    const { loss } = m.trainingStep(run.crops(step), run.at(step));
    loss.backward();
    rec.losses.push(Number(loss.item()));
    rec.grads.push(m.parameters().filter((p) => p.grad !== undefined).map((p) => p.grad!.clone()));
    torch.noGrad(() => m.parameters().forEach((p) => { if (p.grad !== undefined) p.sub_(p.grad.mul(0.5)); p.grad = undefined; }));
    if (run.afterStep === true) m.afterOptimizerStep(run.at(step));
  }
  rec.state = run.state(m).map((t) => t.clone());
  return rec;
}

/**
 * The same steps of the method's SyncBatchNorm copy on this rank's crops
 * (gradients averaged over ranks, as DDP); the largest differences from the
 * single process of the mean loss and of the averaged gradients, and of the
 * state at the end.
 */
async function distributed(run: Run, ref: Record1, rank: number): Promise<Record<string, number>> {
  const m = SyncBatchNorm.convertSyncBatchnorm(run.make());
  m.train();
  const out = { loss: 0, grad: 0, state: 0, queue: 0 };
  for (let step = 0; step < run.steps; step++) {
    const l = m.trainingStep(mineOf(run.crops(step), rank), run.at(step, rank));
    l.loss.backward();
    out.queue = Math.max(out.queue, Number(l.logs?.queue ?? 0));
    const loss = await torch.distributed.allReduce(l.loss.detach().clone(), { op: 'avg' });
    out.loss = Math.max(out.loss, Math.abs(Number(loss.item()) - ref.losses[step]));
    const params = m.parameters().filter((p) => p.grad !== undefined);
    if (params.length !== ref.grads[step].length) throw new Error(`step ${step}: ${params.length} gradients vs ${ref.grads[step].length}`);
    for (const [i, p] of params.entries()) {
      const g = await torch.distributed.allReduce(p.grad!.clone(), { op: 'avg' });
      out.grad = Math.max(out.grad, maxDiff(g, ref.grads[step][i]));
      torch.noGrad(() => p.sub_(g.mul(0.5)));
      p.grad = undefined;
    }
    if (run.afterStep === true) m.afterOptimizerStep(run.at(step, rank));
  }
  const state = run.state(m);
  out.state = Math.max(...ref.state.map((t, i) => maxDiff(t, state[i])));
  return out;
}

async function main(): Promise<void> {
  const rank = Number(process.env.RANK);
  const world = Number(process.env.WORLD_SIZE);
  // SwAV: 2 global 8 px crops and a local 4 px crop of 1-channel images; a
  // queue of 2 global batches, filled from step 0 and used from step 2.
  const swav: Run = {
    make: () => {
      torch.manualSeed(5);
      return new SwAV({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 2 }, hiddenDim: 8, outDim: 6,
        numPrototypes: 5, queueLength: 2 * world * B, queueStartEpoch: 0, freezePrototypesSteps: 0, epsilon: 0.1,
        localCrops: 1 }).to({ dtype: 'float64' });
    },
    crops: (step) => {
      const g = new torch.Generator().manualSeed(10 + step);
      return [8, 8, 4].map((s) => torch.randn([world * B, 1, s, s], { dtype: 'float64', generator: g }));
    },
    steps: 3,
    state: (m) => (m as SwAV).queues!.buffers(),
    at: progress,
  };
  // DeepCluster v2: a bank of 16 images, 2 steps of 8 per epoch, clustered at steps 0 and 2.
  const order = torch.randperm(16, { generator: new torch.Generator().manualSeed(4) });
  const dc: Run = {
    make: () => {
      torch.manualSeed(6);
      return new DeepClusterV2({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 2 }, hiddenDim: 8, outDim: 6,
        datasetSize: 16, numPrototypes: [3, 4], kmeansIterations: 3, localCrops: 1 }).to({ dtype: 'float64' });
    },
    crops: swav.crops,
    steps: 4,
    state: (m) => {
      const d = m as DeepClusterV2;
      return [d.memoryBank, d.assignments, ...d.prototypes.weights()];
    },
    at: (step, r) => {
      const indices = order.narrow(0, (step % 2) * world * B, world * B);
      return { step, totalSteps: 4, epoch: Math.floor(step / 2), stepsPerEpoch: 2,
        indices: r === undefined ? indices : indices.narrow(0, r * B, B) };
    },
  };
  // MoCo v2: a queue of 2 global batches (each step enqueues both ranks' keys), one BN group (SyncBatchNorm is the shuffle's stand-in here).
  const moco: Run = {
    make: () => {
      torch.manualSeed(7);
      return new MoCoV2({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 2 }, hiddenDim: 8, outDim: 6,
        queueLength: 2 * world * B, bnGroups: 1, momentum: 0.9 }).to({ dtype: 'float64' });
    },
    crops: (step) => swav.crops(step).slice(0, 2),
    steps: 3,
    state: (m) => [...(m as MoCoV2).queue.buffers(), ...(m as MoCoV2).momentumEncoder.parameters()],
    at: progress,
    afterStep: true,
  };
  const refSwav = single(swav);
  const refDc = single(dc);
  const refMoco = single(moco);
  await torch.distributed.initProcessGroup({ backend: 'gloo', timeout: 60000 });
  torch.manualSeed(3);
  const report: Record<string, unknown> = { rank, world, sinkhorn: sinkhorn(rank, world) };
  report.swav = await distributed(swav, refSwav, rank);
  report.kmeans = kmeans(rank, world);
  report.deepcluster = await distributed(dc, refDc, rank);
  report.mocov2 = await distributed(moco, refMoco, rank);
  report.mocoQueueError = errorOf(() => new MoCoV2({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 2 },
    hiddenDim: 8, outDim: 6, queueLength: 12 }).to({ dtype: 'float64' }).trainingStep(mineOf(moco.crops(0), rank)));
  report.swavQueueError = errorOf(() => new SwAV({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 2 },
    hiddenDim: 8, outDim: 6, numPrototypes: 5, queueLength: 12, localCrops: 1 }).to({ dtype: 'float64' })
    .trainingStep(mineOf(swav.crops(0), rank), progress(0)));
  process.stdout.write(`${JSON.stringify({ ...report, done: true })}\n`);
  torch.distributed.destroyProcessGroup();
}

main().catch((e: Error) => {
  process.stderr.write(`rank ${process.env.RANK}: ${e.stack}\n`);
  process.exit(1);
});
