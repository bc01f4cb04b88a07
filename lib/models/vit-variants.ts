// The named ViT variants: timm's sizes (Tiny to Huge) at patch sizes 4, 8, 14
// and 16, as `vit_<size>_patch<p>_224` in the registry and vit<Size><p>() here.
import { VisionTransformer, VitOptions } from './vit';

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

/** Options of a named variant: everything but the size and patch, which the name fixes. */
export type VitVariantOptions = Omit<VitOptions, 'embedDim' | 'depth' | 'numHeads' | 'patchSize'>;

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

/**
 * ViT-T/4 (`vit_tiny_patch4_224`: embedDim 192, depth 12, 3 heads, patch 4).
 * @example const enc = models.vitTiny4({ imgSize: 32, numClasses: 0 });
 */
export function vitTiny4(options: VitVariantOptions = {}): VisionTransformer {
  return vit('tiny', 4, options);
}

/**
 * ViT-T/8 (`vit_tiny_patch8_224`: embedDim 192, depth 12, 3 heads, patch 8).
 * @example const enc = models.vitTiny8({ imgSize: 32, numClasses: 0 });
 */
export function vitTiny8(options: VitVariantOptions = {}): VisionTransformer {
  return vit('tiny', 8, options);
}

/**
 * ViT-T/14 (`vit_tiny_patch14_224`: embedDim 192, depth 12, 3 heads, patch 14).
 * @example const enc = models.vitTiny14({ numClasses: 0 });
 */
export function vitTiny14(options: VitVariantOptions = {}): VisionTransformer {
  return vit('tiny', 14, options);
}

/**
 * ViT-T/16 (`vit_tiny_patch16_224`: embedDim 192, depth 12, 3 heads, patch 16).
 * @example const enc = models.vitTiny16({ numClasses: 0 });
 */
export function vitTiny16(options: VitVariantOptions = {}): VisionTransformer {
  return vit('tiny', 16, options);
}

/**
 * ViT-S/4 (`vit_small_patch4_224`: embedDim 384, depth 12, 6 heads, patch 4).
 * @example const enc = models.vitSmall4({ imgSize: 32, numClasses: 0 });
 */
export function vitSmall4(options: VitVariantOptions = {}): VisionTransformer {
  return vit('small', 4, options);
}

/**
 * ViT-S/8 (`vit_small_patch8_224`: embedDim 384, depth 12, 6 heads, patch 8).
 * @example const enc = models.vitSmall8({ imgSize: 32, numClasses: 0 });
 */
export function vitSmall8(options: VitVariantOptions = {}): VisionTransformer {
  return vit('small', 8, options);
}

/**
 * ViT-S/14 (`vit_small_patch14_224`: embedDim 384, depth 12, 6 heads, patch 14).
 * @example const enc = models.vitSmall14({ numClasses: 0 });
 */
export function vitSmall14(options: VitVariantOptions = {}): VisionTransformer {
  return vit('small', 14, options);
}

/**
 * ViT-S/16 (`vit_small_patch16_224`: embedDim 384, depth 12, 6 heads, patch 16).
 * @example const enc = models.vitSmall16({ numClasses: 0 });
 */
export function vitSmall16(options: VitVariantOptions = {}): VisionTransformer {
  return vit('small', 16, options);
}

/**
 * ViT-B/4 (`vit_base_patch4_224`: embedDim 768, depth 12, 12 heads, patch 4).
 * @example const enc = models.vitBase4({ imgSize: 32, numClasses: 0 });
 */
export function vitBase4(options: VitVariantOptions = {}): VisionTransformer {
  return vit('base', 4, options);
}

/**
 * ViT-B/8 (`vit_base_patch8_224`: embedDim 768, depth 12, 12 heads, patch 8).
 * @example const enc = models.vitBase8({ imgSize: 32, numClasses: 0 });
 */
export function vitBase8(options: VitVariantOptions = {}): VisionTransformer {
  return vit('base', 8, options);
}

/**
 * ViT-B/14 (`vit_base_patch14_224`: embedDim 768, depth 12, 12 heads, patch 14).
 * @example const enc = models.vitBase14({ numClasses: 0 });
 */
export function vitBase14(options: VitVariantOptions = {}): VisionTransformer {
  return vit('base', 14, options);
}

/**
 * ViT-B/16 (`vit_base_patch16_224`: embedDim 768, depth 12, 12 heads, patch 16).
 * @example const enc = models.vitBase16({ numClasses: 0 });
 */
export function vitBase16(options: VitVariantOptions = {}): VisionTransformer {
  return vit('base', 16, options);
}

/**
 * ViT-L/4 (`vit_large_patch4_224`: embedDim 1024, depth 24, 16 heads, patch 4).
 * @example const enc = models.vitLarge4({ imgSize: 32, numClasses: 0 });
 */
export function vitLarge4(options: VitVariantOptions = {}): VisionTransformer {
  return vit('large', 4, options);
}

/**
 * ViT-L/8 (`vit_large_patch8_224`: embedDim 1024, depth 24, 16 heads, patch 8).
 * @example const enc = models.vitLarge8({ imgSize: 32, numClasses: 0 });
 */
export function vitLarge8(options: VitVariantOptions = {}): VisionTransformer {
  return vit('large', 8, options);
}

/**
 * ViT-L/14 (`vit_large_patch14_224`: embedDim 1024, depth 24, 16 heads, patch 14).
 * @example const enc = models.vitLarge14({ numClasses: 0 });
 */
export function vitLarge14(options: VitVariantOptions = {}): VisionTransformer {
  return vit('large', 14, options);
}

/**
 * ViT-L/16 (`vit_large_patch16_224`: embedDim 1024, depth 24, 16 heads, patch 16).
 * @example const enc = models.vitLarge16({ numClasses: 0 });
 */
export function vitLarge16(options: VitVariantOptions = {}): VisionTransformer {
  return vit('large', 16, options);
}

/**
 * ViT-H/4 (`vit_huge_patch4_224`: embedDim 1280, depth 32, 16 heads, patch 4).
 * @example const enc = models.vitHuge4({ imgSize: 32, numClasses: 0 });
 */
export function vitHuge4(options: VitVariantOptions = {}): VisionTransformer {
  return vit('huge', 4, options);
}

/**
 * ViT-H/8 (`vit_huge_patch8_224`: embedDim 1280, depth 32, 16 heads, patch 8).
 * @example const enc = models.vitHuge8({ imgSize: 32, numClasses: 0 });
 */
export function vitHuge8(options: VitVariantOptions = {}): VisionTransformer {
  return vit('huge', 8, options);
}

/**
 * ViT-H/14 (`vit_huge_patch14_224`: embedDim 1280, depth 32, 16 heads, patch 14).
 * @example const enc = models.vitHuge14({ numClasses: 0 });
 */
export function vitHuge14(options: VitVariantOptions = {}): VisionTransformer {
  return vit('huge', 14, options);
}

/**
 * ViT-H/16 (`vit_huge_patch16_224`: embedDim 1280, depth 32, 16 heads, patch 16).
 * @example const enc = models.vitHuge16({ numClasses: 0 });
 */
export function vitHuge16(options: VitVariantOptions = {}): VisionTransformer {
  return vit('huge', 16, options);
}
