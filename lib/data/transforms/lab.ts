// sRGB <-> CIE L*a*b* (D65 white), batched on the images' device and
// differentiable, with the formulae and constants of scikit-image's
// skimage.color.rgb2lab / lab2rgb (which colorization code since Zhang et al.
// 2016 uses), so a model trained here reads Lab as theirs did.
import * as torch from '../../torch';
import { Tensor } from '../../torch/tensor';
import { checkImages } from './transform';

// sRGB (linear) -> XYZ, the matrix of skimage.color.colorconv `xyz_from_rgb`.
const XYZ_FROM_RGB = [
  [0.412453, 0.357580, 0.180423],
  [0.212671, 0.715160, 0.072169],
  [0.019334, 0.119193, 0.950227],
];
/** The D65 reference white (2 degree observer), as skimage's `illuminants['D65']['2']`. */
export const D65_WHITE = [0.95047, 1.0, 1.08883] as const;

// CIE constants: t > (6/29)^3 takes the cube root, else the linear segment.
const EPSILON = 0.008856;
const KAPPA_SLOPE = 7.787;
const OFFSET = 16 / 116;
// The inverse's threshold on f, as skimage's lab2xyz (about 6/29).
const F_THRESHOLD = 0.2068966;

/** The 3x3 inverse of `m`, in float64 on the host (the matrix is fixed, so this runs once). */
function inverse3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}
const RGB_FROM_XYZ = inverse3(XYZ_FROM_RGB);

/** `m` (3x3) applied to the channel dimension of (B, 3, H, W). */
function mixChannels(x: Tensor, m: number[][]): Tensor {
  const w = torch.tensor(Float64Array.from(m.flat()), { shape: [3, 3] }).to({ dtype: x.dtype, device: x.device });
  return torch.einsum('oc,bchw->bohw', [w, x]);
}

function check3(images: Tensor, what: string): void {
  const [, c] = checkImages(images, what);
  if (c !== 3) {
    throw new RangeError(`Expected 3-channel images (B, 3, H, W) for ${what} but received ${c} channel(s)`);
  }
}

/**
 * sRGB in [0, 1] to CIE Lab (D65): L in [0, 100], a and b about [-128, 127],
 * as `skimage.color.rgb2lab`. (B, 3, H, W) -> (B, 3, H, W), same device and dtype.
 *
 * NOTE: both branches of each piecewise function are evaluated (torch.where),
 * so their inputs are clamped into the branch's own domain first: the cube
 * root and the 2.4 power would otherwise give an infinite or NaN gradient in
 * the branch that is not taken, and 0 x NaN is NaN.
 *
 * @example
 * const lab = data.transforms.rgbToLab(images01); // lab.select(1, 0) is L
 */
export function rgbToLab(rgb: Tensor): Tensor {
  check3(rgb, 'rgbToLab');
  return torch.scope(() => {
    const linear = torch.where(rgb.gt(0.04045), rgb.clampMin(0.04045).add(0.055).div(1.055).pow(2.4), rgb.div(12.92));
    const xyz = mixChannels(linear, XYZ_FROM_RGB); // (B, 3, H, W)
    const white = torch.tensor(Float64Array.from(D65_WHITE), { shape: [1, 3, 1, 1] }).to({ dtype: rgb.dtype, device: rgb.device });
    const t = xyz.div(white);
    const f = torch.where(t.gt(EPSILON), t.clampMin(EPSILON).pow(1 / 3), t.mul(KAPPA_SLOPE).add(OFFSET));
    const [fx, fy, fz] = f.unbind(1); // 3 x (B, H, W)
    const L = fy.mul(116).sub(16);
    const a = fx.sub(fy).mul(500);
    const b = fy.sub(fz).mul(200);
    return torch.stack([L, a, b], 1);
  });
}

/**
 * CIE Lab (D65) to sRGB, as `skimage.color.lab2rgb`: negative Z is set to 0
 * (skimage does the same, with a warning), and the result is clipped to
 * [0, 1] unless `clip` is false (out-of-gamut Lab values then give values
 * outside [0, 1]). (B, 3, H, W) -> (B, 3, H, W).
 *
 * @example
 * const rgb = data.transforms.labToRgb(torch.cat([L, abPredicted], 1));
 */
export function labToRgb(lab: Tensor, options: { clip?: boolean } = {}): Tensor {
  check3(lab, 'labToRgb');
  return torch.scope(() => {
    const [L, a, b] = lab.unbind(1); // 3 x (B, H, W)
    const fy = L.add(16).div(116);
    const fx = a.div(500).add(fy);
    const fz = fy.sub(b.div(200)).clampMin(0);
    const f = torch.stack([fx, fy, fz], 1); // (B, 3, H, W)
    const t = torch.where(f.gt(F_THRESHOLD), f.pow(3), f.sub(OFFSET).div(KAPPA_SLOPE));
    const white = torch.tensor(Float64Array.from(D65_WHITE), { shape: [1, 3, 1, 1] }).to({ dtype: lab.dtype, device: lab.device });
    const linear = mixChannels(t.mul(white), RGB_FROM_XYZ);
    const rgb = torch.where(linear.gt(0.0031308), linear.clampMin(0.0031308).pow(1 / 2.4).mul(1.055).sub(0.055),
      linear.mul(12.92));
    return options.clip === false ? rgb : rgb.clamp(0, 1);
  });
}

/**
 * The same Lab images with no colour: L kept, a = b = 0 (what a colorization
 * network is given, and its "left gray" floor). (B, 3, H, W) -> (B, 3, H, W).
 *
 * @example const gray = data.transforms.labToRgb(data.transforms.withoutColour(lab));
 */
export function withoutColour(lab: Tensor): Tensor {
  check3(lab, 'withoutColour');
  return torch.cat([lab.narrow(1, 0, 1), torch.zerosLike(lab.narrow(1, 1, 2))], 1);
}
