// c10d's DDP Reducer (the engine of torch.nn.parallel.DistributedDataParallel)
// and the coalesced broadcast DDP starts with: lib/nn/parallel builds on them.
import { Tensor } from '../tensor';
import { noGrad } from '../autograd';
import { dist, ReducerHandle } from './addon';
import { defaultGroup } from './process-group';

export interface ReducerOptions {
  /** Bucket size in bytes after the first iteration; PyTorch's default 25 MiB. */
  bucketBytes: number;
  /** The first bucket's size (small so communication starts early); PyTorch's 1 MiB. */
  firstBucketBytes: number;
  findUnusedParameters: boolean;
  gradientAsBucketView: boolean;
}

/**
 * Registers autograd hooks on `params` that copy each gradient into a bucket
 * as backward produces it and all-reduce (average) a bucket as soon as it is
 * full, overlapping communication with the rest of backward; backward ends
 * after every bucket is reduced and copied back into `.grad`.
 *
 * @example
 * const r = new Reducer(model.parameters(), { bucketBytes: 25 << 20, firstBucketBytes: 1 << 20, findUnusedParameters: false, gradientAsBucketView: false });
 * r.prepareForward(); const loss = f(model); r.prepareForBackward([]); loss.backward();
 */
export class Reducer {
  private handle: ReducerHandle | null;

  constructor(params: readonly Tensor[], options: ReducerOptions) {
    const g = defaultGroup('DistributedDataParallel');
    this.handle = dist.distReducerCreate(g.handle, params.map((p) => p._h), options.bucketBytes,
      options.firstBucketBytes, options.findUnusedParameters, options.gradientAsBucketView);
  }

  private live(): ReducerHandle {
    if (!this.handle) throw new Error('DistributedDataParallel: the reducer was disposed');
    return this.handle;
  }

  /** Before a forward whose backward reduces gradients; rebuilds buckets after the first one. Returns true when it rebuilt them. */
  prepareForward(): boolean {
    try {
      return dist.distReducerPrepareForward(this.live());
    } catch (e) {
      const message = (e as Error).message;
      // c10d names PyTorch's keyword; say what it is called here.
      if (!/find_unused_parameters/.test(message)) throw e;
      throw new Error(`${message}\nIn selfsup: findUnusedParameters: true (DistributedDataParallel's option, or the ` +
        'Trainer\'s distributed: { findUnusedParameters: true })');
    }
  }

  /** After that forward: arms the hooks (with findUnusedParameters, `outputs` find the unused parameters). */
  prepareForBackward(outputs: readonly Tensor[]): void {
    dist.distReducerPrepareForBackward(this.live(), outputs.map((t) => t._h));
  }

  /** Removes the hooks and frees the buckets. */
  dispose(): void {
    if (this.handle) dist.distReducerDestroy(this.handle);
    this.handle = null;
  }
}

/**
 * Copies rank `src`'s tensors into every rank's, in place, packed into
 * buffers of at most `bufferBytes` (blocking), as PyTorch's
 * `_broadcast_coalesced`: DDP's start-up sync of parameters and buffers.
 *
 * @example
 * broadcastCoalesced(model.parameters(), 0);
 */
export function broadcastCoalesced(tensors: readonly Tensor[], src = 0, bufferBytes = 250 * 1024 * 1024): void {
  const g = defaultGroup('broadcastCoalesced');
  if (tensors.length === 0) return;
  // In place into parameters: outside autograd, as PyTorch's torch.no_grad() around it.
  noGrad(() => dist.distBroadcastCoalesced(g.handle, tensors.map((t) => t._h), src, bufferBytes));
}
