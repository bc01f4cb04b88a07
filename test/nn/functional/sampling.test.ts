import * as assert from 'node:assert/strict';
import { torch } from '../../../lib';
import { functional as F } from '../../../lib/nn';
import { assertClose, f, grid } from '../../helpers/assert-close';

describe('nn/functional/sampling', () => {
  describe('interpolate', () => {
    it("'nearest' repeats pixels", () => {
      const x = f([[[[1, 2], [3, 4]]]]);
      const expected = [[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]];
      assertClose(F.interpolate(x, { scaleFactor: 2 }), expected);
      assertClose(F.interpolate(x, { size: 4 }), expected);
      assertClose(F.interpolate(x, { size: [2, 4] }), [[[[1, 1, 2, 2], [3, 3, 4, 4]]]]);
      assertClose(F.interpolate(f([[[1, 2]]]), { scaleFactor: 2 }), [[[1, 1, 2, 2]]]);
      assert.deepEqual(F.interpolate(torch.ones([1, 1, 2, 2, 2]), { scaleFactor: [1, 2, 3] }).shape, [1, 1, 2, 4, 6]);
      assertClose(F.interpolate(x, { scaleFactor: 2, mode: 'nearest-exact' }), expected);
    });

    it("'bilinear' and 'linear' interpolate between samples", () => {
      const x = f([[[[1, 2], [3, 4]]]]);
      assertClose(F.interpolate(x, { size: 3, mode: 'bilinear', alignCorners: true }),
        [[[[1, 1.5, 2], [2, 2.5, 3], [3, 3.5, 4]]]]);
      // Without aligned corners, output pixel centres map to (i + 0.5) / 2 - 0.5, clamped at the border.
      assertClose(F.interpolate(f([[[0, 4]]]), { scaleFactor: 2, mode: 'linear' }), [[[0, 1, 3, 4]]]);
      assertClose(F.interpolate(f([[[0, 4]]]), { size: 3, mode: 'linear', alignCorners: true }), [[[0, 2, 4]]]);
      assertClose(F.interpolate(torch.ones([1, 2, 3, 3]), { size: [5, 7], mode: 'bicubic' }),
        [[0, 1].map(() => Array.from({ length: 5 }, () => new Array(7).fill(1)))]);
      assert.deepEqual(F.interpolate(torch.ones([1, 1, 2, 2, 2]), { scaleFactor: 2, mode: 'trilinear' }).shape,
        [1, 1, 4, 4, 4]);
      assert.deepEqual(F.interpolate(torch.ones([1, 3, 16, 16]), { size: 5, mode: 'bilinear', antialias: true }).shape,
        [1, 3, 5, 5]);
    });

    it("'area' averages the covered pixels", () => {
      assertClose(F.interpolate(grid([1, 1, 4, 4]), { scaleFactor: 0.5, mode: 'area' }), [[[[2.5, 4.5], [10.5, 12.5]]]]);
      assertClose(F.interpolate(grid([1, 1, 4, 4]), { size: 1, mode: 'area' }), [[[[7.5]]]]);
    });

    it('recomputeScaleFactor derives the scale from the rounded size', () => {
      assert.deepEqual(F.interpolate(torch.ones([1, 1, 5, 5]), { scaleFactor: 1.5, recomputeScaleFactor: true }).shape,
        [1, 1, 7, 7]);
    });

    it('reports bad options', () => {
      const x = torch.ones([1, 1, 2, 2]);
      assert.throws(() => F.interpolate(x, {}), /Expected exactly one of options.size and options.scaleFactor/);
      assert.throws(() => F.interpolate(x, { size: 4, scaleFactor: 2 }), /Expected exactly one of options.size and options.scaleFactor/);
      assert.throws(() => F.interpolate(x, { size: 4, alignCorners: true }),
        /Expected no alignCorners for mode 'nearest': it applies to 'linear', 'bilinear', 'bicubic' and 'trilinear' only/);
      assert.throws(() => F.interpolate(torch.ones([1, 1, 2]), { size: 4, mode: 'bilinear' }),
        /Expected a 4-D input for mode 'bilinear' but received a 3-D input of shape \[1, 1, 2\]/);
      assert.throws(() => F.interpolate(x, { size: [1, 2, 3] }),
        /Expected 2 entries in options.size, one per spatial dimension of the input \[2, 2\], but received \[1,2,3\]/);
      assert.throws(() => F.interpolate(x, { scaleFactor: -1 }), /Expected a positive number for options.scaleFactor but received -1/);
      assert.throws(() => F.interpolate(x, { size: 2, mode: 'cubic' as 'bicubic' }), /Expected one of 'nearest', .* for options.mode but received 'cubic'/);
      assert.throws(() => F.interpolate(x, { size: 2, antialias: true }), /Expected mode 'bilinear' or 'bicubic' with antialias/);
      assert.throws(() => F.interpolate(torch.ones([2, 2]), { size: 2 }), /Expected a 3-D, 4-D or 5-D input/);
    });
  });

  describe('gridSample and affineGrid', () => {
    it('affineGrid of the identity gives pixel-centre coordinates', () => {
      const identity = f([[[1, 0, 0], [0, 1, 0]]]);
      assertClose(F.affineGrid(identity, [1, 1, 2, 2]), [[[[-0.5, -0.5], [0.5, -0.5]], [[-0.5, 0.5], [0.5, 0.5]]]]);
      assertClose(F.affineGrid(identity, [1, 1, 2, 2], { alignCorners: true }), [[[[-1, -1], [1, -1]], [[-1, 1], [1, 1]]]]);
      // A shift by half the width (normalised 1) moves x only.
      assertClose(F.affineGrid(f([[[1, 0, 1], [0, 1, 0]]]), [1, 1, 1, 2]), [[[[0.5, 0], [1.5, 0]]]]);
      assert.deepEqual(F.affineGrid(f([[[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]]), [1, 1, 2, 3, 4]).shape, [1, 2, 3, 4, 3]);
    });

    it('gridSample with the identity grid reproduces the input', () => {
      const x = grid([2, 3, 4, 5]);
      const theta = f([[[1, 0, 0], [0, 1, 0]], [[1, 0, 0], [0, 1, 0]]]);
      const y = F.gridSample(x, F.affineGrid(theta, [2, 3, 4, 5]));
      assertClose(y, x.toArray());
      assertClose(F.gridSample(x, F.affineGrid(theta, [2, 3, 4, 5], { alignCorners: true }), { alignCorners: true }),
        x.toArray());
    });

    it('gridSample interpolates, pads and picks nearest', () => {
      const x = f([[[[0, 1, 2], [3, 4, 5], [6, 7, 8]]]]);
      const at = (gx: number, gy: number) => f([[[[gx, gy]]]]);
      assertClose(F.gridSample(x, at(0, 0), { alignCorners: true }), [[[[4]]]]);
      assertClose(F.gridSample(x, at(0.5, 0), { alignCorners: true }), [[[[4.5]]]]);
      assertClose(F.gridSample(x, at(0.4, 0), { alignCorners: true, mode: 'nearest' }), [[[[4]]]]);
      assertClose(F.gridSample(x, at(-3, 0), { alignCorners: true }), [[[[0]]]]);
      assertClose(F.gridSample(x, at(-3, 0), { alignCorners: true, paddingMode: 'border' }), [[[[3]]]]);
      assertClose(F.gridSample(x, at(-1.5, 0), { alignCorners: true, paddingMode: 'reflection' }), [[[[3.5]]]]);
      assertClose(F.gridSample(x, at(0, 0), { alignCorners: true, mode: 'bicubic' }), [[[[4]]]]);
    });

    it('reports bad arguments', () => {
      const x = torch.ones([1, 1, 3, 3]);
      assert.throws(() => F.gridSample(x, torch.zeros([1, 1, 1, 2]), { mode: 'linear' as 'bilinear' }),
        /Expected one of 'bilinear', 'nearest', 'bicubic' for options.mode but received 'linear'/);
      assert.throws(() => F.gridSample(x, torch.zeros([1, 1, 1, 2]), { paddingMode: 'wrap' as 'zeros' }),
        /Expected one of 'zeros', 'border', 'reflection' for options.paddingMode but received 'wrap'/);
      assert.throws(() => F.gridSample(x, torch.zeros([1, 1, 1, 3])), /aten::grid_sampler: .*grid/);
      assert.throws(() => F.affineGrid(f([[1, 0, 0], [0, 1, 0]]), [1, 1, 2, 2]),
        /Expected theta of shape \(N, 2, 3\) for a 4-D size but received shape \[2, 3\]/);
      assert.throws(() => F.affineGrid(torch.zeros([1, 2, 3], { dtype: 'int64' }), [1, 1, 2, 2]),
        /Expected a floating point theta but received dtype int64/);
      assert.throws(() => F.affineGrid(f([[[1, 0, 0], [0, 1, 0]]]), [1, 2, 2]), /Expected size of 4 \(N, C, H, W\) or 5/);
    });
  });

  describe('pad', () => {
    it("'constant' fills with a value; negative amounts crop", () => {
      assertClose(F.pad(f([1, 2]), [1, 1]), [0, 1, 2, 0]);
      assertClose(F.pad(f([1, 2]), [1, 2], { value: 9 }), [9, 1, 2, 9, 9]);
      assertClose(F.pad(f([[1, 2]]), [0, 0, 1, 0]), [[0, 0], [1, 2]]);
      assertClose(F.pad(f([1, 2, 3]), [-1, 0]), [2, 3]);
      assert.deepEqual(F.pad(torch.ones([1, 3, 32, 32]), [4, 4, 2, 2]).shape, [1, 3, 36, 40]);
    });

    it("'reflect', 'replicate' and 'circular' pad from the input's own values", () => {
      const x = f([[[1, 2, 3]]]);
      assertClose(F.pad(x, [2, 1], { mode: 'reflect' }), [[[3, 2, 1, 2, 3, 2]]]);
      assertClose(F.pad(x, [2, 1], { mode: 'replicate' }), [[[1, 1, 1, 2, 3, 3]]]);
      assertClose(F.pad(x, [2, 1], { mode: 'circular' }), [[[2, 3, 1, 2, 3, 1]]]);
      assertClose(F.pad(f([[[[1, 2], [3, 4]]]]), [1, 0, 1, 0], { mode: 'reflect' }),
        [[[[4, 3, 4], [2, 1, 2], [4, 3, 4]]]]);
    });

    it('reports bad arguments', () => {
      const x = f([[[1, 2, 3]]]);
      assert.throws(() => F.pad(x, [1]), /Expected an even number of integers for pad but received \[1\]/);
      assert.throws(() => F.pad(x, [1.5, 1]), /Expected integer for pad\[0\] but received 1.5/);
      assert.throws(() => F.pad(f([1]), [1, 1, 1, 1]), /Expected at most 2 entries in pad for a 1-D input but received 4/);
      assert.throws(() => F.pad(x, [1, 1], { mode: 'reflect', value: 1 }),
        /Expected no value for mode 'reflect': only mode 'constant' fills with a value/);
      assert.throws(() => F.pad(x, [1, 1], { mode: 'mirror' as 'reflect' }),
        /Expected one of 'constant', 'reflect', 'replicate', 'circular' for options.mode but received 'mirror'/);
      assert.throws(() => F.pad(x, [3, 3], { mode: 'reflect' }), /aten::pad: .*Padding size should be less than/);
    });
  });
});
