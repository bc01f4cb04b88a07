// torch.nn.parallel.DistributedDataParallel on c10d's Reducer: the same
// buckets, hooks and averaging as PyTorch's DDP.
import { Tensor, isGradEnabled, distributed } from '../../torch';
import { Module } from '../module';
import { defineOptions, is, option } from '../../torch/option-table';

/** A module whose forward takes and returns tensors (what DDP wraps). */
export interface ForwardModule extends Module {
  forward(...inputs: never[]): unknown;
}

export interface DistributedDataParallelOptions {
  /** Gradient bucket size in MiB; default 25, as PyTorch. */
  bucketCapMb?: number;
  /** Copy rank 0's buffers (batch-norm statistics) to every rank before each forward; default true. */
  broadcastBuffers?: boolean;
  /** Let parameters go unused in a forward (finds them from the outputs); default false. */
  findUnusedParameters?: boolean;
  /** Gradients are views into the buckets (saves one copy of the gradients); default false. */
  gradientAsBucketView?: boolean;
}

const MIB = 1024 * 1024;

// The defaults of DistributedDataParallelOptions, as PyTorch's.
const DDP_OPTIONS = defineOptions({
  bucketCapMb: option(25, is.positive),
  broadcastBuffers: option(true, is.boolean),
  findUnusedParameters: option(false, is.boolean),
  gradientAsBucketView: option(false, is.boolean),
});

function tensorsIn(value: unknown, out: Tensor[] = []): Tensor[] {
  if (value instanceof Tensor) out.push(value);
  else if (Array.isArray(value)) for (const v of value) tensorsIn(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) tensorsIn(v, out);
  return out;
}

/**
 * Data-parallel training over the default process group, as
 * `torch.nn.parallel.DistributedDataParallel`: rank 0's parameters and
 * buffers are broadcast at construction; in training, backward all-reduces
 * (averages) the gradients in buckets as autograd produces them, overlapped
 * with the rest of backward, so every rank steps with the same gradient.
 * State-dict keys get the prefix `module.`, as PyTorch's.
 *
 * @example
 * await torch.distributed.initProcessGroup();
 * const ddp = new nn.parallel.DistributedDataParallel(model);
 * const loss = lossFn(ddp.forward(x)); loss.backward(); opt.step(); // gradients averaged over ranks
 */
export class DistributedDataParallel<M extends ForwardModule> extends Module {
  readonly module: M;
  readonly broadcastBuffers: boolean;
  readonly findUnusedParameters: boolean;
  private requireBackwardGradSync = true;
  private readonly reducer: distributed.Reducer;

  constructor(module: M, options: DistributedDataParallelOptions = {}) {
    super();
    if (!(module instanceof Module)) throw new TypeError('Expected a Module for DistributedDataParallel\'s module');
    const o = DDP_OPTIONS.resolve(options, (k) => k);
    this.module = this.registerModule('module', module);
    this.broadcastBuffers = o.broadcastBuffers;
    this.findUnusedParameters = o.findUnusedParameters;
    distributed.broadcastCoalesced([...module.parameters(), ...module.buffers()], 0);
    const params = module.parameters().filter((p) => p.requiresGrad);
    this.reducer = new distributed.Reducer(params, {
      bucketBytes: Math.round(o.bucketCapMb * MIB), firstBucketBytes: MIB,
      findUnusedParameters: this.findUnusedParameters, gradientAsBucketView: o.gradientAsBucketView,
    });
  }

  /** Runs the wrapped module's forward, arming the gradient all-reduce of the next backward. */
  forward(...inputs: Parameters<M['forward']>): ReturnType<M['forward']> {
    const sync = isGradEnabled() && this.requireBackwardGradSync;
    if (sync) this.reducer.prepareForward();
    if (this.broadcastBuffers) distributed.broadcastCoalesced(this.module.buffers(), 0);
    const out = (this.module.forward as (...a: unknown[]) => unknown)(...inputs) as ReturnType<M['forward']>;
    if (sync) this.reducer.prepareForBackward(this.findUnusedParameters ? tensorsIn(out) : []);
    return out;
  }

  /**
   * Runs `fn` (forwards and backwards) without reducing gradients: they
   * accumulate locally, and the first backward after it reduces the sum, as
   * PyTorch's `no_sync()` for gradient accumulation.
   *
   * @example
   * ddp.noSync(() => lossFn(ddp.forward(x1)).backward());
   * lossFn(ddp.forward(x2)).backward(); // reduces the gradients of both micro-batches
   */
  noSync<T>(fn: () => T): T {
    const previous = this.requireBackwardGradSync;
    this.requireBackwardGradSync = false;
    try {
      return fn();
    } finally {
      this.requireBackwardGradSync = previous;
    }
  }

  /** Releases the reducer's hooks and buckets, then the wrapped module's tensors (Module.dispose). */
  override dispose(): void {
    this.reducer.dispose();
    super.dispose();
  }
}
