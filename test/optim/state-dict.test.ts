// stateDict / loadStateDict: a JSON-able part plus tensors, in PyTorch's
// layout; a restored optimiser continues exactly as the original.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { SGD } from '../../lib/optim/sgd';
import { AdamW } from '../../lib/optim/adamw';
import { LARS } from '../../lib/optim/lars';
import { Optimizer, BaseOptions, ParamGroup } from '../../lib/optim/optimizer';

type Make = (groups: ParamGroup[]) => Optimizer<BaseOptions>;

const makers: [string, Make][] = [
  ['SGD', (g) => new SGD(g, { lr: 0.1, momentum: 0.9 })],
  ['AdamW amsgrad', (g) => new AdamW(g, { lr: 0.01, amsgrad: true })],
  ['LARS', (g) => new LARS(g, { lr: 0.1, weightDecay: 0.01 })],
];

describe('optim: stateDict', () => {
  for (const [name, make] of makers) {
    it(`${name}: round trip through JSON continues identically`, () => {
      torch.scope(() => {
        torch.manualSeed(3);
        const init = [torch.randn([3, 2]), torch.randn([4]), torch.randn([2])];
        const grads = [0, 1, 2].map(() => init.map((t) => torch.randnLike(t)));
        const a = init.map((t) => t.clone().requiresGrad_());
        const optA = make([{ params: [a[0], a[1]] }, { params: [a[2]], lr: 0.05 }]);
        for (const g of grads.slice(0, 2)) {
          a.forEach((p, i) => { p.grad = g[i]; });
          optA.step();
        }
        optA.paramGroups[1].lr = 0.02; // as a schedule would
        const sd = optA.stateDict();
        const json = JSON.parse(JSON.stringify(sd.json)) as typeof sd.json;
        assert.deepEqual(json.paramGroups.map((g) => g.params), [[0, 1], [2]]);
        assert.equal(json.paramGroups[1].lr, 0.02);
        const keys = [...sd.tensors.keys()].sort();
        if (name === 'AdamW amsgrad') {
          assert.deepEqual(json.state['0'], { step: 2 });
          assert.ok(keys.includes('state.2.max_exp_avg_sq') && keys.includes('state.0.exp_avg'), keys.join());
        } else {
          assert.deepEqual(keys, ['state.0.momentum_buffer', 'state.1.momentum_buffer', 'state.2.momentum_buffer']);
        }

        const b = a.map((p) => p.detach().clone().requiresGrad_());
        const optB = make([{ params: [b[0], b[1]] }, { params: [b[2]], lr: 0.05 }]);
        optB.loadStateDict({ json, tensors: new Map([...sd.tensors].map(([k, t]) => [k, t.clone()])) });
        assert.equal(optB.paramGroups[1].lr, 0.02);
        a.forEach((p, i) => { p.grad = grads[2][i]; });
        b.forEach((p, i) => { p.grad = grads[2][i].clone(); });
        optA.step();
        optB.step();
        a.forEach((p, i) => assert.ok(torch.equal(p.detach(), b[i].detach()), `param ${i} differs after resuming`));
      });
    });
  }

  it('rejects a state dict for other groups', () => {
    const p = torch.zeros([1]).requiresGrad_();
    const q = torch.zeros([1]).requiresGrad_();
    const sd = new SGD([p, q], { lr: 1 }).stateDict();
    assert.throws(() => new SGD([{ params: [p] }, { params: [q] }], { lr: 1 }).loadStateDict(sd),
      /Expected 2 parameter groups in the state dict but received 1/);
    assert.throws(() => new SGD([p], { lr: 1 }).loadStateDict(sd), /Expected 1 parameters in group 0 of the state dict but received 2/);
  });
});
