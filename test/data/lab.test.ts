// sRGB <-> Lab against scikit-image (Debian's python3-skimage) on the same
// pixels, both directions, and the gradients against finite differences.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { labToRgb, rgbToLab, withoutColour } from '../../lib/data/transforms/lab';
import { assertAllClose } from './transforms/reference';
import { pretextReference } from '../helpers/pretext-ref';

/** Random RGB in [0, 1] plus the special values: black, white, and pixels at the piecewise thresholds. */
function rgbSamples(): torch.Tensor {
  const x = torch.rand([3, 3, 6, 7], { generator: new torch.Generator().manualSeed(3), dtype: 'float64' });
  const special = [0, 1, 0.04045, 0.04, 0.05, 1e-4, 0.5];
  special.forEach((v, i) => x.select(0, 0).select(1, 0).select(1, i).fill_(v));
  x.select(0, 1).select(0, 0).fill_(1); // saturated red channel
  return x;
}

/** Lab values over the whole box, many of them outside the sRGB gamut. */
function labSamples(): torch.Tensor {
  const g = new torch.Generator().manualSeed(5);
  const L = torch.rand([2, 1, 5, 6], { generator: g, dtype: 'float64' }).mul(100);
  const ab = torch.rand([2, 2, 5, 6], { generator: g, dtype: 'float64' }).mul(220).sub(110);
  return torch.cat([L, ab], 1);
}

describe('data/transforms: Lab colour (skimage.color)', () => {
  const rgb = rgbSamples();
  const lab = labSamples();
  let ref: Record<string, torch.Tensor>[] = [];
  before(function () {
    this.timeout(120000);
    const inGamut = rgbToLab(rgb);
    ref = pretextReference([
      { op: 'rgb2lab', inputs: { rgb } },
      { op: 'lab2rgb', inputs: { lab } },
      { op: 'lab2rgb', inputs: { lab: inGamut } },
    ]);
  });

  it('rgbToLab equals skimage rgb2lab (float64 and float32)', () => {
    assertAllClose(rgbToLab(rgb), ref[0].lab, 1e-9, 'float64');
    assertAllClose(rgbToLab(rgb.float()), ref[0].lab, 2e-4, 'float32');
  });

  it('labToRgb equals skimage lab2rgb, out-of-gamut values clipped as skimage', () => {
    assertAllClose(labToRgb(lab), ref[1].rgb, 1e-9, 'float64 over the Lab box');
    assertAllClose(labToRgb(lab.float()), ref[1].rgb, 1e-5, 'float32');
    assertAllClose(labToRgb(rgbToLab(rgb)), ref[2].rgb, 1e-9, 'in gamut');
  });

  it('round-trips RGB -> Lab -> RGB; clip: false keeps out-of-gamut values', () => {
    // NOTE: the sRGB constants are not exactly continuous at the threshold (0.0031308 x 12.92 = 0.040449936), as in skimage.
    assertAllClose(labToRgb(rgbToLab(rgb)), rgb, 1e-7, 'round trip');
    const raw = labToRgb(lab, { clip: false });
    assert.ok((raw.max().item() as number) > 1 || (raw.min().item() as number) < 0, 'some values outside [0, 1]');
    assertAllClose(raw.clamp(0, 1), ref[1].rgb, 1e-9, 'clip false then clamp');
  });

  it('runs on the device of its input and keeps the dtype', () => {
    const out = rgbToLab(rgb.float());
    assert.equal(out.dtype, 'float32');
    assert.equal(out.device, 'cpu');
    assert.deepEqual(out.shape, [3, 3, 6, 7]);
  });

  it('has finite gradients equal to central differences, at the thresholds too', () => {
    const w = torch.randn([3, 3, 6, 7], { generator: new torch.Generator().manualSeed(9), dtype: 'float64' });
    const x = rgb.clone().requiresGrad_();
    rgbToLab(x).mul(w).sum().backward();
    const grad = x.grad!.toTypedArray() as Float64Array;
    assert.ok(grad.every(Number.isFinite), 'finite gradient of rgbToLab (black pixels included)');
    const base = rgb.toTypedArray() as Float64Array;
    const h = 1e-6;
    // Away from the kinks (the special pixels sit in row 0), where central differences straddle two branches.
    for (const i of [8, 50, 90, 130, 200, 377]) {
      const f = (delta: number): number => {
        const p = Float64Array.from(base);
        p[i] += delta;
        return rgbToLab(torch.tensor(p, { shape: rgb.shape })).mul(w).sum().item() as number;
      };
      const numeric = (f(h) - f(-h)) / (2 * h);
      assert.ok(Math.abs(numeric - grad[i]) <= 1e-4 * (1 + Math.abs(numeric)), `rgbToLab grad[${i}]: ${grad[i]} vs ${numeric}`);
    }
    const y = lab.clone().requiresGrad_();
    labToRgb(y, { clip: false }).mul(w.narrow(0, 0, 2).narrow(2, 0, 5).narrow(3, 0, 6)).sum().backward();
    assert.ok((y.grad!.toTypedArray() as Float64Array).every(Number.isFinite), 'finite gradient of labToRgb');
  });

  it('withoutColour keeps L to the bit and sets a and b to 0', () => {
    const lab = torch.tensor([[[[53.2, 0]], [[80.1, -3]], [[67.2, 9.5]]]], { dtype: 'float64' }); // (1, 3, 1, 2)
    assert.deepEqual(Array.from(withoutColour(lab).toTypedArray() as Float64Array), [53.2, 0, 0, 0, 0, 0]);
    assert.throws(() => withoutColour(torch.rand([1, 2, 4, 4])), /3-channel images \(B, 3, H, W\) for withoutColour but received 2 channel/);
  });

  it('refuses images that are not 3-channel, naming what it needs', () => {
    assert.throws(() => rgbToLab(torch.rand([1, 1, 4, 4])), /3-channel images \(B, 3, H, W\) for rgbToLab but received 1 channel/);
    assert.throws(() => labToRgb(torch.rand([3, 4, 4])), /\(B, C, H, W\) for labToRgb/);
  });
});
