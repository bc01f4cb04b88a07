// The tiny runs that the data-parallel Trainer tests train on 1, 2 and 4
// processes: a width-4 small CNN with batch norm (SyncBatchNorm when
// distributed), a 16-wide projection head, 48 synthetic 16 px images; SimCLR,
// or SwAV / DeepCluster v2 on fixed multi-crop views, recording a digest of
// their state (prototypes, queue, bank, assignments) after every step.
import { Tensor, Device } from '../../lib/torch';
import * as torch from '../../lib/torch';
import { SimCLR } from '../../lib/ssl/simclr';
import { SwAV } from '../../lib/ssl/swav';
import { DeepClusterV2 } from '../../lib/ssl/deepcluster-v2';
import { Method } from '../../lib/ssl/method';
import { SmallCnn } from '../../lib/models/small-cnn';
import { synthetic } from '../../lib/data/synthetic';
import { MultiView } from '../../lib/data/transforms/multi-crop';
import { TrainerOptions } from '../../lib/train/options';
import { TrainProgress, StepOutput } from '../../lib/ssl/method';

/** What one process of a test run does (JSON on the worker's command line). */
export interface DistRunConfig {
  /** Default 'simclr'; the clustering methods train on FIXED_CROPS. */
  method?: 'simclr' | 'swav' | 'deepclusterv2';
  out: string;
  steps: number;
  /** The global batch. */
  batchSize: number;
  /** 'fixed': views that depend only on the images (comparable across world sizes); 'random': SimCLR's. */
  aug: 'fixed' | 'random';
  checkpointEvery?: number;
  resume?: boolean;
  /** Rank 0 aborts (its AbortSignal) after this step: every rank must stop there. */
  abortAfterStep?: number;
  /** This rank exits with code 9 in the forward of this step (0-based). */
  die?: { rank: number; step: number };
  syncBatchNorm?: boolean;
  findUnusedParameters?: boolean;
  /** Give the method a trainable parameter its loss never uses. */
  unusedParameter?: boolean;
  /** Run the online k-NN monitor (k 3 on 30 train / 17 test images; sharded when distributed). */
  monitor?: boolean;
}

/** Two views that depend only on the images: the image, and the image flipped left-right. */
const FIXED_VIEWS: MultiView = {
  numViews: 2,
  groups: [{ size: null, views: [0, 1] }],
  forward: (x: Tensor) => [x.sub(0.5), x.flip([3]).sub(0.5)],
};

/** Multi-crop views that depend only on the images: two global crops as FIXED_VIEWS and the 8 px centre as a local crop. */
const FIXED_CROPS: MultiView = {
  numViews: 3,
  groups: [{ size: null, views: [0, 1] }, { size: [8, 8], views: [2] }],
  forward: (x: Tensor) => [x.sub(0.5), x.flip([3]).sub(0.5), x.narrow(2, 4, 8).narrow(3, 4, 8).sub(0.5)],
};

/** What a clustering method's state was after one optimizer step. */
export interface StateRecord {
  step: number;
  /** A weighted sum of every state tensor in float64: equal only when the tensors are (bitwise, in practice). */
  digest: number;
  /** SwAV: the largest change of the unit-length prototypes in this step. */
  moved?: number;
}

/** sum_i x_i (1 + i / n) over the tensors' elements in float64. */
function digest(tensors: Tensor[]): number {
  return torch.noGrad(() => torch.scope(() => tensors.reduce((sum, t) => {
    const x = t.to('float64').flatten();
    return sum + Number(x.mul(torch.arange(x.shape[0]).to('float64').div(x.shape[0]).add(1)).sum().item());
  }, 0)));
}

/** SwAV recording its prototypes and queues after every step. */
class RecordingSwAV extends SwAV {
  readonly states: StateRecord[] = [];
  private last: Tensor | undefined;

  override afterOptimizerStep(progress: TrainProgress): void {
    super.afterOptimizerStep(progress);
    const w = this.prototypes.weights()[0];
    const unit = torch.noGrad(() => torch.keep(torch.scope(() => w.div(w.norm(2, [1], true)).clone())));
    const moved = this.last === undefined ? 0 : torch.scope(() => Number(unit.sub(this.last!).abs().max().item()));
    this.last?.dispose();
    this.last = unit;
    this.states.push({ step: progress.step, digest: digest([w, ...(this.queues?.buffers() ?? [])]), moved });
  }

  override trainingStep(views: Tensor[], progress: TrainProgress): StepOutput {
    if (this.last === undefined) {
      const w = this.prototypes.weights()[0];
      this.last = torch.noGrad(() => torch.keep(torch.scope(() => w.div(w.norm(2, [1], true)).clone())));
    }
    return super.trainingStep(views, progress);
  }
}

/** DeepCluster v2 recording its prototypes (centroids), assignments and memory bank after every step. */
class RecordingDeepClusterV2 extends DeepClusterV2 {
  readonly states: StateRecord[] = [];

  override afterOptimizerStep(progress: TrainProgress): void {
    super.afterOptimizerStep(progress);
    this.states.push({ step: progress.step, digest: digest([...this.prototypes.weights(), this.assignments, this.memoryBank]) });
  }
}

/** SimCLR with an optional unused parameter and an optional planned death. */
/** A SmallCnn that counts the images it encodes in evaluation mode (the k-NN monitor's). */
export class EvalCountingCnn extends SmallCnn {
  evalRows = 0;
  override forward(x: Tensor): Tensor {
    if (!this.training) this.evalRows += x.shape[0];
    return super.forward(x);
  }
}

class TestSimCLR extends SimCLR {
  constructor(private readonly cfg: DistRunConfig) {
    super({ encoder: () => new EvalCountingCnn({ inChannels: 1, width: 4 }), hiddenDim: 16, outDim: 8 });
    if (cfg.unusedParameter === true) this.registerParameter('unused', torch.zeros([3]));
  }

  override trainingStep(views: Tensor[], progress: TrainProgress): StepOutput {
    const die = this.cfg.die;
    if (die !== undefined && Number(process.env.RANK ?? 0) === die.rank && progress.step === die.step) process.exit(9);
    return super.trainingStep(views, progress);
  }
}

/**
 * The method and the Trainer options of a test run (the same on every rank;
 * the weights are seeded, and rank 0's are broadcast anyway).
 *
 * @example const { method, options } = buildRun({ out, steps: 3, batchSize: 8, aug: 'fixed' });
 */
export function buildRun(cfg: DistRunConfig, extra: Partial<TrainerOptions> = {}): { method: Method; options: TrainerOptions } {
  torch.manualSeed(0);
  const method = buildMethod(cfg);
  const data = synthetic({ n: 48, channels: 1, size: 16, classes: 4, seed: 1 });
  const options: TrainerOptions = {
    data, steps: cfg.steps, batchSize: cfg.batchSize, device: 'cpu' as Device, seed: 3, logEvery: 1, progress: 'none',
    handleSigint: false, out: cfg.out, checkpointEvery: cfg.checkpointEvery, resume: cfg.resume === true ? cfg.out : undefined,
    augmentation: cfg.aug === 'random' ? undefined : cfg.method === 'swav' || cfg.method === 'deepclusterv2' ? FIXED_CROPS : FIXED_VIEWS,
    distributed: { syncBatchNorm: cfg.syncBatchNorm ?? true, findUnusedParameters: cfg.findUnusedParameters ?? false },
    monitor: cfg.monitor === true
      ? { train: data, test: synthetic({ n: 24, channels: 1, size: 16, classes: 4, seed: 1 }), k: 3, trainSubset: 30, testSubset: 17 }
      : undefined,
    ...extra,
  };
  return { method, options };
}

/**
 * The run's method. SwAV: 10 prototypes frozen for 3 steps, a queue of 16 per
 * crop filled from epoch 1 (step 6 of 6-step epochs) and used from step 8.
 * DeepCluster v2: k-means (3 iterations, k 4 and 6) on the 48-image bank at
 * steps 0, 6, 12.
 */
function buildMethod(cfg: DistRunConfig): Method {
  const encoder = () => new EvalCountingCnn({ inChannels: 1, width: 4 });
  const head = { hiddenDim: 16, outDim: 8, localCrops: 1, localSize: 8 };
  switch (cfg.method ?? 'simclr') {
    case 'simclr': return new TestSimCLR(cfg);
    case 'swav': return new RecordingSwAV({ encoder, ...head, numPrototypes: 10, freezePrototypesSteps: 3, queueLength: 16,
      queueStartEpoch: 1 });
    case 'deepclusterv2': return new RecordingDeepClusterV2({ encoder, ...head, datasetSize: 48, numPrototypes: [4, 6],
      kmeansIterations: 3 });
  }
}

/** The state records of a clustering method (empty for SimCLR). */
export function stateRecords(method: Method): StateRecord[] {
  return method instanceof RecordingSwAV || method instanceof RecordingDeepClusterV2 ? method.states : [];
}
