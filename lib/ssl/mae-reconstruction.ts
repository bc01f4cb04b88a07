// A picture of what an MAE learned: original | masked input | reconstruction,
// one row per image, as the figures of the MAE paper.
import * as torch from '../torch';
import { Generator, Tensor } from '../torch';
import { defineOptions, GivenOptions, is, option, OPTIONAL } from '../torch/option-table';
import { ImageGridInfo, writeImageGrid } from '../data/image-grid';
import { MAE } from './mae';

/** `writeReconstruction`'s options with a default: the table. */
export const RECONSTRUCTION_OPTIONS = defineOptions({
  /** Images (rows) to show, the first n of the batch. Default 8 (or fewer when the batch is smaller). */
  n: option(8, is.int(1)),
  /** Integer magnification. Default: enough for cells of at least 64 px. */
  scale: option(OPTIONAL, is.int(1)),
  /** Gray level in [0, 1] of the removed patches in the middle column. Default 0.5. */
  maskValue: option(0.5, is.number(0, 1)),
});

/** Options of `writeReconstruction`. */
export interface ReconstructionOptions extends GivenOptions<typeof RECONSTRUCTION_OPTIONS.specs> {
  /** Per-channel mean the images were normalised with (in [0, 1] units). */
  mean: readonly number[];
  /** Per-channel std the images were normalised with. */
  std: readonly number[];
  /** Draw the mask from this generator (same picture on every call). */
  generator?: Generator;
}

/**
 * Writes a PNG (atomically) with three columns: the original images, the
 * input with the removed patches grayed out, and the reconstruction with the
 * visible patches pasted back (`x * (1 - mask) + pred * mask`, as MAE's
 * visualisation demo). `images` are (B, C, H, W) normalised as the model's
 * input; they are de-normalised with `mean` and `std` for display. The model
 * runs in eval mode without gradients; its training mode is restored.
 *
 * @example
 * await writeReconstruction('runs/mae/reconstruction.png', method, testBatch,
 *   { mean: dataset.mean, std: dataset.std, n: 8 });
 */
export async function writeReconstruction(file: string, method: MAE, images: Tensor,
  options: ReconstructionOptions): Promise<ImageGridInfo> {
  if (!(method instanceof MAE)) throw new TypeError('Expected an MAE method for writeReconstruction');
  if (!(images instanceof Tensor) || images.dim() !== 4) {
    throw new RangeError(`Expected normalised images of shape (B, C, H, W) for writeReconstruction but received ` +
      (images instanceof Tensor ? `shape [${images.shape.join(', ')}]` : String(images)));
  }
  const [B, C, H] = images.shape;
  const { mean, std } = options;
  if (!Array.isArray(mean) || !Array.isArray(std) || mean.length !== C || std.length !== C) {
    throw new RangeError(`Expected mean and std with ${C} values (one per channel) for writeReconstruction but ` +
      `received ${JSON.stringify(mean)} and ${JSON.stringify(std)}`);
  }
  const o = RECONSTRUCTION_OPTIONS.resolve(options, (k) => `options.${k}`);
  const n = Math.min(o.n, B);
  const scale = o.scale ?? Math.max(1, Math.ceil(64 / H)); // cells of at least 64 px
  const { maskValue } = o;
  const wasTraining = method.training;
  method.eval();
  try {
    const columns = torch.scope(() => {
      const x = images.narrow(0, 0, n);
      const { pred, pixelMask } = method.reconstruct(x, { generator: options.generator });
      const m = torch.tensor([...mean], { device: x.device }).view([1, C, 1, 1]);
      const s = torch.tensor([...std], { device: x.device }).view([1, C, 1, 1]);
      const show = (t: Tensor): Tensor => t.to('float32').mul(s).add(m).clamp(0, 1); // back to [0, 1]
      const original = show(x);
      const masked = original.mul(pixelMask.neg().add(1)).add(pixelMask.mul(maskValue));
      const pasted = show(x.to('float32').mul(pixelMask.neg().add(1)).add(pred.mul(pixelMask)));
      return [original, masked, pasted].map((t) => torch.keep(t.cpu()));
    });
    try {
      return await writeImageGrid(file, columns, { scale });
    } finally {
      for (const c of columns) c.dispose();
    }
  } finally {
    method.train(wasTraining);
  }
}
