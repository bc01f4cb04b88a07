import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import * as nn from '../../../lib/nn';
import { assertClose } from '../../helpers/assert-close';

describe('nn/layers/mlp', () => {
  it('has timm keys and defaults: hidden and out features default to in features', () => {
    const mlp = new nn.Mlp(4);
    assert.deepEqual([...mlp.stateDict()].map(([k, t]) => [k, t.shape]),
      [['fc1.weight', [4, 4]], ['fc1.bias', [4]], ['fc2.weight', [4, 4]], ['fc2.bias', [4]]]);
    assert.ok(mlp.act instanceof nn.GELU);
    const wide = new nn.Mlp(4, { hiddenFeatures: 16, outFeatures: 2, bias: false });
    assert.deepEqual([...wide.stateDict()].map(([k, t]) => [k, t.shape]), [['fc1.weight', [16, 4]], ['fc2.weight', [2, 16]]]);
    assert.deepEqual(torch.scope(() => wide.forward(torch.zeros([3, 5, 4])).shape), [3, 5, 2]);
    mlp.dispose();
    wide.dispose();
  });

  it('computes fc2(act(fc1(x))) with the given activation', () => {
    const mlp = new nn.Mlp(2, { hiddenFeatures: 2, outFeatures: 1, act: () => new nn.ReLU() });
    mlp.loadStateDict({
      'fc1.weight': torch.tensor([[1, 0], [0, 1]]), 'fc1.bias': torch.tensor([0, 0]),
      'fc2.weight': torch.tensor([[1, 2]]), 'fc2.bias': torch.tensor([0.5]),
    });
    assertClose(mlp.forward(torch.tensor([[3, -4], [-1, 2]])), [[3.5], [4.5]]);
    mlp.dispose();
  });

  it('drops in training only', () => {
    torch.manualSeed(0);
    const mlp = new nn.Mlp(8, { hiddenFeatures: 32, drop: 0.5 });
    const x = torch.randn([4, 8]);
    assert.ok(!mlp.forward(x).equal(mlp.forward(x)));
    mlp.eval();
    assert.ok(mlp.forward(x).equal(mlp.forward(x)));
    assert.throws(() => new nn.Mlp(4, { drop: -1 }), /Expected a probability in \[0, 1\] for options.drop/);
    assert.throws(() => new nn.Mlp(4, { hiddenFeatures: 0 }), /Expected positive integer for options.hiddenFeatures but received 0/);
    mlp.dispose();
  });
});
