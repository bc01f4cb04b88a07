// The named ViT variants: timm's sizes (Tiny to Huge) at patch sizes 4, 8, 14
// and 16, as `vit_<size>_patch<p>_224` in the registry and vit<Size><p>() here.
import { VIT_OPTIONS, VisionTransformer, VitOptions } from './vit';

/** Width, depth and heads of timm's ViT sizes. */
export const VIT_SIZES = {
  tiny: { embedDim: 192, depth: 12, numHeads: 3 },
  small: { embedDim: 384, depth: 12, numHeads: 6 },
  base: { embedDim: 768, depth: 12, numHeads: 12 },
  large: { embedDim: 1024, depth: 24, numHeads: 16 },
  huge: { embedDim: 1280, depth: 32, numHeads: 16 },
} as const;

/** A ViT size name. */
export type VitSize = keyof typeof VIT_SIZES;

/** The patch sizes with named variants. */
export const VIT_PATCH_SIZES = [4, 8, 14, 16] as const;

/** A patch size with named variants. */
export type VitPatchSize = (typeof VIT_PATCH_SIZES)[number];

/** The options a variant's name fixes. */
const FIXED_BY_NAME = ['embedDim', 'depth', 'numHeads', 'patchSize'] as const;

/** Options of a named variant: everything but the size and patch, which the name fixes. */
export type VitVariantOptions = Omit<VitOptions, (typeof FIXED_BY_NAME)[number]>;

/** The option names a named variant takes (`VIT_OPTIONS` without the ones its name fixes). */
export const VIT_VARIANT_OPTION_KEYS: readonly string[] = Object.freeze(
  VIT_OPTIONS.keys.filter((k) => !(FIXED_BY_NAME as readonly string[]).includes(k)));

/**
 * A ViT of a named size and patch size, as timm's `vit_<size>_patch<p>_224`
 * (imgSize 224 unless given: pass `imgSize: 32` for CIFAR-size inputs).
 *
 * @example
 * const enc = models.vit('tiny', 4, { imgSize: 32, numClasses: 0 }); // 64 patches of 4x4
 */
export function vit(size: VitSize, patchSize: VitPatchSize, options: VitVariantOptions = {}): VisionTransformer {
  const dims = VIT_SIZES[size];
  if (!dims) {
    throw new TypeError(`Expected one of ${Object.keys(VIT_SIZES).map((s) => `'${s}'`).join(', ')} for size but received '${String(size)}'`);
  }
  return new VisionTransformer({ ...options, ...dims, patchSize });
}

/** The function name of a variant: `vitTiny4`, ..., `vitHuge16`. */
export type VitVariantName = `vit${Capitalize<VitSize>}${VitPatchSize}`;

/** One named variant: its size, patch size, timm's registry name and the function that builds it. */
export interface VitVariant {
  size: VitSize;
  patchSize: VitPatchSize;
  /** timm's name, as `models.create` takes it: `vit_small_patch16_224`. */
  registryName: `vit_${VitSize}_patch${VitPatchSize}_224`;
  /** The builder's name in `models`: `vitSmall16`. */
  functionName: VitVariantName;
}

/**
 * Every named variant (each size at each patch size): the one list the model
 * registry and the `vit<Size><p>()` functions below are built from.
 * @example VIT_VARIANTS.find((v) => v.functionName === 'vitSmall16')!.registryName; // 'vit_small_patch16_224'
 */
export const VIT_VARIANTS: readonly VitVariant[] = Object.freeze((Object.keys(VIT_SIZES) as VitSize[]).flatMap((size) =>
  VIT_PATCH_SIZES.map((patchSize): VitVariant => ({
    size, patchSize, registryName: `vit_${size}_patch${patchSize}_224`,
    functionName: `vit${(size[0].toUpperCase() + size.slice(1)) as Capitalize<VitSize>}${patchSize}`,
  }))));

const builders = Object.fromEntries(VIT_VARIANTS.map((v) => [v.functionName,
  (options: VitVariantOptions = {}) => vit(v.size, v.patchSize, options)])) as
  Record<VitVariantName, (options?: VitVariantOptions) => VisionTransformer>;

/**
 * The named variants as functions, `vit<Size><p>(options)` = `vit(size, p,
 * options)`: ViT-T (embedDim 192, depth 12, 3 heads), ViT-S (384, 12, 6),
 * ViT-B (768, 12, 12), ViT-L (1024, 24, 16), ViT-H (1280, 32, 16), each at
 * patch 4, 8, 14 and 16 (timm's `vit_<size>_patch<p>_224`).
 *
 * @example
 * const enc = models.vitTiny4({ imgSize: 32, numClasses: 0 }); // 64 patches of 4x4
 * const big = models.vitBase16({ numClasses: 0 });             // ViT-B/16 at 224 px
 */
export const {
  vitTiny4, vitTiny8, vitTiny14, vitTiny16, vitSmall4, vitSmall8, vitSmall14, vitSmall16,
  vitBase4, vitBase8, vitBase14, vitBase16, vitLarge4, vitLarge8, vitLarge14, vitLarge16,
  vitHuge4, vitHuge8, vitHuge14, vitHuge16,
} = builders;
