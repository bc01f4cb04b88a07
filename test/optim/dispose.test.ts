// dispose() frees an optimiser's state and work tensors at once (device
// memory must not wait for the garbage collector).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { AdamW } from '../../lib/optim/adamw';
import { LARS } from '../../lib/optim/lars';
import { SGD } from '../../lib/optim/sgd';
import { BaseOptions, Optimizer } from '../../lib/optim/optimizer';

describe('optim: dispose', () => {
  const makers: [string, (ps: torch.Tensor[]) => Optimizer<BaseOptions>][] = [
    ['SGD', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 })],
    ['AdamW', (ps) => new AdamW(ps, { lr: 0.01 })],
    ['LARS', (ps) => new LARS(ps, { lr: 0.1, weightDecay: 1e-6 })],
  ];
  for (const [name, make] of makers) {
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
      assert.ok(torch.memory().tensors > before, 'the steps created state');
      opt.dispose();
      assert.equal(torch.memory().tensors, before);
      params.forEach((p) => p.dispose());
    });
  }
});
