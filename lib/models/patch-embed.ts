// Image to patch tokens, as timm's PatchEmbed: a convolution whose kernel and
// stride are the patch size (key patch_embed.proj), then (B, D, h, w) -> (B, h*w, D).
import { Tensor } from '../torch';
import { Conv2d, Module } from '../nn';
import { checkInt } from '../torch/arguments';

/**
 * Splits (B, C, H, W) images into non-overlapping `patchSize` squares and
 * projects each to `embedDim`: (B, (H / p) * (W / p), embedDim), patches in
 * row-major order. H and W may be any multiple of the patch size.
 *
 * @example
 * const embed = new PatchEmbed({ imgSize: 32, patchSize: 4, inChannels: 3, embedDim: 192 });
 * embed.forward(torch.randn([2, 3, 32, 32])); // (2, 64, 192)
 */
export class PatchEmbed extends Module {
  readonly imgSize: number;
  readonly patchSize: number;
  /** Patches per side at imgSize. */
  readonly gridSize: number;
  /** Patches at imgSize: gridSize ** 2. */
  readonly numPatches: number;
  readonly proj: Conv2d;

  constructor(options: { imgSize: number; patchSize: number; inChannels: number; embedDim: number }) {
    super();
    this.imgSize = checkInt(options.imgSize, 'imgSize', 1);
    this.patchSize = checkInt(options.patchSize, 'patchSize', 1);
    if (this.imgSize % this.patchSize !== 0) {
      throw new RangeError(`Expected imgSize (${this.imgSize}) to be a multiple of patchSize (${this.patchSize})`);
    }
    this.gridSize = this.imgSize / this.patchSize;
    this.numPatches = this.gridSize * this.gridSize;
    this.proj = this.registerModule('proj', new Conv2d(checkInt(options.inChannels, 'inChannels', 1),
      checkInt(options.embedDim, 'embedDim', 1), this.patchSize, { stride: this.patchSize }));
  }

  /**
   * The (h, w) patch grid of an input of shape (B, C, H, W), checking that the patches tile it.
   * @example vit.patchEmbed.grid(torch.randn([1, 3, 224, 160])); // [14, 10] for patch 16
   */
  grid(x: Tensor): [number, number] {
    const shape = x.shape;
    if (shape.length !== 4) {
      throw new RangeError(`Expected images of shape (B, C, H, W) but received shape [${shape.join(', ')}]`);
    }
    const [, , H, W] = shape;
    const p = this.patchSize;
    if (H % p !== 0 || W % p !== 0) {
      throw new RangeError(`Expected image height and width divisible by patchSize ${p} but received ${H}x${W}`);
    }
    return [H / p, W / p];
  }

  /**
   * (B, C, H, W) -> (B, N, D), N = (H / p) * (W / p).
   * @example vit.patchEmbed.forward(torch.randn([2, 3, 224, 224])); // (2, 196, D) for patch 16
   */
  forward(x: Tensor): Tensor {
    this.grid(x);
    return this.proj.forward(x).flatten(2).transpose(1, 2);
  }
}
