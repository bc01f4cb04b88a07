// Scaled dot-product attention: softmax(q k^T * scale + mask) v.
import { Tensor } from '../../torch/tensor';
import { Op, op } from '../../torch/op';
import { ops as torchOps, OpPacket } from '../../torch/ops';
import { checkTensor } from '../../torch/arguments';
import { defineOptions, is, option, OPTIONAL, optionsKey } from '../../torch/option-table';

/** Options of `scaledDotProductAttention`, as PyTorch's keyword arguments. */
export interface AttentionOptions {
  /**
   * Broadcastable to (..., L, S). A bool mask says which positions take part
   * (true) and which are excluded (false); a float mask is added to the scores.
   * Default: none.
   */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights; pass 0 in evaluation. Default 0. */
  dropoutP?: number;
  /** Query i attends only to keys j <= i (the top-left aligned lower triangle). Default false. */
  isCausal?: boolean;
  /** Multiplier of q k^T. Default 1 / sqrt(E), E being the query's last dimension. */
  scale?: number;
}

function dropoutProbability(p: unknown): number {
  if (typeof p === 'number' && p >= 0 && p <= 1) return p;
  throw new RangeError(`Expected dropout probability dropoutP in [0, 1] but received ${String(p)}`);
}

// The defaults of AttentionOptions, as PyTorch's keyword arguments (attnMask, a
// tensor, is read as given; scale's default depends on the query).
const ATTENTION_OPTIONS = defineOptions({
  dropoutP: option(0, dropoutProbability), isCausal: option(false, is.boolean), scale: option(OPTIONAL, is.number()),
});

const ops = {
  matmul: op('matmul'), transpose: op('transpose', 'int'), mulScalar: op('mul', 'Scalar'),
  add: op('add', 'Tensor'), maskedFill: op('masked_fill', 'Scalar'), logicalNot: op('logical_not'),
  softmax: op('softmax', 'int'), dropout: op('dropout'), ones: op('ones'), triu: op('triu'),
};

// NOTE: libtorch 2.x has the fused `aten::scaled_dot_product_attention`
// (flash / memory-efficient kernels on CUDA); libtorch 1.13 only has the private
// `aten::_scaled_dot_product_attention`, which returns a (output, weights) tuple
// and takes no scale. The fused operator is used when it exists and takes a
// `scale` argument (2.1 and later); otherwise the computation is composed from
// matmul/softmax/dropout exactly as PyTorch documents its reference
// implementation. The choice is made once, on first use.
let fused: Op | null | undefined;

function fusedOp(): Op | null {
  if (fused !== undefined) return fused;
  try {
    // Looked up by string: the generated typings describe the libtorch they were made from.
    const namespace: string = 'aten';
    const aten: Record<string, OpPacket> = torchOps[namespace];
    const info = aten.scaled_dot_product_attention.default.info;
    fused = info.args.some((a) => a.name === 'scale') ? op('scaled_dot_product_attention') : null;
  } catch {
    fused = null;
  }
  return fused;
}

/**
 * Whether `scaledDotProductAttention` runs libtorch's fused operator (true,
 * libtorch 2.1 and later) or the composed one (false).
 * @example if (!F.usesFusedAttention()) console.warn('attention runs unfused on this libtorch');
 */
export function usesFusedAttention(): boolean {
  return fusedOp() !== null;
}

function composed(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, dropoutP: number, isCausal: boolean,
  scale: number): Tensor {
  const L = q.shape[q.dim() - 2];
  const S = k.shape[k.dim() - 2];
  const kT = ops.transpose.tensor(k._h, -2, -1);                        // (..., E, S)
  const raw = ops.matmul.tensor(q._h, kT._h);                           // (..., L, S)
  kT.dispose();
  let scores = ops.mulScalar.tensor(raw._h, scale);
  raw.dispose();
  const replace = (next: Tensor): void => {
    scores.dispose();
    scores = next;
  };
  if (isCausal) {
    // 1 is remove: the strict upper triangle, keys after the query.
    const ones = ops.ones.tensor([L, S], 'bool', undefined, q.device);
    const future = ops.triu.tensor(ones._h, 1);
    ones.dispose();
    replace(ops.maskedFill.tensor(scores._h, future._h, -Infinity));
    future.dispose();
  }
  if (mask !== null) {
    if (mask.dtype === 'bool') {
      const excluded = ops.logicalNot.tensor(mask._h);
      replace(ops.maskedFill.tensor(scores._h, excluded._h, -Infinity));
      excluded.dispose();
    } else {
      replace(ops.add.tensor(scores._h, mask._h));
    }
  }
  replace(ops.softmax.tensor(scores._h, -1, null));
  if (dropoutP > 0) replace(ops.dropout.tensor(scores._h, dropoutP, true));
  const out = ops.matmul.tensor(scores._h, v._h);                        // (..., L, Ev)
  scores.dispose();
  return out;
}

/**
 * Attention of `query` (..., L, E) over `key` (..., S, E) and `value`
 * (..., S, Ev): `softmax(q k^T * scale + mask) v`, shape (..., L, Ev), as
 * `torch.nn.functional.scaled_dot_product_attention`. A bool `attnMask` keeps
 * the positions where it is true; a float mask is added to the scores.
 * Defaults as PyTorch: no mask, dropoutP 0, isCausal false, scale 1/sqrt(E).
 * Rows whose keys are all excluded give NaN, as in PyTorch's reference.
 *
 * @example
 * // (B, heads, T, headDim) each
 * const y = F.scaledDotProductAttention(q, k, v, { isCausal: true, dropoutP: training ? 0.1 : 0 });
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor,
  options: AttentionOptions = {}): Tensor {
  const q = checkTensor(query, 'query');
  const k = checkTensor(key, 'key');
  const v = checkTensor(value, 'value');
  for (const [t, name] of [[q, 'query'], [k, 'key'], [v, 'value']] as const) {
    if (t.dim() < 2) {
      throw new RangeError(`Expected ${name} with at least 2 dimensions (..., length, features) but received shape ` +
        `[${t.shape.join(', ')}]`);
    }
  }
  const mask = options.attnMask === undefined || options.attnMask === null ? null
    : checkTensor(options.attnMask, 'options.attnMask');
  const { dropoutP, isCausal, scale } = ATTENTION_OPTIONS.resolve(options, optionsKey);
  if (isCausal && mask !== null) {
    throw new TypeError('Expected no attnMask with isCausal: true (the causal mask is built in); ' +
      'fold the causal mask into attnMask instead');
  }
  const f = fusedOp();
  if (f !== null) {
    return f.tensor(q._h, k._h, v._h, mask === null ? null : mask._h, dropoutP, isCausal, scale ?? null);
  }
  return composed(q, k, v, mask, dropoutP, isCausal, scale ?? 1 / Math.sqrt(q.shape[q.dim() - 1]));
}
