import * as assert from 'node:assert/strict';
import { torch } from '../../../lib';
import { functional as F } from '../../../lib/nn';
import { assertClose, f, grid } from '../../helpers/assert-close';

describe('nn/functional/conv', () => {
  it('conv2d of ones with a ones kernel counts the window', () => {
    const x = torch.ones([1, 1, 4, 4]);
    const w = torch.ones([1, 1, 3, 3]);
    assertClose(F.conv2d(x, w), [[[[9, 9], [9, 9]]]]);
    // Zero padding: corners see 4 ones, edges 6, the inside 9.
    assertClose(F.conv2d(x, w, null, { padding: 1 }), [[[[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6], [4, 6, 6, 4]]]]);
    assertClose(F.conv2d(x, w, f([0.5])), [[[[9.5, 9.5], [9.5, 9.5]]]]);
  });

  it('conv2d sums over input channels and honours stride and dilation', () => {
    const x = torch.ones([1, 2, 5, 5]);
    const w = torch.ones([1, 2, 3, 3]);
    assertClose(F.conv2d(x, w, null, { stride: 2 }), [[[[18, 18], [18, 18]]]]);
    assertClose(F.conv2d(x, w, null, { dilation: 2 }), [[[[18]]]]);
    assert.deepEqual(F.conv2d(x, w, null, { stride: [1, 2] }).shape, [1, 1, 3, 2]);
  });

  it('conv2d computes a difference kernel on a ramp', () => {
    // x[i][j] = 4i + j; kernel [[1, 0], [0, -1]] gives x[i][j] - x[i+1][j+1] = -5.
    const out = F.conv2d(grid([1, 1, 4, 4]), f([[[[1, 0], [0, -1]]]]));
    assertClose(out, [[[[-5, -5, -5], [-5, -5, -5], [-5, -5, -5]]]]);
  });

  it('conv2d with groups scales each channel by its own kernel', () => {
    const x = torch.ones([1, 2, 2, 2]);
    const w = f([[[[2]]], [[[3]]]]);
    assertClose(F.conv2d(x, w, null, { groups: 2 }), [[[[2, 2], [2, 2]], [[3, 3], [3, 3]]]]);
  });

  it("conv2d padding 'same' keeps the size and 'valid' pads nothing", () => {
    const x = torch.ones([2, 3, 7, 9]);
    const w = torch.ones([4, 3, 3, 5]);
    assert.deepEqual(F.conv2d(x, w, null, { padding: 'same' }).shape, [2, 4, 7, 9]);
    assert.deepEqual(F.conv2d(x, w, null, { padding: 'valid' }).shape, [2, 4, 5, 5]);
    assert.deepEqual(F.conv2d(torch.ones([3, 7, 9]), w, null, { padding: 'same' }).shape, [4, 7, 9]);
  });

  it('conv1d and conv3d', () => {
    assertClose(F.conv1d(f([[[1, 2, 3, 4]]]), f([[[1, 1]]])), [[[3, 5, 7]]]);
    assertClose(F.conv1d(f([[[1, 2, 3]]]), f([[[1, 1, 1]]]), null, { padding: 'same' }), [[[3, 6, 5]]]);
    const y = F.conv3d(torch.ones([1, 2, 4, 4, 4]), torch.ones([3, 2, 3, 3, 3]), null, { padding: 1 });
    assert.deepEqual(y.shape, [1, 3, 4, 4, 4]);
    assertClose(F.conv3d(torch.ones([1, 1, 3, 3, 3]), torch.ones([1, 1, 3, 3, 3])), [[[[[27]]]]]);
  });

  it('convTranspose2d spreads each input over the kernel', () => {
    const x = torch.ones([1, 1, 2, 2]);
    const w = torch.ones([1, 1, 2, 2]);
    assertClose(F.convTranspose2d(x, w), [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]);
    assertClose(F.convTranspose2d(x, w, null, { stride: 2 }), [[[[1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1], [1, 1, 1, 1]]]]);
    assert.deepEqual(F.convTranspose2d(x, w, null, { stride: 2, outputPadding: 1 }).shape, [1, 1, 5, 5]);
    assert.deepEqual(F.convTranspose2d(x, torch.ones([1, 3, 3, 3]), f([0, 0, 0]), { padding: 1 }).shape, [1, 3, 2, 2]);
  });

  it('convTranspose1d and convTranspose3d', () => {
    assertClose(F.convTranspose1d(f([[[1, 2]]]), f([[[1, 1]]])), [[[1, 3, 2]]]);
    assert.deepEqual(F.convTranspose3d(torch.ones([1, 4, 2, 4, 4]), torch.ones([4, 2, 2, 2, 2]), null, { stride: 2 }).shape,
      [1, 2, 4, 8, 8]);
  });

  it('conv2d gradients reach input, weight and bias', () => {
    const x = torch.ones([1, 1, 3, 3], { requiresGrad: true });
    const w = torch.ones([1, 1, 2, 2], { requiresGrad: true });
    const b = torch.zeros([1], { requiresGrad: true });
    const y = F.conv2d(x, w, b);
    y.backward(torch.onesLike(y));
    assertClose(b.grad!, [4]);
    assertClose(w.grad!, [[[[4, 4], [4, 4]]]]);
    assertClose(x.grad!, [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]);
  });

  it('reports bad arguments with the argument or the operator named', () => {
    const x = torch.ones([1, 2, 5, 5]);
    assert.throws(() => F.conv2d(x, torch.ones([1, 3, 3, 3])),
      /aten::conv2d: Given groups=1, weight of size \[1, 3, 3, 3\], expected input\[1, 2, 5, 5\] to have 3 channels, but got 2 channels instead/);
    assert.throws(() => F.conv2d(x, torch.ones([1, 2, 3, 3]), null, { stride: 0 }),
      /Expected positive integer for options.stride but received 0/);
    assert.throws(() => F.conv2d(x, torch.ones([1, 2, 3, 3]), null, { stride: [1, 2, 3] }),
      /Expected a number or an array of 2 numbers for options.stride but received \[1,2,3\]/);
    assert.throws(() => F.conv2d(x, torch.ones([1, 2, 3, 3]), null, { padding: [1, -1] }),
      /Expected non-negative integer for options.padding\[1\] but received -1/);
    assert.throws(() => F.conv2d(x, torch.ones([1, 2, 3, 3]), null, { padding: 'full' as 'same' }),
      /Expected one of 'same', 'valid' for options.padding but received 'full'/);
    assert.throws(() => F.conv2d(x, torch.ones([1, 2, 3, 3]), null, { groups: 1.5 }),
      /Expected positive integer for options.groups but received 1.5/);
    assert.throws(() => F.conv2d(x, torch.ones([1, 2, 3, 3]), null, { padding: 'same', stride: 2 }),
      /aten::conv2d.padding: .*padding='same' is not supported for strided convolutions/);
    assert.throws(() => F.conv2d(x, torch.ones([1, 2, 3, 3]), 3 as unknown as torch.Tensor),
      /Expected a Tensor for bias but received 3/);
  });
});
