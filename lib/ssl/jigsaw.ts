// The jigsaw puzzle (Noroozi & Favaro 2016, "Unsupervised Learning of Visual
// Representations by Solving Jigsaw Puzzles"): 9 tiles of a 3x3 grid,
// shuffled by one of N chosen permutations; a context-free network (one tile
// encoder shared by all tiles, features concatenated) says which permutation.
import * as torch from '../torch';
import { Generator, Tensor } from '../torch';
import { crossEntropy } from '../nn/functional/loss';
import { defineOptions, is, option, OPTIONAL, TableValues } from '../torch/option-table';
import { Encoder } from '../models/encoder';
import { Sequential } from '../nn/layers/container';
import { MultiView } from '../data/transforms/multi-crop';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { makeEncoder } from './encoder-spec';
import { MethodOptions, resolveRecipe } from './method-options';
import { accuracy, checkOneView, classifier, pretextView } from './pretext/pretext-common';
import { GridGeometry, checkGridFits, gridOrigins, patchesAt } from './pretext/grid-patches';
import { jigsawPermutations } from './pretext/permutations';
import { ImageNormStats } from './pretext/image-norm-stats';

/** Jigsaw's options besides the encoder and the recipe: defaults and checks. */
export const JIGSAW_OPTIONS = defineOptions({
  /** Permutations in the set. Default 100 (section 3.2; table 3 also has 1000). */
  numPermutations: option(100, is.int(2)),
  /** Seed of the permutation set. Default 0. */
  permutationSeed: option(0, is.int(0)),
  /** Hidden width of the classifier over the concatenated tile features. Default 512. */
  hiddenDim: option(512, is.int(1)),
  /** Tile side in px. Default: 64/75 of the grid cell, as the paper's 64 px tiles in 75 px cells. */
  tileSize: option(OPTIONAL, is.int(1)),
  /**
   * Keep the encoder's buffers (batch-norm running statistics) those of the
   * whole images rather than of the standardised tiles: each step the tiles
   * are normalised by their own batch statistics as before (the task and its
   * gradient are unchanged); after the optimizer step the buffers are
   * restored and updated by a no-grad pass over the batch's whole images, the
   * inputs the frozen encoder is evaluated on (`ImageNormStats`). Default false (the paper transfers weights, not
   * statistics). See docs/pretext.md, "Whole-image batch-norm statistics".
   */
  imageNormStats: option(false, is.boolean),
});

/** Options of `Jigsaw`: the encoder (a name, a factory or an instance), `JIGSAW_OPTIONS`, and recipe overrides. */
export type JigsawOptions = MethodOptions<typeof JIGSAW_OPTIONS>;

/** SGD as the paper's CFN training (section 4: lr 0.01, "momentum"); weight decay 5e-4 as AlexNet's. */
export const JIGSAW_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'sgd', lr: 0.01 * 256 / 256, lrScaling: 'linear', finalLrRatio: 0, weightDecay: 5e-4, momentum: 0.9,
  warmupEpochs: 0,
});

/** The tile geometry for images of `size` px: cells of size/3, tiles of `tile` px inside them at random. */
export function jigsawGeometry(size: number, tile?: number): GridGeometry {
  const cell = Math.floor(size / 3);
  const patchSize = tile ?? Math.max(1, Math.round((cell * 64) / 75));
  const gap = Math.max(0, cell - patchSize);
  return { grid: 3, patchSize, gap, jitter: Math.floor(gap / 2) };
}

/**
 * Each tile of (B, n, C, P, P) standardised per channel on its own (unbiased
 * std; a flat tile is divided by 1), as the jigsaw's section 3.3.
 * @example const normed = standardizeTiles(tiles); // (B, n, C, P, P)
 */
export function standardizeTiles(tiles: Tensor): Tensor {
  const [B, n, C, P, Q] = tiles.shape;
  const flat = tiles.reshape([B * n, C, P * Q]);
  const mean = flat.mean([2], true);
  const std = flat.std([2], true, true);
  return flat.sub(mean).div(torch.where(std.eq(0), 1, std)).view([B, n, C, P, Q]);
}

/** A drawn puzzle: the tiles' grid positions and which permutation shuffles them. */
export interface JigsawTask {
  /** int64 (B, 9, 2): the top-left [y, x] of each tile in row-major grid order. */
  origins: Tensor;
  /** int64 (B): the permutation index, the label. */
  labels: Tensor;
}

/**
 * The context-free network: `encoder` runs on each of the 9 tiles (a batch of
 * 9B), each tile first normalised on its own ("we normalize the mean and the
 * standard deviation of each patch independently", section 3.3: no shortcut
 * through low-level statistics shared by neighbouring tiles), the 9 features
 * are concatenated in the shuffled order and `jigsaw_head` (Linear-ReLU-Linear)
 * classifies the permutation among N. `permutationAccuracy` is logged.
 *
 * @example
 * const method = new ssl.Jigsaw({ encoder: 'small_cnn', encoderOptions: { inChannels: 3 }, numPermutations: 1000 });
 */
export interface Jigsaw extends Readonly<TableValues<typeof JIGSAW_OPTIONS>> {}
export class Jigsaw extends Method {
  readonly name = 'jigsaw' as const;
  readonly encoder: Encoder;
  readonly jigsawHead: Sequential;
  readonly recipe: OptimizerRecipe;
  /** The permutations: `permutations[k][i]` is the tile shown at position i. */
  readonly permutations: number[][];
  private readonly permTable: Tensor;
  /** With `imageNormStats`: keeps the encoder's batch-norm statistics whole images'. */
  private readonly normStats: ImageNormStats | undefined;

  constructor(options: JigsawOptions) {
    super();
    this.useOptions(JIGSAW_OPTIONS, options);
    this.recipe = resolveRecipe(JIGSAW_RECIPE, options.recipe, 'Jigsaw');
    this.permutations = jigsawPermutations(this.numPermutations, { seed: this.permutationSeed }).perms;
    this.permTable = torch.tensor(this.permutations.flat(), { dtype: 'int64' }).view([this.numPermutations, 9]);
    this.encoder = this.registerModule('encoder',
      makeEncoder(options.encoder, options.encoderOptions, { needsFactory: false, method: 'Jigsaw' })());
    this.jigsawHead = this.registerModule('jigsaw_head',
      classifier(9 * this.encoder.featureDim, this.hiddenDim, this.numPermutations));
    this.normStats = this.imageNormStats ? new ImageNormStats(this.encoder) : undefined;
  }

  /** One view (crop scale [0.6, 1], flip, normalisation); checks that the grid fits. @example method.augmentation(spec) */
  augmentation(spec: ImageSpec): MultiView {
    checkGridFits(spec.size, jigsawGeometry(spec.size, this.tileSize), 'Jigsaw', spec.dataset);
    return pretextView(spec, [0.6, 1]);
  }

  /**
   * Draws a puzzle for each image of `x`: tile positions and a permutation index.
   * @example const task = method.drawTask(x, new torch.Generator().manualSeed(0));
   */
  drawTask(x: Tensor, generator?: Generator): JigsawTask {
    const geometry = jigsawGeometry(x.shape[2], this.tileSize);
    const origins = gridOrigins(x.shape[0], x.shape[2], x.shape[3], geometry, generator).to({ device: x.device });
    const labels = torch.randint(0, this.numPermutations, [x.shape[0]], { generator }).to({ device: x.device });
    return { origins, labels };
  }

  /**
   * The loss and logits of the puzzles `task` on images `x`.
   * @example const { loss, logits } = method.taskLoss(x, method.drawTask(x));
   */
  taskLoss(x: Tensor, task: JigsawTask): { loss: Tensor; logits: Tensor; features: Tensor } {
    const B = x.shape[0];
    const features = this.encoder.forward(this.tiles(x, task)); // (9B, D)
    const logits = this.jigsawHead.forward(features.reshape([B, -1])); // (B, N)
    return { loss: crossEntropy(logits.float(), task.labels), logits, features };
  }

  /**
   * What the encoder sees: the 9 tiles of each puzzle in the shuffled order,
   * each standardised on its own, as a batch (9B, C, P, P) (image-major).
   * @example const tiles = method.tiles(x, method.drawTask(x));
   */
  tiles(x: Tensor, task: JigsawTask): Tensor {
    const [B, C, H] = x.shape;
    const P = jigsawGeometry(H, this.tileSize).patchSize;
    const tiles = patchesAt(x, task.origins, P); // (B, 9, C, P, P)
    const order = this.permTable.to({ device: x.device }).indexSelect(0, task.labels); // (B, 9)
    const shuffled = tiles.gather(1, order.view([B, 9, 1, 1, 1]).expand([B, 9, C, P, P])); // position i <- tile order[i]
    return standardizeTiles(shuffled).view([B * 9, C, P, P]);
  }

  /** Cross entropy over the N permutations. @example method.trainingStep([x], progress) */
  trainingStep(views: Tensor[], _progress?: TrainProgress): StepOutput {
    const x = checkOneView(views, 'Jigsaw');
    const task = this.drawTask(x);
    this.normStats?.beforeTask(x);
    const { loss, logits, features } = this.taskLoss(x, task);
    return { loss, embedding: features.view([x.shape[0], 9, -1]).mean([1]).detach(),
      logs: { permutationAccuracy: accuracy(logits, task.labels) } };
  }

  /** With `imageNormStats`: the buffers back, then updated from the step's whole images (`ImageNormStats`). */
  override afterOptimizerStep(_progress: TrainProgress): void {
    this.normStats?.afterStep();
  }

  /** Frees the permutation table with the weights. */
  override dispose(): void {
    this.permTable.dispose();
    super.dispose();
  }
}
