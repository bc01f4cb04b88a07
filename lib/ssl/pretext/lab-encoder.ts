// The encoder of the colour pretext tasks (colorization, split-brain): what
// they train and what the frozen-encoder report evaluates. It takes RGB images
// normalised like the training data (what the Trainer's augmentation and the
// evaluation feed every method), recovers [0, 1] RGB, converts it to CIE Lab
// and runs each branch's backbone on the Lab channels the task gives it.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { Module } from '../../nn/module';
import { Encoder } from '../../models/encoder';
import { VisionTransformer } from '../../models/vit';
import { rgbToLab } from '../../data/transforms/lab';

/**
 * Which Lab channels a branch sees: lightness, the two colour channels, or all three ('Lab': a colorization
 * backbone trained on L with ab = 0 that the frozen-encoder report gives the whole image, see Colorization's
 * `colourAtEvaluation`).
 */
export type LabChannels = 'L' | 'ab' | 'Lab';

/** A backbone that also gives its last feature map (small_cnn and the ResNets do; a ViT does not). */
export interface MapEncoder extends Encoder {
  forwardFeatures(x: Tensor): Tensor;
}

/** One sub-network of a `LabEncoder`: its state-dict prefix, its input channels and its backbone. */
export interface LabBranch {
  name: string;
  channels: LabChannels;
  net: Encoder;
}

// NOTE: the network inputs are L - 50 (the authors' Caffe `data_l_meansub`)
// divided by 50, and ab / 110 (the gamut's half-width), so both lie in about
// [-1, 1]; the first convolution is followed by batch norm, so the scale only
// matters to its initialisation.
const L_CENTRE = 50;
const L_SCALE = 50;
const AB_SCALE = 110;

/** The network input of `channels` from Lab images (B, 3, H, W): (B, 1, H, W) for 'L', (B, 2, H, W) for 'ab', both for 'Lab'. */
export function labInput(lab: Tensor, channels: LabChannels): Tensor {
  const L = (): Tensor => lab.narrow(1, 0, 1).sub(L_CENTRE).div(L_SCALE);
  const ab = (): Tensor => lab.narrow(1, 1, 2).div(AB_SCALE);
  return channels === 'L' ? L() : channels === 'ab' ? ab() : torch.cat([L(), ab()], 1);
}

/** The input channel count of a branch that sees `channels`. */
export function labChannelCount(channels: LabChannels): number {
  return channels === 'L' ? 1 : channels === 'ab' ? 2 : 3;
}

function checkMapEncoder(e: Encoder, method: string): MapEncoder {
  const needs = `${method} needs a convolutional encoder whose forwardFeatures gives a (B, D, h, w) map (small_cnn or a ResNet)`;
  if (typeof (e as unknown as { forwardFeatures?: unknown }).forwardFeatures !== 'function') {
    throw new TypeError(`${needs} but received ${e.typeName}, which has no forwardFeatures`);
  }
  // A ViT has forwardFeatures too, but it gives (B, 1 + N, D) tokens: refused here rather than by a shape error in the first step.
  if (e instanceof VisionTransformer) throw new TypeError(`${needs} but received ${e.typeName}, whose forwardFeatures gives (B, 1 + N, D) tokens`);
  return e as MapEncoder;
}

/**
 * An Encoder over RGB images made of one or more backbones on Lab channels
 * (colorization: one on L; split-brain: one on L and one on ab). `forward`
 * concatenates the branches' pooled features (the split-brain
 * representation). The normalisation of its input is held in the buffers
 * `rgb_mean` and `rgb_std` (saved with the weights), set by the method's
 * `augmentation(spec)` from the training data's statistics; until then the
 * input is taken as [0, 1] RGB.
 *
 * @example
 * const enc = new LabEncoder([{ name: 'net', channels: 'L', net: models.create('small_cnn', { inChannels: 1 }) }], 'Colorization');
 * enc.forward(images01); // (B, 128)
 */
export class LabEncoder extends Module implements Encoder {
  readonly featureDim: number;
  readonly numClasses = 0;
  readonly prefersChannelsLast: boolean;
  readonly branches: readonly { name: string; channels: LabChannels; net: MapEncoder }[];
  /**
   * Channels of each branch's feature map, what a head on `mapsFromLab` reads (not its featureDim: a backbone that
   * pools its map to a p x p grid, small_cnn's `pool`, has p^2 times as many pooled features as map channels).
   */
  readonly mapChannels: readonly number[];
  readonly rgbMean: Tensor;
  readonly rgbStd: Tensor;

  constructor(branches: readonly LabBranch[], method: string) {
    super();
    this.branches = branches.map((b) => ({ name: b.name, channels: b.channels,
      net: this.registerModule(b.name, checkMapEncoder(b.net, method)) }));
    this.featureDim = this.branches.reduce((s, b) => s + b.net.featureDim, 0);
    this.mapChannels = this.branches.map((b) => probeMapChannels(b.net, labChannelCount(b.channels)));
    this.prefersChannelsLast = this.branches.every((b) => b.net.prefersChannelsLast !== false);
    this.rgbMean = this.registerBuffer('rgb_mean', torch.zeros([1, 3, 1, 1]));
    this.rgbStd = this.registerBuffer('rgb_std', torch.ones([1, 3, 1, 1]));
  }

  /**
   * Sets the per-channel mean and std the input images were normalised with (3 values each).
   * @example enc.setNormalisation(spec.mean, spec.std);
   */
  setNormalisation(mean: readonly number[], std: readonly number[]): void {
    if (mean.length !== 3 || std.length !== 3) {
      throw new RangeError(`Expected 3 means and 3 stds (RGB) for LabEncoder.setNormalisation but received ` +
        `${mean.length} and ${std.length}`);
    }
    torch.noGrad(() => torch.scope(() => {
      this.rgbMean.copy_(torch.tensor(Float32Array.from(mean), { shape: [1, 3, 1, 1] }).to({ device: this.rgbMean.device }));
      this.rgbStd.copy_(torch.tensor(Float32Array.from(std), { shape: [1, 3, 1, 1] }).to({ device: this.rgbStd.device }));
    }));
  }

  /**
   * CIE Lab (B, 3, H, W) of normalised RGB images (B, 3, H, W), without gradient.
   * @example const lab = enc.lab(x); // L in [0, 100]
   */
  lab(x: Tensor): Tensor {
    if (!(x instanceof torch.Tensor) || x.dim() !== 4 || x.shape[1] !== 3) {
      throw new RangeError(`Expected RGB images of shape (B, 3, H, W) for the colour encoder but received ` +
        (x instanceof torch.Tensor ? `shape [${x.shape.join(', ')}]` : String(x)));
    }
    return torch.noGrad(() => torch.scope(() =>
      rgbToLab(x.float().mul(this.rgbStd).add(this.rgbMean).clamp(0, 1))));
  }

  /**
   * Each branch's last feature map (B, D_i, h, w) from Lab images.
   * @example const [lMap, abMap] = enc.mapsFromLab(enc.lab(x));
   */
  mapsFromLab(lab: Tensor): Tensor[] {
    return this.branches.map((b) => {
      const map = b.net.forwardFeatures(labInput(lab, b.channels));
      if (map.dim() !== 4) {
        throw new RangeError(`Expected the ${b.name} backbone's forwardFeatures to give a (B, D, h, w) map but it gave ` +
          `shape [${map.shape.join(', ')}]`);
      }
      return map;
    });
  }

  /**
   * (B, 3, H, W) normalised RGB -> the concatenated pooled features (B, featureDim), each branch pooled as its
   * backbone pools (its own `forward`: small_cnn `pool` 3 gives 9x the map's channels).
   * @example enc.forward(x); // (B, sum of the branches' featureDim)
   */
  forward(x: Tensor): Tensor {
    // NOTE: this pooled every map globally until issue 16's colorization work, so a pool-3 backbone reported
    // featureDim 576 but gave 64 features (the frozen-encoder report and its random floor read 64).
    const lab = this.lab(x);
    const pooled = this.branches.map((b) => b.net.forward(labInput(lab, b.channels)));
    return pooled.length === 1 ? pooled[0] : torch.cat(pooled, 1);
  }

  override extraRepr(): string {
    return `branches=[${this.branches.map((b) => `${b.name}: ${b.channels}`).join(', ')}], featureDim=${this.featureDim}`;
  }
}

/** The channels of `net`'s feature map, from one 32 px probe in eval mode (no batch-norm statistics move). */
function probeMapChannels(net: MapEncoder, inChannels: number): number {
  const was = net.training;
  net.eval();
  try {
    return torch.noGrad(() => torch.scope(() => net.forwardFeatures(torch.zeros([1, inChannels, 32, 32])).shape[1]));
  } finally {
    net.train(was);
  }
}
