// The context encoder's bottleneck (Pathak et al. 2016, section 3.1,
// "Channel-wise fully-connected layer"): each feature map is fully connected
// to itself, with no parameters between different maps, so information
// travels across the whole image at m n^4 parameters instead of the m^2 n^4 of
// a fully connected layer. A 1x1 convolution after it mixes the channels.
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { Module } from '../../nn/module';
import { checkInt } from '../../torch/arguments';

/**
 * A channel-wise fully connected layer over (B, C, h, w) maps: for every
 * channel c, `y[b, c] = x[b, c].flatten() @ weight[c] + bias[c]` reshaped to
 * h x w. Keys: `weight` (C, h w, h w) (input position by output position),
 * `bias` (C, h w). Initialised as a Linear of h w inputs (uniform in
 * +-1/sqrt(h w)).
 *
 * @example
 * const layer = new ChannelWiseLinear(128, 8, 8);
 * layer.forward(torch.randn([4, 128, 8, 8])); // (4, 128, 8, 8)
 */
export class ChannelWiseLinear extends Module {
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(channels: number, height: number, width: number) {
    super();
    this.channels = checkInt(channels, 'ChannelWiseLinear channels', 1);
    this.height = checkInt(height, 'ChannelWiseLinear height', 1);
    this.width = checkInt(width, 'ChannelWiseLinear width', 1);
    const n = this.height * this.width;
    const bound = 1 / Math.sqrt(n);
    this.weight = this.registerParameter('weight', torch.empty([this.channels, n, n]).uniform_(-bound, bound));
    this.bias = this.registerParameter('bias', torch.empty([this.channels, n]).uniform_(-bound, bound));
  }

  forward(x: Tensor): Tensor {
    const [B, C, h, w] = x.shape;
    if (x.dim() !== 4 || C !== this.channels || h !== this.height || w !== this.width) {
      throw new RangeError(`Expected (B, ${this.channels}, ${this.height}, ${this.width}) feature maps for ` +
        `ChannelWiseLinear but received [${x.shape.join(', ')}]`);
    }
    const perChannel = x.reshape([B, C, h * w]).transpose(0, 1); // (C, B, hw)
    const y = perChannel.bmm(this.weight).transpose(0, 1); // (B, C, hw)
    return y.add(this.bias.unsqueeze(0)).reshape([B, C, h, w]);
  }

  override extraRepr(): string {
    return `channels=${this.channels}, size=(${this.height}, ${this.width})`;
  }
}
