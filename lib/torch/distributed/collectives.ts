// Collectives on the default group, as torch.distributed's: each returns a
// Promise that settles when c10d's work completes (waited for off the event
// loop), so a rank can keep serving I/O while it communicates.
import { Tensor } from '../tensor';
import { stack } from '../functions';
import { dist } from './addon';
import { defaultGroup } from './process-group';
import { defineOptions, is, option } from '../option-table';

/** torch.distributed.ReduceOp's names. 'avg' on Gloo sums, then divides by the world size. */
export type ReduceOp = 'sum' | 'avg' | 'product' | 'min' | 'max';
const REDUCE_OPS: readonly ReduceOp[] = ['sum', 'avg', 'product', 'min', 'max'];

export interface CollectiveOptions {
  /** Milliseconds before the Promise rejects; default the group's timeout. */
  timeout?: number;
}

export interface AllReduceOptions extends CollectiveOptions {
  /** Default 'sum'. */
  op?: ReduceOp;
}

export interface BroadcastOptions extends CollectiveOptions {
  /** The rank whose tensor every rank receives; default 0. */
  src?: number;
}

function checkTensor(value: unknown, what: string): Tensor {
  if (!(value instanceof Tensor)) throw new TypeError(`Expected a Tensor for ${what} but received ${typeof value}`);
  if (value.isDisposed) throw new Error(`Expected a live Tensor for ${what} but it was disposed`);
  return value;
}

function timeoutOf(options: CollectiveOptions, fallback: number): number {
  const t = options.timeout ?? fallback;
  if (!Number.isInteger(t) || t < 1) throw new Error(`Expected a positive integer (milliseconds) for timeout but received ${t}`);
  return t;
}

function checkOp(op: unknown): ReduceOp {
  if (!REDUCE_OPS.includes(op as ReduceOp)) throw new Error(`Expected op ${REDUCE_OPS.map((o) => `'${o}'`).join(', ')} but received '${String(op)}'`);
  return op as ReduceOp;
}

// The defaults of AllReduceOptions and BroadcastOptions, as PyTorch's (the
// timeout's is the group's). src is checked against the group's world size.
const ALL_REDUCE_OPTIONS = defineOptions({ op: option<ReduceOp>('sum', checkOp) });
const BROADCAST_OPTIONS = defineOptions({ src: option(0, is.checkedLater<number>()) });

/**
 * Reduces `tensor` across all ranks, in place, and resolves to it. The tensor
 * must be contiguous; do not change or dispose it before the Promise settles.
 *
 * @example
 * const loss = torch.tensor([localLoss]);
 * await torch.distributed.allReduce(loss, { op: 'avg' }); // the mean over ranks on every rank
 */
export async function allReduce(tensor: Tensor, options: AllReduceOptions = {}): Promise<Tensor> {
  const g = defaultGroup('allReduce');
  const t = checkTensor(tensor, 'allReduce\'s tensor');
  const { op } = ALL_REDUCE_OPTIONS.resolve(options, (k) => k);
  await dist.distAllReduce(g.handle, [t._h], op, timeoutOf(options, g.timeoutMs));
  return t;
}

/**
 * Copies rank `src`'s tensor into `tensor` on every rank, in place.
 *
 * @example
 * await torch.distributed.broadcast(weights, { src: 0 });
 */
export async function broadcast(tensor: Tensor, options: BroadcastOptions = {}): Promise<Tensor> {
  const g = defaultGroup('broadcast');
  const t = checkTensor(tensor, 'broadcast\'s tensor');
  const { src } = BROADCAST_OPTIONS.resolve(options, (k) => k);
  if (!Number.isInteger(src) || src < 0 || src >= g.worldSize) {
    throw new Error(`Expected src from 0 to ${g.worldSize - 1} but received ${src}`);
  }
  await dist.distBroadcast(g.handle, [t._h], src, timeoutOf(options, g.timeoutMs));
  return t;
}

/**
 * Every rank's `tensor` (same shape on all ranks), in rank order. PyTorch's
 * `all_gather(tensor_list, tensor)` fills a list; this returns it. No
 * gradient flows through it: use `allGatherWithGrad` for that.
 *
 * @example
 * const parts = await torch.distributed.allGather(torch.tensor([rank]));
 */
export async function allGather(tensor: Tensor, options: CollectiveOptions = {}): Promise<Tensor[]> {
  const g = defaultGroup('allGather');
  const t = checkTensor(tensor, 'allGather\'s tensor');
  const handles = await dist.distAllGather(g.handle, t._h, timeoutOf(options, g.timeoutMs));
  return handles.map((h) => new Tensor(h));
}

/**
 * Reduces `inputList` (one tensor per rank, each shaped like `output`) across
 * ranks and writes this rank's share into `output`, as
 * `torch.distributed.reduce_scatter`. Gloo in libtorch 1.13 has no
 * reduce-scatter, so this all-reduces the concatenation and keeps this rank's
 * slice (the same result; world-size times the traffic).
 *
 * @example
 * await torch.distributed.reduceScatter(out, [a, b]); // on 2 ranks: out = (a0 + a1) on rank 0, (b0 + b1) on rank 1
 */
export async function reduceScatter(output: Tensor, inputList: readonly Tensor[], options: AllReduceOptions = {}): Promise<Tensor> {
  const g = defaultGroup('reduceScatter');
  const out = checkTensor(output, 'reduceScatter\'s output');
  if (!Array.isArray(inputList) || inputList.length !== g.worldSize) {
    throw new Error(`Expected reduceScatter's inputList to hold ${g.worldSize} tensors (one per rank) but received ${Array.isArray(inputList) ? inputList.length : typeof inputList}`);
  }
  inputList.forEach((t, i) => {
    checkTensor(t, `reduceScatter's inputList[${i}]`);
    if (t.shape.join() !== out.shape.join()) {
      throw new Error(`Expected reduceScatter's inputList[${i}] shaped [${out.shape.join(', ')}] like output but received [${t.shape.join(', ')}]`);
    }
  });
  const { op } = ALL_REDUCE_OPTIONS.resolve(options, (k) => k);
  const flat = stack(inputList, 0); // (worldSize, ...output.shape)
  try {
    await dist.distAllReduce(g.handle, [flat._h], op, timeoutOf(options, g.timeoutMs));
    const mine = flat.select(0, g.rank);
    out.copy_(mine);
    mine.dispose();
  } finally {
    flat.dispose();
  }
  return out;
}

/**
 * Resolves once every rank has called it.
 *
 * @example
 * await torch.distributed.barrier();
 */
export async function barrier(options: CollectiveOptions = {}): Promise<void> {
  const g = defaultGroup('barrier');
  await dist.distBarrier(g.handle, timeoutOf(options, g.timeoutMs));
}

/**
 * Every rank's `tensor` concatenated along dim 0, with gradient: backward
 * sums the gradients of all ranks for this rank's rows (an all-reduce), as
 * `torch.distributed.nn.all_gather` and the GatherLayer of SimCLR's and MoCo
 * v3's code, so a loss over the global batch trains every rank's encoder.
 * Blocking (it is a step of the autograd graph); same shape on every rank.
 *
 * @example
 * const all = torch.distributed.allGatherWithGrad(z); // (worldSize * B, D): global negatives
 */
export function allGatherWithGrad(tensor: Tensor): Tensor {
  const g = defaultGroup('allGatherWithGrad');
  const t = checkTensor(tensor, 'allGatherWithGrad\'s tensor');
  return new Tensor(dist.distAllGatherWithGrad(g.handle, t._h));
}
