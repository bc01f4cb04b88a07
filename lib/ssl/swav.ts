// SwAV (Caron et al. 2020, "Unsupervised Learning of Visual Features by
// Contrasting Cluster Assignments"): online codes from Sinkhorn-Knopp over
// a set of prototypes, predicted across multi-crop views.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Encoder } from '../models/encoder';
import { MultiView } from '../data/transforms/multi-crop';
import { dino as multiCropRecipe } from '../data/transforms/recipes';
import { normalize } from '../nn/functional';
import { ModuleList } from '../nn/layers/container';
import { defineOptions, is, option, OPTIONAL, TableValues } from '../torch/option-table';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { makeEncoder } from './encoder-spec';
import { ProjectionHead } from './heads/projection-head';
import { swavProjectionHead } from './heads/method-heads';
import { Prototypes } from './heads/prototypes';
import { MethodOptions, resolveRecipe } from './method-options';
import { EmbeddingQueue } from './queue';
import { sinkhornKnopp, swavLoss } from './losses/swav-loss';
import { gatherFromRanks, rankAndWorld } from './losses/gather';
import { checkCrops, forwardByResolution } from './crops-forward';
import { rankLog } from './collapse';

/** SwAV's options besides the encoder and the recipe; defaults are the paper's and main_swav.py's small-batch setting (batch 256). */
export const SWAV_OPTIONS = defineOptions({
  /** Hidden width of the projection head. Default 2048. */
  hiddenDim: option(2048, is.int(1)),
  /** Embedding size. Default 128. */
  outDim: option(128, is.int(1)),
  /** Prototypes K. Default 3000 (section 4: "K = 3000"). */
  numPrototypes: option(3000, is.int(1)),
  /** Temperature tau of the predictions. Default 0.1. */
  temperature: option(0.1, is.positive),
  /** Sinkhorn-Knopp epsilon. Default 0.05. */
  epsilon: option(0.05, is.positive),
  /** Sinkhorn-Knopp iterations. Default 3. */
  sinkhornIterations: option(3, is.int(1)),
  /** Optimizer steps during which the prototypes do not learn. Default 313 (main_swav.py `--freeze_prototypes_niters`). */
  freezePrototypesSteps: option(313, is.int(0)),
  /**
   * Embeddings kept per assigned crop to widen Sinkhorn's batch (0: no
   * queue). Default 3840 (main_swav.py for batch 256: "we use a queue when
   * the batch is smaller than the number of prototypes"); a multiple of the
   * (global) batch size. In a data-parallel run each rank's Sinkhorn uses its
   * own queueLength / worldSize of them, as main_swav.py.
   */
  queueLength: option(3840, is.int(0)),
  /** Epoch from which the queue fills (and is used once full). Default 15 (`--epoch_queue_starts`). */
  queueStartEpoch: option(15, is.int(0)),
  /** Low-resolution crops per image. Default 6 (2 x 224 + 6 x 96 in the paper). */
  localCrops: option(6, is.int(0)),
  /** Side of the local crops. Default 96/224 of the image side. */
  localSize: option(OPTIONAL, is.int(1)),
});

/** Options of `SwAV`: the encoder (a name, a factory or an instance), `SWAV_OPTIONS`, and recipe overrides. */
export type SwAVOptions = MethodOptions<typeof SWAV_OPTIONS>;

/**
 * SwAV's optimisation for batch 256 (main_swav.py's 256-batch script): LARS,
 * base lr 0.6 (x B/256), final lr 0.0006, weight decay 1e-6, no warm-up, cosine.
 */
export const SWAV_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'lars',
  lr: 0.6,
  lrScaling: 'linear',
  finalLrRatio: 1e-3,
  weightDecay: 1e-6,
  momentum: 0.9,
  warmupEpochs: 0,
});

/** SwAV's crops for assignment: the two global crops. */
const ASSIGNED = [0, 1] as const;

/**
 * SwAV. `encoder`, `projection_head`, L2 normalisation, `prototypes`
 * (Linear(outDim, K, bias=false), rows rescaled to unit length before every
 * step and frozen for the first `freezePrototypesSteps` steps). For each
 * global crop, the codes are Sinkhorn-Knopp's equipartition of its detached
 * scores (with the scores of the queued embeddings in front once the queue
 * is full); every other crop predicts them (`swavLoss`). The queues
 * (`queues.0`, `queues.1`, device ring buffers; Sinkhorn does not depend on
 * the order of its samples) are saved in checkpoints.
 *
 * In a data-parallel run (the default process group has W > 1 ranks) the
 * codes are those of the global batch, as main_swav.py: Sinkhorn's sums are
 * all-reduced over every rank's batch and queue, and each rank's queue part
 * is queueLength / W long and holds its own past embeddings. NOTE: every rank
 * stores the whole queue (each step's embeddings are all-gathered and
 * enqueued as one process would enqueue the global batch), and rank r's part
 * is its rows of that layout; so the queue equals the single-process run's,
 * and the checkpoint that rank 0 writes resumes every rank (main_swav.py
 * writes one queue file per rank instead).
 *
 * @example
 * const method = new ssl.SwAV({ encoder: 'resnet18', encoderOptions: { smallImages: true }, numPrototypes: 3000 });
 * const crops = method.augmentation({ size: 32, channels: 3, mean, std }).forward(images01); // 2 + 6 crops
 */
export interface SwAV extends Readonly<TableValues<typeof SWAV_OPTIONS>> {}
export class SwAV extends Method {
  readonly name = 'swav' as const;
  readonly encoder: Encoder;
  readonly projectionHead: ProjectionHead;
  readonly prototypes: Prototypes;
  readonly queues: ModuleList<EmbeddingQueue> | undefined;
  readonly recipe: OptimizerRecipe;

  constructor(options: SwAVOptions) {
    super();
    this.useOptions(SWAV_OPTIONS, options);
    this.recipe = resolveRecipe(SWAV_RECIPE, options.recipe, 'SwAV');
    const build = makeEncoder(options.encoder, options.encoderOptions, { needsFactory: false, method: 'SwAV' });
    this.encoder = this.registerModule('encoder', build());
    this.projectionHead = this.registerModule('projection_head', swavProjectionHead(this.encoder.featureDim, this.hiddenDim, this.outDim));
    this.prototypes = this.registerModule('prototypes', new Prototypes(this.outDim, [this.numPrototypes]));
    this.queues = this.queueLength === 0 ? undefined : this.registerModule('queues',
      new ModuleList(ASSIGNED.map(() => new EmbeddingQueue(this.queueLength, this.outDim, { init: 'zeros' }))));
  }

  /**
   * SwAV's multi-crop: 2 global crops (scale [0.14, 1]) and `localCrops`
   * local ones (96/224 of the side, scale [0.05, 0.14]), flip, colour
   * jitter, grayscale and blur.
   * @example method.augmentation({ size: 28, channels: 1, mean: [0.286], std: [0.353] }).forward(images01); // 2 + 6 crops
   */
  augmentation(spec: ImageSpec): MultiView {
    return multiCropRecipe({ globalSize: spec.size, localSize: this.localSize, localCrops: this.localCrops,
      globalScale: [0.14, 1], localScale: [0.05, 0.14], channels: spec.channels, mean: spec.mean, std: spec.std });
  }

  /**
   * Whether this step's codes use the queue: it fills from `queueStartEpoch`
   * and is used once full, as main_swav.py (whose test is that its last row
   * is no longer zero); decided from the progress alone, so a resumed run
   * decides as the uninterrupted one. `batch` is the global batch (every rank's).
   * @example method.queueInUse({ step: 5000, totalSteps: 9000, epoch: 20, stepsPerEpoch: 234 }, 256);
   */
  queueInUse(progress: TrainProgress, batch: number): boolean {
    if (this.queues === undefined || progress.epoch < this.queueStartEpoch) return false;
    return progress.step - this.queueStartEpoch * progress.stepsPerEpoch >= this.queueLength / batch;
  }

  /**
   * The swapped-prediction loss of one batch of crops (views[0], views[1]
   * global). Logs whether the queue was used and the effective rank.
   * @example const { loss, logs } = method.trainingStep(crops, progress); // logs.queue: 0 or 1
   */
  trainingStep(views: Tensor[], progress: TrainProgress): StepOutput {
    const b = checkCrops(views, 'SwAV');
    const { rank, world } = rankAndWorld();
    this.checkBatch(b, world);
    this.prototypes.normalize_();
    const z = normalize(this.projectionHead.forward(forwardByResolution(this.encoder, views)), { dim: 1 }); // (nCrops * B, outDim)
    const [scores] = this.prototypes.forward(z); // (nCrops * B, K)
    const useQueue = this.queueInUse(progress, b * world);
    const fill = this.queues !== undefined && progress.epoch >= this.queueStartEpoch;
    const codes = torch.noGrad(() => {
      // With several ranks: every rank's embeddings of the assigned crops, (W B, 2 outDim), enqueued as the global batch.
      const global = fill && world > 1
        ? gatherFromRanks(() => torch.cat(ASSIGNED.map((crop) => z.narrow(0, crop * b, b)), 1))?.all : undefined;
      return ASSIGNED.map((crop, i) => {
        let out = scores.narrow(0, crop * b, b).detach(); // (B, K)
        const queue = this.queues?.at(i);
        if (useQueue && queue !== undefined) out = torch.cat([this.ownRows(queue, b, rank, world).matmul(this.prototypes.weights()[0].t()), out], 0);
        if (queue !== undefined && fill) {
          queue.enqueue_(global === undefined ? z.narrow(0, crop * b, b) : global.narrow(1, i * this.outDim, this.outDim));
        }
        const q = sinkhornKnopp(out, { epsilon: this.epsilon, iterations: this.sinkhornIterations, gatherDistributed: true });
        return q.narrow(0, q.shape[0] - b, b); // (B, K): the batch's own codes
      });
    });
    const loss = swavLoss(scores, codes, { temperature: this.temperature });
    const embedding = z.narrow(0, 0, b);
    return { loss, embedding, logs: { queue: useQueue ? 1 : 0, ...rankLog(embedding) } };
  }

  /**
   * This rank's part of a queue (queueLength / W, outDim): the rows its own
   * embeddings were enqueued to (each enqueue writes ranks 0..W-1's B rows in
   * order), which is the whole queue in one process.
   */
  private ownRows(queue: EmbeddingQueue, b: number, rank: number, world: number): Tensor {
    if (world === 1) return queue.queue;
    return queue.queue.view([this.queueLength / (b * world), world, b, this.outDim]).select(1, rank).reshape([this.queueLength / world, this.outDim]);
  }

  /**
   * Zeroes the prototypes' gradients during the first `freezePrototypesSteps`
   * steps (main_swav.py sets them to None: "cancel gradients for the prototypes").
   * @example loss.backward(); method.beforeOptimizerStep(progress); optimizer.step();
   */
  override beforeOptimizerStep(progress: TrainProgress): void {
    if (progress.step >= this.freezePrototypesSteps) return;
    for (const p of this.prototypes.parameters()) p.grad?.zero_();
  }

  private checkBatch(b: number, world: number): void {
    const ranks = world === 1 ? '' : ` (${world} ranks x ${b})`;
    if (b * world + this.queueLength < this.numPrototypes) {
      throw new RangeError(`SwAV needs batch size + queueLength >= numPrototypes, so that Sinkhorn-Knopp can share its ` +
        `samples among all prototypes: batch ${b * world}${ranks} + queueLength ${this.queueLength} < numPrototypes ` +
        `${this.numPrototypes}; use a larger batch, a queue (queueLength) or fewer prototypes`);
    }
    if (this.queueLength > 0 && this.queueLength % (b * world) !== 0) {
      const split = world === 1 ? '' : `, so that each of the ${world} ranks keeps queueLength / ${world} of it`;
      throw new RangeError(`SwAV option queueLength ${this.queueLength} must be a multiple of the global batch size ` +
        `${b * world}${ranks} (each step replaces one batch of the queue${split}); use ` +
        `${Math.max(1, Math.round(this.queueLength / (b * world))) * b * world}`);
    }
  }
}
