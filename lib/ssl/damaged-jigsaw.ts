// Completing damaged jigsaw puzzles (Kim, Cho, Yoo & Kweon 2018, "Learning
// Image Representations by Completing Damaged Jigsaw Puzzles"): "puzzles with
// one piece missing and the other pieces without color". The network solves
// the puzzle, generates the missing piece and colorizes the pieces, all three
// from the same tile encoder. Built from the Jigsaw's parts: its tile
// geometry, permutation set, batched tile gather and per-tile normalisation.
import * as torch from '../torch';
import { Device, Generator, Tensor } from '../torch';
import { crossEntropy } from '../nn/functional/loss';
import { DERIVED, defineOptions, is, option, TableValues } from '../torch/option-table';
import { Encoder } from '../models/encoder';
import { Sequential } from '../nn/layers/container';
import { Linear } from '../nn/layers/linear';
import { labToRgb, rgbToLab } from '../data/transforms/lab';
import { ParamGroup } from '../optim/optimizer';
import { paramGroupsWeightDecay } from '../optim/param-groups';
import { MultiView } from '../data/transforms/multi-crop';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { makeEncoder } from './encoder-spec';
import { MethodOptions, resolveRecipe } from './method-options';
import { accuracy, checkColour, checkOneView, classifier, pretextView } from './pretext/pretext-common';
import { checkGridFits, gridOrigins, patchesAt } from './pretext/grid-patches';
import { jigsawPermutations } from './pretext/permutations';
import { ImageNormStats } from './pretext/image-norm-stats';
import { JIGSAW_RECIPE, jigsawGeometry, standardizeTiles } from './jigsaw';

/** ab / 110: the colour target in about [-1, 1] (110 is the ab gamut's half-width, as the colour encoder's input). */
const AB_SCALE = 110;

/** DamagedJigsaw's options besides the encoder and the recipe: defaults and checks. */
export const DAMAGED_JIGSAW_OPTIONS = defineOptions({
  /** Permutations in the set. Default 100 (as Jigsaw). */
  numPermutations: option(100, is.int(2)),
  /** Seed of the permutation set. Default 0. */
  permutationSeed: option(0, is.int(0)),
  /** Hidden width of the permutation and inpainting heads. Default 512. */
  hiddenDim: option(512, is.int(1)),
  /**
   * Hidden width of the per-pixel colorization head. Default 64: it runs on every pixel of the 9 tiles, and its
   * (9B P^2, width) activations were most of a step's time at 256 (1.4 of 1.8 CPU s at batch 128, 9 px tiles).
   */
  colorizationHiddenDim: option(64, is.int(1)),
  /** Side of the (square) training images; sizes the generation heads. Default 32 (`selfsup train` sets the data's). */
  imageSize: option(32, is.int(3)),
  /** Tile side in px. Default: 64/75 of the grid cell of `imageSize`, as Jigsaw. */
  tileSize: option(DERIVED, is.int(1)),
  /** Weight of the permutation cross entropy. Default 1. */
  jigsawWeight: option(1, is.number(0)),
  /** Weight of the missing tile's L2. Default 1. */
  inpaintingWeight: option(1, is.number(0)),
  /** Weight of the colour tiles' L2. Default 1. */
  colorizationWeight: option(1, is.number(0)),
  /**
   * Keep the encoder's buffers (batch-norm running statistics) those of the
   * whole images rather than of the gray, standardised tiles, the task's inputs (`ImageNormStats`:
   * the task and its gradient unchanged; after the optimizer step the
   * buffers are restored and updated by a no-grad pass over the step's whole
   * images, what the frozen encoder is evaluated on). Default false (the
   * paper transfers weights, not statistics). See docs/pretext.md,
   * "Whole-image batch-norm statistics".
   */
  imageNormStats: option(false, is.boolean),
});

/** Options of `DamagedJigsaw`: the encoder, `DAMAGED_JIGSAW_OPTIONS`, and recipe overrides. */
export type DamagedJigsawOptions = MethodOptions<typeof DAMAGED_JIGSAW_OPTIONS>;

/** Jigsaw's recipe (SGD, momentum 0.9, weight decay 5e-4): the paper trains its CFN-style network the same way. */
export const DAMAGED_JIGSAW_RECIPE: Readonly<OptimizerRecipe> = JIGSAW_RECIPE;

/** A drawn damaged puzzle. */
export interface DamagedJigsawTask {
  /** int64 (B, 9, 2): the top-left [y, x] of each tile in row-major grid order. */
  origins: Tensor;
  /** int64 (B): the permutation index (the jigsaw label). */
  labels: Tensor;
  /** int64 (B): the position (0..8, in the shuffled puzzle) of the removed tile. */
  missing: Tensor;
}

/** What `taskLoss` returns: the weighted sum and its three parts. */
export interface DamagedJigsawLoss {
  loss: Tensor;
  /** Cross entropy over the N permutations. */
  jigsaw: Tensor;
  /** Mean squared error of the generated missing tile (normalised colour pixels). */
  inpainting: Tensor;
  /** Mean squared error of the present tiles' predicted ab (Lab a and b / 110) against theirs. */
  colorization: Tensor;
  logits: Tensor;
  /** (B, C, P, P): the generated missing tile. */
  inpainted: Tensor;
  /**
   * (B, 9, C, P, P): the colorized tiles in puzzle order, normalised RGB: each tile's own L with the predicted ab
   * (the missing position's is meaningless).
   */
  colorized: Tensor;
  /** (B, 9, C, P, P): what the encoder saw: gray, standardised tiles, zeros at the missing position. */
  damaged: Tensor;
  /** (9B, D): the tile features. */
  features: Tensor;
}

/**
 * Completing damaged jigsaw puzzles. A puzzle is the Jigsaw's: 9 tiles from a
 * 3x3 grid, shuffled by one of N permutations. The damage: every tile loses
 * its colour (the luma of the pixels, ITU-R 601 weights, in all channels) and
 * the tile at one random position of the shuffled puzzle is removed (zeros
 * after the per-tile standardisation). One `encoder` runs on the 9 tiles, and
 * - `jigsaw_head` (on the 9 concatenated features) classifies the permutation;
 * - `inpainting_head` (on the same concatenation) generates the missing tile in colour;
 * - `colorization_head` (per pixel, on the pixel's gray value and its tile's feature) gives each pixel's Lab ab
 *   (/ 110); the colorized tile is its own L with that ab (the colour is what was removed, not the lightness);
 * loss = jigsawWeight CE + inpaintingWeight L2(missing tile, normalised pixels) + colorizationWeight
 * L2(present tiles' ab / 110). Logged: `permutationAccuracy`,
 * `inpaintingError`, `colorizationError`. The heads are Linear-ReLU-Linear
 * (generation heads output C P P values), not the paper's deconvolutional
 * AlexNet decoders.
 *
 * @example
 * const method = new ssl.DamagedJigsaw({ encoder: 'small_cnn', encoderOptions: { inChannels: 3 } });
 */
export interface DamagedJigsaw extends Readonly<TableValues<typeof DAMAGED_JIGSAW_OPTIONS>> {}
export class DamagedJigsaw extends Method {
  readonly name = 'damaged_jigsaw' as const;
  readonly encoder: Encoder;
  readonly jigsawHead: Sequential;
  readonly inpaintingHead: Sequential;
  readonly colorizationHead: Sequential;
  readonly recipe: OptimizerRecipe;
  /** `permutations[k][i]` is the tile shown at position i. */
  readonly permutations: number[][];
  /** The dataset's per-channel std (set by `augmentation`): luma is taken of the unnormalised pixels. */
  pixelStd: readonly number[] = [1, 1, 1];
  /** The dataset's per-channel mean (set by `augmentation`): the colour target is the Lab ab of the unnormalised pixels. */
  pixelMean: readonly number[] = [0, 0, 0];
  private readonly permTable: Tensor;
  private readonly tileChannels: number;
  /** With `imageNormStats`: keeps the encoder's batch-norm statistics whole images'. */
  private readonly normStats: ImageNormStats | undefined;

  constructor(options: DamagedJigsawOptions) {
    super();
    this.useOptions(DAMAGED_JIGSAW_OPTIONS, options);
    this.deriveOptions({ tileSize: jigsawGeometry(this.imageSize).patchSize });
    checkGridFits(this.imageSize, jigsawGeometry(this.imageSize, this.tileSize), 'DamagedJigsaw');
    this.recipe = resolveRecipe(DAMAGED_JIGSAW_RECIPE, options.recipe, 'DamagedJigsaw');
    this.permutations = jigsawPermutations(this.numPermutations, { seed: this.permutationSeed }).perms;
    this.permTable = torch.tensor(this.permutations.flat(), { dtype: 'int64' }).view([this.numPermutations, 9]);
    this.encoder = this.registerModule('encoder',
      makeEncoder(options.encoder, options.encoderOptions, { needsFactory: false, method: 'DamagedJigsaw' })());
    const first = this.encoder.parameters().find((p) => p.dim() === 4);
    this.tileChannels = first === undefined ? 3 : first.shape[1];
    const D = this.encoder.featureDim;
    this.jigsawHead = this.registerModule('jigsaw_head', classifier(9 * D, this.hiddenDim, this.numPermutations));
    const tileValues = this.tileChannels * this.tileSize * this.tileSize;
    this.inpaintingHead = this.registerModule('inpainting_head', classifier(9 * D, this.hiddenDim, tileValues));
    this.colorizationHead = this.registerModule('colorization_head', classifier(this.tileChannels + D,
      this.colorizationHiddenDim, 2));
    this.normStats = this.imageNormStats ? new ImageNormStats(this.encoder) : undefined;
  }

  /** One view (crop scale [0.6, 1], flip, normalisation); checks colour and that the grid fits. @example method.augmentation(spec) */
  augmentation(spec: ImageSpec): MultiView {
    checkColour(spec, 'DamagedJigsaw', 'its tiles lose their colour and the network restores it');
    checkGridFits(spec.size, jigsawGeometry(spec.size, this.tileSize), 'DamagedJigsaw', spec.dataset);
    this.pixelStd = [...spec.std];
    this.pixelMean = [...spec.mean];
    return pretextView(spec, [0.6, 1]);
  }

  /**
   * Draws a damaged puzzle per image: tile positions, permutation, missing position.
   * @example const task = method.drawTask(x, new torch.Generator().manualSeed(0));
   */
  drawTask(x: Tensor, generator?: Generator): DamagedJigsawTask {
    const geometry = jigsawGeometry(x.shape[2], this.tileSize);
    checkGridFits(Math.min(x.shape[2], x.shape[3]), geometry, 'DamagedJigsaw');
    const origins = gridOrigins(x.shape[0], x.shape[2], x.shape[3], geometry, generator).to({ device: x.device });
    const labels = torch.randint(0, this.numPermutations, [x.shape[0]], { generator }).to({ device: x.device });
    const missing = torch.randint(0, 9, [x.shape[0]], { generator }).to({ device: x.device });
    return { origins, labels, missing };
  }

  /**
   * The shuffled colour tiles (B, 9, C, P, P) of `task` on `x` (the targets) and the damaged ones the encoder sees.
   * @example const { tiles, damaged } = method.puzzle(x, task);
   */
  puzzle(x: Tensor, task: DamagedJigsawTask): { tiles: Tensor; damaged: Tensor } {
    const [B, C] = x.shape;
    const P = this.tileSize;
    const grid = patchesAt(x, task.origins, P); // (B, 9, C, P, P), row-major
    const order = this.permTable.to({ device: x.device }).indexSelect(0, task.labels); // (B, 9)
    const tiles = grid.gather(1, order.view([B, 9, 1, 1, 1]).expand([B, 9, C, P, P])); // position i <- tile order[i]
    // Colour removed: the luma of the unnormalised pixels (the mean offset cancels in the standardisation).
    const w = [0.2989, 0.587, 0.114].map((v, c) => v * (this.pixelStd[c] ?? 1));
    const luma = C === 3 ? torch.tensor(w, { dtype: x.dtype, device: x.device }).view([1, 1, 3, 1, 1]).mul(tiles).sum([2], true)
      : tiles;
    const gray = standardizeTiles(luma.expand([B, 9, C, P, P]).contiguous());
    const present = torch.arange(9, { device: x.device }).view([1, 9]).ne(task.missing.view([B, 1])); // (B, 9)
    const damaged = gray.mul(present.to(gray.dtype).view([B, 9, 1, 1, 1]));
    return { tiles, damaged };
  }

  /**
   * The three losses of `task` on images `x` and their weighted sum.
   * @example const { loss, inpainting } = method.taskLoss(x, method.drawTask(x));
   */
  taskLoss(x: Tensor, task: DamagedJigsawTask): DamagedJigsawLoss {
    const [B, C] = x.shape;
    const P = this.tileSize;
    if (C !== this.tileChannels) {
      throw new RangeError(`DamagedJigsaw was built for ${this.tileChannels}-channel images (the encoder's inChannels) ` +
        `but received images of shape [${x.shape.join(', ')}]`);
    }
    const { tiles, damaged } = this.puzzle(x, task);
    const features = this.encoder.forward(damaged.view([B * 9, C, P, P])); // (9B, D)
    const joined = features.reshape([B, -1]); // (B, 9D), in puzzle order
    const logits = this.jigsawHead.forward(joined); // (B, N)
    const inpainted = this.inpaintingHead.forward(joined).view([B, C, P, P]);
    const ab = this.colourHead(damaged.view([B * 9, C, P * P]).transpose(1, 2), features); // (9B, P P, 2)
    const lab = this.tileLab(tiles); // (9B, 3, P, P), no gradient
    const abTarget = lab.narrow(1, 1, 2).div(AB_SCALE).flatten(2).transpose(1, 2); // (9B, P P, 2)
    const target = tiles.gather(1, task.missing.view([B, 1, 1, 1, 1]).expand([B, 1, C, P, P])).squeeze(1); // (B, C, P, P)
    const present = torch.arange(9, { device: x.device }).view([1, 9]).ne(task.missing.view([B, 1]))
      .to('float32').view([B * 9, 1, 1]);
    const jigsaw = crossEntropy(logits.float(), task.labels);
    const inpainting = inpainted.float().sub(target.float()).square().mean();
    const colorization = ab.float().sub(abTarget).square().mul(present).sum().div(present.sum().mul(2 * P * P));
    const loss = jigsaw.mul(this.jigsawWeight).add(inpainting.mul(this.inpaintingWeight))
      .add(colorization.mul(this.colorizationWeight));
    const colorized = torch.noGrad(() => this.normalise(labToRgb(torch.cat([lab.narrow(1, 0, 1),
      ab.detach().float().mul(AB_SCALE).transpose(1, 2).reshape([B * 9, 2, P, P])], 1))).view([B, 9, C, P, P]));
    return { loss, jigsaw, inpainting, colorization, logits, inpainted, colorized, damaged, features };
  }

  /**
   * Each pixel's ab / 110 from its gray value and its tile's feature: `colorization_head` (Linear-ReLU-Linear) on
   * [gray, feature]. Its first layer is applied in two parts, the feature's once per tile and the gray value's per
   * pixel (the same sum, without a (9B, P P, C + D) concatenation: the per-pixel product over the feature's D
   * columns was most of the step's work). (9B, P P, C), (9B, D) -> (9B, P P, 2).
   */
  private colourHead(gray: Tensor, features: Tensor): Tensor {
    const first = this.colorizationHead.at(0) as Linear;
    const C = gray.shape[2];
    const perTile = features.matmul(first.weight.narrow(1, C, features.shape[1]).t()); // (9B, hidden)
    const hidden = gray.matmul(first.weight.narrow(1, 0, C).t()).add(perTile.unsqueeze(1));
    const withBias = first.bias === null ? hidden : hidden.add(first.bias);
    return this.colorizationHead.at(2).forward(withBias.relu());
  }

  /** CIE Lab (9B, 3, P, P) of normalised colour tiles (B, 9, 3, P, P), without gradient. */
  private tileLab(tiles: Tensor): Tensor {
    const [B, , C, P] = tiles.shape;
    return torch.noGrad(() => {
      const { mean, std } = this.pixelStats(C, tiles.device);
      return rgbToLab(tiles.reshape([B * 9, C, P, P]).float().mul(std).add(mean).clamp(0, 1));
    });
  }

  /** [0, 1] RGB (N, 3, P, P) normalised with the dataset's statistics, as the tiles. */
  private normalise(rgb: Tensor): Tensor {
    const { mean, std } = this.pixelStats(rgb.shape[1], rgb.device);
    return rgb.sub(mean).div(std);
  }

  /** The dataset's per-channel mean and std (set by `augmentation`) as float32 (1, C, 1, 1) on `device`. */
  private pixelStats(C: number, device: Device): { mean: Tensor; std: Tensor } {
    const stat = (values: readonly number[]): Tensor => torch.tensor(values.slice(0, C), { device }).view([1, C, 1, 1]);
    return { mean: stat(this.pixelMean), std: stat(this.pixelStd) };
  }

  /** The weighted sum of the three losses on a freshly drawn puzzle. @example method.trainingStep([x], progress) */
  trainingStep(views: Tensor[], _progress?: TrainProgress): StepOutput {
    const x = checkOneView(views, 'DamagedJigsaw');
    const task = this.drawTask(x);
    this.normStats?.beforeTask(x);
    const out = this.taskLoss(x, task);
    return {
      loss: out.loss, embedding: out.features.view([x.shape[0], 9, -1]).mean([1]).detach(),
      logs: { permutationAccuracy: accuracy(out.logits, task.labels), inpaintingError: out.inpainting.detach(),
        colorizationError: out.colorization.detach() },
    };
  }

  /** With `imageNormStats`: the buffers back, then updated from the step's whole images (`ImageNormStats`). */
  override afterOptimizerStep(_progress: TrainProgress): void {
    this.normStats?.afterStep();
  }

  /** Weight decay on weights only. @example method.parameterGroups(5e-4) */
  override parameterGroups(weightDecay: number): ParamGroup[] {
    return paramGroupsWeightDecay(this.namedParameters(), { weightDecay });
  }

  /** Frees the permutation table with the weights. */
  override dispose(): void {
    this.permTable.dispose();
    super.dispose();
  }
}
