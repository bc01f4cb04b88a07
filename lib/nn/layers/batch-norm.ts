// Batch normalisation with running statistics: BatchNorm1d and BatchNorm2d,
// as torch.nn.BatchNorm1d / BatchNorm2d.
import { Tensor, ones, zeros } from '../../torch';
import { Module } from '../module';
import { batchNorm } from '../functional/normalization';
import { ones_, zeros_ } from '../init';
import { expectDims, nonNegativeNumber, positiveInt, probability } from '../../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../../torch/option-table';
import { pyBool, pyFloat } from './repr';

/** Options of the batch norm layers, as torch.nn.BatchNorm2d's keyword arguments. */
export interface BatchNormOptions {
  /** Added to the variance for numerical stability. Default 1e-5. */
  eps?: number;
  /**
   * Weight of the new batch statistics in the running ones:
   * `running = (1 - momentum) * running + momentum * batch`. `null` keeps a
   * cumulative (equal-weight) average instead. Default 0.1.
   */
  momentum?: number | null;
  /** Learn a per-channel scale (`weight`) and shift (`bias`). Default true. */
  affine?: boolean;
  /** Keep running statistics for evaluation; without them the batch statistics are always used. Default true. */
  trackRunningStats?: boolean;
}

// The defaults of BatchNormOptions, as torch.nn's keyword arguments.
const BATCH_NORM_OPTIONS = defineOptions({
  eps: option(1e-5, nonNegativeNumber),
  momentum: option<number | null>(0.1, (v, what) => (v === null ? null : probability(v, what))),
  affine: option(true, is.boolean),
  trackRunningStats: option(true, is.boolean),
});

/**
 * The shared body of BatchNorm1d and BatchNorm2d, as PyTorch's `_BatchNorm`.
 * Keys: `weight`, `bias` (numFeatures, with `affine`), `running_mean`,
 * `running_var` (numFeatures) and `num_batches_tracked` (an int64 scalar),
 * with `trackRunningStats`.
 */
export abstract class BatchNorm extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  /** Scale (numFeatures), ones at first; null without `affine`. */
  readonly weight: Tensor | null;
  /** Shift (numFeatures), zeros at first; null without `affine`. */
  readonly bias: Tensor | null;
  /** Running mean (numFeatures), updated in place in training; null without `trackRunningStats`. */
  readonly runningMean: Tensor | null;
  /** Running (unbiased) variance (numFeatures), updated in place in training. */
  readonly runningVar: Tensor | null;
  /** Training batches seen (int64 scalar), updated in place in training. */
  readonly numBatchesTracked: Tensor | null;

  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super();
    this.numFeatures = positiveInt(numFeatures, 'numFeatures');
    const o = BATCH_NORM_OPTIONS.resolve(options, optionsKey);
    this.eps = o.eps;
    this.momentum = o.momentum;
    this.affine = o.affine;
    this.trackRunningStats = o.trackRunningStats;
    this.weight = this.registerParameter('weight', this.affine ? ones([this.numFeatures]) : null);
    this.bias = this.registerParameter('bias', this.affine ? zeros([this.numFeatures]) : null);
    const track = this.trackRunningStats;
    this.runningMean = this.registerBuffer('running_mean', track ? zeros([this.numFeatures]) : null);
    this.runningVar = this.registerBuffer('running_var', track ? ones([this.numFeatures]) : null);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', track ? zeros([], { dtype: 'int64' }) : null);
  }

  /** Resets the running statistics (mean 0, variance 1, no batches), as `reset_running_stats()`. */
  resetRunningStats(): void {
    if (this.runningMean) zeros_(this.runningMean);
    if (this.runningVar) ones_(this.runningVar);
    this.numBatchesTracked?.zero_();
  }

  /** Resets running statistics, weight (ones) and bias (zeros), as `reset_parameters()`. */
  resetParameters(): void {
    this.resetRunningStats();
    if (this.weight) ones_(this.weight);
    if (this.bias) zeros_(this.bias);
  }

  /** @internal Throws unless the input has a layout this layer accepts. */
  protected abstract checkInput(x: Tensor): void;

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    if (this.training) {
      const perChannel = x.numel() / x.shape[1];
      if (perChannel <= 1) {
        throw new RangeError(`Expected more than 1 value per channel when training ${this.typeName} but received ` +
          `input shape [${x.shape.join(', ')}]`);
      }
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked !== null) {
      this.numBatchesTracked.add_(1);
      // NOTE: a cumulative average (momentum null) reads the batch count back
      // from the device, as PyTorch does; a numeric momentum never does.
      if (this.momentum === null) factor = 1 / Number(this.numBatchesTracked.item());
    }
    // In evaluation without running statistics the batch statistics are used, as PyTorch.
    const useBatchStats = this.training || this.runningMean === null;
    const updateStats = !this.training || this.trackRunningStats;
    return batchNorm(x, updateStats ? this.runningMean : null, updateStats ? this.runningVar : null, {
      weight: this.weight, bias: this.bias, training: useBatchStats, momentum: factor, eps: this.eps,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${this.momentum === null ? 'None' : pyFloat(this.momentum)}, ` +
      `affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

/**
 * Batch normalisation over (N, C) or (N, C, L) input, as `torch.nn.BatchNorm1d`.
 * @example
 * const bn = new nn.BatchNorm1d(256);
 * bn.forward(torch.randn([32, 256])); // normalised per feature with the batch statistics
 */
export class BatchNorm1d extends BatchNorm {
  protected checkInput(x: Tensor): void {
    expectDims(x, [2, 3], 'BatchNorm1d', '(N, C) or (N, C, L)');
  }
}

/**
 * Batch normalisation over (N, C, H, W) input, as `torch.nn.BatchNorm2d`:
 * batch statistics (and running-statistics updates) in training, the running
 * statistics in evaluation.
 * @example
 * const bn = new nn.BatchNorm2d(64);
 * bn.forward(torch.randn([8, 64, 16, 16]));
 * bn.eval(); // now uses running_mean / running_var
 */
export class BatchNorm2d extends BatchNorm {
  protected checkInput(x: Tensor): void {
    expectDims(x, [4], 'BatchNorm2d', '(N, C, H, W)');
  }
}
