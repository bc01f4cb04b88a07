// torch.nn.SyncBatchNorm: batch normalisation whose statistics cover the
// global batch (every rank's samples), with exact gradients through them.
import { Tensor, cat, distributed, full, noGrad } from '../../torch';
import { Module } from '../module';
import { BatchNorm } from '../layers/batch-norm';

/**
 * Batch norm over the batches of all ranks, as `torch.nn.SyncBatchNorm`. In
 * training with more than one rank, each rank sums x and x^2 per channel, the
 * sums (and sample counts) are all-gathered with gradient, and the mean and
 * biased variance of the global batch normalise the local samples; the
 * running variance gets the unbiased one. Elsewhere it is plain batch norm.
 * Build it with `SyncBatchNorm.convertSyncBatchnorm(model)`.
 *
 * @example
 * nn.parallel.SyncBatchNorm.convertSyncBatchnorm(model); // every BatchNorm1d/2d in model now syncs
 */
export class SyncBatchNorm extends BatchNorm {
  protected checkInput(x: Tensor): void {
    if (x.dim() < 2) throw new Error(`Expected input with at least 2 dimensions (N, C, ...) for SyncBatchNorm but received [${x.shape.join(', ')}]`);
  }

  override forward(x: Tensor): Tensor {
    const world = distributed.isInitialized() ? distributed.getWorldSize() : 1;
    if (!this.training || world === 1) return super.forward(x);
    this.checkInput(x);
    const c = x.shape[1];
    const dims = [0, ...x.shape.slice(2).map((_, i) => i + 2)];
    const count = x.numel() / c;
    const local = cat([x.sum(dims), x.mul(x).sum(dims), full([1], count, { dtype: x.dtype })], 0); // (2C + 1)
    const total = distributed.allGatherWithGrad(local.unsqueeze(0)).sum(0); // (2C + 1), summed over ranks
    const n = total.narrow(0, 2 * c, 1); // (1)
    const mean = total.narrow(0, 0, c).div(n); // (C)
    // NOTE: E[x^2] - E[x]^2 in the input's dtype; PyTorch combines per-rank
    // (mean, invstd, count) with Welford's formula, equal up to rounding.
    const variance = total.narrow(0, c, c).div(n).sub(mean.mul(mean)); // (C), biased
    this.updateRunning(mean, variance, Number(n.item()));
    const shape = [1, c, ...x.shape.slice(2).map(() => 1)];
    let y = x.sub(mean.reshape(shape)).div(variance.add(this.eps).sqrt().reshape(shape));
    if (this.weight) y = y.mul(this.weight.reshape(shape));
    if (this.bias) y = y.add(this.bias.reshape(shape));
    return y;
  }

  private updateRunning(mean: Tensor, variance: Tensor, n: number): void {
    if (!this.trackRunningStats || !this.runningMean || !this.runningVar || !this.numBatchesTracked) return;
    noGrad(() => {
      this.numBatchesTracked!.add_(1);
      const m = this.momentum ?? 1 / Number(this.numBatchesTracked!.item());
      this.runningMean!.mul_(1 - m).add_(mean.detach().mul(m));
      this.runningVar!.mul_(1 - m).add_(variance.detach().mul(m * n / Math.max(n - 1, 1)));
    });
  }

  /**
   * Turns every BatchNorm1d/BatchNorm2d in `module` into a SyncBatchNorm, in
   * place (same tensors, keys and fields), and returns `module`, as
   * `torch.nn.SyncBatchNorm.convert_sync_batchnorm`.
   *
   * @example
   * const model = nn.parallel.SyncBatchNorm.convertSyncBatchnorm(models.create('resnet18'));
   */
  static convertSyncBatchnorm<M extends Module>(module: M): M {
    for (const m of module.modules()) {
      // NOTE: models keep their layers in fields as well as in the module
      // tree, so a new object could not replace them everywhere; switching
      // the prototype converts the layer where it is, with its tensors.
      if (m instanceof BatchNorm && !(m instanceof SyncBatchNorm)) Object.setPrototypeOf(m, SyncBatchNorm.prototype);
    }
    return module;
  }
}
