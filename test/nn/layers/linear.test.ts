import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import * as nn from '../../../lib/nn';
import { assertClose } from '../../helpers/assert-close';

describe('nn/layers/linear', () => {
  it('computes x W^T + b over any leading dimensions', () => {
    const fc = new nn.Linear(2, 3);
    fc.loadStateDict({ weight: torch.tensor([[1, 0], [0, 1], [1, 1]]), bias: torch.tensor([0.5, 0, -1]) });
    assertClose(fc.forward(torch.tensor([[2, 3]])), [[2.5, 3, 4]]);
    assert.deepEqual(fc.forward(torch.zeros([4, 5, 2])).shape, [4, 5, 3]);
    fc.dispose();
  });

  it('has PyTorch keys, shapes and printout, with and without bias', () => {
    const fc = new nn.Linear(5, 3);
    assert.deepEqual([...fc.stateDict()].map(([k, t]) => [k, t.shape]), [['weight', [3, 5]], ['bias', [3]]]);
    assert.equal(fc.toString(), 'Linear(in_features=5, out_features=3, bias=True)');
    const nobias = new nn.Linear(5, 3, { bias: false });
    assert.equal(nobias.bias, null);
    assert.deepEqual([...nobias.stateDict().keys()], ['weight']);
    assert.equal(nobias.toString(), 'Linear(in_features=5, out_features=3, bias=False)');
    fc.dispose();
    nobias.dispose();
  });

  it('initialises within PyTorch\'s bounds: |w| <= 1/sqrt(inFeatures), |b| <= 1/sqrt(inFeatures)', () => {
    const fc = new nn.Linear(100, 50);
    const bound = 1 / Math.sqrt(100);
    assert.ok(fc.weight.abs().max().item() as number <= bound);
    assert.ok(fc.bias!.abs().max().item() as number <= bound);
    // Uniform on [-b, b] has standard deviation b / sqrt(3).
    assert.ok(Math.abs((fc.weight.std().item() as number) - bound / Math.sqrt(3)) < 0.005);
    fc.dispose();
  });

  it('rejects bad arguments naming them; a wrong input size reports the operator', () => {
    assert.throws(() => new nn.Linear(-1, 3), /Expected positive integer for inFeatures but received -1/);
    assert.throws(() => new nn.Linear(2, 1.5), /Expected positive integer for outFeatures but received 1.5/);
    assert.throws(() => new nn.Linear(2, 3, { bias: 1 as unknown as boolean }), /Expected true or false for options.bias/);
    const fc = new nn.Linear(4, 3);
    assert.throws(() => fc.forward(torch.randn([2, 5])), /aten::linear: mat1 and mat2 shapes cannot be multiplied \(2x5 and 4x3\)/);
    fc.dispose();
  });
});
