// Invalid options and parameters are reported with the option's name.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { SGD } from '../../lib/optim/sgd';
import { AdamW } from '../../lib/optim/adamw';
import { LARS } from '../../lib/optim/lars';
import { clipGradNorm_ } from '../../lib/optim/clip';
import { GradScaler } from '../../lib/optim/grad-scaler';

describe('optim: errors', () => {
  const p = (): torch.Tensor => torch.zeros([3]).requiresGrad_();

  it('rejects negative lr, naming it', () => {
    assert.throws(() => new SGD([p()], { lr: -1 }), /Expected non-negative number for lr but received -1/);
    assert.throws(() => new AdamW([p()], { lr: -0.1 }), /for lr but received -0.1/);
    assert.throws(() => new LARS([p()], { lr: NaN }), /for lr but received NaN/);
  });

  it('names the group of an invalid group override', () => {
    assert.throws(() => new SGD([{ params: [p()] }, { params: [p()], lr: -2 }], { lr: 0.1 }),
      /Expected non-negative number for lr \(group 1\) but received -2/);
  });

  it('rejects betas outside [0, 1)', () => {
    assert.throws(() => new AdamW([p()], { betas: [1, 0.999] }), /Expected number in \[0, 1\) for betas\[0\] but received 1/);
    assert.throws(() => new AdamW([p()], { betas: [0.9, -0.1] }), /for betas\[1\] but received -0.1/);
  });

  it('rejects nesterov without momentum or with dampening', () => {
    assert.throws(() => new SGD([p()], { lr: 0.1, nesterov: true }), /momentum > 0 and dampening 0 for nesterov/);
    assert.throws(() => new SGD([p()], { lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 }), /for nesterov/);
    assert.throws(() => new LARS([p()], { lr: 0.1, nesterov: true, momentum: 0 }), /for nesterov/);
  });

  it('rejects negative weight decay, eps and trust coefficient', () => {
    assert.throws(() => new SGD([p()], { lr: 0.1, weightDecay: -1 }), /for weightDecay but received -1/);
    assert.throws(() => new AdamW([p()], { eps: -1e-8 }), /for eps but received/);
    assert.throws(() => new LARS([p()], { lr: 1, trustCoefficient: -1 }), /for trustCoefficient but received -1/);
  });

  it('reports a parameter that does not require grad, or is not a leaf, by position', () => {
    assert.throws(() => new SGD([p(), torch.zeros([2])], { lr: 0.1 }), /Expected parameter 1 of group 0 to require grad/);
    torch.scope(() => {
      const computed = p().mul(2);
      assert.throws(() => new SGD([{ params: [p()] }, { params: [computed] }], { lr: 0.1 }),
        /Expected parameter 0 of group 1 to be a leaf tensor/);
    });
  });

  it('rejects an empty parameter list and a parameter in two groups', () => {
    assert.throws(() => new SGD([], { lr: 0.1 }), /non-empty array of parameters .* but received an empty array/);
    const shared = p();
    assert.throws(() => new SGD([{ params: [shared] }, { params: [shared] }], { lr: 0.1 }), /to appear in only one parameter group/);
  });

  it('checks clipGradNorm_ and GradScaler arguments', () => {
    assert.throws(() => clipGradNorm_([p()], -1), /Expected non-negative number for maxNorm but received -1/);
    assert.throws(() => clipGradNorm_([p()], 1, 0), /Expected positive number \(or Infinity\) for normType but received 0/);
    assert.throws(() => new GradScaler({ growthFactor: 0.5 }), /Expected number > 1 for growthFactor but received 0.5/);
    assert.throws(() => new GradScaler({ backoffFactor: 1 }), /Expected number in \(0, 1\) for backoffFactor/);
    assert.throws(() => new GradScaler({ growthInterval: 0 }), /Expected positive integer for growthInterval but received 0/);
  });

  it('reports a fused AdamW request that this libtorch cannot serve', function () {
    if (torch.listOps().includes('aten::_fused_adamw_')) this.skip();
    const q = p();
    const opt = new AdamW([q], { fused: true });
    q.grad = torch.ones([3]);
    assert.throws(() => opt.step(), /fused: true needs aten::_fused_adamw_, which libtorch .* lacks/);
  });
});
