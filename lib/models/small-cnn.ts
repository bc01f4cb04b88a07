// A small convolutional encoder for 28-32 px images that trains in minutes on
// a couple of CPU cores: the default job's encoder and the tests' model.
import { Tensor } from '../torch';
import { scope } from '../torch/scope';
import { BatchNorm2d, Conv2d, Identity, init, Linear, Module, ReLU, TensorModule } from '../nn';
import { adaptiveAvgPool2d, interpolate } from '../nn/functional';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';
import { describe } from '../torch/arguments';
import { Encoder } from './encoder';

/** `SmallCnn`'s options: defaults and checks. */
export const SMALL_CNN_OPTIONS = defineOptions({
  /** Channels of the input images (1 for Fashion-MNIST). Default 3. */
  inChannels: option(3, is.int(1)),
  /** Classifier outputs; 0 (the default: this is an encoder first) makes `fc` an Identity. */
  numClasses: option(0, is.int(0)),
  /** Channels of the first convolution; later stages use 2x and 4x. Default 32 (featureDim 128). */
  width: option(32, is.int(1)),
  /**
   * Side of the grid the last feature map is average-pooled to before it is
   * flattened: 1 (the default) is global average pooling (featureDim 4w);
   * 2 keeps the four quadrants apart (featureDim 16w), which keeps where in
   * the image a feature fired, at no extra compute.
   */
  pool: option(1, is.int(1)),
  /**
   * Factor the input is upsampled by (bilinear) before the first convolution:
   * 1 (the default) is none. For tasks that encode small tiles or patches
   * (6-9 px at 28 px) it makes their maps more than padding; the encoder
   * applies it to whole images too, so training and evaluation see the
   * content at the same scale (docs/pretext.md, "Against the floors").
   */
  inputScale: option(1, is.int(1)),
  /**
   * The convolution (1-5) whose map `forward` pools into features: 5 (the
   * default) is the last. An earlier one is a read-out of an intermediate
   * layer, as the pretext-task papers evaluate every layer (Zhang et al. 2016,
   * 2017: their best linear probes read conv3-conv4 of AlexNet); the layers
   * after it still exist (a method's head reads `forwardFeatures`, the last
   * map) but `forward` does not run them. featureDim is that layer's channels
   * times `pool` squared.
   */
  readoutLayer: option(5, (v, what) => convolutionIndex(v, what)),
});

/**
 * `v` if it is an integer in [1, 5] (one of small_cnn's convolutions), else a
 * TypeError (not an integer) or a RangeError (out of range) in arguments.ts'
 * message format, naming the 5 convolutions.
 */
function convolutionIndex(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 5) return v;
  const message = `Expected an integer in [1, 5] for ${what} (small_cnn has 5 convolutions) but received ${describe(v)}`;
  throw typeof v === 'number' && Number.isInteger(v) ? new RangeError(message) : new TypeError(message);
}

/** Options of `SmallCnn` (`SMALL_CNN_OPTIONS`). */
export type SmallCnnOptions = GivenOptions<typeof SMALL_CNN_OPTIONS.specs>;

/**
 * Five 3x3 convolutions with batch norm and ReLU (w, 2w, 2w, 4w, 4w channels;
 * the 2nd and 4th with stride 2: 28 px -> 7 px), global average pooling and
 * an optional linear classifier. Keys conv1..conv5, bn1..bn5, fc.
 * About 0.4 M parameters and 22 M multiply-adds per 28x28 image at width 32.
 *
 * @example
 * const enc = new SmallCnn({ inChannels: 1 });
 * enc.forward(torch.randn([256, 1, 28, 28])); // (256, 128)
 */
export class SmallCnn extends Module implements Encoder {
  readonly featureDim: number;
  readonly numClasses: number;
  /** Side of the pooled grid (`SMALL_CNN_OPTIONS.pool`). */
  readonly pool: number;
  /** Input upsampling factor (`SMALL_CNN_OPTIONS.inputScale`). */
  readonly inputScale: number;
  /** The convolution whose map `forward` pools (`SMALL_CNN_OPTIONS.readoutLayer`). */
  readonly readoutLayer: number;
  readonly convs: Conv2d[] = [];
  readonly norms: BatchNorm2d[] = [];
  readonly relu: ReLU;
  readonly fc: TensorModule;

  constructor(options: SmallCnnOptions = {}) {
    super();
    const { inChannels, width: w, numClasses, pool, inputScale, readoutLayer } =
      SMALL_CNN_OPTIONS.resolve(options, (k) => `options.${k}`);
    this.numClasses = numClasses;
    const channels = [inChannels, w, 2 * w, 2 * w, 4 * w, 4 * w];
    const strides = [1, 2, 1, 2, 1];
    for (let i = 0; i < 5; i++) {
      const conv = new Conv2d(channels[i], channels[i + 1], 3, { stride: strides[i], padding: 1, bias: false });
      this.convs.push(this.registerModule(`conv${i + 1}`, conv));
      this.norms.push(this.registerModule(`bn${i + 1}`, new BatchNorm2d(channels[i + 1])));
      init.kaimingNormal_(conv.weight, { mode: 'fan_out', nonlinearity: 'relu' });
    }
    this.relu = this.registerModule('relu', new ReLU({ inplace: true }));
    this.pool = pool;
    this.inputScale = inputScale;
    this.readoutLayer = readoutLayer;
    this.featureDim = channels[readoutLayer] * pool * pool;
    this.fc = this.registerModule('fc', this.numClasses > 0 ? new Linear(this.featureDim, this.numClasses) : new Identity());
  }

  /**
   * (B, C, H, W) -> the last feature map (B, 4 width, s H / 4, s W / 4), s = `inputScale`.
   * @example new SmallCnn({ inChannels: 1 }).forwardFeatures(torch.randn([2, 1, 28, 28])); // (2, 128, 7, 7)
   */
  forwardFeatures(x: Tensor): Tensor {
    return this.mapAfter(x, this.convs.length);
  }

  /** The map after the first `layers` convolutions (each with its batch norm and ReLU). */
  private mapAfter(x: Tensor, layers: number): Tensor {
    return scope(() => { // the intermediates' handles go at the return (Sequential's forward says why)
      let y = this.inputScale === 1 ? x
        : interpolate(x, { scaleFactor: this.inputScale, mode: 'bilinear', alignCorners: false });
      for (let i = 0; i < layers; i++) y = this.relu.forward(this.norms[i].forward(this.convs[i].forward(y)));
      return y;
    });
  }

  /**
   * (B, C, H, W) -> features (B, featureDim): the map of conv `readoutLayer` pooled to a `pool` x `pool` grid; or
   * logits (B, numClasses).
   * @example new SmallCnn({ numClasses: 10 }).forward(torch.randn([2, 3, 32, 32])); // (2, 10)
   */
  forward(x: Tensor): Tensor {
    return this.fc.forward(adaptiveAvgPool2d(this.mapAfter(x, this.readoutLayer), this.pool).flatten(1));
  }

  override extraRepr(): string {
    return `featureDim=${this.featureDim}, numClasses=${this.numClasses}`;
  }
}
