// dispose() frees an optimiser's state and work tensors at once (device
// memory must not wait for the garbage collector).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { AdamW } from '../../lib/optim/adamw';
import { LAMB } from '../../lib/optim/lamb';
import { LARS } from '../../lib/optim/lars';
import { SGD } from '../../lib/optim/sgd';
import { BaseOptions, Optimizer } from '../../lib/optim/optimizer';

describe('optim: dispose', () => {
  // The tensors the steps must have created at least (LAMB: its state and its work tensors, more than 6).
  const makers: [string, (ps: torch.Tensor[]) => Optimizer<BaseOptions>, number][] = [
    ['SGD', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 }), 0],
    ['AdamW', (ps) => new AdamW(ps, { lr: 0.01 }), 0],
    ['LARS', (ps) => new LARS(ps, { lr: 0.1, weightDecay: 1e-6 }), 0],
    ['LAMB', (ps) => new LAMB(ps, { lr: 0.01, weightDecay: 0.01 }), 6],
  ];
  for (const [name, make, created] of makers) {
    it(`${name}: live tensors return to where they were before the first step`, () => {
      const params = [torch.keep(torch.randn([8, 4]).requiresGrad_()), torch.keep(torch.randn([4]).requiresGrad_())];
      const opt = make(params);
      const before = torch.memory().tensors;
      for (let i = 0; i < 3; i++) {
        torch.scope(() => {
          for (const p of params) p.grad = torch.randn(p.shape);
          opt.step();
          opt.zeroGrad();
        });
      }
      assert.ok(torch.memory().tensors > before + created, 'the steps created state and work tensors');
      opt.dispose();
      assert.equal(torch.memory().tensors, before);
      params.forEach((p) => p.dispose());
    });
  }
});
