// An encoder run over multi-crop views: once per run of consecutive crops of
// the same resolution, as SwAV's and DINO's multi-crop wrappers do.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Encoder } from '../models/encoder';

/**
 * The encoder's features of every crop, crop-major (nCrops * B, featureDim):
 * consecutive crops of one resolution are concatenated into one batch (the
 * global crops together, the local crops together), so batch norm sees each
 * resolution's crops at once, as the official SwAV forward.
 *
 * @example const features = forwardByResolution(method.encoder, crops); // 2 x 28 px + 6 x 12 px -> (8B, 64)
 */
export function forwardByResolution(encoder: Encoder, crops: readonly Tensor[]): Tensor {
  const features: Tensor[] = [];
  let start = 0;
  while (start < crops.length) {
    const [, , h, w] = crops[start].shape;
    let end = start + 1;
    while (end < crops.length && crops[end].shape[2] === h && crops[end].shape[3] === w) end++;
    const batch = end - start === 1 ? crops[start] : torch.cat(crops.slice(start, end), 0); // (n * B, C, h, w)
    features.push(encoder.forward(batch)); // (n * B, featureDim)
    start = end;
  }
  return features.length === 1 ? features[0] : torch.cat(features, 0);
}

/**
 * Throws unless `views` are at least `min` 4-D crops of one batch size; returns that batch size.
 * @example const b = checkCrops(views, 'SwAV');
 */
export function checkCrops(views: readonly Tensor[], method: string, min = 2): number {
  if (!Array.isArray(views) || views.length < min || !views.every((v) => v instanceof Tensor && v.dim() === 4)) {
    throw new TypeError(`${method} expects at least ${min} (B, C, H, W) crops (as its augmentation() gives) but received ` +
      `${Array.isArray(views) ? `${views.length} item(s)` : String(views)}`);
  }
  const b = views[0].shape[0];
  if (views.some((v) => v.shape[0] !== b)) {
    throw new RangeError(`${method} expects crops of one batch size but received ${views.map((v) => v.shape[0]).join(', ')}`);
  }
  return b;
}
