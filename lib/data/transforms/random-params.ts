// Per-sample random parameters: small CPU tensors drawn from a seeded
// generator, then moved to the images' device. The images themselves never
// visit the host, and no JS loop runs over the samples.
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { rand, randn, randperm, tensor } from '../../torch/creation';

/**
 * B numbers uniform in [low, high), float64 on the CPU, as torchvision's
 * `torch.empty(1).uniform_(low, high)` once per sample.
 * @example const factors = uniform(256, 0.6, 1.4, g); // (256)
 */
export function uniform(n: number, low: number, high: number, generator?: Generator): Tensor {
  // NOTE: float64, because torchvision does this arithmetic with Python floats;
  // float32 would shift crop sizes at the rounding boundaries.
  return rand([n], { dtype: 'float64', generator }).mul(high - low).add(low);
}

/**
 * B booleans, true with probability `p` (the "apply" draw of a random transform).
 * @example const flip = bernoulli(256, 0.5, g); // (256) bool
 */
export function bernoulli(n: number, p: number, generator?: Generator): Tensor {
  return rand([n], { generator }).lt(p);
}

/**
 * A random permutation of 0..n-1 as JS numbers (for the order of colour-jitter operations).
 * @example const order = permutation(4, g); // e.g. [2, 0, 3, 1]
 */
export function permutation(n: number, generator?: Generator): number[] {
  return randperm(n, { generator }).toArray() as number[];
}

/**
 * `tries` candidate boxes per sample, as torchvision's RandomResizedCrop and
 * RandomErasing draw them: areas uniform in `scale` x `area`, aspect ratios
 * log-uniform in `ratio`. float64 (B, tries) each, on the CPU.
 * @example const { areas, aspects } = boxCandidates(256, 10, 32 * 32, [0.08, 1], [3 / 4, 4 / 3], g);
 */
export function boxCandidates(batch: number, tries: number, area: number, scale: readonly [number, number],
  ratio: readonly [number, number], generator?: Generator): { areas: Tensor; aspects: Tensor } {
  const [s0, s1] = scale;
  const [r0, r1] = ratio;
  const areas = rand([batch, tries], { dtype: 'float64', generator }).mul(area * (s1 - s0)).add(area * s0);
  const aspects = rand([batch, tries], { dtype: 'float64', generator }).mul(Math.log(r1) - Math.log(r0))
    .add(Math.log(r0)).exp();
  return { areas, aspects };
}

/**
 * Per-sample box positions: floor(u * (extent - size + 1)), as torchvision's
 * `torch.randint(0, extent - size + 1)` for each of the (B) float64 `sizes`.
 * @example const top = boxOffsets(32, heights, g); // (B) float64 in 0..32 - heights
 */
export function boxOffsets(extent: number, sizes: Tensor, generator?: Generator): Tensor {
  return rand([sizes.shape[0]], { dtype: 'float64', generator }).mul(sizes.neg().add(extent + 1)).floor();
}

/**
 * N(0, 1) noise shaped like `images`, drawn on their device.
 * NOTE: from `generator` on the CPU, from the device's default generator
 * (seeded by `torch.manualSeed`) on CUDA, because copying image-sized noise
 * from the host would cost more than the augmentation.
 * @example const noise = imageNoise(images, g); // (B, C, H, W)
 */
export function imageNoise(images: Tensor, generator?: Generator): Tensor {
  return randn(images.shape, { dtype: images.dtype, device: images.device,
    generator: images.device === 'cpu' ? generator : undefined });
}

/**
 * `params` moved to the images' device and floating dtype, shaped (B, 1, 1, 1)
 * so that it broadcasts over (B, C, H, W).
 * @example const f = perSample(uniform(B, 0.6, 1.4, g), images); // (B, 1, 1, 1)
 */
export function perSample(params: Tensor, images: Tensor): Tensor {
  return params.to({ device: images.device, dtype: images.dtype }).view([-1, 1, 1, 1]);
}

/**
 * A per-sample boolean mask on the images' device, shaped (B, 1, 1, 1).
 * @example const out = torch.where(perSampleMask(apply, x), flipped, x);
 */
export function perSampleMask(mask: Tensor, images: Tensor): Tensor {
  return mask.to({ device: images.device }).view([-1, 1, 1, 1]);
}

/**
 * A number or a (B) tensor of per-sample values, as a tensor that broadcasts over (B, C, H, W).
 * @example adjustBrightness(x, 1.2); adjustBrightness(x, torch.tensor([0.8, 1.2]))
 */
export function asPerSample(value: Tensor | number, images: Tensor): Tensor {
  if (value instanceof Tensor) {
    if (value.dim() !== 1 || value.shape[0] !== images.shape[0]) {
      throw new RangeError(`Expected one value per image, shape [${images.shape[0]}], but received shape ` +
        `[${value.shape.join(', ')}]`);
    }
    return perSample(value, images);
  }
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`Expected a number or a Tensor of per-image values but received ${String(value)}`);
  }
  return tensor([value], { dtype: images.dtype, device: images.device }).view([1, 1, 1, 1]);
}
