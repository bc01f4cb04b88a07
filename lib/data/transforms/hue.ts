// Hue shifts through HSV, written as torchvision's functional_tensor
// _rgb2hsv / _hsv2rgb so that the results agree to float rounding.
import { Tensor } from '../../torch/tensor';
import { stack, where } from '../../torch/functions';
import { tensor } from '../../torch/creation';
import { checkImages } from './transform';
import { asPerSample } from './random-params';

/**
 * RGB (B, 3, H, W) in [0, 1] to HSV with every component in [0, 1], as torchvision's `_rgb2hsv`.
 * @example const hsv = rgbToHsv(images);
 */
export function rgbToHsv(images: Tensor): Tensor {
  const [r, g, b] = images.unbind(1);
  const maxc = images.amax(1);
  const minc = images.amin(1);
  const eqc = maxc.eq(minc);
  const cr = maxc.sub(minc);
  // NOTE: gray pixels (max == min) divide by 1 instead of 0; their hue and saturation are 0.
  const s = cr.div(where(eqc, 1, maxc));
  const crDivisor = where(eqc, 1, cr);
  const rc = maxc.sub(r).div(crDivisor);
  const gc = maxc.sub(g).div(crDivisor);
  const bc = maxc.sub(b).div(crDivisor);
  const isR = maxc.eq(r);
  const isG = maxc.eq(g).logicalAnd(isR.logicalNot());
  const isB = maxc.ne(g).logicalAnd(isR.logicalNot());
  const hr = bc.sub(gc).mul(isR);
  const hg = rc.sub(bc).add(2).mul(isG);
  const hb = gc.sub(rc).add(4).mul(isB);
  const h = hr.add(hg).add(hb).div(6).add(1).fmod(1);
  return stack([h, s, maxc], 1);
}

/**
 * HSV (B, 3, H, W) back to RGB, as torchvision's `_hsv2rgb`.
 * @example const rgb = hsvToRgb(rgbToHsv(images)); // images, to float rounding
 */
export function hsvToRgb(hsv: Tensor): Tensor {
  const [h, s, v] = hsv.unbind(1);
  const i = h.mul(6).floor();
  const f = h.mul(6).sub(i);
  const sector = i.to('int32').remainder(6);
  const p = v.mul(s.neg().add(1)).clamp(0, 1);
  const q = v.mul(s.mul(f).neg().add(1)).clamp(0, 1);
  const t = v.mul(s.mul(f.neg().add(1)).neg().add(1)).clamp(0, 1);
  // NOTE: torchvision stacks the 6 sector cases of each channel ((v, q, p, p, t, v)
  // for red, ...) and multiplies by a one-hot mask of the sector in an einsum.
  // Picking the sector's plane out of the 4 distinct ones (v, q, p, t) with
  // gather gives the same values (x * 1 + 0 * others is exact) at a fraction of the cost.
  const planes = stack([v, q, p, t], 1); // (B, 4, H, W)
  const [B, H, W] = [hsv.shape[0], hsv.shape[2], hsv.shape[3]];
  const table = tensor([[0, 1, 2, 2, 3, 0], [3, 0, 0, 1, 2, 2], [2, 2, 3, 0, 0, 1]], { dtype: 'int64', device: hsv.device });
  const index = table.indexSelect(1, sector.to('int64').flatten()).view([3, B, H, W]).permute([1, 0, 2, 3]); // (B, 3, H, W)
  return planes.gather(1, index);
}

/**
 * Shifts the hue of RGB images by `factors` (one number, or one per image, in
 * [-0.5, 0.5]), as torchvision's `F.adjust_hue`. Single-channel images have no
 * hue: returned as they are.
 *
 * @example const out = adjustHue(images, torch.tensor([0.1, -0.05]));
 */
export function adjustHue(images: Tensor, factors: Tensor | number): Tensor {
  const [, C] = checkImages(images, 'adjustHue');
  if (C === 1) return images;
  if (C !== 3) throw new RangeError(`Expected 1 or 3 channels for adjustHue but received ${C}`);
  const shift = asPerSample(factors, images).view([-1, 1, 1]);
  const [h, s, v] = rgbToHsv(images).unbind(1);
  // Python's % (result has the divisor's sign), as torchvision's `(h + hue_factor) % 1.0`.
  return hsvToRgb(stack([h.add(shift).remainder(1), s, v], 1));
}
