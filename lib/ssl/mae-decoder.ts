// MAE's light decoder: the encoded visible patches plus mask tokens, put back
// in image order, through a few transformer blocks to pixel predictions, as
// MaskedAutoencoderViT.forward_decoder in facebookresearch/mae models_mae.py.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Module } from '../nn/module';
import { Linear } from '../nn/layers/linear';
import { LayerNorm } from '../nn/layers/layer-norm';
import { ModuleList } from '../nn/layers/container';
import { checkInt } from '../torch/arguments';
import { defineOptions, GivenOptions, is, option, REQUIRED } from '../torch/option-table';
import { normal_, xavierUniform_, zeros_ } from '../nn/init';
import { VitBlock } from '../models/vit-block';

/**
 * MAE's fixed 2-D sine-cosine position embedding (models_mae.py
 * `get_2d_sincos_pos_embed`): for the patch in row i, column j of a (h, w)
 * grid, the first D/2 channels encode the column j and the last D/2 the row i,
 * each as `[sin(pos * omega_k), cos(pos * omega_k)]` with
 * `omega_k = 1 / 10000^(k / (D/4))`, k < D/4. With `clsToken` a zero row is
 * prepended. Returns float32 (clsToken + h*w, D), computed in float64 as numpy.
 *
 * NOTE: numpy's `meshgrid(grid_w, grid_h)` puts the column index in grid[0],
 * which MAE calls `emb_h`: the first half really encodes the column. Kept, so
 * checkpoints and the reference agree.
 *
 * @example
 * get2dSincosPosEmbed(512, 14, { clsToken: true }); // (197, 512), MAE's decoder_pos_embed[0] at 224 px
 */
export function get2dSincosPosEmbed(embedDim: number, gridSize: number | readonly [number, number],
  options: { clsToken?: boolean } = {}): Tensor {
  const D = checkInt(embedDim, 'embedDim', 1);
  if (D % 4 !== 0) throw new RangeError(`Expected embedDim divisible by 4 for a 2-D sin-cos embedding but received ${D}`);
  const [h, w] = typeof gridSize === 'number' ? [gridSize, gridSize] : gridSize;
  checkInt(h, 'gridSize (height)', 1);
  checkInt(w, 'gridSize (width)', 1);
  const prefix = options.clsToken ? 1 : 0;
  const quarter = D / 4;
  const omega = Float64Array.from({ length: quarter }, (_, k) => 1 / 10000 ** (k / quarter));
  const out = new Float32Array((prefix + h * w) * D);
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const row = (prefix + i * w + j) * D;
      for (let k = 0; k < quarter; k++) {
        const a = j * omega[k];
        const b = i * omega[k];
        out[row + k] = Math.sin(a);
        out[row + quarter + k] = Math.cos(a);
        out[row + 2 * quarter + k] = Math.sin(b);
        out[row + 3 * quarter + k] = Math.cos(b);
      }
    }
  }
  return torch.tensor(out, { shape: [prefix + h * w, D] });
}

/** `MAEDecoder`'s options: defaults (MAE's `mae_vit_*_patch16_dec512d8b`) and checks. MAE's own take theirs from here. */
export const MAE_DECODER_OPTIONS = defineOptions({
  /** Width of the encoder's tokens (decoder_embed's input). Required. */
  embedDim: option(REQUIRED, is.int(1)),
  /** Patches per side at the training resolution (imgSize / patchSize). Required. */
  gridSize: option(REQUIRED, is.int(1)),
  /** Patch side in pixels. Required. */
  patchSize: option(REQUIRED, is.int(1)),
  /** Image channels (decoder_pred predicts patchSize^2 * inChannels values per patch). Required. */
  inChannels: option(REQUIRED, is.int(1)),
  /** Decoder width. Default 512 (MAE table 1b, "our default decoder ... has 8 blocks and a width of 512-d"). */
  decoderDim: option(512, is.int(1)),
  /** Decoder blocks. Default 8 (MAE table 1a: "8 blocks"). */
  decoderDepth: option(8, is.int(1)),
  /** Attention heads per decoder block. Default 16 (models_mae.py `decoder_num_heads`). */
  decoderHeads: option(16, is.int(1)),
  /** MLP ratio of the decoder blocks. Default 4. */
  mlpRatio: option(4, is.positive),
});

/** Options of `MAEDecoder` (`MAE_DECODER_OPTIONS`; the first four are required). */
export type MAEDecoderOptions = GivenOptions<typeof MAE_DECODER_OPTIONS.specs> &
  { embedDim: number; gridSize: number; patchSize: number; inChannels: number };

/**
 * The MAE decoder (He et al. 2022, "Masked Autoencoders Are Scalable Vision
 * Learners", section 3): `decoder_embed` Linear(embedDim, 512), a learned
 * `mask_token` (1, 1, 512) for every removed patch, the fixed sin-cos
 * `decoder_pos_embed` (1, 1 + L, 512, not trained), `decoder_blocks` (8
 * pre-norm ViT blocks, 16 heads, qkv bias), `decoder_norm` LayerNorm(eps 1e-6)
 * and `decoder_pred` Linear(512, p*p*C). Keys are MAE's; Linear layers are
 * xavier-uniform with zero bias and the mask token N(0, 0.02^2), as MAE's
 * `initialize_weights`.
 *
 * @example
 * const dec = new MAEDecoder({ embedDim: 768, gridSize: 14, patchSize: 16, inChannels: 3 });
 * const pred = dec.forward(latent, idsRestore); // (B, 196, 768) pixel values per patch
 */
export class MAEDecoder extends Module {
  readonly decoderDim: number;
  readonly gridSize: number;
  readonly patchSize: number;
  readonly inChannels: number;
  /** (1, 1, decoderDim). */
  readonly maskToken: Tensor;
  /** (1, 1 + gridSize^2, decoderDim), fixed sin-cos (requiresGrad false). */
  readonly decoderPosEmbed: Tensor;
  readonly decoderEmbed: Linear;
  readonly decoderBlocks: ModuleList<VitBlock>;
  readonly decoderNorm: LayerNorm;
  readonly decoderPred: Linear;

  constructor(options: MAEDecoderOptions) {
    super();
    const { embedDim, gridSize, patchSize, inChannels, decoderDim: dim, decoderDepth: depth, decoderHeads: heads, mlpRatio } =
      MAE_DECODER_OPTIONS.resolve(options, (k) => `options.${k}`);
    this.gridSize = gridSize;
    this.patchSize = patchSize;
    this.inChannels = inChannels;
    if (dim % heads !== 0) throw new RangeError(`Expected decoderDim (${dim}) divisible by decoderHeads (${heads})`);
    if (dim % 4 !== 0) throw new RangeError(`Expected decoderDim divisible by 4 (sin-cos position embedding) but received ${dim}`);
    this.decoderDim = dim;

    // Registration order gives MAE's key order: mask_token, decoder_pos_embed, then the layers.
    this.maskToken = this.registerParameter('mask_token', torch.zeros([1, 1, dim]));
    this.decoderPosEmbed = this.registerParameter('decoder_pos_embed',
      torch.scope(() => get2dSincosPosEmbed(dim, this.gridSize, { clsToken: true }).unsqueeze(0)));
    this.decoderPosEmbed.requiresGrad_(false);
    this.decoderEmbed = this.registerModule('decoder_embed', new Linear(embedDim, dim));
    this.decoderBlocks = this.registerModule('decoder_blocks', new ModuleList(
      Array.from({ length: depth }, () => new VitBlock(dim, { numHeads: heads, mlpRatio, qkvBias: true }))));
    this.decoderNorm = this.registerModule('decoder_norm', new LayerNorm(dim, { eps: 1e-6 }));
    this.decoderPred = this.registerModule('decoder_pred', new Linear(dim, this.patchSize ** 2 * this.inChannels));

    normal_(this.maskToken, 0, 0.02);
    for (const m of this.modules()) {
      if (!(m instanceof Linear)) continue;
      xavierUniform_(m.weight);
      if (m.bias) zeros_(m.bias);
    }
  }

  /**
   * Decodes the encoder's output to per-patch pixel predictions.
   *
   * @param latent (B, 1 + K, embedDim): the class token, then the K visible patches in `idsKeep` order.
   * @param idsRestore int64 (B, L): for each patch of the image (row-major), its
   *   position in the shuffled order (kept first, then removed), as MAE's `ids_restore`.
   * @param grid the (h, w) patch grid when it is not gridSize x gridSize (a sin-cos embedding is built for it).
   * @returns (B, L, patchSize^2 * inChannels), in `patchify` order.
   * @example const pred = decoder.forward(latent, idsRestore); // (B, L, p*p*C)
   */
  forward(latent: Tensor, idsRestore: Tensor, grid?: readonly [number, number]): Tensor {
    const [B, tokens] = latent.shape;
    const L = idsRestore.shape[1];
    if (idsRestore.dim() !== 2 || idsRestore.shape[0] !== B || idsRestore.dtype !== 'int64' || tokens - 1 > L) {
      throw new RangeError(`Expected idsRestore int64 of shape (${B}, L >= ${tokens - 1}) but received ` +
        `${idsRestore.dtype} [${idsRestore.shape.join(', ')}]`);
    }
    const x = this.decoderEmbed.forward(latent); // (B, 1 + K, Dd)
    const Dd = this.decoderDim;
    const maskTokens = this.maskToken.expand([B, L + 1 - tokens, Dd]); // (B, L - K, Dd)
    const shuffled = torch.cat([x.narrow(1, 1, tokens - 1), maskTokens], 1); // (B, L, Dd), kept then removed
    const unshuffled = shuffled.gather(1, idsRestore.unsqueeze(-1).expand([-1, -1, Dd])); // (B, L, Dd), image order
    let y = torch.cat([x.narrow(1, 0, 1), unshuffled], 1).add(this.posEmbedFor(L, grid)); // (B, 1 + L, Dd)
    for (const block of this.decoderBlocks) y = block.forward(y);
    const pred = this.decoderPred.forward(this.decoderNorm.forward(y)); // (B, 1 + L, p*p*C)
    return pred.narrow(1, 1, L); // drop the class token
  }

  private posEmbedFor(L: number, grid: readonly [number, number] | undefined): Tensor {
    const [h, w] = grid ?? [this.gridSize, this.gridSize];
    if (h * w !== L) throw new RangeError(`Expected a patch grid of ${L} patches but received ${h}x${w}`);
    if (h === this.gridSize && w === this.gridSize) return this.decoderPosEmbed;
    const p = this.decoderPosEmbed;
    return get2dSincosPosEmbed(this.decoderDim, [h, w], { clsToken: true }).unsqueeze(0).to({ device: p.device, dtype: p.dtype });
  }

  override extraRepr(): string {
    return `decoderDim=${this.decoderDim}, depth=${this.decoderBlocks.length}, gridSize=${this.gridSize}, patchSize=${this.patchSize}`;
  }
}
