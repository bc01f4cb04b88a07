// DeepCluster v2 (Caron et al. 2020, the SwAV paper, section 4 and appendix
// "DeepCluster-v2"): k-means on a memory bank of embeddings each epoch sets
// the prototypes and each image's cluster; every crop learns its image's cluster.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Encoder } from '../models/encoder';
import { MultiView } from '../data/transforms/multi-crop';
import { dino as multiCropRecipe } from '../data/transforms/recipes';
import { normalize } from '../nn/functional';
import { checkInt } from '../torch/arguments';
import { defineOptions, is, option, OPTIONAL, TableValues, REQUIRED } from '../torch/option-table';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { makeEncoder } from './encoder-spec';
import { ProjectionHead } from './heads/projection-head';
import { swavProjectionHead } from './heads/method-heads';
import { Prototypes } from './heads/prototypes';
import { MethodOptions, resolveRecipe } from './method-options';
import { deepClusterV2Loss, sphericalKMeans } from './losses/deepcluster-v2';
import { gatherFromRanks, rankAndWorld } from './losses/gather';
import { shardOf } from '../torch/distributed/shards';
import { checkCrops, forwardByResolution } from './crops-forward';
import { rankLog } from './collapse';

/** DeepCluster v2's options besides the encoder and the recipe; defaults are main_deepclusterv2.py's. */
export const DEEPCLUSTER_V2_OPTIONS = defineOptions({
  /** Images in the training set: the memory bank holds one embedding per image and crop (required). */
  datasetSize: option(REQUIRED, is.int(1)),
  /** Hidden width of the projection head. Default 2048. */
  hiddenDim: option(2048, is.int(1)),
  /** Embedding size. Default 128 (`--feat_dim`). */
  outDim: option(128, is.int(1)),
  /** k of each k-means, one set of prototypes each. Default [3000, 3000, 3000] (`--nmb_prototypes`). */
  numPrototypes: option<readonly number[]>([3000, 3000, 3000], (ks, what) => {
    if (!Array.isArray(ks) || ks.length === 0) {
      throw new TypeError(`Expected a non-empty array of k for ${what} but received ${JSON.stringify(ks)}`);
    }
    return ks.map((k, i) => checkInt(k, `${what}[${i}]`, 1));
  }),
  /** Temperature tau. Default 0.1. */
  temperature: option(0.1, is.positive),
  /** Lloyd iterations per k-means. Default 10 (`--nmb_kmeans_iters`). */
  kmeansIterations: option(10, is.int(0)),
  /** Low-resolution crops per image. Default 6. */
  localCrops: option(6, is.int(0)),
  /** Side of the local crops. Default 96/224 of the image side. */
  localSize: option(OPTIONAL, is.int(1)),
});

/**
 * Options of `DeepClusterV2`: the encoder (a name, a factory or an instance),
 * `DEEPCLUSTER_V2_OPTIONS` (`datasetSize` required), and recipe overrides.
 */
export type DeepClusterV2Options = MethodOptions<typeof DEEPCLUSTER_V2_OPTIONS> & { datasetSize: number };

/** DeepCluster v2's optimisation (main_deepclusterv2.py, batch 256 per 8 GPUs scaled): LARS, lr 0.3 x B/256 cosine to 0.00048 x, weight decay 1e-6, 10 warm-up epochs. */
export const DEEPCLUSTER_V2_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'lars',
  lr: 0.3,
  lrScaling: 'linear',
  finalLrRatio: 1.6e-3,
  weightDecay: 1e-6,
  momentum: 0.9,
  warmupEpochs: 10,
});

/** The crops whose embeddings go to the memory bank: the two global crops. */
const ASSIGNED = [0, 1] as const;

/**
 * DeepCluster v2. `encoder`, `projection_head`, L2 normalisation, and one set
 * of `prototypes` per k (no gradient: at the first step of every epoch a
 * spherical k-means on the memory bank sets them to its centroids, and each
 * image's cluster to its assignment; set h clusters the bank of global crop
 * h mod 2, as the official code). The loss is the cross-entropy of every
 * crop's scores / tau to its image's clusters, averaged over the sets. After
 * each step the global crops' embeddings replace their images' rows of the
 * bank. `memory_bank` (2, N, outDim), `assignments` (sets, N) and the
 * prototypes are buffers/weights, so checkpoints resume exactly.
 *
 * In a data-parallel run the clustering is main_deepclusterv2.py's
 * distributed k-means: rank r runs the E-step on its 1/W of the bank's rows,
 * the M-step's sums and counts are all-reduced, and the assignments are
 * gathered so every rank knows every image's cluster. NOTE: every rank keeps
 * the whole bank (each step's indices and embeddings are all-gathered and
 * written as one process writes the global batch) where the official code
 * keeps a bank of the images each rank saw; the bank, the clusters and the
 * checkpoint rank 0 writes are then the single-process run's, at W times the
 * bank's memory per rank.
 *
 * NOTE: the official code fills the bank before training with a pass over
 * the data (init_memory); a Method cannot see the data, so here the bank
 * starts as random unit vectors: the clusters of epoch 0 are random (equal
 * in size), and from epoch 1 they come from the network's embeddings.
 *
 * @example
 * const method = new ssl.DeepClusterV2({ encoder: 'resnet18', datasetSize: 50000, numPrototypes: [3000, 3000, 3000] });
 * method.trainingStep(crops, { ...progress, indices }); // the Trainer passes the batch's dataset indices
 */
export interface DeepClusterV2 extends Readonly<TableValues<typeof DEEPCLUSTER_V2_OPTIONS>> {}
export class DeepClusterV2 extends Method {
  readonly name = 'deepclusterv2' as const;
  readonly encoder: Encoder;
  readonly projectionHead: ProjectionHead;
  readonly prototypes: Prototypes;
  readonly memoryBank: Tensor;
  readonly assignments: Tensor;
  readonly recipe: OptimizerRecipe;

  constructor(options: DeepClusterV2Options) {
    super();
    this.useOptions(DEEPCLUSTER_V2_OPTIONS, options);
    for (const k of this.numPrototypes) {
      if (k > this.datasetSize) {
        throw new RangeError(`DeepClusterV2: k-means needs k <= the memory bank's size: numPrototypes has k = ${k} but ` +
          `the bank holds datasetSize = ${this.datasetSize} embeddings per crop; lower k`);
      }
    }
    this.recipe = resolveRecipe(DEEPCLUSTER_V2_RECIPE, options.recipe, 'DeepClusterV2');
    const build = makeEncoder(options.encoder, options.encoderOptions, { needsFactory: false, method: 'DeepClusterV2' });
    this.encoder = this.registerModule('encoder', build());
    this.projectionHead = this.registerModule('projection_head', swavProjectionHead(this.encoder.featureDim, this.hiddenDim, this.outDim));
    this.prototypes = this.registerModule('prototypes', new Prototypes(this.outDim, this.numPrototypes));
    // The prototypes are the centroids, never trained (main_deepclusterv2.py freezes them for 300,000 iterations).
    this.prototypes.requiresGrad_(false);
    const bank = torch.noGrad(() => normalize(torch.randn([ASSIGNED.length, this.datasetSize, this.outDim]), { dim: 2 }));
    this.memoryBank = this.registerBuffer('memory_bank', bank);
    this.assignments = this.registerBuffer('assignments', torch.zeros([this.numPrototypes.length, this.datasetSize], { dtype: 'int64' }));
  }

  /**
   * Multi-crop as SwAV's: 2 global crops (scale [0.14, 1]) and `localCrops` local ones (scale [0.05, 0.14]).
   * @example method.augmentation({ size: 28, channels: 1, mean: [0.286], std: [0.353] });
   */
  augmentation(spec: ImageSpec): MultiView {
    return multiCropRecipe({ globalSize: spec.size, localSize: this.localSize, localCrops: this.localCrops,
      globalScale: [0.14, 1], localScale: [0.05, 0.14], channels: spec.channels, mean: spec.mean, std: spec.std });
  }

  /**
   * Runs the k-means of every set on the bank: prototypes = centroids,
   * assignments = each image's cluster. The initial centroids are drawn with a
   * generator seeded by the epoch, so a resumed run draws the same ones.
   * @example method.cluster(3); // what the first step of epoch 3 does
   */
  cluster(epoch: number): void {
    torch.noGrad(() => torch.scope(() => {
      const generator = new torch.Generator().manualSeed(1000003 + epoch);
      const { rank, world } = rankAndWorld();
      const { start: from, length } = shardOf(this.datasetSize, rank, world);
      this.numPrototypes.forEach((k, h) => {
        const bank = this.memoryBank.select(0, h % ASSIGNED.length); // (N, outDim)
        // The same k rows on every rank (the banks are equal), drawn as sphericalKMeans draws them.
        const start = bank.indexSelect(0, torch.randperm(this.datasetSize, { generator }).narrow(0, 0, k).to(bank.device));
        const mine = bank.narrow(0, from, length); // this rank's rows
        const { centroids, assignments } = sphericalKMeans(mine, k,
          { iterations: this.kmeansIterations, centroids: start, gatherDistributed: true });
        this.prototypes.weights()[h].copy_(centroids);
        this.assignments.select(0, h).copy_(assignments);
      });
    }));
  }

  /**
   * The loss of one batch of crops; `progress.indices` (the Trainer's) says
   * which images they are. Clusters the bank at the first step of an epoch.
   * @example const { loss } = method.trainingStep(crops, { step, totalSteps, epoch, stepsPerEpoch, indices });
   */
  trainingStep(views: Tensor[], progress: TrainProgress): StepOutput {
    const b = checkCrops(views, 'DeepClusterV2');
    const indices = progress.indices;
    if (!(indices instanceof torch.Tensor) || indices.dim() !== 1 || indices.shape[0] !== b) {
      throw new TypeError(`DeepClusterV2 needs the dataset indices of the batch's ${b} images as progress.indices (the ` +
        'Trainer passes them) to keep its memory bank; received ' +
        `${indices instanceof torch.Tensor ? `shape [${indices.shape.join(', ')}]` : String(indices)}`);
    }
    if (progress.step === progress.epoch * progress.stepsPerEpoch) this.cluster(progress.epoch);
    const z = normalize(this.projectionHead.forward(forwardByResolution(this.encoder, views)), { dim: 1 }); // (nCrops * B, outDim)
    const scores = this.prototypes.forward(z); // per set (nCrops * B, k)
    const index = indices.to({ device: this.assignments.device, dtype: 'int64' });
    const targets = this.numPrototypes.map((_, h) => this.assignments.select(0, h).indexSelect(0, index)); // (B) each
    const loss = deepClusterV2Loss(scores, targets, { temperature: this.temperature });
    this.remember(index, z, b);
    const embedding = z.narrow(0, 0, b);
    return { loss, embedding, logs: rankLog(embedding) };
  }

  /**
   * Writes the global crops' embeddings over their images' rows of the bank;
   * in a data-parallel run every rank's (indices and embeddings all-gathered
   * in one float64 tensor: indices are exact below 2^53).
   */
  private remember(index: Tensor, z: Tensor, b: number): void {
    torch.noGrad(() => torch.scope(() => {
      const d = this.outDim;
      const mine = torch.cat([index.to('float64').unsqueeze(1), ...ASSIGNED.map((crop) => z.narrow(0, crop * b, b).to('float64'))], 1); // (B, 1 + 2D)
      const all = gatherFromRanks(() => mine)?.all ?? mine; // (W B, 1 + 2D)
      const rows = all.select(1, 0).to('int64');
      ASSIGNED.forEach((crop, i) => {
        torch.ops.aten.index_copy_(this.memoryBank.select(0, crop), 0, rows, all.narrow(1, 1 + i * d, d).to(this.memoryBank.dtype));
      });
    }));
  }
}
