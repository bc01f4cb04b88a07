import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import {
  ColorJitter, RandomGrayscale, adjustBrightness, adjustContrast, adjustHue, adjustSaturation, rgbToGrayscale,
  hsvToRgb, rgbToHsv, uniform, bernoulli, permutation,
} from '../../../lib/data/transforms';
import { assertAllClose, gen, images, reference } from './reference';

const factors = (values: number[]): torch.Tensor => torch.tensor(values, { dtype: 'float32' });

describe('data/transforms: colour', () => {
  const x = images([4, 3, 9, 11], 4);
  // Include gray pixels and saturated corners, where HSV has special cases.
  x.select(0, 0).narrow(2, 0, 3).fill_(0.5);
  x.select(0, 1).select(1, 0).fill_(1);

  it('adjusts brightness, contrast, saturation and hue as torchvision per image', () => {
    const f = [0.6, 1.0, 1.4, 0.0];
    const h = [-0.5, 0.1, 0.37, -0.2];
    const refs = reference([
      { op: 'brightness', images: x, args: { factors: f } },
      { op: 'contrast', images: x, args: { factors: f } },
      { op: 'saturation', images: x, args: { factors: f } },
      { op: 'hue', images: x, args: { factors: h } },
    ]);
    assertAllClose(adjustBrightness(x, factors(f)), refs[0], 1e-6, 'brightness');
    assertAllClose(adjustContrast(x, factors(f)), refs[1], 1e-6, 'contrast');
    assertAllClose(adjustSaturation(x, factors(f)), refs[2], 1e-6, 'saturation');
    assertAllClose(adjustHue(x, factors(h)), refs[3], 1e-5, 'hue');
  });

  it('round-trips RGB through HSV', () => {
    assertAllClose(hsvToRgb(rgbToHsv(x)), x, 1e-6);
  });

  it('converts to grayscale as torchvision, with equal channels', () => {
    const [ref] = reference([{ op: 'grayscale', images: x, args: { channels: 3 } }]);
    const gray = rgbToGrayscale(x, 3);
    assertAllClose(gray, ref, 1e-6);
    assert.ok(gray.select(1, 0).equal(gray.select(1, 2)));
    const rg = new RandomGrayscale({ p: 1 }).forward(x, gen());
    assert.ok(rg.select(1, 0).equal(rg.select(1, 1)));
  });

  it('jitters with the drawn order and factors, as torchvision ColorJitter in RandomApply', () => {
    const jitter = new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.5 });
    const out = jitter.forward(x, gen(11));
    // Replay the draws in ColorJitter's order: apply mask, permutation, then the four factor ranges.
    const g = gen(11);
    const apply = bernoulli(4, 0.5, g).toArray();
    const order = permutation(4, g);
    const f = [[0.6, 1.4], [0.6, 1.4], [0.6, 1.4], [-0.1, 0.1]].map(([lo, hi]) => uniform(4, lo, hi, g).toArray());
    const [ref] = reference([{ op: 'jitter', images: x, args: { apply, order, factors: f } }]);
    assertAllClose(out, ref, 1e-5);
  });

  it('draws one order per image with order: sample, as torchvision per image', () => {
    const jitter = new ColorJitter({ brightness: 0.5, contrast: 0.5, saturation: 0.5, hue: 0.2, p: 0.75, order: 'sample' });
    const out = jitter.forward(x, gen(12));
    const g = gen(12);
    const apply = bernoulli(4, 0.75, g).toArray();
    const order = torch.rand([4, 4], { generator: g }).argsort(1).toArray() as number[][];
    const f = [[0.5, 1.5], [0.5, 1.5], [0.5, 1.5], [-0.2, 0.2]].map(([lo, hi]) => uniform(4, lo, hi, g).toArray());
    assert.ok(order.some((o) => o.join() !== order[0].join()), 'the images got different orders');
    const [ref] = reference([{ op: 'jitter', images: x, args: { apply, order, factors: f } }]);
    assertAllClose(out, ref, 1e-5);
  });

  it('leaves single-channel images working: saturation, hue and grayscale are no-ops', () => {
    const g1 = images([3, 1, 8, 8], 5);
    const f = [0.5, 1.2, 1.9];
    const refs = reference([
      { op: 'brightness', images: g1, args: { factors: f } },
      { op: 'contrast', images: g1, args: { factors: f } },
    ]);
    assertAllClose(adjustBrightness(g1, factors(f)), refs[0], 1e-6);
    assertAllClose(adjustContrast(g1, factors(f)), refs[1], 1e-6);
    assert.ok(adjustSaturation(g1, 0.2).equal(g1));
    assert.ok(adjustHue(g1, 0.3).equal(g1));
    assert.ok(new RandomGrayscale({ p: 1 }).forward(g1, gen()).equal(g1));
    const out = new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, p: 0.8 }).forward(g1, gen());
    assert.deepEqual(out.shape, [3, 1, 8, 8]);
  });

  it('is the identity with p = 0 and repeats from a seed', () => {
    assert.ok(new ColorJitter({ brightness: 0.8, hue: 0.2, p: 0 }).forward(x, gen()).equal(x));
    const j = new ColorJitter({ brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2, p: 0.8 });
    assert.ok(j.forward(x, gen(3)).equal(j.forward(x, gen(3))));
  });

  it('validates its options', () => {
    assert.throws(() => new ColorJitter({ hue: 0.7 }), /Expected ColorJitter options.hue within \[-0.5, 0.5\]/);
    assert.throws(() => new ColorJitter({ brightness: -1 }), /Expected a non-negative number for ColorJitter options.brightness/);
    assert.throws(() => adjustBrightness(x, factors([1, 2])), /Expected one value per image, shape \[4\]/);
  });
});
