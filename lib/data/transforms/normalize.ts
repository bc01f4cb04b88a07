// Per-channel normalisation, and the conversion of uint8 images to [0, 1] floats.
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { checkDevice, checkDtype, Device } from '../../torch/dtype';
import { defineOptions, GivenOptions, option, OPTIONAL } from '../../torch/option-table';
import { tensor } from '../../torch/creation';
import { Transform, checkImages } from './transform';

/**
 * One value per channel: `values` as given when it has `C` of them, its one value repeated when it has one
 * (what `normalize` accepts); refused otherwise, naming `what`.
 *
 * @example perChannel([0.5], 3, 'mean', false) // [0.5, 0.5, 0.5]
 */
export function perChannel(values: readonly number[], C: number, what: string, positive: boolean): number[] {
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && (!positive || v > 0)) ||
    (values.length !== C && values.length !== 1)) {
    throw new RangeError(`Expected ${C} ${positive ? 'positive ' : ''}numbers (one per channel) for ${what} but ` +
      `received ${JSON.stringify(values)}`);
  }
  return values.length === 1 ? new Array<number>(C).fill(values[0]) : [...values];
}

/**
 * `(images - mean) / std` per channel, as torchvision's `F.normalize`.
 * @example const x = normalize(images, [0.4914, 0.4822, 0.4465], [0.247, 0.243, 0.261]);
 */
export function normalize(images: Tensor, mean: readonly number[], std: readonly number[]): Tensor {
  const [, C] = checkImages(images, 'normalize');
  const opts = { dtype: images.dtype, device: images.device };
  const m = tensor(perChannel(mean, C, 'mean', false), opts).view([1, C, 1, 1]);
  const s = tensor(perChannel(std, C, 'std', true), opts).view([1, C, 1, 1]);
  return images.sub(m).div(s);
}

/**
 * `normalize` as a pipeline step (usually the last).
 * @example new Normalize({ mean: dataset.mean, std: dataset.std })
 */
export class Normalize implements Transform {
  readonly mean: number[];
  readonly std: number[];

  constructor(options: { mean: readonly number[]; std: readonly number[] }) {
    if (!Array.isArray(options.mean) || !Array.isArray(options.std) || options.mean.length !== options.std.length) {
      throw new RangeError(`Expected mean and std of the same length for Normalize but received ` +
        `${JSON.stringify(options.mean)} and ${JSON.stringify(options.std)}`);
    }
    this.mean = [...options.mean];
    this.std = [...options.std];
  }

  forward(images: Tensor, _generator?: Generator): Tensor {
    return normalize(images, this.mean, this.std);
  }
}

/** `toFloatImages`'s options: defaults and checks. */
export const TO_FLOAT_OPTIONS = defineOptions({
  /** Where the images go; the device they are on when omitted. */
  device: option<Device>(OPTIONAL, checkDevice),
  /** The float type. Default 'float32'. */
  dtype: option('float32', checkDtype),
});

/**
 * uint8 images (0..255, as an ImageDataset holds them) to float images in
 * [0, 1], moved to `device` first so that only bytes cross the bus.
 * @example const x = toFloatImages(dataset.images.narrow(0, 0, 256), { device: 'cuda' });
 */
export function toFloatImages(images: Tensor, options: GivenOptions<typeof TO_FLOAT_OPTIONS.specs> = {}): Tensor {
  if (!(images instanceof Tensor) || images.dim() !== 4) {
    throw new RangeError(`Expected images of shape (B, C, H, W) for toFloatImages but received ` +
      (images instanceof Tensor ? `shape [${images.shape.join(', ')}]` : String(images)));
  }
  const { device, dtype } = TO_FLOAT_OPTIONS.resolve(options, (k) => `toFloatImages options.${k}`);
  const onDevice = images.to({ device: device ?? images.device });
  return images.dtype === 'uint8' ? onDevice.to(dtype).div(255) : onDevice.to(dtype);
}
