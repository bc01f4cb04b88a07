// DeepCluster v2 (Caron et al. 2020, the SwAV paper, section 4 and appendix
// "DeepCluster-v2"): k-means on a memory bank of embeddings each epoch sets
// the prototypes and each image's cluster; every crop learns its image's cluster.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Encoder } from '../models/encoder';
import { ParamGroup } from '../optim/optimizer';
import { paramGroupsWeightDecay } from '../optim/param-groups';
import { MultiView } from '../data/transforms/multi-crop';
import { dino as multiCropRecipe } from '../data/transforms/recipes';
import { normalize } from '../nn/functional';
import { checkInt, checkNumber } from '../torch/arguments';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { EncoderSpec, makeEncoder } from './encoder-spec';
import { ProjectionHead } from './heads/projection-head';
import { swavProjectionHead } from './heads/method-heads';
import { Prototypes } from './heads/prototypes';
import { checkOptionKeys, methodConfig, resolveRecipe } from './method-options';
import { deepClusterV2Loss, sphericalKMeans } from './losses/deepcluster-v2';
import { checkCrops, forwardByResolution } from './crops-forward';
import { rankLog } from './collapse';

/** Options of `DeepClusterV2`; defaults are main_deepclusterv2.py's. */
export interface DeepClusterV2Options {
  /** A registry name, a factory, or an Encoder instance. */
  encoder: EncoderSpec;
  /** Options for `models.create` when `encoder` is a name. */
  encoderOptions?: Record<string, unknown>;
  /** Images in the training set: the memory bank holds one embedding per image and crop (required). */
  datasetSize: number;
  /** Hidden width of the projection head. Default 2048. */
  hiddenDim?: number;
  /** Embedding size. Default 128 (`--feat_dim`). */
  outDim?: number;
  /** k of each k-means, one set of prototypes each. Default [3000, 3000, 3000] (`--nmb_prototypes`). */
  numPrototypes?: readonly number[];
  /** Temperature tau. Default 0.1. */
  temperature?: number;
  /** Lloyd iterations per k-means. Default 10 (`--nmb_kmeans_iters`). */
  kmeansIterations?: number;
  /** Low-resolution crops per image. Default 6. */
  localCrops?: number;
  /** Side of the local crops. Default 96/224 of the image side. */
  localSize?: number;
  /** Overrides of the optimisation recipe (`DEEPCLUSTER_V2_RECIPE`). */
  recipe?: Partial<OptimizerRecipe>;
}

const OPTION_KEYS: readonly (keyof DeepClusterV2Options)[] = ['encoder', 'encoderOptions', 'datasetSize', 'hiddenDim', 'outDim',
  'numPrototypes', 'temperature', 'kmeansIterations', 'localCrops', 'localSize', 'recipe'];

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
 * NOTE: the official code fills the bank before training with a pass over
 * the data (init_memory); a Method cannot see the data, so here the bank
 * starts as random unit vectors: the clusters of epoch 0 are random (equal
 * in size), and from epoch 1 they come from the network's embeddings.
 *
 * @example
 * const method = new ssl.DeepClusterV2({ encoder: 'resnet18', datasetSize: 50000, numPrototypes: [3000, 3000, 3000] });
 * method.trainingStep(crops, { ...progress, indices }); // the Trainer passes the batch's dataset indices
 */
export class DeepClusterV2 extends Method {
  readonly name = 'deepclusterv2' as const;
  readonly encoder: Encoder;
  readonly projectionHead: ProjectionHead;
  readonly prototypes: Prototypes;
  readonly memoryBank: Tensor;
  readonly assignments: Tensor;
  readonly recipe: OptimizerRecipe;
  readonly datasetSize: number;
  readonly hiddenDim: number;
  readonly outDim: number;
  readonly numPrototypes: readonly number[];
  readonly temperature: number;
  readonly kmeansIterations: number;
  readonly localCrops: number;
  private readonly localSize: number | undefined;
  private readonly options: DeepClusterV2Options;

  constructor(options: DeepClusterV2Options) {
    super();
    checkOptionKeys(options, OPTION_KEYS, 'DeepClusterV2');
    this.options = options;
    this.datasetSize = checkInt(options.datasetSize, 'DeepClusterV2 option datasetSize', 1);
    this.hiddenDim = checkInt(options.hiddenDim ?? 2048, 'DeepClusterV2 option hiddenDim', 1);
    this.outDim = checkInt(options.outDim ?? 128, 'DeepClusterV2 option outDim', 1);
    const ks = options.numPrototypes ?? [3000, 3000, 3000];
    if (!Array.isArray(ks) || ks.length === 0) {
      throw new TypeError(`Expected a non-empty array of k for DeepClusterV2 option numPrototypes but received ${JSON.stringify(ks)}`);
    }
    this.numPrototypes = ks.map((k, i) => checkInt(k, `DeepClusterV2 option numPrototypes[${i}]`, 1));
    for (const k of this.numPrototypes) {
      if (k > this.datasetSize) {
        throw new RangeError(`DeepClusterV2: k-means needs k <= the memory bank's size: numPrototypes has k = ${k} but ` +
          `the bank holds datasetSize = ${this.datasetSize} embeddings per crop; lower k`);
      }
    }
    this.temperature = checkNumber(options.temperature ?? 0.1, 'DeepClusterV2 option temperature', Number.MIN_VALUE);
    this.kmeansIterations = checkInt(options.kmeansIterations ?? 10, 'DeepClusterV2 option kmeansIterations', 0);
    this.localCrops = checkInt(options.localCrops ?? 6, 'DeepClusterV2 option localCrops', 0);
    this.localSize = options.localSize === undefined ? undefined : checkInt(options.localSize, 'DeepClusterV2 option localSize', 1);
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
      this.numPrototypes.forEach((k, h) => {
        const bank = this.memoryBank.select(0, h % ASSIGNED.length); // (N, outDim)
        const { centroids, assignments } = sphericalKMeans(bank, k, { iterations: this.kmeansIterations, generator });
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
    torch.noGrad(() => ASSIGNED.forEach((crop) => {
      torch.ops.aten.index_copy_(this.memoryBank.select(0, crop), 0, index, z.narrow(0, crop * b, b).detach().float());
    }));
    const embedding = z.narrow(0, 0, b);
    return { loss, embedding, logs: rankLog(embedding) };
  }

  /** Decay on weight matrices (the prototypes do not learn). @example method.parameterGroups(1e-6); */
  parameterGroups(weightDecay: number): ParamGroup[] {
    return paramGroupsWeightDecay(this.namedParameters(), { weightDecay });
  }

  /** The options, JSON-able. @example JSON.stringify(method.config()); */
  config(): Record<string, unknown> {
    return methodConfig(this.options, {
      datasetSize: this.datasetSize, hiddenDim: this.hiddenDim, outDim: this.outDim, numPrototypes: [...this.numPrototypes],
      temperature: this.temperature, kmeansIterations: this.kmeansIterations, localCrops: this.localCrops,
      ...(this.localSize === undefined ? {} : { localSize: this.localSize }),
    });
  }
}
