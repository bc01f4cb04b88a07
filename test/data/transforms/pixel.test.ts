import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import {
  GaussianNoise, Normalize, RandomErasing, RandomSolarize, erase, normalize, randomErasingParams, sobel, solarize,
  toFloatImages,
} from '../../../lib/data/transforms';
import { assertAllClose, gen, images, reference } from './reference';

describe('data/transforms: pixel operations', () => {
  const x = images([4, 3, 10, 12], 10);

  it('solarizes as torchvision F.solarize', () => {
    const [ref] = reference([{ op: 'solarize', images: x, args: { threshold: 0.5 } }]);
    assertAllClose(solarize(x, 0.5), ref, 0);
    assert.ok(new RandomSolarize({ p: 0 }).forward(x, gen()).equal(x));
    assert.ok(new RandomSolarize({ p: 1 }).forward(x, gen()).equal(solarize(x)));
  });

  it('erases boxes as torchvision F.erase', () => {
    const boxes = [[0, 0, 3, 4], [2, 5, 8, 7], [0, 0, 0, 0], [9, 11, 1, 1]];
    const [ref] = reference([{ op: 'erase', images: x, args: { boxes, value: 0.25 } }]);
    assertAllClose(erase(x, torch.tensor(boxes, { dtype: 'int64' }), 0.25), ref, 0);
  });

  it('draws erasing boxes with torchvision get_params statistics', () => {
    const n = 10000;
    const H = 32;
    const W = 32;
    const ours = randomErasingParams(n, H, W, { p: 1 }, gen(5)).to('float64');
    const [theirs] = reference([{ op: 'erasing_params', args: { n, height: H, width: W, scale: [0.02, 0.33], ratio: [0.3, 3.3] } }]);
    const meanArea = (b: torch.Tensor): number => {
      const hit = b.select(1, 2).lt(H); // torchvision's fallback is the whole image (a no-op), ours empty
      return b.select(1, 2).mul(b.select(1, 3)).div(H * W).maskedSelect(hit).mean().item() as number;
    };
    assert.ok(Math.abs(meanArea(ours) - meanArea(theirs)) < 0.01, `mean area ${meanArea(ours)} vs ${meanArea(theirs)}`);
    const [top, left, h, w] = ours.unbind(1);
    assert.ok(top.add(h).le(H).all().item() && left.add(w).le(W).all().item(), 'inside the image');
    const some = new RandomErasing({ p: 0.5 }).forward(images([200, 1, 16, 16], 3), gen(1));
    const erased = some.eq(0).any(3).any(2).any(1).to('float64').mean().item() as number;
    assert.ok(erased > 0.4 && erased < 0.6, `erased fraction ${erased}`);
  });

  it('computes DeepCluster Sobel gradients', () => {
    const refs = reference([{ op: 'sobel', images: x }, { op: 'sobel', images: x.narrow(1, 0, 1) }]);
    assertAllClose(sobel(x), refs[0], 1e-5);
    assertAllClose(sobel(x.narrow(1, 0, 1)), refs[1], 1e-5);
    const ramp = torch.arange(0, 8, 1, { dtype: 'float32' }).view([1, 1, 1, 8]).expand([1, 1, 8, 8]);
    const g = sobel(ramp);
    // Interior: d/dx of a unit ramp is -(1 + 2 + 1) * 2 with this kernel's sign; d/dy is 0.
    assert.ok(g.select(1, 0).narrow(1, 1, 6).narrow(2, 1, 6).eq(-8).all().item());
    assert.ok(g.select(1, 1).narrow(1, 1, 6).narrow(2, 1, 6).eq(0).all().item());
  });

  it('normalizes as torchvision F.normalize and converts uint8', () => {
    const mean = [0.4914, 0.4822, 0.4465];
    const std = [0.247, 0.243, 0.261];
    const [ref] = reference([{ op: 'normalize', images: x, args: { mean, std } }]);
    assertAllClose(normalize(x, mean, std), ref, 1e-6);
    assertAllClose(new Normalize({ mean, std }).forward(x), ref, 1e-6);
    const u8 = torch.tensor(Uint8Array.from([0, 51, 255, 128]), { shape: [1, 1, 2, 2] });
    assertAllClose(toFloatImages(u8), torch.tensor([0, 0.2, 1, 128 / 255]).view([1, 1, 2, 2]), 1e-7);
    assert.throws(() => normalize(x, [0.5, 0.5], [1, 1, 1]), /Expected 3 numbers \(one per channel\) for mean/);
  });

  it('adds clamped Gaussian noise of the requested std', () => {
    const mid = torch.full([8, 3, 32, 32], 0.5);
    const out = new GaussianNoise({ std: 0.05 }).forward(mid, gen(4));
    const std = out.sub(0.5).std().item() as number;
    assert.ok(Math.abs(std - 0.05) < 0.003, `std ${std}`);
    assert.ok(new GaussianNoise({ std: 1 }).forward(mid, gen(4)).le(1).all().item());
    assert.ok(new GaussianNoise({ std: 0.1 }).forward(mid, gen(9)).equal(new GaussianNoise({ std: 0.1 }).forward(mid, gen(9))));
  });
});
