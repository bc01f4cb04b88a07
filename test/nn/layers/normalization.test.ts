import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import * as nn from '../../../lib/nn';
import { assertClose, flat } from '../../helpers/assert-close';

describe('nn/layers/layer-norm and group-norm', () => {
  it('LayerNorm normalises the last dimensions, then scales and shifts', () => {
    const ln = new nn.LayerNorm(2, { eps: 0 });
    assertClose(ln.forward(torch.tensor([[1, 3], [5, 5.5]])), [[-1, 1], [-1, 1]]);
    torch.noGrad(() => {
      ln.weight!.copy_(torch.tensor([2, 3]));
      ln.bias!.copy_(torch.tensor([1, 0]));
    });
    assertClose(ln.forward(torch.tensor([[1, 3]])), [[-1, 3]]);
    const two = new nn.LayerNorm([2, 3]);
    assert.deepEqual(two.weight!.shape, [2, 3]);
    assert.deepEqual(flat(two.weight!), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(flat(two.bias!), [0, 0, 0, 0, 0, 0]);
    assert.equal(new nn.LayerNorm(384, { eps: 1e-6 }).toString(), 'LayerNorm((384,), eps=1e-06, elementwise_affine=True)');
    assert.equal(two.toString(), 'LayerNorm((2, 3), eps=1e-05, elementwise_affine=True)');
    const plain = new nn.LayerNorm(4, { elementwiseAffine: false });
    assert.equal(plain.stateDict().size, 0);
    assert.throws(() => new nn.LayerNorm([]), /non-empty array of them for normalizedShape/);
    assert.throws(() => new nn.LayerNorm([3, 0]), /Expected positive integer for normalizedShape\[1\] but received 0/);
    assert.throws(() => ln.forward(torch.zeros([2, 5])), /aten::layer_norm/);
  });

  it('GroupNorm normalises groups of channels per sample', () => {
    const gn = new nn.GroupNorm(2, 4, { eps: 0 });
    // Group 0 = channels 0, 1 -> values 1, 3; group 1 = channels 2, 3 -> values 10, 10 + 4.
    const y = gn.forward(torch.tensor([[[1], [3], [10], [14]]]));
    assertClose(y, [[[-1], [1], [-1], [1]]]);
    assert.deepEqual([...gn.stateDict().keys()], ['weight', 'bias']);
    assert.equal(gn.toString(), 'GroupNorm(2, 4, eps=0.0, affine=True)');
    assert.equal(new nn.GroupNorm(1, 3, { affine: false }).stateDict().size, 0);
    assert.throws(() => new nn.GroupNorm(3, 4), /Expected numChannels \(4\) divisible by numGroups \(3\)/);
  });
});
