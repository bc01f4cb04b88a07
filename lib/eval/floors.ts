// The floors a learned representation is read against: raw pixels, and an
// encoder with random weights (same architecture, untrained).
import * as torch from '../torch';
import { Tensor } from '../torch';
import { checkInt } from '../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';
import { ImageDataset } from '../data/dataset';
import { normalize, toFloatImages } from '../data/transforms/normalize';
import { Encoder } from '../models/encoder';
import { FeatureSet } from './features';

/** Options of `rawPixelFeatures`. */
/** `rawPixelFeatures`'s options with a default: the table. */
export const RAW_PIXEL_OPTIONS = defineOptions({
  /** Images converted at once (default 4096), to bound the float copy made per step. */
  batchSize: option(4096, is.int(1)),
});

export interface RawPixelOptions extends GivenOptions<typeof RAW_PIXEL_OPTIONS.specs> {
  /** int64 (M) positions in the dataset: only these images, in this order. */
  indices?: Tensor;
  /** Per-channel mean for `(x - mean) / std` on [0, 1] pixels; default none (pixels stay in [0, 1]). */
  mean?: readonly number[];
  /** Per-channel std, with `mean` (e.g. `dataset.std`). */
  std?: readonly number[];
}

/**
 * Raw pixels as features: each image as [0, 1] floats (or, given `mean` and
 * `std`, normalised per channel with `(x - mean) / std`), flattened to
 * (N, C * H * W) float32 on the CPU. Labels are -1 when the dataset has none.
 * Put through `knn` (which L2-normalises them: the cosine of pixel vectors)
 * they give the raw-pixel floor. On Fashion-MNIST (10,000 test images
 * against the 60,000 training images, k = 20, T = 0.07): 84.6% for [0, 1]
 * pixels, the calibration number (and PyTorch's, same code); 85.7%
 * when normalised with the dataset's mean and std (mean-centred cosine).
 *
 * NOTE: the default leaves pixels in [0, 1] because that is what "raw pixels"
 * means in the k-NN floors quoted for Fashion-MNIST; `linearProbe`
 * standardises its inputs itself, so the choice does not change it.
 *
 * @example
 * const train = evaluate.rawPixelFeatures(data.fashionMnist({ split: 'train' })); // features (60000, 784)
 * const test = evaluate.rawPixelFeatures(data.fashionMnist({ split: 'test' }));
 * evaluate.knn(train, test).top1[20]; // 0.846
 */
export function rawPixelFeatures(dataset: ImageDataset, options: RawPixelOptions = {}): FeatureSet {
  const images = dataset?.images;
  if (!(images instanceof Tensor) || images.dim() !== 4) {
    throw new TypeError('Expected an ImageDataset with (N, C, H, W) images for rawPixelFeatures but received ' +
      (images instanceof Tensor ? `images of shape [${images.shape.join(', ')}]` : String(dataset)));
  }
  const { batchSize } = RAW_PIXEL_OPTIONS.resolve(options, (k) => `options.${k}`);
  const { mean, std } = options;
  if ((mean === undefined) !== (std === undefined)) {
    throw new TypeError('Expected both options.mean and options.std (or neither) for rawPixelFeatures but received ' +
      `only ${mean === undefined ? 'std' : 'mean'}`);
  }
  const [n, c, h, w] = images.shape;
  const idx = options.indices;
  if (idx !== undefined) {
    if (!(idx instanceof Tensor) || idx.dim() !== 1) {
      throw new TypeError('Expected a 1-D int64 tensor of dataset positions for options.indices but received ' +
        (idx instanceof Tensor ? `shape [${idx.shape.join(', ')}]` : String(idx)));
    }
  }
  return torch.scope(() => {
    const order = idx === undefined ? null : idx.long();
    if (order !== null && order.shape[0] > 0) {
      const [lo, hi] = [order.min().item() as number, order.max().item() as number];
      if (lo < 0 || hi >= n) {
        throw new RangeError(`Expected options.indices in 0..${n - 1} (dataset '${dataset.name}' has ${n} images) ` +
          `but found indices from ${lo} to ${hi}`);
      }
    }
    const count = order === null ? n : order.shape[0];
    const features = torch.empty([count, c * h * w]); // (M, C*H*W)
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      torch.scope(() => {
        const batch = order === null ? images.narrow(0, start, size) : images.indexSelect(0, order.narrow(0, start, size));
        const x = toFloatImages(batch); // (B, C, H, W) in [0, 1]
        features.narrow(0, start, size).copy_((mean === undefined ? x : normalize(x, mean, std!)).flatten(1));
      });
    }
    const labels = dataset.labels === undefined ? torch.full([count], -1, { dtype: 'int64' })
      : order === null ? dataset.labels.clone() : dataset.labels.indexSelect(0, order);
    return { features, labels };
  });
}

/**
 * Builds a fresh encoder with random weights from `factory` under a fixed
 * seed (the global generator's state is saved and restored, so the caller's
 * random stream is untouched): the random-encoder floor is `extractFeatures`
 * of this encoder, evaluated like the trained one. `seededEncoder(f, 0)`
 * has the weights of `torch.manualSeed(0); f()`.
 *
 * NOTE: `torch.manualSeed` also reseeds the CUDA generators, whose state is
 * not restored; only the CPU stream (which builds the weights) is.
 *
 * @example
 * const random = evaluate.seededEncoder(() => models.create('small_cnn', { inChannels: 1 }), 0);
 * const feats = evaluate.extractFeatures(random, testSet);
 */
export function seededEncoder<E extends Encoder>(factory: () => E, seed = 0): E {
  if (typeof factory !== 'function') {
    throw new TypeError(`Expected a function that builds an encoder for seededEncoder but received ${String(factory)}`);
  }
  checkInt(seed, 'seed', 0);
  const state = torch.getRngState();
  try {
    torch.manualSeed(seed);
    return factory();
  } finally {
    torch.setRngState(state);
    state.dispose();
  }
}
