// One pre-norm transformer block of timm's VisionTransformer (keys norm1,
// attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2).
import { Tensor } from '../torch';
import { scope } from '../torch/scope';
import { Attention, DropPath, GELU, Identity, LayerNorm, Mlp, Module, TensorModule } from '../nn';
import { positiveInt, probability } from '../torch/arguments';
import { defineOptions, is, option, optionsKey, REQUIRED } from '../torch/option-table';

/** Options of `VitBlock`. */
export interface VitBlockOptions {
  /** Attention heads; dim must be divisible by it. */
  numHeads: number;
  /** MLP hidden size as a multiple of dim. Default 4. */
  mlpRatio?: number;
  /** Bias on the query/key/value projection. Default true (timm's ViTs). */
  qkvBias?: boolean;
  /** Probability of dropping the whole residual branch per sample (stochastic depth). Default 0. */
  dropPath?: number;
  /** Dropout after the attention and MLP projections. Default 0. */
  projDrop?: number;
  /** Dropout on the attention weights. Default 0. */
  attnDrop?: number;
}

// The defaults of VitBlockOptions, as timm's Block (qkvBias true, unlike nn.Attention's
// false). The dropouts and qkvBias are checked by the Attention and Mlp they reach.
const VIT_BLOCK_OPTIONS = defineOptions({
  numHeads: option(REQUIRED, positiveInt),
  mlpRatio: option(4, is.positive),
  qkvBias: option(true, is.checkedLater<boolean>()),
  dropPath: option(0, probability),
  projDrop: option(0, is.checkedLater<number>()),
  attnDrop: option(0, is.checkedLater<number>()),
});

/**
 * `x + dropPath(attn(norm1(x)))`, then `x + dropPath(mlp(norm2(x)))`, with
 * LayerNorm eps 1e-6 and exact GELU, as timm's `Block`.
 *
 * @example
 * const block = new VitBlock(192, { numHeads: 3 });
 * block.forward(torch.randn([2, 65, 192])); // (2, 65, 192)
 */
export class VitBlock extends Module {
  readonly norm1: LayerNorm;
  readonly attn: Attention;
  readonly dropPath1: TensorModule;
  readonly norm2: LayerNorm;
  readonly mlp: Mlp;
  readonly dropPath2: TensorModule;

  constructor(dim: number, options: VitBlockOptions) {
    super();
    const { numHeads, mlpRatio, qkvBias, dropPath, projDrop, attnDrop } = VIT_BLOCK_OPTIONS.resolve(options, optionsKey);
    const hidden = Math.trunc(dim * mlpRatio);
    this.norm1 = this.registerModule('norm1', new LayerNorm(dim, { eps: 1e-6 }));
    this.attn = this.registerModule('attn', new Attention(dim, { numHeads, qkvBias, attnDrop, projDrop }));
    this.dropPath1 = this.registerModule('drop_path1', dropPath > 0 ? new DropPath(dropPath) : new Identity());
    this.norm2 = this.registerModule('norm2', new LayerNorm(dim, { eps: 1e-6 }));
    this.mlp = this.registerModule('mlp', new Mlp(dim, { hiddenFeatures: hidden, act: () => new GELU(), drop: projDrop }));
    this.dropPath2 = this.registerModule('drop_path2', dropPath > 0 ? new DropPath(dropPath) : new Identity());
  }

  /**
   * (B, N, D) -> (B, N, D).
   * @example new VitBlock(384, { numHeads: 6 }).forward(torch.randn([2, 197, 384])); // (2, 197, 384)
   */
  forward(x: Tensor): Tensor {
    return scope(() => { // the intermediates' handles go at the return (Sequential's forward says why)
      const y = x.add(this.dropPath1.forward(this.attn.forward(this.norm1.forward(x))));
      return y.add(this.dropPath2.forward(this.mlp.forward(this.norm2.forward(y))));
    });
  }
}
