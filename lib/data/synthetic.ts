// Synthetic images with class-dependent structure: a fast, deterministic
// stand-in for real data in tests of methods, evaluators and the loader.
import * as torch from '../torch';
import { checkInt } from '../torch/arguments';
import { ImageDataset, makeDataset } from './dataset';

export interface SyntheticOptions {
  /** Number of images (default 1024). */
  n?: number;
  /** Channels per image (default 3). */
  channels?: number;
  /** Height and width (default 32). */
  size?: number;
  /** Number of classes (default 10). */
  classes?: number;
  /** Seed of the generator: the same options give the same images on every run (default 0). */
  seed?: number;
}

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
  const n = checkInt(options.n ?? 1024, 'synthetic options.n', 1);
  const c = checkInt(options.channels ?? 3, 'synthetic options.channels', 1);
  const size = checkInt(options.size ?? 32, 'synthetic options.size', 1);
  const k = checkInt(options.classes ?? 10, 'synthetic options.classes', 1);
  const seed = checkInt(options.seed ?? 0, 'synthetic options.seed', 0);
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
