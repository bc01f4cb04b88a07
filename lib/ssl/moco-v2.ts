// MoCo v2 (He et al. 2020, "Momentum Contrast for Unsupervised Visual
// Representation Learning"; Chen et al. 2020, "Improved Baselines with
// Momentum Contrastive Learning"): queries from the encoder, keys from a
// momentum copy, and a queue of earlier keys as the negatives.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Encoder } from '../models/encoder';
import { MultiView } from '../data/transforms/multi-crop';
import { simclr as simclrAugmentation } from '../data/transforms/recipes';
import { normalize } from '../nn/functional';
import { DERIVED, defineOptions, is, option, TableValues } from '../torch/option-table';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { EncoderFactory, makeEncoder } from './encoder-spec';
import { ProjectionHead } from './heads/projection-head';
import { mocoV2ProjectionHead } from './heads/method-heads';
import { MethodOptions, checkTwoViews, resolveRecipe } from './method-options';
import { emaUpdate_, initTeacher } from './ema';
import { EmbeddingQueue } from './queue';
import { infoNceWithQueue } from './losses/moco-loss';
import { gatherFromRanks, rankAndWorld } from './losses/gather';

/** MoCo v2's options besides the encoder and the recipe: defaults and checks. */
export const MOCO_V2_OPTIONS = defineOptions({
  /** Hidden width of the MLP head. Default: the encoder's feature size (2048 for ResNet-50, as MoCo v2). */
  hiddenDim: option(DERIVED, is.int(1)),
  /** Output size of the head. Default 128 (MoCo: "feature dimension 128"). */
  outDim: option(128, is.int(1)),
  /** Keys in the queue K. Default 65536 (MoCo: "K = 65536"); must be a multiple of the batch size. */
  queueLength: option(65536, is.int(1)),
  /** InfoNCE temperature tau. Default 0.2 (MoCo v2: "temperature tau = 0.2"). */
  temperature: option(0.2, is.positive),
  /** Momentum m of the key encoder. Default 0.999 (MoCo section 4.1: "m = 0.999"), constant. */
  momentum: option(0.999, is.number(0, 1)),
  /**
   * Batch-norm groups, the single-process stand-in for MoCo's shuffling BN:
   * queries are normalised in `bnGroups` consecutive slices of the batch, keys
   * in `bnGroups` strided slices (sample i in group i mod G), so a query and
   * its key never share batch statistics. Default 4 (MoCo used 8 GPUs); 1 turns it off.
   */
  bnGroups: option(4, is.int(1)),
});

/**
 * Options of `MoCoV2`: the encoder is a registry name or a factory (MoCo
 * builds it twice, query and key encoders); `MOCO_V2_OPTIONS`; recipe overrides.
 */
export type MoCoV2Options = MethodOptions<typeof MOCO_V2_OPTIONS, string | EncoderFactory>;

/**
 * MoCo v2's optimisation (official main_moco.py with `--lr 0.03 --cos`): SGD
 * with momentum 0.9, lr 0.03 for a batch of 256 (scaled linearly), weight
 * decay 1e-4, cosine schedule, no warm-up.
 */
export const MOCO_V2_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'sgd',
  lr: 0.03,
  lrScaling: 'linear',
  finalLrRatio: 0,
  weightDecay: 1e-4,
  momentum: 0.9,
  warmupEpochs: 0,
});

/** Runs `head(encoder(x))` on `groups` slices of x, each with its own batch-norm statistics. */
function groupedForward(encoder: Encoder, head: ProjectionHead, x: Tensor, groups: number): Tensor {
  if (groups === 1) return head.forward(encoder.forward(x));
  return torch.cat(x.chunk(groups, 0).map((part) => head.forward(encoder.forward(part))), 0);
}

/**
 * MoCo v2. Query network `encoder` + `projection_head` (Linear-ReLU-Linear);
 * key network `momentum_encoder` + `momentum_projection_head`, an EMA of the
 * query network (m = 0.999) without gradients; `queue.queue` (K, 128) holds
 * normalised keys of earlier batches and `queue.ptr` the next write
 * position. The loss is InfoNCE of view-1 queries against their view-2 keys
 * and the queue. After the optimizer step the key network moves and the
 * step's keys replace the oldest batch in the queue, all on the device (a
 * captured CUDA-graph step includes it). The queue starts as random unit
 * vectors, as MoCo's.
 *
 * @example
 * const method = new ssl.MoCoV2({ encoder: 'resnet18', encoderOptions: { smallImages: true }, queueLength: 4096 });
 * const { loss } = method.trainingStep(views, progress); loss.backward(); opt.step(); method.afterOptimizerStep(progress);
 */
export interface MoCoV2 extends Readonly<TableValues<typeof MOCO_V2_OPTIONS>> {}
export class MoCoV2 extends Method {
  readonly name = 'mocov2' as const;
  override readonly capturable = true;
  readonly encoder: Encoder;
  readonly projectionHead: ProjectionHead;
  readonly momentumEncoder: Encoder;
  readonly momentumProjectionHead: ProjectionHead;
  readonly queue: EmbeddingQueue;
  readonly recipe: OptimizerRecipe;
  // The normalised keys of the current step, enqueued after the optimizer step (the loss's graph still reads the queue until backward).
  private pendingKeys: Tensor | undefined;

  constructor(options: MoCoV2Options) {
    super();
    this.useOptions(MOCO_V2_OPTIONS, options);
    this.recipe = resolveRecipe(MOCO_V2_RECIPE, options.recipe, 'MoCoV2');
    const build = makeEncoder(options.encoder, options.encoderOptions, { needsFactory: true, method: 'MoCoV2' });
    this.encoder = this.registerModule('encoder', build());
    const featureDim = this.encoder.featureDim;
    this.deriveOptions({ hiddenDim: featureDim });
    this.projectionHead = this.registerModule('projection_head', mocoV2ProjectionHead(featureDim, this.hiddenDim, this.outDim));
    this.momentumEncoder = this.registerModule('momentum_encoder', build());
    if (this.momentumEncoder === this.encoder) {
      throw new TypeError('MoCoV2: the encoder factory returned the same Encoder twice; it must build a new one each call');
    }
    this.momentumProjectionHead = this.registerModule('momentum_projection_head',
      mocoV2ProjectionHead(featureDim, this.hiddenDim, this.outDim));
    initTeacher(this.momentumEncoder, this.encoder);
    initTeacher(this.momentumProjectionHead, this.projectionHead);
    this.queue = this.registerModule('queue', new EmbeddingQueue(this.queueLength, this.outDim, { init: 'random' }));
  }

  /**
   * MoCo v2's augmentation ("aug+"): random resized crop [0.2, 1], colour
   * jitter (0.4, 0.4, 0.4, 0.1) p = 0.8, grayscale p = 0.2, flip, and above
   * 64 px Gaussian blur p = 0.5.
   * @example method.augmentation({ size: 32, channels: 3, mean, std });
   */
  augmentation(spec: ImageSpec): MultiView {
    return simclrAugmentation({ size: spec.size, channels: spec.channels, mean: spec.mean, std: spec.std,
      scale: [0.2, 1], strength: 0.5 });
  }

  /**
   * InfoNCE of the queries (view 1) against their keys (view 2) and the queue.
   * @example const { loss, embedding } = method.trainingStep([x1, x2], progress);
   */
  trainingStep(views: Tensor[], _progress?: TrainProgress): StepOutput {
    const [x1, x2] = checkTwoViews(views, 'MoCoV2');
    const b = x1.shape[0];
    const { world } = rankAndWorld();
    // Every rank enqueues the keys of every rank (main_moco.py's concat_all_gather), so the queue advances by the global batch.
    this.queue.checkBatch(b * world, world === 1 ? 'MoCoV2 option queueLength' :
      `MoCoV2 option queueLength (global batch size ${b * world}: ${world} ranks x ${b})`);
    if (b % this.bnGroups !== 0) {
      throw new RangeError(`MoCoV2 option bnGroups ${this.bnGroups} must divide the batch size ${b} ` +
        '(the batch is normalised in equal groups)');
    }
    const q = groupedForward(this.encoder, this.projectionHead, x1, this.bnGroups); // (B, outDim)
    const k = torch.noGrad(() => torch.scope(() => {
      const g = this.bnGroups;
      if (g === 1) return this.momentumProjectionHead.forward(this.momentumEncoder.forward(x2));
      // Shuffling BN on one process: the keys are grouped by i mod G (strided)
      // while the queries were grouped in consecutive blocks, then put back in order.
      const device = x2.device;
      const strided = torch.arange(b, { device }).view([b / g, g]).t().reshape([-1]); // (B)
      const back = torch.arange(b, { device }).view([g, b / g]).t().reshape([-1]); // (B), the inverse permutation
      const shuffled = groupedForward(this.momentumEncoder, this.momentumProjectionHead, x2.indexSelect(0, strided), g);
      return shuffled.indexSelect(0, back); // (B, outDim)
    }));
    this.pendingKeys = torch.noGrad(() => {
      const keys = normalize(k.float(), { dim: 1 });
      return gatherFromRanks(() => keys)?.all ?? keys; // (W B, outDim), rank 0's keys first
    });
    const loss = infoNceWithQueue(q, k, this.queue.queue, { temperature: this.temperature });
    return { loss, embedding: q };
  }

  /**
   * Moves the key network towards the query network (m = 0.999), then puts
   * this step's keys into the queue over the oldest ones (in a data-parallel
   * run, every rank's keys in rank order, as main_moco.py's
   * `_dequeue_and_enqueue(concat_all_gather(keys))`: the queues stay equal).
   * @example optimizer.step(); method.afterOptimizerStep(progress);
   */
  override afterOptimizerStep(_progress: TrainProgress): void {
    emaUpdate_(this.momentumEncoder, this.encoder, this.momentum);
    emaUpdate_(this.momentumProjectionHead, this.projectionHead, this.momentum);
    if (this.pendingKeys !== undefined) this.queue.enqueue_(this.pendingKeys);
    this.pendingKeys = undefined;
  }
}
