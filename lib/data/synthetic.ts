// Synthetic images with class-dependent structure: a fast, deterministic
// stand-in for real data in tests of methods, evaluators and the loader.
import * as torch from '../torch';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';
import { ImageDataset, makeDataset } from './dataset';

/** `synthetic`'s options: defaults and checks. */
export const SYNTHETIC_OPTIONS = defineOptions({
  /** Number of images (default 1024). */
  n: option(1024, is.int(1)),
  /** Channels per image (default 3). */
  channels: option(3, is.int(1)),
  /** Height and width (default 32). */
  size: option(32, is.int(1)),
  /** Number of classes (default 10). */
  classes: option(10, is.int(1)),
  /** Seed of the generator: the same options give the same images on every run (default 0). */
  seed: option(0, is.int(0)),
});

export type SyntheticOptions = GivenOptions<typeof SYNTHETIC_OPTIONS.specs>;

/**
 * Deterministic synthetic images: each class has a smooth random colour
 * pattern (a 4x4 grid of random values, bilinearly upsampled); each image is
 * 0.6 x its class pattern + 0.4 x a smooth pattern of its own + pixel noise
 * (sigma 0.04), in uint8. Labels are balanced (n / classes each, shuffled),
 * so a k-NN classifier on raw pixels is well above chance while single images
 * still differ.
 *
 * @example
 * const ds = data.synthetic({ n: 512, channels: 3, size: 32, classes: 10, seed: 0 });
 * ds.images.shape; // [512, 3, 32, 32]
 */
export function synthetic(options: SyntheticOptions = {}): ImageDataset {
  const { n, channels: c, size, classes: k, seed } = SYNTHETIC_OPTIONS.resolve(options, (key) => `synthetic options.${key}`);
  const generator = new torch.Generator().manualSeed(seed);
  const smooth = (count: number) => torch.ops.aten.upsample_bilinear2d(
    torch.rand([count, c, 4, 4], { generator }), [size, size], false) as torch.Tensor; // (count, C, size, size)
  const parts = torch.scope(() => {
    const prototypes = smooth(k); // (K, C, S, S)
    const labels = torch.arange(n).remainder(k).indexSelect(0, torch.randperm(n, { generator })); // (N)
    const own = smooth(n);
    const noise = torch.randn([n, c, size, size], { generator }).mul(0.04);
    const x = prototypes.indexSelect(0, labels).mul(0.6).add(own.mul(0.4)).add(noise); // (N, C, S, S) in ~[0, 1]
    const images = x.mul(255).round().clamp(0, 255).to('uint8');
    return { images, labels };
  });
  const classes = Array.from({ length: k }, (_, i) => `class${i}`);
  return makeDataset({ name: `synthetic-${n}x${c}x${size}x${size}-k${k}-s${seed}`, ...parts, classes });
}
