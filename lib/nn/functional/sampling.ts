// Resampling and padding: interpolate (resize), gridSample/affineGrid (warps) and pad.
import { Tensor } from '../../torch/tensor';
import { isFloatingPoint } from '../../torch/dtype';
import { Op, op } from '../../torch/op';
import { checkDims, checkInt, checkNumber, checkTensor } from '../../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../../torch/option-table';

/** Resampling algorithms of `interpolate`. */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';

/** Options of `interpolate`, as PyTorch's keyword arguments: give exactly one of `size` and `scaleFactor`. */
export interface InterpolateOptions {
  /** Output spatial size, one number or one per spatial dimension. */
  size?: number | readonly number[];
  /** Multiplier of the spatial size, one number or one per spatial dimension. */
  scaleFactor?: number | readonly number[];
  /** Algorithm. Default 'nearest'. */
  mode?: InterpolateMode;
  /**
   * Align the centres of the corner pixels of input and output (linear modes
   * only). Default false.
   */
  alignCorners?: boolean;
  /** Compute the output size from `scaleFactor`, then interpolate with the scale that size implies. Default false. */
  recomputeScaleFactor?: boolean;
  /** Anti-alias when downsampling ('bilinear' and 'bicubic' on 4-D input). Default false. */
  antialias?: boolean;
}

/** Options of `gridSample`, as PyTorch's keyword arguments. */
export interface GridSampleOptions {
  /** Interpolation. Default 'bilinear' (trilinear on 5-D input). */
  mode?: 'bilinear' | 'nearest' | 'bicubic';
  /** Values for grid locations outside [-1, 1]. Default 'zeros'. */
  paddingMode?: 'zeros' | 'border' | 'reflection';
  /** -1 and 1 are the centres (true) or the outer corners (false) of the corner pixels. Default false. */
  alignCorners?: boolean;
}

/** Padding modes of `pad`. */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

const MODES: readonly InterpolateMode[] = ['nearest', 'nearest-exact', 'linear', 'bilinear', 'bicubic', 'trilinear', 'area'];

// Defaults as PyTorch's keyword arguments, each stated once (size, scaleFactor and
// pad's value have none: they are read as given, their checks depend on the input).
const INTERPOLATE_OPTIONS = defineOptions({
  mode: option<InterpolateMode>('nearest', is.oneOf(MODES)), alignCorners: option(false, is.boolean),
  recomputeScaleFactor: option(false, is.boolean), antialias: option(false, is.boolean),
});
const GRID_SAMPLE_MODES = ['bilinear', 'nearest', 'bicubic'] as const;
const GRID_SAMPLE_PADDINGS = ['zeros', 'border', 'reflection'] as const;
const GRID_SAMPLE_OPTIONS = defineOptions({
  mode: option<(typeof GRID_SAMPLE_MODES)[number]>('bilinear', is.oneOf(GRID_SAMPLE_MODES)),
  paddingMode: option<(typeof GRID_SAMPLE_PADDINGS)[number]>('zeros', is.oneOf(GRID_SAMPLE_PADDINGS)),
  alignCorners: option(false, is.boolean),
});
const AFFINE_GRID_OPTIONS = defineOptions({ alignCorners: option(false, is.boolean) });
const PAD_OPTIONS = defineOptions({
  mode: option<PadMode>('constant', is.oneOf(['constant', 'reflect', 'replicate', 'circular'] as const)),
});

const ops = {
  nearest: [op('upsample_nearest1d', 'vec'), op('upsample_nearest2d', 'vec'), op('upsample_nearest3d', 'vec')],
  nearestExact: [op('_upsample_nearest_exact1d', 'vec'), op('_upsample_nearest_exact2d', 'vec'),
    op('_upsample_nearest_exact3d', 'vec')],
  area: [op('adaptive_avg_pool1d'), op('adaptive_avg_pool2d'), op('adaptive_avg_pool3d')],
  linear: op('upsample_linear1d', 'vec'),
  bilinear: op('upsample_bilinear2d', 'vec'), bilinearAA: op('_upsample_bilinear2d_aa', 'vec'),
  bicubic: op('upsample_bicubic2d', 'vec'), bicubicAA: op('_upsample_bicubic2d_aa', 'vec'),
  trilinear: op('upsample_trilinear3d', 'vec'),
  gridSampler: op('grid_sampler'),
  affineGrid: op('affine_grid_generator'),
  pad: op('pad'),
};

/** The one spatial dimension count (1, 2 or 3) that each linear mode works on. */
const LINEAR_DIMS: Partial<Record<InterpolateMode, number>> = { linear: 1, bilinear: 2, bicubic: 2, trilinear: 3 };

function perDim(value: number | readonly number[], n: number, what: string, check: (v: unknown, w: string) => number,
  shape: readonly number[]): number[] {
  if (typeof value === 'number') return new Array<number>(n).fill(check(value, what));
  if (Array.isArray(value)) {
    if (value.length !== n) {
      throw new RangeError(`Expected ${n} entries in ${what}, one per spatial dimension of the input ` +
        `[${shape.slice(2).join(', ')}], but received ${JSON.stringify(value)}`);
    }
    return value.map((v, i) => check(v, `${what}[${i}]`));
  }
  throw new TypeError(`Expected a number or an array of ${n} numbers for ${what} but received ${String(value)}`);
}

/**
 * Resizes (N, C, L), (N, C, H, W) or (N, C, D, H, W) input to `size` or by
 * `scaleFactor`, as `torch.nn.functional.interpolate`. 'linear', 'bilinear'/'bicubic'
 * and 'trilinear' need 3-, 4- and 5-D input; 'area' is adaptive average pooling.
 * Defaults as PyTorch: mode 'nearest', alignCorners false (linear modes only),
 * recomputeScaleFactor false, antialias false.
 *
 * @example
 * const big = F.interpolate(torch.randn([1, 3, 32, 32]), { size: [64, 64], mode: 'bilinear' });
 * const half = F.interpolate(img, { scaleFactor: 0.5, mode: 'area' });
 */
export function interpolate(input: Tensor, options: InterpolateOptions): Tensor {
  const x = checkTensor(input, 'input');
  const { mode, alignCorners, recomputeScaleFactor: recompute, antialias } = INTERPOLATE_OPTIONS.resolve(options, optionsKey);
  checkDims(x, [3, 4, 5], 'input', `(N, C, *spatial) for interpolate`);
  const shape = x.shape;
  const nd = shape.length - 2;
  const linearDims = LINEAR_DIMS[mode];
  if (linearDims === undefined && options.alignCorners !== undefined) {
    throw new TypeError(`Expected no alignCorners for mode '${mode}': it applies to 'linear', 'bilinear', ` +
      `'bicubic' and 'trilinear' only`);
  }
  if (linearDims !== undefined && linearDims !== nd) {
    throw new RangeError(`Expected a ${linearDims + 2}-D input for mode '${mode}' but received a ${nd + 2}-D input ` +
      `of shape [${shape.join(', ')}]`);
  }
  if (antialias && mode !== 'bilinear' && mode !== 'bicubic') {
    throw new TypeError(`Expected mode 'bilinear' or 'bicubic' with antialias but received '${mode}'`);
  }
  if ((options.size === undefined) === (options.scaleFactor === undefined)) {
    throw new TypeError('Expected exactly one of options.size and options.scaleFactor');
  }
  if (recompute && options.size !== undefined) {
    throw new TypeError('Expected options.scaleFactor with recomputeScaleFactor: it is meaningless with an explicit size');
  }
  let size: number[] | null = null;
  let scales: number[] | null = null;
  if (options.size !== undefined) {
    size = perDim(options.size, nd, 'options.size', (v, w) => checkInt(v, w, 1), shape);
  } else {
    scales = perDim(options.scaleFactor as number | readonly number[], nd, 'options.scaleFactor',
      (v, w) => checkNumber(v, w, Number.MIN_VALUE), shape);
    // 'area' always needs an explicit size, as in PyTorch.
    if (recompute || mode === 'area') {
      const s = scales;
      size = shape.slice(2).map((d, i) => Math.floor(d * s[i]));
      scales = null;
    }
  }
  if (mode === 'area') return ops.area[nd - 1].tensor(x._h, size);
  if (mode === 'nearest') return ops.nearest[nd - 1].tensor(x._h, size, scales);
  if (mode === 'nearest-exact') return ops.nearestExact[nd - 1].tensor(x._h, size, scales);
  let resample: Op;
  if (mode === 'linear') resample = ops.linear;
  else if (mode === 'trilinear') resample = ops.trilinear;
  else if (mode === 'bilinear') resample = antialias ? ops.bilinearAA : ops.bilinear;
  else resample = antialias ? ops.bicubicAA : ops.bicubic;
  return resample.tensor(x._h, size, alignCorners, scales);
}

/**
 * Samples (N, C, H, W) input at the normalised locations of an (N, Ho, Wo, 2)
 * grid of (x, y) pairs in [-1, 1] (5-D: (N, C, D, H, W) and (N, Do, Ho, Wo, 3)),
 * as `torch.nn.functional.grid_sample`. (-1, -1) is the top-left corner.
 * Defaults as PyTorch: mode 'bilinear', paddingMode 'zeros', alignCorners false.
 *
 * @example
 * const warped = F.gridSample(images, F.affineGrid(theta, images.shape), { paddingMode: 'reflection' });
 */
export function gridSample(input: Tensor, grid: Tensor, options: GridSampleOptions = {}): Tensor {
  const { mode, paddingMode, alignCorners } = GRID_SAMPLE_OPTIONS.resolve(options, optionsKey);
  // ATen's enums: GridSamplerInterpolation {Bilinear, Nearest, Bicubic}, GridSamplerPadding {Zeros, Border, Reflection}.
  const modeEnum = GRID_SAMPLE_MODES.indexOf(mode);
  const paddingEnum = GRID_SAMPLE_PADDINGS.indexOf(paddingMode);
  return ops.gridSampler.tensor(checkTensor(input, 'input')._h, checkTensor(grid, 'grid')._h, modeEnum, paddingEnum,
    alignCorners);
}

/**
 * The sampling grid of a batch of affine transforms, for `gridSample`, as
 * `torch.nn.functional.affine_grid`. `theta` is (N, 2, 3) for a 4-D `size`
 * (N, C, H, W) and (N, 3, 4) for a 5-D one; the grid is (N, H, W, 2) or (N, D, H, W, 3).
 * Defaults as PyTorch: alignCorners false.
 *
 * @example
 * const identity = torch.tensor([[[1, 0, 0], [0, 1, 0]]]);
 * const grid = F.affineGrid(identity, [1, 3, 32, 32]); // (1, 32, 32, 2)
 */
export function affineGrid(theta: Tensor, size: readonly number[], options: { alignCorners?: boolean } = {}): Tensor {
  const t = checkTensor(theta, 'theta');
  if (!isFloatingPoint(t.dtype)) {
    throw new TypeError(`Expected a floating point theta but received dtype ${t.dtype}`);
  }
  if (!Array.isArray(size) || (size.length !== 4 && size.length !== 5)) {
    throw new TypeError(`Expected size of 4 (N, C, H, W) or 5 (N, C, D, H, W) positive integers but received ` +
      JSON.stringify(size));
  }
  const dims = size.map((d, i) => checkInt(d, `size[${i}]`, 1));
  const rows = size.length - 2;
  const shape = t.shape;
  if (shape.length !== 3 || shape[1] !== rows || shape[2] !== rows + 1) {
    throw new RangeError(`Expected theta of shape (N, ${rows}, ${rows + 1}) for a ${size.length}-D size but received ` +
      `shape [${shape.join(', ')}]`);
  }
  return ops.affineGrid.tensor(t._h, dims, AFFINE_GRID_OPTIONS.resolve(options, optionsKey).alignCorners);
}

/**
 * Pads the last `pad.length / 2` dimensions, as `torch.nn.functional.pad`:
 * `pad` lists (before, after) pairs starting from the LAST dimension, so
 * `[left, right, top, bottom]` pads W then H. 'constant' fills with `value`
 * (negative amounts crop); 'reflect', 'replicate' and 'circular' pad the
 * last 1-3 dimensions of batched or unbatched input.
 * Defaults as PyTorch: mode 'constant', value 0.
 *
 * @example
 * const y = F.pad(torch.ones([1, 3, 32, 32]), [4, 4, 4, 4], { mode: 'reflect' }); // (1, 3, 40, 40)
 */
export function pad(input: Tensor, pad: readonly number[], options: { mode?: PadMode; value?: number } = {}): Tensor {
  const x = checkTensor(input, 'input');
  const { mode } = PAD_OPTIONS.resolve(options, optionsKey);
  if (!Array.isArray(pad) || pad.length % 2 !== 0 || pad.length === 0) {
    throw new TypeError(`Expected an even number of integers for pad but received ${JSON.stringify(pad)}`);
  }
  const amounts = pad.map((p, i) => checkInt(p, `pad[${i}]`));
  if (amounts.length / 2 > x.dim()) {
    throw new RangeError(`Expected at most ${2 * x.dim()} entries in pad for a ${x.dim()}-D input but received ` +
      `${amounts.length}`);
  }
  if (options.value !== undefined && mode !== 'constant') {
    throw new TypeError(`Expected no value for mode '${mode}': only mode 'constant' fills with a value`);
  }
  const value = options.value === undefined ? null : checkNumber(options.value, 'options.value');
  return ops.pad.tensor(x._h, amounts, mode, value);
}
