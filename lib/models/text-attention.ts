// The multi-head self-attention of BERT and ALBERT, with their key names
// (query, key, value as separate Linears) and padding masks.
import { Tensor } from '../torch';
import * as F from '../nn/functional';
import { Linear } from '../nn/layers/linear';
import { Module } from '../nn/module';

/**
 * The boolean attention mask (B, 1, 1, T) of an int64 (B, T) padding mask
 * (1 = token, 0 = padding): true where a key may be attended to. Every query
 * row keeps at least its [CLS], so no row is all-masked (which would give NaN).
 * @example const m = keyMask(batch.attentionMask); // for F.scaledDotProductAttention
 */
export function keyMask(attentionMask: Tensor): Tensor {
  return attentionMask.ne(0).unsqueeze(1).unsqueeze(1); // (B, 1, 1, T)
}

/**
 * softmax(Q K^T / sqrt(d) + mask) V over `numHeads` heads, Q, K, V from
 * separate projections of `hidden` (B, T, H), as HF's BertSelfAttention
 * (eager) and AlbertAttention; returns the heads' context (B, T, H) before the
 * output projection. `F.scaledDotProductAttention` uses the fused kernel where
 * libtorch has one.
 */
export function selfAttention(hidden: Tensor, q: Linear, k: Linear, v: Linear, numHeads: number,
  mask: Tensor | null, dropoutP: number): Tensor {
  const [B, T, H] = hidden.shape;
  const heads = (x: Tensor): Tensor => x.view([B, T, numHeads, H / numHeads]).transpose(1, 2); // (B, heads, T, d)
  const context = F.scaledDotProductAttention(heads(q.forward(hidden)), heads(k.forward(hidden)), heads(v.forward(hidden)),
    { attnMask: mask, dropoutP }); // (B, heads, T, d)
  return context.transpose(1, 2).reshape([B, T, H]);
}

/** HF's BertSelfAttention: keys `query`, `key`, `value`. */
export class BertSelfAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;

  constructor(readonly hiddenSize: number, readonly numHeads: number, readonly dropoutP: number) {
    super();
    if (hiddenSize % numHeads !== 0) {
      throw new RangeError(`Expected hiddenSize (${hiddenSize}) divisible by numAttentionHeads (${numHeads})`);
    }
    this.query = this.registerModule('query', new Linear(hiddenSize, hiddenSize));
    this.key = this.registerModule('key', new Linear(hiddenSize, hiddenSize));
    this.value = this.registerModule('value', new Linear(hiddenSize, hiddenSize));
  }

  /** (B, T, H) and a (B, 1, 1, T) mask -> the context (B, T, H). @example att.forward(h, keyMask(am)); */
  forward(hidden: Tensor, mask: Tensor | null): Tensor {
    return selfAttention(hidden, this.query, this.key, this.value, this.numHeads, mask,
      this.training ? this.dropoutP : 0);
  }
}
