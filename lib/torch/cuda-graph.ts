// CUDA graphs, as torch.cuda.CUDAGraph: record the kernels a function queues
// once, then replay them all with one launch. Replays read and write the same
// memory as the capture did: inputs are copied into static tensors first,
// outputs are read from the tensors the capture produced.
import { native } from './native';
import { withCaptureChecks, captureInProgress } from './capture-state';

/** What the native side hands back for a graph. */
type GraphHandle = unknown;

/**
 * A captured CUDA graph.
 *
 * Inside `capture(fn)` the rules of CUDA graphs hold, and calls that break
 * them fail with a message that says which: no reading tensors back to the
 * host (`item()`, `toArray()`), no copies from CPU tensors, no values set on
 * a `DeviceScalar`; shapes must be the same at every replay. Errors that CUDA
 * itself reports during capture (a synchronising operator such as `nonzero`)
 * are rethrown with the same advice.
 *
 * @example
 * const x = torch.zeros([64, 3, 32, 32], { device: 'cuda' });    // static input
 * const g = new torch.cuda.CUDAGraph();
 * let y!: torch.Tensor;
 * g.capture(() => { y = torch.keep(model.forward(x)); });
 * x.copy_(batch); g.replay();                                     // y holds the new output
 */
export class CUDAGraph {
  private handle: GraphHandle | undefined;
  private captured = false;

  constructor() {
    this.handle = native.cudaGraphCreate();
  }

  /** Whether a capture succeeded and `replay()` may be called. */
  get isCaptured(): boolean {
    return this.captured;
  }

  /**
   * Records what `fn` queues on the GPU (run once, on a side stream, with the
   * autocast weight cache off). Tensors that `fn` creates and frees come from
   * the graph's private memory pool; keep (`torch.keep`) the outputs you read.
   */
  capture(fn: () => void): void {
    const handle = this.live();
    if (this.captured) throw new Error('This CUDA graph was already captured: call reset() before capturing again');
    if (captureInProgress() !== null) throw new Error('CUDA graph capture cannot start inside another capture');
    const cache = native.autocastCacheEnabled();
    native.setAutocastCacheEnabled(false);
    try {
      native.cudaGraphCapture(handle, () => withCaptureChecks('CUDA graph capture', fn));
    } catch (e) {
      throw explainCaptureError(e);
    } finally {
      native.setAutocastCacheEnabled(cache);
    }
    this.captured = true;
  }

  /** Launches the captured kernels again (asynchronously, on the current stream). */
  replay(): void {
    const handle = this.live();
    if (!this.captured) throw new Error('replay() needs a captured CUDA graph: call capture(fn) first');
    native.cudaGraphReplay(handle);
  }

  /** Frees the captured graph (its memory pool too, once its tensors are freed); capture may be called again. */
  reset(): void {
    native.cudaGraphReset(this.live());
    this.captured = false;
  }

  /** Frees the graph now; the object cannot be used afterwards. */
  dispose(): void {
    if (this.handle === undefined) return;
    if (this.captured) native.cudaGraphReset(this.handle);
    this.handle = undefined;
    this.captured = false;
  }

  private live(): GraphHandle {
    if (this.handle === undefined) throw new Error('This CUDA graph was disposed');
    return this.handle;
  }
}

/**
 * Runs `fn` on a side stream (PyTorch asks for warm-up iterations there
 * before a capture), with the device idle before and after; returns its result.
 * @example torch.cuda.onSideStream(() => { for (let i = 0; i < 3; i++) step(); });
 */
export function onSideStream<T>(fn: () => T): T {
  return native.cudaOnSideStream(fn) as T;
}

/**
 * Runs `fn` once, eagerly, with the capture rules that can be checked in
 * JavaScript enforced (no host reads, no CPU-to-GPU copies, no
 * `DeviceScalar.set`), and returns its result: a rehearsal that reports an
 * uncapturable step with a clear message, on any device (CPU included).
 *
 * @example
 * torch.cuda.checkCapturable(() => step(views));   // throws: item() reads a tensor back ...
 */
export function checkCapturable<T>(fn: () => T): T {
  return withCaptureChecks('checkCapturable', fn);
}

/**
 * Whether a CUDA graph capture (or a `checkCapturable` rehearsal) is running now.
 * @example const m = torch.cuda.isCapturing() ? momentum.tensor : momentum.value;
 */
export function isCapturing(): boolean {
  return captureInProgress() !== null;
}

/** A libtorch/CUDA error raised during capture, with what usually causes it and what to do. */
function explainCaptureError(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  if (/during (CUDA graph capture|checkCapturable)/.test(e.message)) return e; // already ours
  const err = new Error(`The step cannot be captured in a CUDA graph: ${e.message}. Common causes: an operator that ` +
    'synchronises with the host (nonzero, masked_select, unique, boolean-mask indexing, item()), a CPU tensor used ' +
    'with GPU ones, or a shape that depends on the data. Train without CUDA graphs (cudaGraph: false) to run it eagerly');
  (err as Error & { cause?: unknown }).cause = e;
  return err;
}
