// Frozen features of a dataset: every image through the encoder in eval mode,
// without autograd, batch by batch, into one (N, D) float32 CPU tensor.
import * as torch from '../torch';
import { Device, Tensor } from '../torch';
import { checkDevice } from '../torch/arguments';
import { defineOptions, GivenOptions, is, option, OPTIONAL } from '../torch/option-table';
import { ImageDataset } from '../data/dataset';
import { normalize, toFloatImages } from '../data/transforms/normalize';
import { Encoder } from '../models/encoder';

/** Features and labels of a labelled set, as `knn` and `linearProbe` take them. */
export interface FeatureSet {
  /** float32 (N, D). */
  features: Tensor;
  /** int64 (N): class indices (-1 where the dataset has no labels). */
  labels: Tensor;
}

/** `extractFeatures`'s options: defaults and checks (the normalisation and the indices come from the dataset). */
export const EXTRACT_FEATURES_OPTIONS = defineOptions({
  /**
   * Images per forward pass (default 64). NOTE: 64, not 512, for the CPU's
   * sake: a 512-image batch of small_cnn at 56 px (inputScale 2) makes 103 MB
   * activations, which glibc maps and unmaps on every batch (page faults, system
   * time): 1.18 CPU s per 1,000 images against 0.6 at 32-64 (0.24 against 0.15
   * at 28 px; docs/pretext.md, "Where the CPU time goes"). Features do not
   * depend on it (eval mode).
   */
  batchSize: option(64, is.int(1)),
  /** Where the forward passes run; default the device of the encoder's parameters (which must already be there). */
  device: option<Device>(OPTIONAL, checkDevice),
});

/** Options of `extractFeatures`. */
export interface ExtractFeaturesOptions extends GivenOptions<typeof EXTRACT_FEATURES_OPTIONS.specs> {
  /** Per-channel mean used to normalise the [0, 1] images; default `dataset.mean`. */
  mean?: readonly number[];
  /** Per-channel std used to normalise the [0, 1] images; default `dataset.std`. */
  std?: readonly number[];
  /** int64 (M) positions in the dataset: extract only these images, in this order. */
  indices?: Tensor;
}

/** The device of the encoder's first parameter or buffer ('cpu' when it has none). */
export function moduleDevice(encoder: Encoder): Device {
  for (const p of encoder.parameters()) return p.device;
  for (const b of encoder.buffers()) return b.device;
  return 'cpu';
}

/**
 * Throws unless the encoder's parameters are on `device` ('cuda' and
 * 'cuda:0' are the same): evaluation never moves a caller's model.
 *
 * @example
 * checkEncoderDevice(encoder, options.device ?? moduleDevice(encoder));
 */
export function checkEncoderDevice(encoder: Encoder, device: Device): void {
  const at = moduleDevice(encoder);
  const canonical = (d: Device) => (d === 'cuda' ? 'cuda:0' : d);
  if (canonical(at) !== canonical(device)) {
    throw new RangeError(`The encoder's parameters are on ${at} but options.device is ${device}: move the encoder ` +
      `first with encoder.to('${device}') or leave options.device out`);
  }
}

/** Checks the indices option against a dataset of `n` images and returns it as int64 (a new tensor). */
function checkIndices(indices: unknown, n: number, name: string): Tensor {
  if (!(indices instanceof Tensor) || indices.dim() !== 1 || !['int64', 'int32'].includes(indices.dtype)) {
    throw new TypeError('Expected a 1-D int64 tensor of dataset positions for options.indices but received ' +
      (indices instanceof Tensor ? `${indices.dtype} of shape [${indices.shape.join(', ')}]` : String(indices)));
  }
  if (indices.shape[0] > 0) {
    const [lo, hi] = torch.scope(() => [indices.min().item() as number, indices.max().item() as number]);
    if (lo < 0 || hi >= n) {
      throw new RangeError(`Expected options.indices in 0..${n - 1} (dataset '${name}' has ${n} images) but found ` +
        `indices from ${lo} to ${hi}`);
    }
  }
  return indices.to({ dtype: 'int64', device: 'cpu' });
}

/**
 * Runs `fn` with the encoder in eval mode (batch norm uses running statistics,
 * dropout is off) and restores each submodule's own training flag afterwards,
 * even when `fn` throws.
 *
 * @example
 * const out = inEvalMode(encoder, () => encoder.forward(x));
 */
export function inEvalMode<T>(encoder: Encoder, fn: () => T): T {
  const modules = [...encoder.modules()];
  const modes = modules.map((m) => m.training);
  encoder.eval();
  try {
    return fn();
  } finally {
    modules.forEach((m, i) => {
      m.training = modes[i];
    });
  }
}

/**
 * The encoder's features of every image of a dataset (or of `indices`):
 * uint8 images -> float in [0, 1] -> `(x - mean) / std` per channel ->
 * `encoder.forward` in eval mode under `torch.noGrad`, in batches of
 * `batchSize`, each inside a memory scope. Features come back as float32
 * (N, D) on the CPU, labels as int64 (N) on the CPU (all -1 when the dataset
 * is unlabelled; `knn` and `linearProbe` reject those). The encoder's
 * training flags are restored afterwards. An encoder that returns more than
 * 2 dimensions has its output flattened to (N, -1).
 *
 * @example
 * const enc = models.create('small_cnn', { inChannels: 1 });
 * const train = evaluate.extractFeatures(enc, data.fashionMnist({ split: 'train' }), { batchSize: 1024 });
 * train.features.shape; // [60000, 128]
 */
export function extractFeatures(encoder: Encoder, dataset: ImageDataset, options: ExtractFeaturesOptions = {}): FeatureSet {
  if (encoder === null || typeof encoder !== 'object' || typeof encoder.forward !== 'function' ||
    typeof encoder.modules !== 'function') {
    throw new TypeError(`Expected an Encoder (a Module with forward) for extractFeatures but received ${String(encoder)}`);
  }
  const images = dataset?.images;
  if (!(images instanceof Tensor) || images.dim() !== 4) {
    throw new TypeError('Expected an ImageDataset with (N, C, H, W) images for extractFeatures but received ' +
      (images instanceof Tensor ? `images of shape [${images.shape.join(', ')}]` : String(dataset)));
  }
  const o = EXTRACT_FEATURES_OPTIONS.resolve(options, (k) => `options.${k}`);
  const batchSize = o.batchSize;
  const device = o.device ?? moduleDevice(encoder);
  checkEncoderDevice(encoder, device);
  const mean = options.mean ?? dataset.mean;
  const std = options.std ?? dataset.std;
  const n = images.shape[0];
  const order = options.indices === undefined ? null : checkIndices(options.indices, n, dataset.name);
  try {
    const count = order === null ? n : order.shape[0];
    const labels = torch.scope(() => {
      if (dataset.labels === undefined) return torch.full([count], -1, { dtype: 'int64' });
      return order === null ? dataset.labels.clone() : dataset.labels.indexSelect(0, order);
    });
    let features: Tensor | null = null;
    try {
      inEvalMode(encoder, () => torch.noGrad(() => {
        for (let start = 0; start < count; start += batchSize) {
          const size = Math.min(batchSize, count - start);
          const y = torch.scope(() => {
            const batch = order === null ? images.narrow(0, start, size)
              : images.indexSelect(0, order.narrow(0, start, size)); // (B, C, H, W) uint8
            const x = normalize(toFloatImages(batch, { device }), mean, std);
            const out = encoder.forward(x); // (B, D)
            return (out.dim() === 2 ? out : out.flatten(1)).to({ dtype: 'float32', device: 'cpu' });
          });
          // NOTE: allocated outside the batch scopes (so it belongs to the
          // caller's scope, if any) once the first batch tells its width.
          if (features === null) features = torch.empty([count, y.shape[1]]);
          const all: Tensor = features;
          try {
            if (y.shape[1] !== all.shape[1]) {
              throw new RangeError(`The encoder returned ${y.shape[1]} features per image for the batch at ${start} ` +
                `but ${all.shape[1]} before`);
            }
            torch.scope(() => {
              all.narrow(0, start, size).copy_(y);
            });
          } finally {
            y.dispose();
          }
        }
      }));
    } catch (err) {
      labels.dispose();
      (features as Tensor | null)?.dispose();
      throw err;
    }
    const out = features ?? torch.empty([0, encoder.featureDim ?? 0]);
    return { features: out, labels };
  } finally {
    order?.dispose();
  }
}
