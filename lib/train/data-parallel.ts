// The Trainer's data parallelism: what PyTorch's DistributedDataParallel does
// for a training script (start from rank 0's state, average the gradients in
// backward with c10d's Reducer), plus what the loop itself must agree on
// across ranks (the logged loss, when to stop, the generators a checkpoint
// keeps), each a small collective. docs/distributed.md explains the choices.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { SyncBatchNorm } from '../nn/parallel/sync-batch-norm';
import { Method, StepOutput } from '../ssl/method';
import { GradSync } from './optimization-step';
import { RankGenerators, toBase64 } from './checkpoint';
import { collectiveDevice, toCollectiveDevice } from '../torch/distributed/collective-device';
import { defineOptions, GivenOptions, option, OptionCheck } from '../torch/option-table';

/** true or false, else a TypeError showing the value as JSON. */
const flag: OptionCheck<boolean> = (v, what) => {
  if (typeof v !== 'boolean') throw new TypeError(`Expected true or false for ${what} but received ${JSON.stringify(v)}`);
  return v;
};

/** The Trainer's data-parallel mode's options (`TrainerOptions.distributed`): defaults and checks. */
export const DATA_PARALLEL_OPTIONS = defineOptions({
  /**
   * Convert every BatchNorm of the method to SyncBatchNorm, so statistics
   * cover the global batch (default true, as MoCo v3's and DINO's code and
   * SimCLR's "global BN"). False keeps per-rank statistics.
   */
  syncBatchNorm: option(true, flag),
  /**
   * Let trainable parameters go unused in a step's loss (c10d's graph walk
   * from the loss; default false, as PyTorch: an unused parameter then stops
   * the next step with the Reducer's error).
   */
  findUnusedParameters: option(false, flag),
});

/** Options of the Trainer's data-parallel mode (`TrainerOptions.distributed`). */
export type DataParallelOptions = GivenOptions<typeof DATA_PARALLEL_OPTIONS.specs>;

/** The bucket sizes of PyTorch's DDP: 1 MiB first (communication starts early), 25 MiB after. */
const FIRST_BUCKET_BYTES = 1 << 20;
const BUCKET_BYTES = 25 << 20;

/**
 * True when the default process group is initialized with more than one
 * rank: the Trainer then trains data-parallel.
 *
 * @example if (isDataParallel()) console.log(`rank ${torch.distributed.getRank()}`);
 */
export function isDataParallel(): boolean {
  return torch.distributed.isInitialized() && torch.distributed.getWorldSize() > 1;
}

/**
 * One method trained on every rank of the default group: its state starts as
 * rank 0's, backward averages its gradients (c10d's Reducer, in 1 MiB then
 * 25 MiB buckets overlapped with backward, as PyTorch's DDP), and the loop's
 * decisions are agreed on by small all-reduces.
 *
 * @example
 * const dp = new DataParallel(method, params, { syncBatchNorm: true });
 * const engine = new StepEngine(method, { ...options, gradSync: dp.gradSync });
 */
export class DataParallel {
  readonly rank: number;
  readonly worldSize: number;
  readonly findUnusedParameters: boolean;
  private readonly reducer: torch.distributed.Reducer;

  constructor(readonly method: Method, params: readonly Tensor[], options: DataParallelOptions = {}) {
    if (!isDataParallel()) {
      throw new Error('DataParallel needs the default process group with more than one rank ' +
        '(await torch.distributed.initProcessGroup() under selfsup launch or torchrun)');
    }
    this.rank = torch.distributed.getRank();
    this.worldSize = torch.distributed.getWorldSize();
    const o = DATA_PARALLEL_OPTIONS.resolve(options, (k) => `distributed.${k}`);
    this.findUnusedParameters = o.findUnusedParameters;
    if (o.syncBatchNorm) SyncBatchNorm.convertSyncBatchnorm(method);
    // Every weight, buffer, teacher and queue starts as rank 0's (DDP's start-up broadcast, over the whole method).
    torch.distributed.broadcastCoalesced([...method.parameters(), ...method.buffers()], 0);
    const trainable = params.filter((p) => p.requiresGrad);
    this.reducer = new torch.distributed.Reducer(trainable, {
      bucketBytes: BUCKET_BYTES, firstBucketBytes: FIRST_BUCKET_BYTES,
      findUnusedParameters: this.findUnusedParameters, gradientAsBucketView: false,
    });
  }

  /** The step engine's hooks: arm the Reducer before the forward, hand it the loss after. */
  get gradSync(): GradSync {
    return {
      beforeForward: () => { this.reducer.prepareForward(); },
      afterForward: (out: StepOutput) => { this.reducer.prepareForBackward(this.findUnusedParameters ? [out.loss] : []); },
    };
  }

  /** The mean of the ranks' losses (NaN when any is NaN), so every rank logs the same loss. */
  async meanLoss(loss: number): Promise<number> {
    return (await this.sum(loss)) / this.worldSize;
  }

  /** Whether any rank asked to stop, so every rank stops after the same step (and checkpoints it). */
  async anyStop(stop: boolean): Promise<boolean> {
    return (await this.sum(stop ? 1 : 0)) > 0;
  }

  private async sum(value: number): Promise<number> {
    const t = torch.tensor([value], { dtype: 'float64', device: collectiveDevice() }); // NCCL reduces GPU tensors only
    try {
      await torch.distributed.allReduce(t, { op: 'sum' });
      return Number(t.item());
    } finally {
      t.dispose();
    }
  }

  /**
   * Every rank's global and augmentation generator states, in rank order
   * (what a checkpoint needs to resume each rank's random stream).
   */
  async generators(augState: Tensor): Promise<RankGenerators[]> {
    const rng = torch.getRngState();
    // (R + A) bytes as int32, on the backend's device (NCCL gathers GPU tensors only)
    const mine = torch.scope(() => torch.keep(toCollectiveDevice(torch.cat([rng, augState], 0).to('int32'))));
    try {
      const parts = await torch.distributed.allGather(mine);
      const r = rng.shape[0];
      const out = parts.map((p) => torch.scope(() => ({
        rngState: toBase64(p.narrow(0, 0, r).to('uint8').cpu()),
        augmentationState: toBase64(p.narrow(0, r, p.shape[0] - r).to('uint8').cpu()),
      })));
      parts.forEach((p) => p.dispose());
      return out;
    } finally {
      mine.dispose();
      rng.dispose();
    }
  }

  /** Removes the Reducer's hooks and frees its buckets. */
  dispose(): void {
    this.reducer.dispose();
  }
}
