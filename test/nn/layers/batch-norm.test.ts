import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import * as nn from '../../../lib/nn';
import { assertClose, flat } from '../../helpers/assert-close';

// Two channels; channel 0 holds 1, 3 and channel 1 holds 2, 6 (N = 2, H = W = 1).
const batch = (): torch.Tensor => torch.tensor([[[[1]], [[2]]], [[[3]], [[6]]]]);

describe('nn/layers/batch-norm', () => {
  it('updates running statistics in place with momentum, with the unbiased variance', () => {
    const bn = new nn.BatchNorm2d(2, { momentum: 0.5 });
    const { runningMean, runningVar, numBatchesTracked } = bn;
    const y = bn.forward(batch());
    // Batch statistics: mean [2, 4], biased variance [1, 4] -> normalised +-1 (up to eps).
    assertClose(y, [[[[-1]], [[-1]]], [[[1]], [[1]]]], 1e-4);
    assert.equal(bn.runningMean, runningMean);
    assert.equal(bn.runningVar, runningVar);
    assert.equal(bn.numBatchesTracked, numBatchesTracked);
    assertClose(runningMean!, [0.5 * 0 + 0.5 * 2, 0.5 * 0 + 0.5 * 4]);
    // Unbiased variance: [2, 8].
    assertClose(runningVar!, [0.5 * 1 + 0.5 * 2, 0.5 * 1 + 0.5 * 8]);
    assert.equal(numBatchesTracked!.dtype, 'int64');
    assert.equal(Number(numBatchesTracked!.item()), 1);
    bn.dispose();
  });

  it('momentum null keeps a cumulative average of the batch statistics', () => {
    const bn = new nn.BatchNorm2d(2, { momentum: null });
    bn.forward(batch());
    bn.forward(torch.tensor([[[[5]], [[0]]], [[[7]], [[0]]]]));
    assertClose(bn.runningMean!, [(2 + 6) / 2, (4 + 0) / 2]);
    assert.equal(Number(bn.numBatchesTracked!.item()), 2);
    assert.equal(bn.toString(), 'BatchNorm2d(2, eps=1e-05, momentum=None, affine=True, track_running_stats=True)');
    bn.dispose();
  });

  it('evaluation uses the running statistics and leaves them unchanged', () => {
    const bn = new nn.BatchNorm2d(2, { eps: 0 });
    torch.noGrad(() => {
      bn.runningMean!.copy_(torch.tensor([1, 2]));
      bn.runningVar!.copy_(torch.tensor([4, 16]));
      bn.weight!.copy_(torch.tensor([2, 1]));
      bn.bias!.copy_(torch.tensor([0, 10]));
    });
    bn.eval();
    const y = bn.forward(batch());
    assertClose(y, [[[[0]], [[10]]], [[[2]], [[11]]]]);
    assertClose(bn.runningMean!, [1, 2]);
    assert.equal(Number(bn.numBatchesTracked!.item()), 0);
    bn.dispose();
  });

  it('without trackRunningStats has no buffers and always uses batch statistics', () => {
    const bn = new nn.BatchNorm1d(2, { trackRunningStats: false, affine: false });
    assert.deepEqual([...bn.stateDict().keys()], []);
    assert.equal(bn.runningMean, null);
    bn.eval();
    const y = bn.forward(torch.tensor([[1, 2], [3, 6]]));
    assertClose(y, [[-1, -1], [1, 1]], 1e-4);
    bn.dispose();
  });

  it('has PyTorch keys, shapes and printout; resets its statistics', () => {
    const bn = new nn.BatchNorm1d(3, { eps: 1e-3, momentum: 0.01 });
    assert.deepEqual([...bn.stateDict()].map(([k, t]) => [k, t.shape, t.dtype]), [
      ['weight', [3], 'float32'], ['bias', [3], 'float32'], ['running_mean', [3], 'float32'],
      ['running_var', [3], 'float32'], ['num_batches_tracked', [], 'int64']]);
    assert.deepEqual(flat(bn.weight!), [1, 1, 1]);
    assert.deepEqual(flat(bn.bias!), [0, 0, 0]);
    assert.equal(bn.toString(), 'BatchNorm1d(3, eps=0.001, momentum=0.01, affine=True, track_running_stats=True)');
    bn.forward(torch.randn([4, 3, 2]));
    bn.resetRunningStats();
    assert.deepEqual(flat(bn.runningMean!), [0, 0, 0]);
    assert.deepEqual(flat(bn.runningVar!), [1, 1, 1]);
    assert.equal(Number(bn.numBatchesTracked!.item()), 0);
    bn.dispose();
  });

  it('rejects bad arguments and inputs', () => {
    assert.throws(() => new nn.BatchNorm2d(0), /Expected positive integer for numFeatures but received 0/);
    assert.throws(() => new nn.BatchNorm2d(2, { momentum: 2 }), /Expected a probability in \[0, 1\] for options.momentum/);
    assert.throws(() => new nn.BatchNorm2d(2, { eps: -1 }), /Expected a non-negative number for options.eps/);
    const bn2 = new nn.BatchNorm2d(2);
    assert.throws(() => bn2.forward(torch.zeros([2, 2, 3])), /Expected 4-D input \(N, C, H, W\) for BatchNorm2d but received shape \[2, 2, 3\]/);
    assert.throws(() => bn2.forward(torch.zeros([1, 2, 1, 1])), /Expected more than 1 value per channel when training BatchNorm2d/);
    const bn1 = new nn.BatchNorm1d(2);
    assert.throws(() => bn1.forward(torch.zeros([2, 2, 3, 3])), /Expected 2-D or 3-D input \(N, C\) or \(N, C, L\) for BatchNorm1d/);
    bn2.dispose();
    bn1.dispose();
  });
});
