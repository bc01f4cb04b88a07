// paramGroupsWeightDecay: biases, 1-d (norm) parameters and listed names go to
// the no-decay group, which LARS leaves unadapted.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { paramGroupsWeightDecay } from '../../lib/optim/param-groups';
import { LARS } from '../../lib/optim/lars';

describe('optim: paramGroupsWeightDecay', () => {
  it('splits as timm does and feeds LARS', () => {
    const named: [string, torch.Tensor][] = [
      ['conv1.weight', torch.zeros([4, 3, 3, 3])],
      ['bn1.weight', torch.ones([4])],
      ['bn1.bias', torch.zeros([4])],
      ['fc.weight', torch.zeros([2, 4])],
      ['fc.bias', torch.zeros([2])],
      ['cls_token', torch.zeros([1, 1, 4])],
      ['frozen.weight', torch.zeros([2, 2])],
    ];
    named.forEach(([n, t]) => { if (n !== 'frozen.weight') t.requiresGrad_(); });
    const [decay, noDecay] = paramGroupsWeightDecay(named, { weightDecay: 1e-6, noWeightDecayList: ['cls_token'] });
    const names = (ts: torch.Tensor[]): string[] => ts.map((t) => named.find(([, x]) => x === t)![0]);
    assert.deepEqual(names(decay.params), ['conv1.weight', 'fc.weight']);
    assert.deepEqual(names(noDecay.params), ['bn1.weight', 'bn1.bias', 'fc.bias', 'cls_token']);
    assert.equal(decay.weightDecay, 1e-6);
    assert.equal(noDecay.weightDecay, 0);
    assert.equal(noDecay.larsExclude, true);
    const opt = new LARS([decay, noDecay], { lr: 0.1 });
    assert.deepEqual(opt.paramGroups.map((g) => [g.weightDecay, g.larsExclude, g.momentum]), [[1e-6, false, 0.9], [0, true, 0.9]]);
  });

  it('reports a value that is not a tensor', () => {
    assert.throws(() => paramGroupsWeightDecay([['w', 3 as unknown as torch.Tensor]]), /Expected \[name, Tensor\] pairs .* for w/);
  });
});
