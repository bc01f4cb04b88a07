// The tiny SimCLR run that the data-parallel Trainer tests train on 1, 2 and
// 4 processes: a width-4 small CNN with batch norm (SyncBatchNorm when
// distributed), a 16-wide projection head, 48 synthetic 16 px images.
import { Tensor, Device } from '../../lib/torch';
import * as torch from '../../lib/torch';
import { SimCLR } from '../../lib/ssl/simclr';
import { SmallCnn } from '../../lib/models/small-cnn';
import { synthetic } from '../../lib/data/synthetic';
import { MultiView } from '../../lib/data/transforms/multi-crop';
import { TrainerOptions } from '../../lib/train/options';
import { TrainProgress, StepOutput } from '../../lib/ssl/method';

/** What one process of a test run does (JSON on the worker's command line). */
export interface DistRunConfig {
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
export function buildRun(cfg: DistRunConfig, extra: Partial<TrainerOptions> = {}): { method: SimCLR; options: TrainerOptions } {
  torch.manualSeed(0);
  const method = new TestSimCLR(cfg);
  const data = synthetic({ n: 48, channels: 1, size: 16, classes: 4, seed: 1 });
  const options: TrainerOptions = {
    data, steps: cfg.steps, batchSize: cfg.batchSize, device: 'cpu' as Device, seed: 3, logEvery: 1, progress: 'none',
    handleSigint: false, out: cfg.out, checkpointEvery: cfg.checkpointEvery, resume: cfg.resume === true ? cfg.out : undefined,
    augmentation: cfg.aug === 'fixed' ? FIXED_VIEWS : undefined,
    distributed: { syncBatchNorm: cfg.syncBatchNorm ?? true, findUnusedParameters: cfg.findUnusedParameters ?? false },
    monitor: cfg.monitor === true
      ? { train: data, test: synthetic({ n: 24, channels: 1, size: 16, classes: 4, seed: 1 }), k: 3, trainSubset: 30, testSubset: 17 }
      : undefined,
    ...extra,
  };
  return { method, options };
}
