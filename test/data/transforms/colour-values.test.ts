// Colour transforms by value (issue 21): HSV, hue, brightness, contrast,
// saturation, ColorJitter's options and Lab, on a few fixed pixels whose
// expected values were computed once with torchvision 0.14
// (functional_tensor._rgb2hsv / _hsv2rgb, F.adjust_*) and scikit-image 0.19
// (color.rgb2lab / lab2rgb) and written down here, so these tests are fast and
// need no Python. The pixels cover every hue sector and tie (red = green max,
// gray), both branches of each Lab piecewise function and out-of-gamut Lab.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import {
  ColorJitter, D65_WHITE, adjustBrightness, adjustContrast, adjustHue, adjustSaturation, bernoulli, hsvToRgb, labToRgb,
  permutation, rgbToHsv, rgbToLab, uniform, withoutColour,
} from '../../../lib/data/transforms';
import { assertAllClose, gen, images } from './reference';
import { refuses } from '../../helpers/refuses';

/** (1, 3, H, W) from H*W [r, g, b] pixels, row-major. */
function rgb(pixels: number[][], h: number, w: number, dtype: 'float32' | 'float64' = 'float32'): torch.Tensor {
  return torch.tensor(pixels, { dtype }).t().reshape([1, 3, h, w]);
}

// Red max (g > b, b > g), green max (both), blue max (both), gray, red = green max.
const PIXELS = [[0.9, 0.3, 0.1], [0.9, 0.1, 0.3], [0.3, 0.9, 0.1], [0.1, 0.9, 0.3], [0.1, 0.3, 0.9], [0.3, 0.1, 0.9],
  [0.5, 0.5, 0.5], [0.9, 0.9, 0.1]];
const x = rgb(PIXELS, 2, 4);
const t = (v: number[][][]): torch.Tensor => torch.tensor(v).unsqueeze(0); // (1, 3, 2, 4)

// torchvision 0.14 on x[0].
const HSV = [[[0.041667, 0.958333, 0.291667, 0.375], [0.625, 0.708333, 0.0, 0.166667]],
  [[0.888889, 0.888889, 0.888889, 0.888889], [0.888889, 0.888889, 0.0, 0.888889]],
  [[0.9, 0.9, 0.9, 0.9], [0.9, 0.9, 0.5, 0.9]]];
const HUE_PLUS_025 = [[[0.3, 0.7, 0.1, 0.1], [0.9, 0.9, 0.5, 0.1]], [[0.9, 0.9, 0.7, 0.3], [0.1, 0.1, 0.5, 0.9]],
  [[0.1, 0.1, 0.9, 0.9], [0.7, 0.3, 0.5, 0.5]]];
const HUE_MINUS_04 = [[[0.1, 0.1, 0.9, 0.9], [0.62, 0.220001, 0.5, 0.58]], [[0.22, 0.62, 0.1, 0.1], [0.9, 0.9, 0.5, 0.1]],
  [[0.9, 0.9, 0.62, 0.22], [0.1, 0.1, 0.5, 0.9]]];
const BRIGHTNESS_15 = [[[1.0, 1.0, 0.45, 0.15], [0.15, 0.45, 0.75, 1.0]], [[0.45, 0.15, 1.0, 1.0], [0.45, 0.15, 0.75, 1.0]],
  [[0.15, 0.45, 0.15, 0.45], [1.0, 1.0, 0.75, 0.15]]];
const CONTRAST_05 = [[[0.694275, 0.694275, 0.394275, 0.294275], [0.294275, 0.394275, 0.494275, 0.694275]],
  [[0.394275, 0.294275, 0.694275, 0.694275], [0.394275, 0.294275, 0.494275, 0.694275]],
  [[0.294275, 0.394275, 0.294275, 0.394275], [0.694275, 0.694275, 0.494275, 0.294275]]];
const CONTRAST_18 = [[[1.0, 1.0, 0.14916, 0.0], [0.0, 0.14916, 0.50916, 1.0]], [[0.14916, 0.0, 1.0, 1.0], [0.14916, 0.0, 0.50916, 1.0]],
  [[0.0, 0.14916, 0.0, 0.14916], [1.0, 1.0, 0.50916, 0.0]]];
const SATURATION_03 = [[[0.589557, 0.523337, 0.530559, 0.444673], [0.246013, 0.265679, 0.499965, 0.836097]],
  [[0.409557, 0.283337, 0.710559, 0.684673], [0.306013, 0.205679, 0.499965, 0.836097]],
  [[0.349557, 0.343337, 0.470559, 0.504673], [0.486013, 0.445679, 0.499965, 0.596097]]];
const SATURATION_2 = [[[1.0, 1.0, 0.0, 0.0], [0.0, 0.34903, 0.50005, 0.99129]], [[0.14349, 0.0, 1.0, 1.0], [0.29141, 0.0, 0.50005, 0.99129]],
  [[0.0, 0.23809, 0.0, 0.00761], [1.0, 1.0, 0.50005, 0.0]]];

/** Image b of `a` where `mask[b]`, else of `b`. */
function pick(mask: boolean[], a: torch.Tensor, b: torch.Tensor): torch.Tensor {
  return torch.stack(mask.map((m, i) => (m ? a : b).select(0, i)), 0);
}

describe('data/transforms: colour transforms by value', () => {
  it('rgbToHsv: every hue sector, ties and gray; hsvToRgb: every sector back', () => {
    assertAllClose(rgbToHsv(x), t(HSV), 1e-6);
    // One HSV pixel per sector 0..5, then hue 0 and 1/3 (sector boundaries), as torchvision's _hsv2rgb.
    const hsv = torch.tensor([[0.05, 0.2, 0.4, 0.55, 0.7, 0.9, 0.0, 1 / 3], [0.5, 0.8, 0.6, 1.0, 0.25, 0.0, 0.7, 0.5],
      [0.8, 0.6, 1.0, 0.4, 0.9, 0.5, 0.3, 0.6]]).reshape([1, 3, 2, 4]);
    assertAllClose(hsvToRgb(hsv), t([[[0.8, 0.504, 0.4, 0.0], [0.72, 0.5, 0.3, 0.3]], [[0.52, 0.6, 1.0, 0.28], [0.675, 0.5, 0.09, 0.6]],
      [[0.4, 0.12, 0.64, 0.4], [0.9, 0.5, 0.09, 0.3]]]), 1e-6);
    assertAllClose(hsvToRgb(rgbToHsv(x)), x, 1e-6);
  });

  it('adjustHue: a shift per image (either sign, wrapping), a number for all; one channel as it is', () => {
    const two = x.expand([2, 3, 2, 4]);
    assertAllClose(adjustHue(two, torch.tensor([0.25, -0.4])), torch.cat([t(HUE_PLUS_025), t(HUE_MINUS_04)], 0), 2e-6);
    assertAllClose(adjustHue(x, 0.25), t(HUE_PLUS_025), 2e-6);
    const gray = images([2, 1, 3, 3], 4);
    assert.equal(adjustHue(gray, 0.25), gray);
  });

  it('adjustBrightness, adjustContrast, adjustSaturation: per-image factors and a number', () => {
    const two = x.expand([2, 3, 2, 4]);
    assertAllClose(adjustBrightness(x, 1.5), t(BRIGHTNESS_15), 1e-6);
    assertAllClose(adjustBrightness(two, torch.tensor([1.5, 0.5])), torch.cat([t(BRIGHTNESS_15), x.mul(0.5)], 0), 1e-6);
    assertAllClose(adjustContrast(two, torch.tensor([0.5, 1.8])), torch.cat([t(CONTRAST_05), t(CONTRAST_18)], 0), 2e-6);
    assertAllClose(adjustContrast(x, 0.5), t(CONTRAST_05), 2e-6);
    // One channel: blended with the image's own mean (0.4 here), not a grayscale of it.
    const one = torch.tensor([0.2, 0.6, 0.2, 0.6]).view([1, 1, 2, 2]);
    assertAllClose(adjustContrast(one, 0.5), torch.tensor([0.3, 0.5, 0.3, 0.5]).view([1, 1, 2, 2]), 1e-7);
    assertAllClose(adjustSaturation(two, torch.tensor([0.3, 2])), torch.cat([t(SATURATION_03), t(SATURATION_2)], 0), 2e-6);
    assertAllClose(adjustSaturation(x, 0.3), t(SATURATION_03), 2e-6);
    assert.equal(adjustSaturation(one, 0.5), one);
    // Any other channel count: the mean of every channel (no grayscale of 2 channels), per image.
    const twoCh = torch.tensor([[[[0.2, 0.4]], [[0.6, 0.8]]], [[[0, 0]], [[1, 1]]]]); // (2, 2, 1, 2), means 0.5 and 0.5
    assertAllClose(adjustContrast(twoCh, 0.5), torch.tensor([[[[0.35, 0.45]], [[0.55, 0.65]]], [[[0.25, 0.25]], [[0.75, 0.75]]]]), 1e-7);
  });

  it('ColorJitter: each strength acts by its documented amount (a fixed range is that factor)', () => {
    const alone = (o: object): torch.Tensor => new ColorJitter(o).forward(x, gen(1));
    assertAllClose(alone({ brightness: [1.5, 1.5] }), t(BRIGHTNESS_15), 1e-6);
    assertAllClose(alone({ contrast: [1.8, 1.8] }), t(CONTRAST_18), 2e-6);
    assertAllClose(alone({ saturation: [0.3, 0.3] }), t(SATURATION_03), 2e-6);
    assertAllClose(alone({ hue: [-0.4, -0.4] }), t(HUE_MINUS_04), 2e-6);
    // A number j is [max(0, 1 - j), 1 + j], a hue h is [-h, h]; the identity range is dropped.
    const j = new ColorJitter({ brightness: 0.4, contrast: 1.5, saturation: [0.2, 1.7], hue: 0.1 });
    assert.deepEqual([j.brightness, j.contrast, j.saturation, j.hue, j.p, j.order], [[0.6, 1.4], [0, 2.5], [0.2, 1.7], [-0.1, 0.1], 1, 'batch']);
    const none = new ColorJitter({ brightness: 0, contrast: [1, 1], saturation: 0, hue: [0, 0] });
    assert.deepEqual([none.brightness, none.contrast, none.saturation, none.hue], [null, null, null, null]);
    assert.equal(none.forward(x, gen(1)), x);
    const half = new ColorJitter({ brightness: [1, 1.5], contrast: [0.5, 1], hue: [0, 0.5], saturation: [0, 0] });
    assert.deepEqual([half.brightness, half.contrast, half.hue, half.saturation], [[1, 1.5], [0.5, 1], [0, 0.5], [0, 0]]);
    // The accepted edges of the ranges.
    assert.deepEqual(new ColorJitter({ hue: 0.5 }).hue, [-0.5, 0.5]);
    assert.deepEqual(new ColorJitter({ hue: [-0.5, -0.5] }).hue, [-0.5, -0.5]);
    assert.deepEqual(new ColorJitter({ contrast: [0, 0] }).contrast, [0, 0]);
    assert.deepEqual(new ColorJitter({ brightness: 1 }).brightness, [0, 2]);
  });

  it('ColorJitter: p, the factors and the per-batch order, against a replay of the draws', () => {
    const xs = images([8, 3, 4, 4], 21);
    const o = { brightness: [0.5, 1.5] as const, contrast: [0.4, 1.6] as const, saturation: [0.2, 1.8] as const, hue: [-0.3, 0.3] as const };
    const fns = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
    const replay = (seed: number, p: number): { mask: boolean[]; out: torch.Tensor } => {
      const g = gen(seed);
      const mask = bernoulli(8, p, g).toArray() as boolean[];
      const order = permutation(4, g);
      const f = [o.brightness, o.contrast, o.saturation, o.hue].map(([lo, hi]) => uniform(8, lo, hi, g));
      let out = xs;
      for (const k of order) out = fns[k](out, f[k]);
      return { mask, out };
    };
    const all = replay(3, 1);
    assert.ok(new ColorJitter(o).forward(xs, gen(3)).equal(all.out));
    const some = replay(3, 0.5);
    assert.ok(some.mask.some((m) => m) && some.mask.some((m) => !m), 'the seed draws both');
    assert.ok(new ColorJitter({ ...o, p: 0.5 }).forward(xs, gen(3)).equal(pick(some.mask, all.out, xs)));
    assert.equal(new ColorJitter({ ...o, p: 0 }).forward(xs, gen(3)), xs);
    // Draws happen whatever the options: the factors of a later operation do not move when an earlier one is omitted.
    const g = gen(3);
    bernoulli(8, 1, g);
    permutation(4, g);
    uniform(8, 0, 1, g);
    uniform(8, 0, 1, g);
    uniform(8, 0, 1, g);
    const hue = uniform(8, -0.3, 0.3, g);
    assert.ok(new ColorJitter({ hue: o.hue }).forward(xs, gen(3)).equal(adjustHue(xs, hue)));
  });

  it("ColorJitter order: 'sample' runs each image's own order of its own factors", () => {
    const xs = images([6, 3, 4, 4], 22);
    const o = { brightness: [0.5, 1.5] as const, contrast: [0.4, 1.6] as const, saturation: [0.2, 1.8] as const, hue: [-0.3, 0.3] as const };
    const fns = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
    const g = gen(8);
    const mask = bernoulli(6, 0.5, g).toArray() as boolean[];
    const orders = torch.rand([6, 4], { generator: g }).argsort(1).toArray() as number[][];
    const f = [o.brightness, o.contrast, o.saturation, o.hue].map(([lo, hi]) => uniform(6, lo, hi, g).toArray() as number[]);
    assert.ok(new Set(orders.map((r) => r.join())).size > 1, 'the images draw different orders');
    const expected = torch.cat(orders.map((order, b) => {
      let im = xs.narrow(0, b, 1);
      if (!mask[b]) return im;
      for (const k of order) im = fns[k](im, f[k][b]);
      return im;
    }), 0);
    const jitter = new ColorJitter({ ...o, p: 0.5, order: 'sample' });
    assert.equal(jitter.order, 'sample');
    assertAllClose(jitter.forward(xs, gen(8)), expected, 1e-6);
    // Hue selected with where (hue 0 is not exactly the identity), not run at a factor of 0 on the others.
    const hueOnly = new ColorJitter({ hue: [0.2, 0.2], order: 'sample' }).forward(xs, gen(8));
    assert.ok(hueOnly.equal(adjustHue(xs, 0.2)));
    const brightOnly = new ColorJitter({ brightness: [1.5, 1.5], order: 'sample' }).forward(xs, gen(8));
    assert.ok(brightOnly.equal(adjustBrightness(xs, 1.5)));
  });

  it('rgbToLab: both branches of the gamma and of the cube root, white and black (scikit-image 0.19)', () => {
    const px = [...PIXELS, [0.03, 0.02, 0.01], [0.04, 0.045, 0.05], [1, 1, 1], [0, 0, 0]];
    const lab = rgbToLab(rgb(px, 3, 4, 'float64'));
    assertAllClose(lab, torch.tensor([[[54.0864, 49.4856, 80.7068, 80.2101], [39.8046, 33.8933, 53.389, 88.5101], [1.4965, 3.113, 100.0, 0.0]],
      [[57.2277, 73.2156, -71.3465, -74.6788], [42.4901, 69.8556, -0.0015, -19.6252], [0.3122, -0.1499, -0.0025, 0.0]],
      [[58.183, 27.0912, 75.081, 59.545], [-80.974, -90.672, 0.0028, 84.6744], [1.2001, -0.6648, 0.0047, 0.0]]], { dtype: 'float64' }).unsqueeze(0), 1e-4);
    assert.equal(lab.dtype, 'float64');
    assert.deepEqual([...D65_WHITE], [0.95047, 1.0, 1.08883]);
    // float32 in, float32 out (the matrices and the white follow the images' dtype).
    const lab32 = rgbToLab(rgb(PIXELS, 2, 4));
    assert.equal(lab32.dtype, 'float32');
    assertAllClose(lab32, lab.narrow(2, 0, 2), 1e-3);
    const back32 = labToRgb(lab32);
    assert.equal(back32.dtype, 'float32');
    assertAllClose(back32, rgb(PIXELS, 2, 4), 1e-5);
  });

  it('labToRgb: both branches, negative Z set to 0, clipped unless clip is false; withoutColour keeps L', () => {
    const labs = [[50, 20, -30], [75, -40, 60], [20, 10, 10], [90, 0, 0], [60, 80, -100], [5, 0, 0], [100, 0, 0], [40, -60, 120]];
    const lab = rgb(labs, 2, 4, 'float64');
    const clipped = [[[0.496361, 0.559236, 0.261276, 0.88757], [0.664685, 0.066031, 1.0, 0.0]],
      [[0.429258, 0.791033, 0.166704, 0.887563], [0.346332, 0.06603, 0.999995, 0.444587]],
      [[0.666839, 0.250066, 0.133951, 0.887599], [1.0, 0.066035, 1.0, 0.0]]];
    const raw = [[[0.496361, 0.559236, 0.261276, 0.88757], [0.664685, 0.066031, 1.000003, -0.210611]],
      [[0.429258, 0.791033, 0.166704, 0.887563], [0.346332, 0.06603, 0.999995, 0.444587]],
      [[0.666839, 0.250066, 0.133951, 0.887599], [1.275735, 0.066035, 1.000036, -0.527441]]];
    const f64 = (v: number[][][]): torch.Tensor => torch.tensor(v, { dtype: 'float64' }).unsqueeze(0);
    assertAllClose(labToRgb(lab), f64(clipped), 2e-6);
    assertAllClose(labToRgb(lab, { clip: true }), f64(clipped), 2e-6);
    assertAllClose(labToRgb(lab, { clip: false }), f64(raw), 2e-6);
    assertAllClose(labToRgb(rgbToLab(rgb(PIXELS, 2, 4, 'float64'))), rgb(PIXELS, 2, 4, 'float64'), 1e-6);
    const two = lab.narrow(1, 0, 2); // 2 channels
    refuses(() => rgbToLab(two), 'Expected 3-channel images (B, 3, H, W) for rgbToLab but received 2 channel(s)');
    refuses(() => labToRgb(two), 'Expected 3-channel images (B, 3, H, W) for labToRgb but received 2 channel(s)');
    refuses(() => withoutColour(two), 'Expected 3-channel images (B, 3, H, W) for withoutColour but received 2 channel(s)');
    const flat = lab.squeeze(0);
    for (const [name, fn] of [['rgbToLab', rgbToLab], ['labToRgb', labToRgb], ['withoutColour', withoutColour]] as const) {
      refuses(() => fn(flat), `Expected images of shape (B, C, H, W) for ${name} but received shape [3, 2, 4]`);
    }
    assert.deepEqual(withoutColour(lab).toArray(), [[[[50, 75, 20, 90], [60, 5, 100, 40]], [[0, 0, 0, 0], [0, 0, 0, 0]], [[0, 0, 0, 0], [0, 0, 0, 0]]]]);
  });
});
