import * as assert from 'node:assert/strict';
import { torch } from '../../../lib';
import { functional as F } from '../../../lib/nn';
import { assertClose, f, grid } from '../../helpers/assert-close';

// grid([1, 1, 4, 4]) holds x[i][j] = 4i + j:
//  0  1  2  3
//  4  5  6  7
//  8  9 10 11
// 12 13 14 15
describe('nn/functional/pooling', () => {
  it('maxPool2d takes the maximum of each window', () => {
    const x = grid([1, 1, 4, 4]);
    assertClose(F.maxPool2d(x, 2), [[[[5, 7], [13, 15]]]]);
    assertClose(F.maxPool2d(x, 2, { stride: 1 }), [[[[5, 6, 7], [9, 10, 11], [13, 14, 15]]]]);
    assertClose(F.maxPool2d(x, [1, 4]), [[[[3], [7], [11], [15]]]]);
    assertClose(F.maxPool2d(x, 2, { stride: 2, padding: 1 }), [[[[0, 2, 3], [8, 10, 11], [12, 14, 15]]]]);
    assertClose(F.maxPool2d(x, 2, { dilation: 2, stride: 1 }), [[[[10, 11], [14, 15]]]]);
    assertClose(F.maxPool2d(grid([3, 4, 4]), 4), [[[15]], [[31]], [[47]]]);
  });

  it('ceilMode keeps the partial windows at the end', () => {
    const x = torch.ones([1, 1, 5, 5]);
    assert.deepEqual(F.maxPool2d(x, 2).shape, [1, 1, 2, 2]);
    assert.deepEqual(F.maxPool2d(x, 2, { ceilMode: true }).shape, [1, 1, 3, 3]);
    assert.deepEqual(F.avgPool2d(x, 2, { ceilMode: true }).shape, [1, 1, 3, 3]);
  });

  it('maxPool2dWithIndices returns flat indices into each plane', () => {
    const [values, indices] = F.maxPool2dWithIndices(grid([1, 1, 4, 4]), 2);
    assertClose(values, [[[[5, 7], [13, 15]]]]);
    assert.equal(indices.dtype, 'int64');
    assert.deepEqual(indices.toArray(), [[[[5, 7], [13, 15]]]]);
  });

  it('avgPool2d averages windows, with or without the padding', () => {
    assertClose(F.avgPool2d(grid([1, 1, 4, 4]), 2), [[[[2.5, 4.5], [10.5, 12.5]]]]);
    const ones = torch.ones([1, 1, 2, 2]);
    // Each 2x2 window covers one real element and three padded zeros.
    assertClose(F.avgPool2d(ones, 2, { padding: 1 }), [[[[0.25, 0.25], [0.25, 0.25]]]]);
    assertClose(F.avgPool2d(ones, 2, { padding: 1, countIncludePad: false }), [[[[1, 1], [1, 1]]]]);
    assertClose(F.avgPool2d(grid([1, 1, 4, 4]), 2, { divisorOverride: 1 }), [[[[10, 18], [42, 50]]]]);
  });

  it('1-d max and average pooling', () => {
    assertClose(F.maxPool1d(f([[[1, 3, 2, 4]]]), 2), [[[3, 4]]]);
    assertClose(F.maxPool1d(f([[1, 3, 2, 4]]), 3, { stride: 1 }), [[3, 4]]);
    assertClose(F.avgPool1d(f([[[1, 3, 2, 4]]]), 2), [[[2, 3]]]);
    assertClose(F.avgPool1d(f([[[1, 3, 2, 4]]]), 2, { stride: 1 }), [[[2, 2.5, 3]]]);
  });

  it('adaptive pooling reaches the requested size', () => {
    const x = grid([1, 1, 4, 4]);
    assertClose(F.adaptiveAvgPool2d(x, 1), [[[[7.5]]]]);
    assertClose(F.adaptiveAvgPool2d(x, [2, 2]), [[[[2.5, 4.5], [10.5, 12.5]]]]);
    assertClose(F.adaptiveAvgPool2d(x, [1, null]), [[[[6, 7, 8, 9]]]]);
    assertClose(F.adaptiveMaxPool2d(x, 1), [[[[15]]]]);
    assertClose(F.adaptiveMaxPool2d(x, [null, 1]), [[[[3], [7], [11], [15]]]]);
    assertClose(F.adaptiveAvgPool1d(f([[[1, 2, 3, 6]]]), 1), [[[3]]]);
    assertClose(F.adaptiveMaxPool1d(f([[[1, 2, 3, 6]]]), 2), [[[2, 6]]]);
    assert.deepEqual(F.adaptiveAvgPool2d(torch.ones([2, 8, 7, 7]), 3).shape, [2, 8, 3, 3]);
  });

  it('max pooling passes the gradient to the maximum only', () => {
    const x = torch.tensor([[[[1, 2], [4, 3]]]], { requiresGrad: true });
    const y = F.maxPool2d(x, 2);
    y.backward(torch.onesLike(y));
    assertClose(x.grad!, [[[[0, 0], [1, 0]]]]);
  });

  it('reports bad arguments', () => {
    assert.throws(() => F.maxPool2d(grid([4, 4]), 2),
      /Expected a 3-D or 4-D input \(N, C, H, W\) for maxPool2d but received shape \[4, 4\]/);
    assert.throws(() => F.maxPool2d(grid([1, 1, 4, 4]), 0), /Expected positive integer for kernelSize but received 0/);
    assert.throws(() => F.maxPool2d(grid([1, 1, 4, 4]), 2, { padding: 2 }), /aten::max_pool2d: .*pad should be/);
    assert.throws(() => F.avgPool2d(grid([1, 1, 4, 4]), 2, { divisorOverride: 0 }),
      /Expected positive integer for options.divisorOverride but received 0/);
    assert.throws(() => F.adaptiveAvgPool2d(grid([1, 1, 4, 4]), [1, 2, 3]),
      /Expected a number or an array of 2 numbers for outputSize but received \[1,2,3\]/);
    assert.throws(() => F.maxPool1d(grid([1, 1, 1, 4]), 2), /Expected a 2-D or 3-D input \(N, C, L\) for maxPool1d/);
  });
});
