// MAE (He et al. 2022): a ViT encodes a random 25% of the patches, a light
// decoder fills in the rest from mask tokens, and the loss is the pixel error
// on the removed patches. As facebookresearch/mae models_mae.py and main_pretrain.py.
import * as torch from '../torch';
import { Generator, Tensor } from '../torch';
import { Module } from '../nn/module';
import { Linear } from '../nn/layers/linear';
import { checkInt, checkNumber } from '../torch/arguments';
import { defineOptions, GivenOptions, is, option, OPTIONAL, optionsKey, TableValues } from '../torch/option-table';
import { normal_, xavierUniform_, zeros_ } from '../nn/init';
import { Encoder } from '../models/encoder';
import { VisionTransformer } from '../models/vit';
import { MultiView } from '../data/transforms/multi-crop';
import { mae as maeRecipe } from '../data/transforms/recipes';
import { ImageSpec, Method, OptimizerRecipe, StepOutput, TrainProgress } from './method';
import { EncoderSpec, makeEncoder } from './encoder-spec';
import { MethodOptions, resolveRecipe } from './method-options';
import { maeLoss, patchify, unpatchify } from './losses/mae-loss';
import { MAE_DECODER_OPTIONS, MAEDecoder, get2dSincosPosEmbed } from './mae-decoder';

/** MAE's options besides the encoder and the recipe; defaults are the paper's (8 x 512 decoder). */
export const MAE_OPTIONS = defineOptions({
  /** Fraction of patches removed. Default 0.75 (MAE: "masking a high proportion of the input image, e.g., 75%"). */
  maskRatio: option(0.75, is.number(0, 1)),
  ...MAE_DECODER_OPTIONS.pick('decoderDim', 'decoderDepth', 'decoderHeads'),
  /** Targets are per-patch normalised pixels. Default true (MAE table 1c: "w/ norm" is better; main_pretrain.py `--norm_pix_loss`). */
  normPixLoss: option(true, is.boolean),
  /**
   * Re-initialise the encoder as MAE's `initialize_weights`: fixed 2-D sin-cos
   * `pos_embed` (not trained), xavier-uniform Linear and patch projection,
   * class token N(0, 0.02^2). Default true; pass false to keep the weights of
   * an encoder you built (its position embedding then stays learned).
   */
  initEncoder: option(true, is.boolean),
});

/**
 * Options of `MAE`: the encoder is a ViT (a registry name such as
 * `'vit_base_patch16_224'`, built with `encoderOptions` and numClasses 0, a
 * factory or an instance); `MAE_OPTIONS`; recipe overrides.
 */
export type MAEOptions = MethodOptions<typeof MAE_OPTIONS>;

/**
 * MAE's pre-training optimisation (main_pretrain.py, paper appendix A.1):
 * AdamW with "beta1, beta2 = 0.9, 0.95", base learning rate 1.5e-4 with "lr =
 * base lr x batchsize / 256", weight decay 0.05, 40 warm-up epochs, cosine
 * decay to 0 (`--min_lr` 0), no gradient clipping.
 */
export const MAE_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'adamw',
  lr: 1.5e-4,
  lrScaling: 'linear',
  finalLrRatio: 0,
  betas: [0.9, 0.95] as [number, number],
  weightDecay: 0.05,
  warmupEpochs: 40,
});

/** The random masking of one batch: which patches the encoder sees. */
export interface RandomMasking {
  /** int64 (B, K): indices of the kept patches, in the order the encoder sees them. */
  idsKeep: Tensor;
  /** int64 (B, L): for each patch, its position in the shuffled order, as MAE's `ids_restore`. */
  idsRestore: Tensor;
  /** float (B, L): 1 = removed, 0 = kept ("0 is keep, 1 is remove", models_mae.py). */
  mask: Tensor;
}

/**
 * The number of patches MAE keeps: `int(L * (1 - maskRatio))` as models_mae.py.
 * NOTE: a 1e-9 slack so that a product like 10 * (1 - 0.9) = 0.9999999999999998
 * keeps 1 patch, not 0 (Python's int() would keep 0 there).
 * @example numKept(196, 0.75); // 49
 */
export function numKept(numPatches: number, maskRatio: number): number {
  const L = checkInt(numPatches, 'numPatches', 1);
  const r = checkNumber(maskRatio, 'maskRatio', 0, 1);
  const keep = Math.floor(L * (1 - r) + 1e-9);
  if (keep < 1) throw new RangeError(`Expected maskRatio to keep at least one of ${L} patches but ${r} keeps none`);
  return keep;
}

/** `randomMasking`'s options: defaults (the device and generator are checked by `torch.rand`). */
export const RANDOM_MASKING_OPTIONS = defineOptions({
  /** Draws the noise on the CPU, then copies it to `device`. Default: the default generator of `device`. */
  generator: option(OPTIONAL, is.checkedLater<Generator>()),
  /** Where the masks are made. Default 'cpu'. */
  device: option<torch.Device>('cpu', is.checkedLater<torch.Device>()),
});

/**
 * MAE's per-sample random masking (models_mae.py `random_masking`): uniform
 * noise per patch, `ids_shuffle = argsort(noise)` (small is keep, large is
 * remove), the first `numKept(L, maskRatio)` are kept, `ids_restore =
 * argsort(ids_shuffle)`. The noise comes from `generator` (CPU, then copied to
 * `device`) or from the default generator of `device`.
 *
 * @example
 * const { idsKeep, idsRestore, mask } = randomMasking(8, 196, 0.75); // idsKeep (8, 49), mask sums to 147 per row
 */
export function randomMasking(batch: number, numPatches: number, maskRatio: number,
  options: GivenOptions<typeof RANDOM_MASKING_OPTIONS.specs> = {}): RandomMasking {
  const B = checkInt(batch, 'batch', 1);
  const L = checkInt(numPatches, 'numPatches', 1);
  const keep = numKept(L, maskRatio);
  const { generator, device } = RANDOM_MASKING_OPTIONS.resolve(options, optionsKey);
  const noise = generator === undefined
    ? torch.rand([B, L], { device })
    : torch.rand([B, L], { generator }).to({ device }); // (B, L) in [0, 1)
  const idsShuffle = noise.argsort(1); // (B, L)
  const idsRestore = idsShuffle.argsort(1); // (B, L)
  const idsKeep = idsShuffle.narrow(1, 0, keep); // (B, K)
  // Kept positions come first in the shuffled order: the mask is (shuffled index >= K).
  const mask = idsRestore.ge(keep).to('float32'); // (B, L)
  return { idsKeep, idsRestore, mask };
}

/**
 * The encoder weights of MAE's `initialize_weights`: fixed sin-cos `pos_embed`
 * (requiresGrad false), xavier-uniform patch projection (on its (D, C*p*p)
 * view, "initialize patch_embed like nn.Linear"), class token N(0, 0.02^2),
 * xavier-uniform Linear layers with zero bias.
 * @example initMaeEncoder(models.vitBase16({ numClasses: 0 }));
 */
export function initMaeEncoder(vit: VisionTransformer): void {
  const g = vit.patchEmbed.gridSize;
  torch.scope(() => torch.noGrad(() => {
    vit.posEmbed.copy_(get2dSincosPosEmbed(vit.embedDim, g, { clsToken: true }).unsqueeze(0)); // (1, 1 + L, D)
    const w = vit.patchEmbed.proj.weight.detach(); // shares storage
    xavierUniform_(w.view([w.shape[0], -1]));
  }));
  vit.posEmbed.requiresGrad_(false);
  normal_(vit.clsToken, 0, 0.02);
  for (const m of vit.modules()) {
    if (!(m instanceof Linear)) continue;
    xavierUniform_(m.weight);
    if (m.bias) zeros_(m.bias);
  }
}

/** What `MAE.reconstruct` returns. */
export interface Reconstruction {
  /** (B, C, H, W): the decoder's prediction of every patch as an image, in the input's (normalised) units. */
  pred: Tensor;
  /** (B, L) float: 1 = removed, 0 = kept. */
  mask: Tensor;
  /** (B, 1, H, W) float: the mask at pixel resolution. */
  pixelMask: Tensor;
}

/**
 * Masked autoencoder pre-training (He et al. 2022, "Masked Autoencoders Are
 * Scalable Vision Learners"): "we mask random patches of the input image and
 * reconstruct the missing pixels". The encoder (a `VisionTransformer`) sees
 * only the visible patches (`forwardEncoderMasked`); the `MAEDecoder` sees
 * every position; the loss is the MSE on the removed patches (`maeLoss`,
 * normalised-pixel targets). Keys: `encoder.*` (timm's ViT names) and MAE's
 * decoder keys at the top level (`mask_token`, `decoder_pos_embed`,
 * `decoder_embed.*`, `decoder_blocks.N.*`, `decoder_norm.*`, `decoder_pred.*`).
 * After training, `method.encoder` is used alone.
 *
 * @example
 * const method = new ssl.MAE({ encoder: 'vit_tiny_patch4_224', encoderOptions: { imgSize: 32 } });
 * const [x] = method.augmentation({ size: 32, channels: 3, mean, std }).forward(images01);
 * const { loss } = method.trainingStep([x], progress);
 */
export interface MAE extends Readonly<TableValues<typeof MAE_OPTIONS>> {}
export class MAE extends Method {
  readonly name = 'mae' as const;
  override readonly capturable = true;
  readonly encoder: VisionTransformer;
  readonly decoder: MAEDecoder;
  readonly patchSize: number;
  readonly inChannels: number;
  /** `MAE_RECIPE` with the `recipe` option's overrides. */
  readonly recipe: OptimizerRecipe;

  constructor(options: MAEOptions) {
    super();
    const o = this.useOptions(MAE_OPTIONS, options);
    this.recipe = resolveRecipe(MAE_RECIPE, options.recipe, 'MAE');
    const spec = options.encoder;
    if (typeof spec === 'string' && !spec.startsWith('vit_')) {
      throw new TypeError(`MAE needs a ViT encoder (vit_*) but received '${spec}': it encodes only the visible ` +
        "patches, which a convolutional network cannot; use e.g. encoder: 'vit_tiny_patch4_224' with " +
        'encoderOptions: { imgSize: 32 }');
    }
    const encoder: Encoder = makeEncoder(spec, options.encoderOptions, { needsFactory: false, method: 'MAE' })();
    if (!(encoder instanceof VisionTransformer)) {
      throw new TypeError(`MAE needs a ViT encoder (vit_*) but received ${encoder.typeName}: it encodes only the ` +
        "visible patches, which a convolutional network cannot; use e.g. encoder: 'vit_tiny_patch4_224' with " +
        'encoderOptions: { imgSize: 32 }');
    }
    numKept(encoder.patchEmbed.numPatches, o.maskRatio);
    this.encoder = this.registerModule('encoder', encoder);
    this.patchSize = encoder.patchEmbed.patchSize;
    this.inChannels = encoder.patchEmbed.proj.weight.shape[1];
    if (o.initEncoder) initMaeEncoder(encoder);
    this.decoder = new MAEDecoder({
      embedDim: encoder.embedDim, gridSize: encoder.patchEmbed.gridSize, patchSize: this.patchSize,
      inChannels: this.inChannels, decoderDim: o.decoderDim, decoderDepth: o.decoderDepth, decoderHeads: o.decoderHeads,
    });
    adoptMembers(this, this.decoder);
  }

  /**
   * MAE's augmentation at `spec.size`: random resized crop (scale [0.2, 1]) and flip, then normalisation.
   * @example const [x] = method.augmentation({ size: 32, channels: 3, mean, std }).forward(images01);
   */
  augmentation(spec: ImageSpec): MultiView {
    return maeRecipe({ size: spec.size, channels: spec.channels, mean: spec.mean, std: spec.std });
  }

  /**
   * Masks, encodes and decodes a batch: the prediction (B, L, p*p*C) and the mask (B, L).
   * @example const { pred, mask } = method.forwardMasked(x); // pred (B, L, p*p*C)
   */
  forwardMasked(x: Tensor, options: { generator?: Generator; maskRatio?: number } = {}):
    { pred: Tensor; mask: Tensor; latent: Tensor } {
    if (x.dim() !== 4 || x.shape[1] !== this.inChannels) {
      throw new RangeError(`Expected images of shape (B, ${this.inChannels}, H, W) for MAE but received ` +
        `[${x.shape.join(', ')}]`);
    }
    const [h, w] = this.encoder.patchEmbed.grid(x);
    const masking = randomMasking(x.shape[0], h * w, options.maskRatio ?? this.maskRatio,
      { generator: options.generator, device: x.device });
    const latent = this.encoder.forwardEncoderMasked(x, masking.idsKeep); // (B, 1 + K, D)
    const pred = this.decoder.forward(latent, masking.idsRestore, [h, w]); // (B, L, p*p*C)
    return { pred, mask: masking.mask, latent };
  }

  /**
   * One MAE step on `[x]`: the loss on the removed patches; the embedding is the encoder's class token.
   * @example const { loss } = method.trainingStep([x], progress); loss.backward();
   */
  trainingStep(views: Tensor[], _progress: TrainProgress): StepOutput {
    if (!Array.isArray(views) || views.length !== 1) {
      throw new RangeError(`Expected one view for MAE (recipes.mae) but received ${Array.isArray(views) ? views.length : String(views)}`);
    }
    const x = views[0];
    const { pred, mask, latent } = this.forwardMasked(x);
    const loss = maeLoss(x, pred, mask, { patchSize: this.patchSize, normPixLoss: this.normPixLoss });
    return { loss, embedding: latent.select(1, 0).detach() };
  }

  /**
   * The prediction as images, with the mask, without gradients. With
   * `normPixLoss` the decoder predicts each patch standardised; the patch's
   * own mean and variance from the input are put back so the result is viewable.
   * @example const { pred, pixelMask } = method.reconstruct(x); // paste: x * (1 - m) + pred * m
   */
  reconstruct(x: Tensor, options: { generator?: Generator; maskRatio?: number } = {}): Reconstruction {
    return torch.noGrad(() => {
      const { pred, mask } = this.forwardMasked(x, options);
      const [h, w] = this.encoder.patchEmbed.grid(x);
      let patches = pred.to('float32'); // (B, L, p*p*C)
      if (this.normPixLoss) {
        // NOTE: the statistics of every patch of the input, as the loss's
        // targets; for removed patches this is information the model did not see.
        const target = patchify(x.to('float32'), this.patchSize);
        const mean = target.mean(-1, true);
        const std = target.var(-1, true, true).add(1e-6).sqrt();
        patches = patches.mul(std).add(mean);
      }
      const p = this.patchSize;
      const images = unpatchify(patches, p, this.inChannels, [h, w]); // (B, C, H, W)
      const pixelMask = unpatchify(mask.unsqueeze(-1).expand([-1, -1, p * p]), p, 1, [h, w]); // (B, 1, H, W)
      return { pred: images, mask, pixelMask };
    });
  }
}

// NOTE: MAE's checkpoints have the decoder's keys at the top level
// (`mask_token`, `decoder_blocks.0...`), so the decoder's own parameters and
// layers are registered on the method itself rather than under a `decoder.` prefix.
function adoptMembers(owner: Module, from: Module): void {
  for (const [name, p] of from.namedParameters({ recurse: false })) {
    const requiresGrad = p.requiresGrad;
    owner.registerParameter(name, p);
    p.requiresGrad_(requiresGrad);
  }
  for (const [name, child] of from.namedChildren()) owner.registerModule(name, child);
}
