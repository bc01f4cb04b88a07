// Every refusal of lib/optim by its exact message (issue 21: a check whose
// message or condition changes fails here), with the accepted edge beside it
// where there is one: the schedules, OptionScheduler, GradScaler, clipping,
// the optimisers' groups and options.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { SGD } from '../../lib/optim/sgd';
import { AdamW } from '../../lib/optim/adamw';
import { LAMB } from '../../lib/optim/lamb';
import { clipGradNorm_ } from '../../lib/optim/clip';
import { GradScaler } from '../../lib/optim/grad-scaler';
import { OptionScheduler, ScheduledOption } from '../../lib/optim/option-scheduler';
import { constantSchedule, cosineSchedule, stepSchedule } from '../../lib/optim/schedule';
import { paramGroupsWeightDecay } from '../../lib/optim/param-groups';
import { ParamGroup } from '../../lib/optim/optimizer';
import { refuses } from '../helpers/refuses';

const param = (): torch.Tensor => torch.zeros([3]).requiresGrad_();

describe('optim: refusals by exact message', () => {
  it('schedules: options named, milestones an array, the warm-up no longer than the run', () => {
    refuses(() => stepSchedule({ base: NaN, milestones: [] }), 'Expected a finite number for base but received NaN');
    refuses(() => stepSchedule({ base: 1, milestones: 5 as unknown as number[] }),
      'Expected an array of steps for milestones but received 5');
    refuses(() => constantSchedule({ value: Infinity }), 'Expected a finite number for value but received Infinity');
    refuses(() => cosineSchedule({ base: 1, totalSteps: 4, warmupSteps: 5 }), 'Expected warmupSteps <= totalSteps (4) but received 5');
    // The edge: a warm-up as long as the run, then `final` from the last step on (no cosine left: 0/0 must not be reached).
    const s = cosineSchedule({ base: 1, final: 0.25, totalSteps: 3, warmupSteps: 3, warmupStart: 0 });
    assert.deepEqual([0, 1, 2, 3, 4].map(s), [0, 0.5, 1, 0.25, 0.25]);
    // A one-step warm-up is its start value (np.linspace with one point), not 0/0.
    assert.deepEqual([0, 1].map(constantSchedule({ value: 2, warmupSteps: 1, warmupStart: 0.5 })), [0.5, 2]);
    assert.deepEqual([0, 1].map(cosineSchedule({ base: 2, totalSteps: 3, warmupSteps: 1, warmupStart: 0.5 })), [0.5, 2]);
  });

  it('OptionScheduler: the option and applies', () => {
    const make = (): SGD => new SGD([{ params: [param()] }, { params: [param()] }], { lr: 1 });
    const sched = constantSchedule({ value: 0.5 });
    refuses(() => new OptionScheduler(make(), sched, { option: 'momentum' as ScheduledOption }),
      "Expected 'lr' or 'weightDecay' for option but received momentum");
    refuses(() => new OptionScheduler(make(), sched, { applies: [true] }),
      'Expected one boolean per parameter group (2) for options.applies but received [true]');
    refuses(() => new OptionScheduler(make(), sched, { applies: 'yes' as unknown as boolean[] }),
      'Expected one boolean per parameter group (2) for options.applies but received "yes"');
    // Both names accepted when given.
    const lr = make();
    new OptionScheduler(lr, sched, { option: 'lr' });
    assert.deepEqual(lr.paramGroups.map((g) => [g.lr, g.weightDecay]), [[0.5, 0], [0.5, 0]]);
    const wd = make();
    new OptionScheduler(wd, sched, { option: 'weightDecay', applies: [true, true] });
    assert.deepEqual(wd.paramGroups.map((g) => [g.lr, g.weightDecay]), [[1, 0.5], [1, 0.5]]);
  });

  it('GradScaler: each factor refused at its bound, accepted inside it', () => {
    refuses(() => new GradScaler({ growthFactor: 1 }), 'Expected number > 1 for growthFactor but received 1');
    refuses(() => new GradScaler({ backoffFactor: 0 }), 'Expected number in (0, 1) for backoffFactor but received 0');
    refuses(() => new GradScaler({ backoffFactor: 1 }), 'Expected number in (0, 1) for backoffFactor but received 1');
    refuses(() => new GradScaler({ initScale: Infinity }), 'Expected positive number for initScale but received Infinity');
    refuses(() => new GradScaler({ growthInterval: 1.5 }), 'Expected positive integer for growthInterval but received 1.5');
    refuses(() => new GradScaler({ enabled: 1 as unknown as boolean }), 'Expected a boolean for enabled but received 1');
    const s = new GradScaler({ initScale: 8, growthFactor: 1.5, backoffFactor: 0.25, growthInterval: 3 });
    // Before any scale(): the initial scale and an empty tracker, read without a tensor.
    assert.deepEqual(s.stateDict(), { scale: 8, growth_factor: 1.5, backoff_factor: 0.25, growth_interval: 3, _growth_tracker: 0 });
    assert.equal(s.getScale(), 8);
  });

  it('GradScaler: calls out of order', () => {
    torch.scope(() => {
      const p = param();
      const opt = new SGD([p], { lr: 1 });
      const s = new GradScaler({ initScale: 2 });
      refuses(() => s.step(opt), 'GradScaler.step was called before scale(): scale the loss first');
      refuses(() => s.unscale_(opt), 'GradScaler.unscale_ was called before scale(): scale the loss first');
      torch.scope(() => s.scale(p.sum()).backward());
      refuses(() => s.update(), 'No inf checks were recorded prior to update(): call step() (or unscale_()) first');
      assert.equal(s.step(opt), true);
      refuses(() => s.unscale_(opt), 'unscale_() is being called after step()');
      refuses(() => s.step(opt), 'step() has already been called since the last update()');
      s.update();
      assert.equal(s.getScale(), 2);

      const h = torch.zeros([2], { dtype: 'float16' }).requiresGrad_();
      const half = new SGD([h], { lr: 1 });
      torch.scope(() => s.scale(h.sum()).backward());
      assert.equal(h.grad!.dtype, 'float16');
      refuses(() => s.unscale_(half), 'Attempting to unscale FP16 gradients: keep parameters in float32');
    });
  });

  it('clipGradNorm_: errorIfNonfinite, and no gradients at all', () => {
    torch.scope(() => {
      const p = param();
      p.grad = torch.tensor([3, Infinity, 4]);
      refuses(() => clipGradNorm_([p], 1, 2, { errorIfNonfinite: true }),
        'The total norm of order 2 for gradients is non-finite, so it cannot be clipped; pass errorIfNonfinite: false to clip anyway');
      refuses(() => clipGradNorm_([p], 1, 2, { errorIfNonfinite: 'yes' as unknown as boolean }),
        "Expected true or false for errorIfNonfinite but received 'yes'");
      // Finite gradients pass the check and are clipped: norm 5 -> 1.
      p.grad = torch.tensor([3, 0, 4]);
      assert.equal(clipGradNorm_([p], 1, 2, { errorIfNonfinite: true }).item(), 5);
      // coef = maxNorm / (total + 1e-6), each operation rounded to float32.
      const coef = Math.fround(1 / Math.fround(5 + 1e-6));
      assert.deepEqual(Array.from(p.grad.toTypedArray() as Float32Array), [Math.fround(3 * coef), 0, Math.fround(4 * coef)]);
      // No parameter has a gradient: the norm is a 0-d zero and nothing changes.
      const none = clipGradNorm_([param()], 1);
      assert.deepEqual([none.shape, none.item()], [[], 0]);
    });
  });

  it('parameter groups: the group, each parameter, the options', () => {
    const opt = new SGD([param()], { lr: 1 });
    refuses(() => opt.addParamGroup(null as unknown as ParamGroup),
      'Expected parameter group 1 to be { params: Tensor[], ... } but received null');
    refuses(() => opt.addParamGroup({ params: 5 } as unknown as ParamGroup),
      'Expected parameter group 1 to be { params: Tensor[], ... } but received [object Object]');
    refuses(() => opt.addParamGroup({ params: [param(), 7 as unknown as torch.Tensor] }),
      'Expected a Tensor for parameter 1 of group 1 but received 7');
    refuses(() => opt.addParamGroup({ params: [torch.zeros([2])] }),
      'Expected parameter 0 of group 1 to require grad; leave frozen parameters out (filter by p.requiresGrad) or call p.requiresGrad_()');
    refuses(() => new SGD([param()], { lr: 0.1, nesterov: true }),
      'Expected momentum > 0 and dampening 0 for nesterov but received momentum 0 and dampening 0');
    refuses(() => new AdamW([param()], { betas: 0.9 as unknown as [number, number] }), 'Expected two numbers for betas but received 0.9');
    refuses(() => new LAMB([{ params: [param()], betas: [0.9] as unknown as [number, number] }]),
      'Expected two numbers for betas (group 0) but received 0.9');
    refuses(() => new LAMB([param()], { capturable: true }),
      'LAMB does not support capturable: true in this version (its bias correction reads the step on the host); ' +
      'use AdamW or LARS for a CUDA-graph step, or capturable: false');
    assert.equal(new LAMB([param()]).capturable, false);
    refuses(() => paramGroupsWeightDecay([], { weightDecay: -1 }), 'Expected non-negative number for weightDecay but received -1');
  });

  it('fused SGD and AdamW where this libtorch lacks the kernels', function () {
    if (torch.listOps().includes('aten::_fused_sgd_') || torch.listOps().includes('aten::_fused_adamw_')) this.skip();
    const version = torch.config().torchVersion;
    const p = param();
    p.grad = torch.ones([3]);
    refuses(() => new SGD([p], { lr: 0.1, fused: true }).step(),
      `SGD fused: true needs aten::_fused_sgd_, which libtorch ${version} lacks (it needs libtorch >= 2.1 ` +
      'and CUDA parameters); use fused: false (the multi-tensor path)');
    refuses(() => new AdamW([p], { fused: true }).step(),
      `AdamW fused: true needs aten::_fused_adamw_, which libtorch ${version} lacks; use fused: false (the multi-tensor path)`);
  });
});
