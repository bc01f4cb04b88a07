// A pipeline: transforms applied in order, sharing one generator.
import { Tensor } from '../../torch/tensor';
import { Generator } from '../../torch/random';
import { Transform } from './transform';

/**
 * Applies `transforms` in order, as torchvision's `Compose`; they share the
 * generator, so the pipeline is reproducible from one seed.
 *
 * @example
 * const pipeline = new Compose([
 *   new RandomResizedCrop({ size: 32 }), new RandomHorizontalFlip(), new Normalize({ mean, std }),
 * ]);
 * const view = pipeline.forward(images, new torch.Generator().manualSeed(0));
 */
export class Compose implements Transform {
  readonly transforms: readonly Transform[];

  constructor(transforms: readonly Transform[]) {
    if (!Array.isArray(transforms) || !transforms.every((t) => t !== null && typeof t === 'object' &&
      typeof (t as Transform).forward === 'function')) {
      throw new TypeError('Expected an array of transforms (objects with forward(images, generator)) for Compose');
    }
    this.transforms = [...transforms];
  }

  forward(images: Tensor, generator?: Generator): Tensor {
    let out = images;
    for (const t of this.transforms) out = t.forward(out, generator);
    return out;
  }
}
