import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { GaussianBlur, gaussianBlur, simclrKernelSize } from '../../../lib/data/transforms';
import { assertAllClose, gen, images, reference } from './reference';

describe('data/transforms: gaussian blur', () => {
  it('blurs each image at its own sigma as torchvision F.gaussian_blur', () => {
    const x = images([4, 3, 12, 15], 6);
    const sigmas = [0.1, 0.7, 1.3, 2.0];
    const kernels = [3, 5, 9];
    const refs = reference(kernels.map((kernel) => ({ op: 'gaussian_blur', images: x, args: { kernel, sigmas } })));
    kernels.forEach((kernel, i) => assertAllClose(gaussianBlur(x, kernel, torch.tensor(sigmas)), refs[i], 1e-6, `kernel ${kernel}`));
  });

  it('keeps constant images constant and the mean of smooth images', () => {
    const c = torch.full([2, 3, 16, 16], 0.3);
    assertAllClose(gaussianBlur(c, 7, 1.5), c, 1e-6);
    const ramp = torch.linspace(0, 1, 16).view([1, 1, 1, 16]).expand([2, 1, 16, 16]).contiguous();
    // Reflect padding mirrors the ramp, so the blurred ramp keeps its mean.
    const blurred = gaussianBlur(ramp, 5, 1.0);
    assert.ok(Math.abs((blurred.mean().item() as number) - (ramp.mean().item() as number)) < 1e-6);
  });

  it('uses 10% of the side, odd, as SimCLR', () => {
    assert.deepEqual([224, 96, 32, 28, 8].map(simclrKernelSize), [23, 9, 3, 3, 1]);
  });

  it('applies with probability p and repeats from a seed', () => {
    const x = images([64, 1, 8, 8], 7);
    const out = new GaussianBlur({ kernelSize: 3, p: 0.5 }).forward(x, gen(1));
    const changed = out.sub(x).abs().amax([1, 2, 3]).gt(0).to('float64').mean().item() as number;
    assert.ok(changed > 0.25 && changed < 0.75, `blurred fraction ${changed}`);
    assert.ok(new GaussianBlur({ p: 0.5 }).forward(x, gen(2)).equal(new GaussianBlur({ p: 0.5 }).forward(x, gen(2))));
    assert.ok(new GaussianBlur({ kernelSize: 3, p: 0 }).forward(x, gen(1)).equal(x));
  });

  it('validates the kernel size', () => {
    assert.throws(() => gaussianBlur(images([1, 1, 8, 8]), 4, 1), /Expected an odd kernelSize for gaussianBlur but received 4/);
    assert.throws(() => gaussianBlur(images([1, 1, 4, 4]), 9, 1), /Expected kernelSize below twice the image size/);
  });
});
