// Multi-head self-attention as in timm's Vision Transformer (`Attention`).
import { Tensor } from '../../torch';
import { Module } from '../module';
import { scaledDotProductAttention } from '../functional/attention';
import { Linear } from './linear';
import { Dropout } from './dropout';
import { LayerNorm } from './layer-norm';
import { Identity, TensorModule } from './container';
import { expectDims, positiveInt, probability } from '../../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../../torch/option-table';
import { scope } from '../../torch/scope';

/** Options of `Attention`, as timm's `Attention` keyword arguments. */
export interface AttentionOptions {
  /** Number of heads; `dim` must be divisible by it. Default 8. */
  numHeads?: number;
  /** Learn a bias in the qkv projection (timm's ViTs set true). Default false. */
  qkvBias?: boolean;
  /** LayerNorm on queries and keys per head (timm's `qk_norm`). Default false. */
  qkNorm?: boolean;
  /** Dropout on the attention weights, in training. Default 0. */
  attnDrop?: number;
  /** Dropout after the output projection, in training. Default 0. */
  projDrop?: number;
}

// The defaults of AttentionOptions, as timm's keyword arguments.
const ATTENTION_OPTIONS = defineOptions({
  numHeads: option(8, positiveInt), qkvBias: option(false, is.boolean), qkNorm: option(false, is.boolean),
  attnDrop: option(0, probability), projDrop: option(0, probability),
});

/**
 * Multi-head self-attention over (B, N, dim) tokens, as timm's
 * `vision_transformer.Attention`: one `qkv` Linear(dim, 3 dim), scaled
 * dot-product attention per head (libtorch's fused kernel where it has one),
 * and a `proj` Linear(dim, dim). Keys: `qkv.weight`, `qkv.bias`,
 * `proj.weight`, `proj.bias` (plus `q_norm.*`, `k_norm.*` with `qkNorm`).
 *
 * @example
 * const attn = new nn.Attention(384, { numHeads: 6, qkvBias: true });
 * attn.forward(torch.randn([8, 197, 384])); // (8, 197, 384)
 */
export class Attention extends Module {
  readonly dim: number;
  readonly numHeads: number;
  readonly headDim: number;
  /** Dropout probability on the attention weights (applied in training). */
  readonly attnDropP: number;
  readonly qkv: Linear;
  readonly qNorm: TensorModule;
  readonly kNorm: TensorModule;
  readonly attnDrop: Dropout;
  readonly proj: Linear;
  readonly projDrop: Dropout;

  constructor(dim: number, options: AttentionOptions = {}) {
    super();
    this.dim = positiveInt(dim, 'dim');
    const o = ATTENTION_OPTIONS.resolve(options, optionsKey);
    this.numHeads = o.numHeads;
    if (this.dim % this.numHeads !== 0) {
      throw new RangeError(`Expected dim (${this.dim}) divisible by numHeads (${this.numHeads})`);
    }
    this.headDim = this.dim / this.numHeads;
    const qkNorm = o.qkNorm;
    this.attnDropP = o.attnDrop;
    // Registration order is timm's, so state-dict keys come in the same order.
    this.qkv = this.registerModule('qkv', new Linear(this.dim, 3 * this.dim,
      { bias: o.qkvBias }));
    this.qNorm = this.registerModule('q_norm', qkNorm ? new LayerNorm(this.headDim) : new Identity());
    this.kNorm = this.registerModule('k_norm', qkNorm ? new LayerNorm(this.headDim) : new Identity());
    this.attnDrop = this.registerModule('attn_drop', new Dropout(this.attnDropP));
    this.proj = this.registerModule('proj', new Linear(this.dim, this.dim));
    this.projDrop = this.registerModule('proj_drop', new Dropout(o.projDrop));
  }

  forward(x: Tensor): Tensor {
    expectDims(x, [3], 'Attention', '(B, N, dim)');
    const [B, N, C] = x.shape;
    if (C !== this.dim) {
      throw new RangeError(`Expected input with ${this.dim} features (B, N, dim) for Attention but received shape [${x.shape.join(', ')}]`);
    }
    // The intermediates' handles go at the return (nn.Sequential's forward says why).
    return scope(() => this.attend(x, B, N, C));
  }

  private attend(x: Tensor, B: number, N: number, C: number): Tensor {
    const flat = this.qkv.forward(x);                                           // (B, N, 3 dim)
    const split = flat.reshape([B, N, 3, this.numHeads, this.headDim]);         // (B, N, 3, heads, headDim)
    const qkv = split.permute([2, 0, 3, 1, 4]);                                 // (3, B, heads, N, headDim)
    const [q0, k0, v] = qkv.unbind(0);                                          // (B, heads, N, headDim) each
    const q = this.qNorm.forward(q0);
    const k = this.kNorm.forward(k0);
    const heads = scaledDotProductAttention(q, k, v,
      { dropoutP: this.training ? this.attnDropP : 0 });                       // (B, heads, N, headDim)
    const tokens = heads.transpose(1, 2);                                       // (B, N, heads, headDim)
    const merged = tokens.reshape([B, N, C]);                                   // (B, N, dim)
    return this.projDrop.forward(this.proj.forward(merged));                   // (B, N, dim)
  }
}
