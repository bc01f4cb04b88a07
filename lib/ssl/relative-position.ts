// Relative patch position (Doersch, Gupta & Efros 2015, "Unsupervised Visual
// Representation Learning by Context Prediction"): given the centre patch of
// a 3x3 grid and one of its 8 neighbours, say which neighbour it is.
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
import { ImageNormStats } from './pretext/image-norm-stats';

/** How colour input is kept from giving the position away through chromatic aberration (section 4.1). */
export type ChromaticGuard = 'projection' | 'drop' | 'none';

/** RelativePosition's options besides the encoder and the recipe: defaults and checks. */
export const RELATIVE_POSITION_OPTIONS = defineOptions({
  /**
   * Colour input only: 'projection' (default) removes the green-magenta
   * component of every pixel; 'drop' keeps one random channel and replaces the
   * two others with noise; 'none'. Ignored for one-channel images.
   */
  chromatic: option<ChromaticGuard>('projection', is.oneOf(['projection', 'drop', 'none'])),
  /** Hidden width of the pair classifier. Default 512. */
  hiddenDim: option(512, is.int(1)),
  /** Patch side in px. Default floor((size - 4) / 4): 15 px patches at 64 px. */
  patchSize: option(OPTIONAL, is.int(1)),
  /** Gap between patches. Default half the patch (section 3: "a gap of approximately half the patch width"). */
  gap: option(OPTIONAL, is.int(0)),
  /** Random jitter of each patch. Default 2 px (the paper: up to 7 px for 96 px patches). */
  jitter: option(OPTIONAL, is.int(0)),
  /**
   * Keep the encoder's buffers (batch-norm running statistics) those of the
   * whole images rather than of the patches, the task's inputs (`ImageNormStats`:
   * the task and its gradient unchanged; after the optimizer step the
   * buffers are restored and updated by a no-grad pass over the step's whole
   * images, what the frozen encoder is evaluated on). Default false (the
   * paper transfers weights, not statistics). See docs/pretext.md,
   * "Whole-image batch-norm statistics".
   */
  imageNormStats: option(false, is.boolean),
});

/** Options of `RelativePosition`: the encoder (a name, a factory or an instance), `RELATIVE_POSITION_OPTIONS`, and recipe overrides. */
export type RelativePositionOptions = MethodOptions<typeof RELATIVE_POSITION_OPTIONS>;

/** SGD with momentum, weight decay 5e-4 (the paper trains its AlexNet-style network with SGD, section 4). */
export const RELATIVE_POSITION_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'sgd', lr: 0.05, lrScaling: 'linear', finalLrRatio: 0, weightDecay: 5e-4, momentum: 0.9,
  warmupEpochs: 0,
});

/** A drawn task: where the 9 patches sit and which neighbour is shown. */
export interface RelativePositionTask {
  /** int64 (B, 9, 2): top-left [y, x] of the grid's patches, row-major. */
  origins: Tensor;
  /** int64 (B): the neighbour's class 0..7 (grid cells 0,1,2,3,5,6,7,8 in that order). */
  labels: Tensor;
  /** int64 (B): for 'drop', the colour channel kept; unused otherwise. */
  keep: Tensor;
  /** (B, 3, P, P) noise for the dropped channels ('drop' only). */
  noise?: Tensor;
}

/**
 * Relative patch position: `encoder` (shared by both patches) and `pair_head`
 * on the concatenated features ("late fusion", section 3: the two patches are
 * encoded separately up to fc6 and joined after). 8-way cross entropy;
 * `positionAccuracy` is logged.
 *
 * @example
 * const method = new ssl.RelativePosition({ encoder: 'small_cnn', encoderOptions: { inChannels: 3 } });
 */
export interface RelativePosition extends Readonly<TableValues<typeof RELATIVE_POSITION_OPTIONS>> {}
export class RelativePosition extends Method {
  readonly name = 'relative_position' as const;
  readonly encoder: Encoder;
  readonly pairHead: Sequential;
  readonly recipe: OptimizerRecipe;
  /** With `imageNormStats`: keeps the encoder's batch-norm statistics whole images'. */
  private readonly normStats: ImageNormStats | undefined;

  constructor(options: RelativePositionOptions) {
    super();
    this.useOptions(RELATIVE_POSITION_OPTIONS, options);
    this.recipe = resolveRecipe(RELATIVE_POSITION_RECIPE, options.recipe, 'RelativePosition');
    this.encoder = this.registerModule('encoder',
      makeEncoder(options.encoder, options.encoderOptions, { needsFactory: false, method: 'RelativePosition' })());
    this.pairHead = this.registerModule('pair_head', classifier(2 * this.encoder.featureDim, this.hiddenDim, 8));
    this.normStats = this.imageNormStats ? new ImageNormStats(this.encoder) : undefined;
  }

  /** The grid for images of `size` px (options override the defaults). @example method.geometry(64) */
  geometry(size: number): GridGeometry {
    const patchSize = this.patchSize ?? Math.max(1, Math.floor((size - 4) / 4));
    return { grid: 3, patchSize, gap: this.gap ?? Math.floor(patchSize / 2), jitter: this.jitter ?? 2 };
  }

  /** One view (crop scale [0.6, 1], flip, normalisation); checks that the grid fits. @example method.augmentation(spec) */
  augmentation(spec: ImageSpec): MultiView {
    checkGridFits(spec.size, this.geometry(spec.size), 'RelativePosition', spec.dataset);
    return pretextView(spec, [0.6, 1]);
  }

  /** Draws the grid, the neighbour and the colour-drop choices. @example method.drawTask(x, g) */
  drawTask(x: Tensor, generator?: Generator): RelativePositionTask {
    const [B, C, H, W] = x.shape;
    const g = this.geometry(H);
    const origins = gridOrigins(B, H, W, g, generator).to({ device: x.device });
    const labels = torch.randint(0, 8, [B], { generator }).to({ device: x.device });
    const keep = torch.randint(0, 3, [B], { generator }).to({ device: x.device });
    const noise = this.chromatic === 'drop' && C === 3
      ? torch.randn([B, 3, g.patchSize, g.patchSize], { generator }).to({ device: x.device }) : undefined;
    return { origins, labels, keep, noise };
  }

  /** Section 4.1's guards against chromatic aberration, on (B, 3, P, P) patches. */
  private guard(p: Tensor, task: RelativePositionTask): Tensor {
    if (p.shape[1] !== 3 || this.chromatic === 'none') return p;
    if (this.chromatic === 'projection') {
      // "shift green and magenta toward gray": remove the component along (-1, 2, -1) / sqrt(6).
      const g = torch.tensor([-1, 2, -1], { dtype: p.dtype, device: p.device }).div(Math.sqrt(6)).view([1, 3, 1, 1]);
      return p.sub(g.mul(p.mul(g).sum([1], true)));
    }
    // "color dropping": keep one channel, replace the others with Gaussian noise of
    // 1/100 of the kept channel's standard deviation.
    const B = p.shape[0];
    const mask = torch.arange(3, { device: p.device }).view([1, 3]).eq(task.keep.view([B, 1])).view([B, 3, 1, 1]);
    const kept = p.mul(mask.to(p.dtype)).sum([1], true); // (B, 1, P, P)
    const scale = kept.flatten(1).std([1], true, true).div(100).view([B, 1, 1, 1]);
    return torch.where(mask, p, task.noise!.mul(scale));
  }

  /** The loss and logits of `task` on `x`. @example method.taskLoss(x, method.drawTask(x)) */
  taskLoss(x: Tensor, task: RelativePositionTask): { loss: Tensor; logits: Tensor; features: Tensor } {
    const features = this.encoder.forward(this.pairs(x, task)); // (2B, D)
    const [fc, fn] = features.chunk(2, 0);
    const logits = this.pairHead.forward(torch.cat([fc, fn], 1)); // (B, 8)
    return { loss: crossEntropy(logits.float(), task.labels), logits, features: fc };
  }

  /**
   * What the encoder sees: the centre patches, then the neighbours (2B, C, P, P), chromatic guard applied.
   * @example const both = method.pairs(x, method.drawTask(x));
   */
  pairs(x: Tensor, task: RelativePositionTask): Tensor {
    const B = x.shape[0];
    const P = this.geometry(x.shape[2]).patchSize;
    const patches = patchesAt(x, task.origins, P); // (B, 9, C, P, P)
    const cell = task.labels.add(task.labels.ge(4).to('int64')); // classes 0..7 -> cells 0..3, 5..8
    const centre = patches.select(1, 4);
    const neighbour = patches.gather(1, cell.view([B, 1, 1, 1, 1]).expand([B, 1, ...patches.shape.slice(2)])).squeeze(1);
    return torch.cat([this.guard(centre, task), this.guard(neighbour, task)], 0); // (2B, C, P, P)
  }

  /** 8-way cross entropy of the neighbour's position. @example method.trainingStep([x], progress) */
  trainingStep(views: Tensor[], _progress?: TrainProgress): StepOutput {
    const x = checkOneView(views, 'RelativePosition');
    const task = this.drawTask(x);
    this.normStats?.beforeTask(x);
    const { loss, logits, features } = this.taskLoss(x, task);
    return { loss, embedding: features.detach(), logs: { positionAccuracy: accuracy(logits, task.labels) } };
  }

  /** With `imageNormStats`: the buffers back, then updated from the step's whole images (`ImageNormStats`). */
  override afterOptimizerStep(_progress: TrainProgress): void {
    this.normStats?.afterStep();
  }
}
