import * as assert from 'node:assert/strict';
import { torch } from '../../../lib';
import { functional as F } from '../../../lib/nn';
import { assertClose, f, flat } from '../../helpers/assert-close';

describe('nn/functional/normalization', () => {
  it('batchNorm in evaluation uses the running statistics', () => {
    const x = f([[1, 2], [3, 4]]);
    // (x - mean) / sqrt(var): channel 0 mean 1 var 4, channel 1 mean 2 var 1
    assertClose(F.batchNorm(x, f([1, 2]), f([4, 1]), { eps: 0 }), [[0, 0], [1, 2]]);
    assertClose(F.batchNorm(x, f([1, 2]), f([4, 1]), { eps: 0, weight: f([2, 1]), bias: f([0, 1]) }), [[0, 1], [2, 3]]);
  });

  it('batchNorm in training normalises with batch statistics and updates running ones in place', () => {
    const x = f([[1, 2], [3, 4]]);
    const mean = torch.zeros([2]);
    const variance = torch.ones([2]);
    const y = F.batchNorm(x, mean, variance, { training: true, eps: 0 });
    // Batch mean [2, 3], biased variance 1 per channel.
    assertClose(y, [[-1, -1], [1, 1]]);
    // running = 0.9 running + 0.1 batch (unbiased variance 2)
    assertClose(mean, [0.2, 0.3]);
    assertClose(variance, [1.1, 1.1]);
    // (both running tensors: libtorch 2.14 refuses a mean without a variance, which 1.13 and 2.6 took)
    const slow = torch.zeros([2]);
    const slowVar = torch.ones([2]);
    F.batchNorm(x, slow, slowVar, { training: true, momentum: 0.5 });
    assertClose(slow, [1, 1.5]);
    assertClose(slowVar, [1.5, 1.5]);
    assertClose(F.batchNorm(x, null, null, { training: true, eps: 0 }), [[-1, -1], [1, 1]]);
  });

  it('batchNorm in training needs more than one value per channel', () => {
    assert.throws(() => F.batchNorm(f([[1, 2]]), null, null, { training: true }),
      /Expected more than 1 value per channel when training, got input size \[1, 2\]/);
    assert.deepEqual(F.batchNorm(f([[1, 2]]), f([0, 0]), f([1, 1])).shape, [1, 2]);
  });

  it('instanceNorm normalises each channel of each sample', () => {
    assertClose(F.instanceNorm(f([[[[1, 3], [1, 3]], [[0, 10], [10, 0]]]]), null, null, { eps: 0 }),
      [[[[-1, 1], [-1, 1]], [[-1, 1], [1, -1]]]]);
    assert.throws(() => F.instanceNorm(f([[[1], [2]]])), /Expected more than 1 spatial element when training/);
  });

  it('layerNorm normalises the last dimensions', () => {
    const r = Math.sqrt(1.5); // (x - 2) / sqrt(2/3)
    assertClose(F.layerNorm(f([[1, 2, 3], [2, 2, 2]]), [3], { eps: 0 }), [[-r, 0, r], [NaN, NaN, NaN]]);
    assertClose(F.layerNorm(f([[1, 2, 3]]), 3, { weight: f([1, 2, 3]), bias: f([1, 1, 1]), eps: 0 }),
      [[1 - r, 1, 1 + 3 * r]]);
    assertClose(F.layerNorm(f([[1, 3], [1, 3]]), [2, 2], { eps: 0 }), [[-1, 1], [-1, 1]]);
    assert.throws(() => F.layerNorm(f([1, 2]), []), /Expected a positive integer or a non-empty array of them for normalizedShape but received \[\]/);
    assert.throws(() => F.layerNorm(f([1, 2]), [3]), /aten::layer_norm: .*normalized_shape=\[3\]/);
  });

  it('groupNorm normalises groups of channels', () => {
    const x = f([[[1], [3], [5], [9]]]); // (1, 4, 1)
    assertClose(F.groupNorm(x, 2, { eps: 0 }), [[[-1], [1], [-1], [1]]]);
    assertClose(F.groupNorm(x, 2, { eps: 0, weight: f([1, 1, 2, 2]), bias: f([0, 0, 0, 5]) }), [[[-1], [1], [-2], [7]]]);
    assert.throws(() => F.groupNorm(x, 3), /Expected the number of channels in input \(4\) to be divisible by numGroups \(3\)/);
    assert.throws(() => F.groupNorm(x, 0), /Expected positive integer for numGroups but received 0/);
    assert.throws(() => F.groupNorm(x, 4), /Expected more than 1 value per channel when training, got input size \[1, 4, 1\]/);
  });

  it('normalize gives unit Lp norms and leaves zero vectors at zero', () => {
    assertClose(F.normalize(f([[3, 4], [0, 0]])), [[0.6, 0.8], [0, 0]]);
    assertClose(F.normalize(f([[3, 4], [0, 0]]), { dim: 0 }), [[1, 1], [0, 0]]);
    assertClose(F.normalize(f([1, 3]), { p: 1, dim: 0 }), [0.25, 0.75]);
    const x = torch.randn([5, 7]);
    const rows = F.normalize(x).toArray() as number[][];
    for (const row of rows) assert.ok(Math.abs(Math.hypot(...row) - 1) < 1e-5);
    const cols = flat(F.normalize(x, { dim: 0 }));
    for (let j = 0; j < 7; j++) {
      const norm = Math.hypot(...[0, 1, 2, 3, 4].map((i) => cols[i * 7 + j]));
      assert.ok(Math.abs(norm - 1) < 1e-5);
    }
    assertClose(F.normalize(f([[1e-13, 0]]), { eps: 1e-12 }), [[0.1, 0]]);
  });

  it('normalize has the gradient of x / ||x||', () => {
    const x = torch.tensor([[3, 4]], { requiresGrad: true });
    const y = F.normalize(x);
    y.backward(f([[1, 0]]));
    // d(x0/|x|)/dx = (|x|^2 e0 - x0 x) / |x|^3 = ([25, 0] - [9, 12]) / 125
    assertClose(x.grad!, [[16 / 125, -12 / 125]]);
  });

  it('reports bad options', () => {
    assert.throws(() => F.batchNorm(f([[1, 2]]), null, null, { eps: -1 }), /Expected a non-negative number for options.eps but received -1/);
    assert.throws(() => F.batchNorm(f([[1, 2]]), null, null, { training: 1 as unknown as boolean }),
      /Expected true or false for options.training but received 1/);
    assert.throws(() => F.normalize(f([1, 2]), { dim: 0.5 }), /Expected integer for options.dim but received 0.5/);
  });
});
