// The adversary of the context encoder (Pathak et al. 2016, section 3.2;
// a DCGAN discriminator as in the authors' train.lua): strided 4x4
// convolutions with LeakyReLU(0.2) down to 4 x 4 or less, then one
// convolution over what is left to a single logit.
import { Tensor } from '../../torch';
import { Module } from '../../nn/module';
import { ModuleList } from '../../nn/layers/container';
import { Conv2d } from '../../nn/layers/conv';
import { conv2d } from '../../nn/functional/conv';
import { leakyRelu } from '../../nn/functional/activation';
import { checkInt } from '../../torch/arguments';

/**
 * A small DCGAN-style discriminator for `size` x `size` images of `channels`
 * channels: conv 4x4 stride 2 (width, 2 width, 4 width, at most 8 width
 * channels) with LeakyReLU(0.2) until the maps are 4 px or smaller, then a
 * convolution as large as the maps to one logit per image. Keys
 * `convs.<i>.weight` / `.bias`.
 *
 * NOTE: no batch norm (DCGAN has it): `forward(x, { frozen: true })` runs the
 * same layers on detached weights, which is how the generator's adversarial
 * term reaches the generator without moving the discriminator, and batch-norm
 * running statistics would be updated by that pass too.
 *
 * @example
 * const d = new Discriminator(3, 32, 32);
 * d.forward(torch.randn([4, 3, 32, 32])); // (4) logits
 */
export class Discriminator extends Module {
  readonly convs: ModuleList<Conv2d>;

  constructor(channels: number, size: number, width = 32) {
    super();
    checkInt(channels, 'Discriminator channels', 1);
    checkInt(size, 'Discriminator size', 1);
    checkInt(width, 'Discriminator width', 1);
    this.convs = this.registerModule('convs', new ModuleList<Conv2d>());
    let s = size;
    let cin = channels;
    let cout = width;
    while (s > 4) {
      this.convs.append(new Conv2d(cin, cout, 4, { stride: 2, padding: 1 }));
      s = Math.floor((s + 2 - 4) / 2) + 1;
      cin = cout;
      cout = Math.min(2 * cout, 8 * width);
    }
    this.convs.append(new Conv2d(cin, 1, s));
  }

  /**
   * (B, C, H, W) images -> (B) logits (real is 1). With `frozen`, the weights
   * are detached: gradients reach the input only.
   * @example const fakeLogits = d.forward(fake, { frozen: true });
   */
  forward(x: Tensor, options: { frozen?: boolean } = {}): Tensor {
    const frozen = options.frozen === true;
    const n = this.convs.length;
    let y = x;
    for (let i = 0; i < n; i++) {
      const conv = this.convs.at(i);
      const w = frozen ? conv.weight.detach() : conv.weight;
      const b = conv.bias === null ? null : frozen ? conv.bias.detach() : conv.bias;
      y = conv2d(y, w, b, { stride: conv.stride, padding: conv.padding });
      if (i < n - 1) y = leakyRelu(y, { negativeSlope: 0.2 });
    }
    return y.flatten(); // (B)
  }
}
