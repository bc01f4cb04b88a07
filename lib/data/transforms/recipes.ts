// The augmentation recipes of the papers, scaled by the options to any image
// size: each returns a MultiView whose forward gives the views a method trains on.
import { checkOptionKeys, defineOptions, GivenOptions, is, option, OPTIONAL } from '../../torch/option-table';
import { Transform } from './transform';
import { Compose } from './compose';
import { RandomResizedCrop } from './random-resized-crop';
import { RandomHorizontalFlip } from './flip';
import { ColorJitter } from './color-jitter';
import { RandomGrayscale } from './grayscale';
import { GaussianBlur, simclrKernelSize } from './gaussian-blur';
import { RandomSolarize } from './solarize';
import { Normalize } from './normalize';
import { MultiView, multiCrop, views } from './multi-crop';

/** The options every recipe takes that have a default (`size`'s is the recipe's own). */
export const RECIPE_OPTIONS = defineOptions({
  /** Output side in pixels (the crop size). Default 224 (32 for `simclr`). */
  size: option(224, is.int(1)),
  /** Channels of the input (1 for Fashion-MNIST: saturation, hue and grayscale become no-ops). Default 3. */
  channels: option(3, (c: unknown, what: string): number => {
    if (c !== 1 && c !== 3) throw new RangeError(`Expected 1 or 3 for ${what} but received ${String(c)}`);
    return c;
  }),
});

/** Names a recipe option in messages. */
const what = (k: string): string => `options.${k}`;

/** Refuses keys the recipe does not know (a misspelt `sise` would otherwise be ignored), as the transforms do. */
function checkKeys(options: object, keys: readonly string[], recipe: string): void {
  checkOptionKeys(options, [...keys, 'mean', 'std'], `recipes.${recipe}`);
}

/** Options every recipe takes. */
export interface RecipeOptions extends GivenOptions<typeof RECIPE_OPTIONS.specs> {
  /** Per-channel mean and std to normalise with as the last step; no normalisation when omitted. */
  mean?: readonly number[];
  std?: readonly number[];
}

function finish(steps: Transform[], o: RecipeOptions): Compose {
  if (o.mean !== undefined || o.std !== undefined) {
    if (o.mean === undefined || o.std === undefined) throw new TypeError('Expected both mean and std, or neither');
    steps.push(new Normalize({ mean: o.mean, std: o.std }));
  }
  return new Compose(steps);
}

/** `simclr`'s options: defaults and checks. */
export const SIMCLR_RECIPE_OPTIONS = defineOptions({
  ...RECIPE_OPTIONS.specs,
  /** Output side in pixels (the crop size). Default 32 (CIFAR). */
  size: option(32, is.int(1)),
  /**
   * 'cifar' (no blur) or 'imagenet' (blur p = 0.5, sigma [0.1, 2], kernel 10% of the side).
   * Default: 'cifar' up to 64 px, 'imagenet' above.
   */
  variant: option<'cifar' | 'imagenet'>(OPTIONAL, (v, name) => {
    if (v !== 'cifar' && v !== 'imagenet') throw new TypeError(`Expected 'cifar' or 'imagenet' for ${name} but received ${String(v)}`);
    return v;
  }),
  /** Colour jitter strength s: jitter (0.8s, 0.8s, 0.8s, 0.2s). Default 0.5 for 'cifar', 1 for 'imagenet'. */
  strength: option(OPTIONAL, is.number(0)),
  /** Area range of the random resized crop. Default [0.08, 1] (the paper's). */
  scale: option([0.08, 1] as const, is.range(0)),
});

/** Options of `simclr`. */
export interface SimclrOptions extends RecipeOptions, GivenOptions<typeof SIMCLR_RECIPE_OPTIONS.specs> {}

/**
 * SimCLR's two views (Chen et al. 2020, "A Simple Framework for Contrastive
 * Learning of Visual Representations", appendix A): random resized crop
 * (scale [0.08, 1]), horizontal flip, colour jitter (0.8s, 0.8s, 0.8s, 0.2s)
 * with p = 0.8, grayscale with p = 0.2, and on ImageNet Gaussian blur with
 * p = 0.5, sigma in [0.1, 2.0]. On CIFAR-10 s = 0.5 (jitter 0.4, 0.4, 0.4,
 * 0.1) and no blur ("we do not use Gaussian blur on CIFAR-10", B.9).
 *
 * @example
 * const recipe = recipes.simclr({ size: 32, mean: cifar.mean, std: cifar.std });
 * const [x1, x2] = recipe.forward(images, g);
 * recipes.simclr({ size: 28, channels: 1 }); // Fashion-MNIST
 */
export function simclr(options: SimclrOptions = {}): MultiView {
  checkKeys(options, SIMCLR_RECIPE_OPTIONS.keys, 'simclr');
  const o = SIMCLR_RECIPE_OPTIONS.resolve(options, what);
  const size = o.size;
  const variant = o.variant ?? (size <= 64 ? 'cifar' : 'imagenet');
  const s = o.strength ?? (variant === 'cifar' ? 0.5 : 1);
  const steps: Transform[] = [
    new RandomResizedCrop({ size, scale: o.scale }),
    new RandomHorizontalFlip({ p: 0.5 }),
    new ColorJitter({ brightness: 0.8 * s, contrast: 0.8 * s, saturation: 0.8 * s, hue: 0.2 * s, p: 0.8 }),
    new RandomGrayscale({ p: 0.2 }),
  ];
  if (variant === 'imagenet') steps.push(new GaussianBlur({ kernelSize: simclrKernelSize(size), sigma: [0.1, 2.0], p: 0.5 }));
  return views(finish(steps, options), 2, { size });
}

/** The colour part shared by BYOL and DINO: flip, jitter (0.4, 0.4, 0.2, 0.1) p = 0.8, grayscale p = 0.2. */
function byolColour(): Transform[] {
  return [
    new RandomHorizontalFlip({ p: 0.5 }),
    new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1, p: 0.8 }),
    new RandomGrayscale({ p: 0.2 }),
  ];
}

/**
 * BYOL's asymmetric pair (Grill et al. 2020, "Bootstrap Your Own Latent",
 * table 6): both views get random resized crop (scale [0.08, 1], bicubic),
 * flip, colour jitter (0.4, 0.4, 0.2, 0.1) with p = 0.8 and grayscale with
 * p = 0.2; view 1 is always blurred (p = 1.0) and never solarized, view 2 is
 * blurred with p = 0.1 and solarized with p = 0.2. Blur sigma in [0.1, 2.0],
 * kernel 23 px at 224 (10% of the side).
 *
 * @example const [online, target] = recipes.byol({ size: 32 }).forward(images, g);
 */
export function byol(options: RecipeOptions = {}): MultiView {
  checkKeys(options, RECIPE_OPTIONS.keys, 'byol');
  const { size } = RECIPE_OPTIONS.resolve(options, what);
  const kernelSize = simclrKernelSize(size);
  const view = (blur: number, solarize: number): Transform => finish([
    ...byolColour(),
    new GaussianBlur({ kernelSize, sigma: [0.1, 2.0], p: blur }),
    new RandomSolarize({ threshold: 0.5, p: solarize }),
  ], options);
  return multiCrop({ global: { size, scale: [0.08, 1], n: 2, interpolation: 'bicubic',
    pipeline: [view(1.0, 0), view(0.1, 0.2)] } });
}

/** `dino`'s options: defaults and checks. */
export const DINO_RECIPE_OPTIONS = defineOptions({
  ...RECIPE_OPTIONS.specs,
  /** Side of the global crops; `size` when omitted (224 when that is omitted too). */
  globalSize: option(OPTIONAL, is.int(1)),
  /** Side of the local crops. Default 96 / 224 of the global side (96 at 224). */
  localSize: option(OPTIONAL, is.int(1)),
  /** Number of local crops. Default 8 (main_dino.py --local_crops_number). */
  localCrops: option(8, is.int(0)),
  /** Area range of the global crops. Default [0.4, 1]. */
  globalScale: option([0.4, 1] as const, is.range(0)),
  /** Area range of the local crops. Default [0.05, 0.4]. */
  localScale: option([0.05, 0.4] as const, is.range(0)),
});

/** Options of `dino`. */
export interface DinoOptions extends RecipeOptions, GivenOptions<typeof DINO_RECIPE_OPTIONS.specs> {}

/**
 * DINO's multi-crop (Caron et al. 2021, "Emerging Properties in
 * Self-Supervised Vision Transformers", main_dino.py DataAugmentationDINO):
 * 2 global crops (224 px, scale [0.4, 1], bicubic) and K local crops (96 px,
 * scale [0.05, 0.4]); all get flip, jitter (0.4, 0.4, 0.2, 0.1) p = 0.8 and
 * grayscale p = 0.2; global crop 1 is blurred with p = 1.0, global crop 2 with
 * p = 0.1 and solarized with p = 0.2, local crops blurred with p = 0.5.
 *
 * @example
 * const recipe = recipes.dino({ globalSize: 224, localSize: 96, localCrops: 6 });
 * const crops = recipe.forward(images, g); // 2 global, then 6 local
 */
export function dino(options: DinoOptions = {}): MultiView {
  checkKeys(options, DINO_RECIPE_OPTIONS.keys, 'dino');
  const o = DINO_RECIPE_OPTIONS.resolve(options, what);
  const globalSize = o.globalSize ?? o.size;
  const localSize = o.localSize ?? Math.max(1, Math.round((globalSize * 96) / 224)); // 96 at 224, as main_dino.py
  const localCrops = o.localCrops;
  const globalKernel = simclrKernelSize(globalSize);
  const pipeline = (kernelSize: number, blur: number, solarize: number): Transform => {
    const steps = [...byolColour(), new GaussianBlur({ kernelSize, sigma: [0.1, 2.0], p: blur })];
    if (solarize > 0) steps.push(new RandomSolarize({ threshold: 0.5, p: solarize }));
    return finish(steps, options);
  };
  return multiCrop({
    global: { size: globalSize, scale: o.globalScale, n: 2, interpolation: 'bicubic',
      pipeline: [pipeline(globalKernel, 1.0, 0), pipeline(globalKernel, 0.1, 0.2)] },
    local: { size: localSize, scale: o.localScale, n: localCrops, interpolation: 'bicubic',
      pipeline: pipeline(simclrKernelSize(localSize), 0.5, 0) },
  });
}

/**
 * MAE's augmentation (He et al. 2022, "Masked Autoencoders Are Scalable
 * Vision Learners", main_pretrain.py): random resized crop with scale
 * [0.2, 1] (bicubic) and horizontal flip only; one view.
 *
 * @example const [x] = recipes.mae({ size: 224, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }).forward(images, g);
 */
export function mae(options: RecipeOptions = {}): MultiView {
  checkKeys(options, RECIPE_OPTIONS.keys, 'mae');
  const { size } = RECIPE_OPTIONS.resolve(options, what);
  return multiCrop({ global: { size, scale: [0.2, 1], n: 1, interpolation: 'bicubic',
    pipeline: finish([new RandomHorizontalFlip({ p: 0.5 })], options) } });
}

/** The recipes by name, for the command line. */
export const RECIPES = { simclr, byol, dino, mae } as const;

/** A recipe's name. */
export type RecipeName = keyof typeof RECIPES;
