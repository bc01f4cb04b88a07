// A queue of embeddings kept on the device as a ring buffer: MoCo's
// dictionary of negative keys and SwAV's queue of past embeddings.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Module } from '../nn/module';
import { normalize } from '../nn/functional';
import { checkInt } from '../torch/arguments';

/**
 * `length` embeddings of `dim` in a (length, dim) buffer `queue` with an
 * int64 write position `ptr` (both persistent buffers, so checkpoints hold
 * them and a resumed run continues from the same queue). `enqueue_` writes a
 * batch over the oldest rows and moves the position, entirely on the device
 * (no host read), so it can run inside a captured CUDA-graph step. The batch
 * size must divide the length (so a batch never wraps around), as MoCo's
 * `assert K % batch_size == 0`.
 *
 * @example
 * const queue = new EmbeddingQueue(65536, 128, { init: 'random' }); // MoCo: random unit vectors
 * queue.enqueue_(keys);                                            // keys (B, 128), B divides 65536
 */
export class EmbeddingQueue extends Module {
  readonly queue: Tensor;
  readonly ptr: Tensor;
  readonly length: number;
  readonly dim: number;

  constructor(length: number, dim: number, options: { init?: 'random' | 'zeros' } = {}) {
    super();
    this.length = checkInt(length, 'queue length', 1);
    this.dim = checkInt(dim, 'queue dim', 1);
    // NOTE: MoCo starts from random unit vectors ("initialize the queue"), SwAV from zeros (unused until full).
    const init = options.init === 'zeros' ? torch.zeros([this.length, this.dim])
      : torch.noGrad(() => normalize(torch.randn([this.length, this.dim]), { dim: 1 }));
    this.queue = this.registerBuffer('queue', init);
    this.ptr = this.registerBuffer('ptr', torch.zeros([1], { dtype: 'int64' }));
  }

  /**
   * Throws unless `batch` divides the queue length, naming both.
   * @example queue.checkBatch(256, 'MoCo v2 option queueLength');
   */
  checkBatch(batch: number, what: string): void {
    if (this.length % batch !== 0) {
      throw new RangeError(`${what} ${this.length} must be a multiple of the batch size ${batch} (each step replaces ` +
        `one batch of the queue); use a queue length such as ${Math.max(1, Math.round(this.length / batch)) * batch}`);
    }
  }

  /**
   * Writes `x` (B, dim) over the oldest B rows and advances the position by B
   * (mod length), without reading anything back to the host.
   * @example queue.enqueue_(normalize(keys, { dim: 1 }));
   */
  enqueue_(x: Tensor): void {
    const b = x.shape[0];
    this.checkBatch(b, 'The queue length');
    if (x.dim() !== 2 || x.shape[1] !== this.dim) {
      throw new RangeError(`Expected embeddings of shape (B, ${this.dim}) for the queue but received [${x.shape.join(', ')}]`);
    }
    torch.noGrad(() => torch.scope(() => {
      const rows = torch.arange(b, { device: this.ptr.device }).add(this.ptr); // (B) positions, ptr + 0..B-1
      torch.ops.aten.index_copy_(this.queue, 0, rows, x.detach().to(this.queue.dtype));
      torch.ops.aten.remainder_(this.ptr.add_(b), this.length);
    }));
  }
}
