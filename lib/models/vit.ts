// Vision Transformer with timm's `vit_*_patch*_224` structure, initialisation
// and state-dict keys (cls_token, pos_embed, patch_embed.proj, blocks.N.*,
// norm, head), so timm checkpoints load unchanged.
import { Tensor, cat, empty, zeros } from '../torch';
import { scope } from '../torch/scope';
import { Identity, init, LayerNorm, Linear, Module, Sequential, TensorModule } from '../nn';
import { adaptiveAvgPool2d } from '../nn/functional/pooling';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';
import { Encoder } from './encoder';
import { PatchEmbed } from './patch-embed';
import { interpolatePosEmbed } from './pos-embed';
import { VitBlock } from './vit-block';

/** `VisionTransformer`'s options: defaults (ViT-B/16 at 224 px, as timm's `VisionTransformer`) and checks. */
export const VIT_OPTIONS = defineOptions({
  /** Image side the position embedding is learned for; other sizes are interpolated. Default 224. */
  imgSize: option(224, is.int(1)),
  /** Patch side in pixels. Default 16. */
  patchSize: option(16, is.int(1)),
  /** Channels of the input images. Default 3. */
  inChannels: option(3, is.int(1)),
  /** Classifier outputs; 0 makes `head` an Identity and `forward` return the pooled feature. Default 1000. */
  numClasses: option(1000, is.int(0)),
  /** Token width D. Default 768. */
  embedDim: option(768, is.int(1)),
  /** Number of blocks. Default 12. */
  depth: option(12, is.int(1)),
  /** Attention heads per block. Default 12. */
  numHeads: option(12, is.int(1)),
  /** MLP hidden size as a multiple of embedDim. Default 4. */
  mlpRatio: option(4, is.positive),
  /** Bias on the qkv projection. Default true. */
  qkvBias: option(true, is.boolean),
  /** Stochastic depth: the drop-path rate rises linearly from 0 at the first block to this at the last. Default 0. */
  dropPathRate: option(0, is.number(0, 1)),
  /**
   * 'token': the class token feeds the head (after `norm`). 'avg': the mean of
   * the patch tokens, normalised by `fc_norm` (and `norm` is an Identity), as
   * timm's `global_pool='avg'`. 'grid': the patch tokens (after `norm`) laid
   * out on their h x w grid and average-pooled to `poolGrid` x `poolGrid`,
   * flattened channel-major (featureDim = embedDim * poolGrid^2), as
   * small_cnn's `pool`: a frozen-feature read-out that keeps where things are
   * (not timm's). Default 'token'.
   */
  globalPool: option<'token' | 'avg' | 'grid'>('token', is.oneOf(['token', 'avg', 'grid'])),
  /** Side of the grid the patch tokens are pooled to with globalPool 'grid' (ignored otherwise). Default 2. */
  poolGrid: option(2, is.int(1)),
});

/** Options of `VisionTransformer` (`VIT_OPTIONS`). */
export type VitOptions = GivenOptions<typeof VIT_OPTIONS.specs>;

/**
 * A ViT (Dosovitskiy et al. 2021) as timm builds it: patch embedding, a
 * learned class token prepended, learned absolute position embeddings added,
 * pre-norm blocks, a final LayerNorm and a linear head.
 *
 * @example
 * const vit = new VisionTransformer({ imgSize: 32, patchSize: 4, embedDim: 192, depth: 12, numHeads: 3, numClasses: 0 });
 * vit.forward(torch.randn([8, 3, 32, 32]));          // (8, 192): the class token
 * vit.forwardFeatures(torch.randn([8, 3, 32, 32]));  // (8, 1 + 64, 192)
 */
export class VisionTransformer extends Module implements Encoder {
  readonly featureDim: number;
  readonly numClasses: number;
  readonly embedDim: number;
  readonly globalPool: 'token' | 'avg' | 'grid';
  /** Side of the pooled grid with globalPool 'grid' (`VIT_OPTIONS.poolGrid`). */
  readonly poolGrid: number;
  /** Tokens before the patches: the class token. */
  readonly numPrefixTokens = 1;
  /** Channels-last gains nothing here: the patch embedding is the only convolution. */
  readonly prefersChannelsLast = false;
  readonly patchEmbed: PatchEmbed;
  /** (1, 1, D). */
  readonly clsToken: Tensor;
  /** (1, 1 + numPatches, D), learned for imgSize. */
  readonly posEmbed: Tensor;
  readonly blocks: Sequential;
  /** LayerNorm(D, eps 1e-6) after the blocks; Identity with globalPool 'avg'. */
  readonly norm: TensorModule;
  /** LayerNorm on the pooled patch tokens with globalPool 'avg'; Identity otherwise. */
  readonly fcNorm: TensorModule;
  readonly head: TensorModule;

  constructor(options: VitOptions = {}) {
    super();
    const o = VIT_OPTIONS.resolve(options, (k) => `options.${k}`);
    const { embedDim: D, depth, numHeads } = o;
    if (D % numHeads !== 0) {
      throw new RangeError(`Expected embedDim (${D}) divisible by numHeads (${numHeads})`);
    }
    const dropPathRate = o.dropPathRate;
    this.globalPool = o.globalPool;
    this.poolGrid = o.poolGrid;
    this.numClasses = o.numClasses;
    this.embedDim = D;
    const pooledDim = this.globalPool === 'grid' ? D * this.poolGrid * this.poolGrid : D;
    this.featureDim = pooledDim;

    this.patchEmbed = this.registerModule('patch_embed', new PatchEmbed({
      imgSize: o.imgSize, patchSize: o.patchSize, inChannels: o.inChannels, embedDim: D,
    }));
    this.clsToken = this.registerParameter('cls_token', zeros([1, 1, D]));
    this.posEmbed = this.registerParameter('pos_embed', empty([1, this.numPrefixTokens + this.patchEmbed.numPatches, D]));
    const blocks: VitBlock[] = [];
    for (let i = 0; i < depth; i++) {
      blocks.push(new VitBlock(D, {
        numHeads, mlpRatio: o.mlpRatio, qkvBias: o.qkvBias,
        dropPath: depth > 1 ? (dropPathRate * i) / (depth - 1) : 0,
      }));
    }
    this.blocks = this.registerModule('blocks', new Sequential(...blocks));
    const avg = this.globalPool === 'avg';
    this.norm = this.registerModule('norm', avg ? new Identity() : new LayerNorm(D, { eps: 1e-6 }));
    this.fcNorm = this.registerModule('fc_norm', avg ? new LayerNorm(D, { eps: 1e-6 }) : new Identity());
    this.head = this.registerModule('head', this.numClasses > 0 ? new Linear(pooledDim, this.numClasses) : new Identity());

    // timm's default ('') initialisation: the patch convolution keeps Conv2d's default.
    init.truncNormal_(this.posEmbed, { std: 0.02 });
    init.normal_(this.clsToken, 0, 1e-6);
    for (const m of this.modules()) {
      if (!(m instanceof Linear)) continue;
      init.truncNormal_(m.weight, { std: 0.02 });
      if (m.bias) init.zeros_(m.bias);
    }
  }

  /**
   * The position embedding for an (h, w) patch grid: the learned one, or its bicubic resampling.
   * @example models.vitSmall16().posEmbedFor(24, 24); // (1, 1 + 576, 384), for 384 px images
   */
  posEmbedFor(h: number, w: number): Tensor {
    const g = this.patchEmbed.gridSize;
    return interpolatePosEmbed(this.posEmbed, [h, w], { numPrefixTokens: this.numPrefixTokens, oldGrid: [g, g] });
  }

  /**
   * All tokens after the last block and `norm`: (B, 1 + N, D), the class token
   * first, then the N = (H / p) * (W / p) patch tokens in row-major order.
   * @example
   * const tokens = vit.forwardFeatures(images); // (B, 1 + N, D)
   * const cls = tokens.select(1, 0);            // (B, D)
   * const patches = tokens.narrow(1, 1, tokens.shape[1] - 1); // (B, N, D)
   */
  forwardFeatures(x: Tensor): Tensor {
    const [h, w] = this.patchEmbed.grid(x);
    return scope(() => { // the intermediates' handles go at the return (nn.Sequential's forward says why)
      const pos = this.posEmbedFor(h, w); // (1, 1 + N, D)
      const patches = this.patchEmbed.forward(x); // (B, N, D)
      const cls = this.clsToken.expand([patches.shape[0], -1, -1]); // (B, 1, D)
      const tokens = cat([cls, patches], 1).add(pos); // (B, 1 + N, D)
      return this.norm.forward(this.blocks.forward(tokens));
    });
  }

  /**
   * The encoder on a subset of patches, for MAE: patches are embedded and get
   * their position embedding, the kept ones are gathered, the class token
   * (plus its position embedding) is prepended, then blocks and `norm`.
   * Returns (B, 1 + K, D), the class token first, then the kept patches in
   * the order of `keepIdx`.
   *
   * @param keepIdx int64 (B, K): indices of visible patches, in [0, N) over
   *   the row-major patch grid; the class token is always kept.
   * @example
   * const N = vit.patchEmbed.numPatches;
   * const keep = torch.rand([B, N]).argsort(1).narrow(1, 0, N / 4); // keep 25%
   * const latent = vit.forwardEncoderMasked(images, keep); // (B, 1 + N / 4, D)
   */
  forwardEncoderMasked(x: Tensor, keepIdx: Tensor): Tensor {
    const [h, w] = this.patchEmbed.grid(x);
    const B = x.shape[0];
    if (keepIdx.dtype !== 'int64' || keepIdx.dim() !== 2 || keepIdx.shape[0] !== B) {
      throw new TypeError(`Expected keepIdx to be int64 of shape (${B}, K) but received ${keepIdx.dtype} ` +
        `[${keepIdx.shape.join(', ')}]`);
    }
    const D = this.embedDim;
    return scope(() => { // the intermediates' handles go at the return (nn.Sequential's forward says why)
      const pos = this.posEmbedFor(h, w); // (1, 1 + N, D)
      const patches = this.patchEmbed.forward(x).add(pos.narrow(1, 1, h * w)); // (B, N, D)
      const kept = patches.gather(1, keepIdx.unsqueeze(-1).expand([-1, -1, D])); // (B, K, D)
      const cls = this.clsToken.add(pos.narrow(1, 0, 1)).expand([B, -1, -1]); // (B, 1, D)
      return this.norm.forward(this.blocks.forward(cat([cls, kept], 1))); // (B, 1 + K, D)
    });
  }

  /**
   * (B, C, H, W) -> logits (B, numClasses), or the pooled feature (B, featureDim) with numClasses 0.
   * @example models.vitTiny4({ imgSize: 32, numClasses: 10 }).forward(torch.randn([8, 3, 32, 32])); // (8, 10)
   */
  forward(x: Tensor): Tensor {
    const tokens = this.forwardFeatures(x);
    const n = tokens.shape[1] - this.numPrefixTokens;
    let pooled: Tensor;
    if (this.globalPool === 'token') {
      pooled = tokens.select(1, 0); // (B, D)
    } else if (this.globalPool === 'avg') {
      pooled = tokens.narrow(1, this.numPrefixTokens, n).mean(1); // (B, D)
    } else {
      const [h, w] = this.patchEmbed.grid(x);
      const grid = tokens.narrow(1, this.numPrefixTokens, n).transpose(1, 2).reshape([x.shape[0], this.embedDim, h, w]);
      pooled = adaptiveAvgPool2d(grid, this.poolGrid).flatten(1); // (B, D * poolGrid^2)
    }
    return this.head.forward(this.fcNorm.forward(pooled));
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numPatches=${this.patchEmbed.numPatches}, numClasses=${this.numClasses}`;
  }
}
