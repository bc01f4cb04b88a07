// Whole-image batch-norm statistics for a pretext task's encoder. The task
// feeds the encoder something else than what the frozen encoder is judged on
// (tiles, patches, masked images), and in train mode its batch norms fold the
// statistics of those inputs into their running buffers. This keeps the
// task's forward pass and gradient as they are and puts the buffers where the
// evaluation needs them: those of the step's whole images.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { TensorModule } from '../../nn';

/**
 * Per step: `beforeTask(images)` (in `trainingStep`, before the task's
 * forward pass) keeps a copy of the encoder's buffers and the step's whole
 * images; `afterStep()` (in `afterOptimizerStep`) puts the buffers back and
 * updates them by a no-grad pass of the encoder over those images, one
 * momentum update of whole-image statistics instead of the task inputs'.
 *
 * NOTE: the buffers are restored after the optimizer step, not after the
 * task's forward pass: the backward pass checks that the running statistics
 * it saved are unchanged. The task's batch norms still normalise by the
 * task inputs' own batch statistics (in train mode running buffers are not
 * read), so the loss and the gradient are the task's.
 *
 * @example
 * // in the constructor, when the option is on:
 * this.normStats = this.imageNormStats ? new ImageNormStats(this.encoder) : undefined;
 * // trainingStep:        this.normStats?.beforeTask(x);
 * // afterOptimizerStep:  this.normStats?.afterStep();
 */
export class ImageNormStats {
  /** The buffers before this step's task pass and its whole images, for `afterStep`. */
  private pending: { saved: Tensor[]; images: Tensor } | undefined;

  /** @param encoder the module whose buffers (batch-norm running statistics) should be whole images'. */
  constructor(readonly encoder: TensorModule) {}

  /**
   * Keeps the buffers as they are and the step's whole `images` (B, C, H, W), the encoder's evaluation inputs.
   * @example this.normStats?.beforeTask(x);
   */
  beforeTask(images: Tensor): void {
    this.pending = { saved: this.encoder.buffers().map((b) => b.clone()), images };
  }

  /**
   * Undoes the task pass's update of the buffers and updates them from the
   * kept whole images instead. Does nothing without a `beforeTask` since the last call.
   * @example this.normStats?.afterStep();
   */
  afterStep(): void {
    const pending = this.pending;
    if (pending === undefined) return;
    this.pending = undefined;
    this.encoder.buffers().forEach((b, i) => b.copy_(pending.saved[i]));
    torch.noGrad(() => this.encoder.forward(pending.images));
  }
}
