// Several views of each image: n draws of one pipeline, or multi-crop
// (Caron et al. 2020, SwAV; DINO): global and local crops of different sizes.
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { checkInt } from '../../torch/arguments';
import { Transform, checkImages } from './transform';
import { RandomResizedCrop } from './random-resized-crop';

/** Views that share an output size, so a model can run them as one batch (DINO's student does). */
export interface ViewGroup {
  /** [height, width] of these views; null when the pipeline decides (see `views`). */
  size: [number, number] | null;
  /** Positions of these views in the array `forward` returns. */
  views: number[];
}

/**
 * A transform that returns several views of a batch: `forward` gives one
 * tensor per view, in the order that `groups` lists.
 * @example const [v1, v2] = recipe.forward(images, g);
 */
export interface MultiView {
  readonly numViews: number;
  readonly groups: readonly ViewGroup[];
  forward(images: Tensor, generator?: Generator): Tensor[];
}

/** One group of crops: `n` crops at `size` with area fraction in `scale`, each then through `pipeline`. */
export interface CropGroupOptions {
  size: number;
  /** Area fraction range of the crops. */
  scale: readonly [number, number];
  /** Number of crops. */
  n: number;
  /** Aspect ratio range. Default [3/4, 4/3]. */
  ratio?: readonly [number, number];
  interpolation?: 'bilinear' | 'bicubic';
  /**
   * What follows the crop: one transform for every crop, or one per crop
   * (DINO's two global crops differ in blur and solarization).
   */
  pipeline?: Transform | readonly Transform[];
}

/**
 * `n` views from `n` independent draws of one pipeline (SimCLR's two views).
 * NOTE: the n draws run as one batch of n x B images (the batch repeated), so a
 * GPU sees one large launch per operation instead of n small ones.
 *
 * `options.size` only labels the group (the pipeline decides the real size).
 *
 * @example
 * const twoViews = views(new Compose([new RandomResizedCrop({ size: 32 }), new RandomHorizontalFlip()]), 2);
 * const [a, b] = twoViews.forward(images, g);
 */
export function views(pipeline: Transform, n: number, options: { size?: number } = {}): MultiView {
  const count = checkInt(n, 'n', 1);
  const size = options.size === undefined ? null : checkInt(options.size, 'options.size', 1);
  if (pipeline === null || typeof pipeline !== 'object' || typeof pipeline.forward !== 'function') {
    throw new TypeError('Expected a transform (an object with forward(images, generator)) for views');
  }
  return {
    numViews: count,
    groups: [{ size: size === null ? null : [size, size], views: Array.from({ length: count }, (_, i) => i) }],
    forward(images: Tensor, generator?: Generator): Tensor[] {
      checkImages(images, 'views');
      if (count === 1) return [pipeline.forward(images, generator)];
      return pipeline.forward(images.repeat([count, 1, 1, 1]), generator).chunk(count, 0);
    },
  };
}

function group(options: CropGroupOptions, what: string): { crop: RandomResizedCrop; n: number; pipelines: Transform[] | null; shared: Transform | null } {
  const n = checkInt(options.n, `${what}.n`, 0);
  const crop = new RandomResizedCrop({ size: options.size, scale: options.scale, ratio: options.ratio,
    interpolation: options.interpolation });
  const p = options.pipeline;
  if (Array.isArray(p)) {
    if (p.length !== n) {
      throw new RangeError(`Expected ${n} pipelines (one per crop) for ${what}.pipeline but received ${p.length}`);
    }
    return { crop, n, pipelines: [...(p as Transform[])], shared: null };
  }
  return { crop, n, pipelines: null, shared: (p as Transform | undefined) ?? null };
}

function runGroup(g: ReturnType<typeof group>, images: Tensor, generator?: Generator): Tensor[] {
  if (g.n === 0) return [];
  if (g.pipelines === null) {
    const crops = g.crop.forward(g.n === 1 ? images : images.repeat([g.n, 1, 1, 1]), generator);
    const out = g.shared === null ? crops : g.shared.forward(crops, generator);
    return g.n === 1 ? [out] : out.chunk(g.n, 0);
  }
  // Different pipelines per crop: one batch per crop.
  return g.pipelines.map((p) => p.forward(g.crop.forward(images, generator), generator));
}

/**
 * Multi-crop: `global.n` crops at `global.size` and `local.n` at `local.size`,
 * global views first. DINO's defaults are global 224 px, scale [0.4, 1], 2
 * crops and local 96 px, scale [0.05, 0.4] (Caron et al. 2021, main_dino.py).
 *
 * @example
 * const mc = multiCrop({ global: { size: 224, scale: [0.4, 1], n: 2 }, local: { size: 96, scale: [0.05, 0.4], n: 6 } });
 * const crops = mc.forward(images, g); // 2 x (B, 3, 224, 224), then 6 x (B, 3, 96, 96)
 * mc.groups; // [{ size: [224, 224], views: [0, 1] }, { size: [96, 96], views: [2, ..., 7] }]
 */
export function multiCrop(options: { global: CropGroupOptions; local?: CropGroupOptions }): MultiView {
  const glob = group(options.global, 'options.global');
  const local = options.local === undefined ? null : group(options.local, 'options.local');
  const groups: ViewGroup[] = [{ size: glob.crop.size, views: Array.from({ length: glob.n }, (_, i) => i) }];
  if (local !== null && local.n > 0) {
    groups.push({ size: local.crop.size, views: Array.from({ length: local.n }, (_, i) => glob.n + i) });
  }
  return {
    numViews: glob.n + (local?.n ?? 0),
    groups,
    forward(images: Tensor, generator?: Generator): Tensor[] {
      checkImages(images, 'multiCrop');
      const out = runGroup(glob, images, generator);
      return local === null ? out : out.concat(runGroup(local, images, generator));
    },
  };
}
