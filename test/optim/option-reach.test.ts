// lib/optim's options and state reach where they act, checked by value
// (issue 21): OptionScheduler's applies and scales, the state dict's options
// and dtypes, zeroGrad, the device scalars of a capturable step, SGD's and
// LARS's branches, paramGroupsWeightDecay's names (LAMB's dispose: dispose.test).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { SGD, SGDOptions } from '../../lib/optim/sgd';
import { AdamW } from '../../lib/optim/adamw';
import { LAMB } from '../../lib/optim/lamb';
import { LARS } from '../../lib/optim/lars';
import { OptionScheduler } from '../../lib/optim/option-scheduler';
import { constantSchedule, stepSchedule } from '../../lib/optim/schedule';
import { paramGroupsWeightDecay } from '../../lib/optim/param-groups';
import { BaseOptions, Optimizer, OptimizerStateDict, ParamGroup, ResolvedGroup, StepOptions } from '../../lib/optim/optimizer';
import { aten } from '../../lib/torch/foreach';
import { countCalls } from '../helpers/count-calls';
import { refuses } from '../helpers/refuses';

type Tensor = torch.Tensor;

const values = (t: Tensor): number[] => Array.from(t.toTypedArray() as Float32Array);
const param = (xs: number[] = [0, 0, 0]): Tensor => torch.tensor(xs).requiresGrad_();

/** Plain gradient descent on the base class's default device scalars (`lr`, `weightDecay`), as a third-party optimiser would. */
class PlainGD extends Optimizer<BaseOptions> {
  constructor(params: Tensor[] | ParamGroup[], options: BaseOptions & StepOptions) {
    super(params, { lr: options.lr, weightDecay: options.weightDecay }, { capturable: options.capturable });
  }

  protected validate(): void {}

  protected updateGroup(group: ResolvedGroup, params: Tensor[], grads: Tensor[]): void {
    const lr = this.capturable ? Number(this.scalar(group, 'lr').item()) : group.lr;
    aten._foreach_add_.List(params, grads, { alpha: -lr });
  }

  /** The device scalar `name` of a group, as a subclass reads it. */
  scalar(group: ResolvedGroup, name: string): Tensor {
    return this.deviceScalar(group, name);
  }
}

/** SGD whose capturable step is given twice the learning rate on the device: tells the capturable path from the eager one. */
class DeviceLrSGD extends SGD {
  protected override capturableValues(group: ResolvedGroup<SGDOptions>): Record<string, number> {
    const v = super.capturableValues(group);
    // A fused step reads `lr` alone (see SGD.capturableValues).
    return v.negLr === undefined ? v : { ...v, negLr: 2 * v.negLr };
  }

  scalar(group: ResolvedGroup<SGDOptions>, name: string): Tensor {
    return this.deviceScalar(group, name);
  }
}

describe('optim: options reach where they act', () => {
  it('OptionScheduler: applies names the scheduled groups; weightDecayScale scales the weight decay; value and stateDict', () => {
    const opt = new SGD([{ params: [param()], lrScale: 0.5, weightDecayScale: 0.25 }, { params: [param()] }], { lr: 1 });
    const s = new OptionScheduler(opt, stepSchedule({ base: 0.4, milestones: [2], gamma: 0.5 }),
      { option: 'weightDecay', applies: [true, false] });
    assert.deepEqual(opt.paramGroups.map((g) => g.weightDecay), [0.1, 0], 'group 0: 0.4 * 0.25; group 1 not applied');
    assert.equal(s.value, 0.4);
    s.step();
    s.step();
    assert.deepEqual(opt.paramGroups.map((g) => g.weightDecay), [0.05, 0]);
    assert.equal(s.value, 0.2);
    assert.deepEqual(s.stateDict(), { lastStep: 2 });
    // Without applies, every group is scheduled (none had weight decay 0 for lr).
    const lr = new OptionScheduler(opt, constantSchedule({ value: 0.8 }), { option: 'lr' });
    assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0.4, 0.8]);
    assert.deepEqual(lr.stateDict(), { lastStep: 0 });
  });

  it('stateDict keeps each group option that JSON can hold (numbers, booleans, strings, number arrays), and only those', () => {
    const [decay, noDecay] = paramGroupsWeightDecay([['w', torch.zeros([1, 3]).requiresGrad_()], ['b', param()]],
      { weightDecay: 0.05 });
    const extra = { ...noDecay, note: { by: 'test' }, labels: ['a'], mixed: [1, 'a'] } as unknown as ParamGroup;
    const adam = new AdamW([decay, extra], { lr: 0.01, betas: [0.8, 0.9] });
    assert.deepEqual(adam.stateDict().json.paramGroups, [
      { lr: 0.01, betas: [0.8, 0.9], eps: 1e-8, weightDecay: 0.05, amsgrad: false, fused: false, name: 'decay', params: [0] },
      { lr: 0.01, betas: [0.8, 0.9], eps: 1e-8, weightDecay: 0, amsgrad: false, fused: false, larsExclude: true, name: 'no_decay',
        params: [1] },
    ]);
  });

  it('loadStateDict: floating state takes the parameter dtype, `step` and integer state keep theirs; no state stays absent', () => {
    torch.scope(() => {
      const p = torch.zeros([2], { dtype: 'float64' }).requiresGrad_();
      const q = param([0, 0]);
      const opt = new SGD([p, q], { lr: 1, momentum: 0.5 });
      for (const dtype of ['float16', 'bfloat16', 'float32'] as const) {
        const sd: OptimizerStateDict = {
          // dampening null: what JSON makes of a non-finite number; the group keeps its own.
          json: { state: { 0: { calls: 4 } }, paramGroups: [{ lr: 0.25, momentum: 0.5, dampening: null, weightDecay: 0, nesterov: false, params: [0, 1] }] },
          tensors: new Map([
            ['state.0.momentum_buffer', torch.tensor([1, 2], { dtype })],
            ['state.0.step', torch.tensor([3], { dtype: 'float32' })],
            ['state.0.count', torch.tensor([5], { dtype: 'int64' })],
          ]),
        };
        opt.loadStateDict(sd);
        const s = opt.state.get(p)!;
        assert.deepEqual([(s.momentum_buffer as Tensor).dtype, (s.step as Tensor).dtype, (s.count as Tensor).dtype, s.calls],
          ['float64', 'float32', 'int64', 4], `saved ${dtype}`);
        assert.equal(opt.state.has(q), false, 'a parameter without saved state gets none');
        assert.deepEqual([opt.paramGroups[0].lr, opt.paramGroups[0].dampening], [0.25, 0]);
        assert.equal(opt.paramGroups[0].params[0], p, 'params are not taken from the state dict');
      }
      // float64 state into a float32 parameter.
      const f = new SGD([q], { lr: 1, momentum: 0.5 });
      f.loadStateDict({
        json: { state: {}, paramGroups: [{ lr: 1, params: [0] }] },
        tensors: new Map([['state.0.momentum_buffer', torch.tensor([1, 2], { dtype: 'float64' })]]),
      });
      assert.equal((f.state.get(q)!.momentum_buffer as Tensor).dtype, 'float32');
    });
  });

  it("loadStateDict frees the old state, but not tensors of the state dict it loads", () => {
    const p = torch.keep(param([1, 2]));
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    torch.scope(() => {
      p.grad = torch.ones([2]);
      opt.step();
    });
    const before = torch.memory().tensors;
    const sd = opt.stateDict();
    opt.loadStateDict(sd);
    assert.equal(torch.memory().tensors, before + 1, 'the loaded copy beside the caller\'s (still alive) buffer');
    assert.deepEqual(values(sd.tensors.get('state.0.momentum_buffer')!), [1, 1], 'the given tensor is not freed');
    const other = new SGD([torch.zeros([2]).requiresGrad_()], { lr: 0.1, momentum: 0.9 });
    torch.scope(() => {
      other.paramGroups[0].params[0].grad = torch.full([2], 3);
      other.step();
    });
    const withOther = torch.memory().tensors;
    opt.loadStateDict(other.stateDict());
    assert.equal(torch.memory().tensors, withOther, 'the replaced buffer is freed as its copy is made');
    assert.deepEqual(values(opt.state.get(p)!.momentum_buffer as Tensor), [3, 3]);
    opt.dispose();
    other.dispose();
    p.dispose();
  });

  it('zeroGrad: undefined by default, zeros with setToNone: false', () => {
    torch.scope(() => {
      const p = param([1, 2]);
      const opt = new SGD([p], { lr: 1 });
      p.grad = torch.ones([2]);
      opt.zeroGrad({ setToNone: false });
      assert.deepEqual(values(p.grad!), [0, 0]);
      opt.zeroGrad();
      assert.equal(p.grad, undefined);
    });
  });

  it('the base class: device scalars lr and weightDecay, an error before prepareStep, empty groups skipped', () => {
    torch.scope(() => {
      const p = param([1, 2]);
      const opt = new PlainGD([{ params: [p] }, { params: [] }], { lr: 0.5, weightDecay: 0.25, capturable: true });
      refuses(() => opt.scalar(opt.paramGroups[0], 'lr'), 'No device scalar lr for this group: prepareStep() must run before the step');
      opt.prepareStep();
      refuses(() => opt.scalar(opt.paramGroups[0], 'momentum'),
        'No device scalar momentum for this group: prepareStep() must run before the step');
      assert.deepEqual([opt.scalar(opt.paramGroups[0], 'lr').item(), opt.scalar(opt.paramGroups[0], 'weightDecay').item()], [0.5, 0.25]);
      p.grad = torch.tensor([2, 4]);
      opt.step();
      assert.deepEqual(values(p), [0, 0]);
    });
  });

  it('SGD: a capturable step reads its learning rate from the device; without momentum it keeps no state', () => {
    torch.scope(() => {
      for (const momentum of [0, 0.9]) {
        const p = param([1, 2]);
        const opt = new DeviceLrSGD([p], { lr: 0.25, momentum, capturable: true });
        p.grad = torch.tensor([2, 4]);
        opt.step();
        assert.deepEqual(values(p), [0, 0], `momentum ${momentum}: p - 2 * lr * g`);
        assert.equal(opt.scalar(opt.paramGroups[0], 'negLr').item(), -0.5);
      }
      const p = param([1, 2]);
      const plain = new SGD([p], { lr: 0.25 });
      p.grad = torch.tensor([2, 4]);
      plain.step();
      plain.step();
      assert.deepEqual([values(p), plain.state.size, plain.stateDict().tensors.size], [[0, 0], 0, 0]);
    });
  });

  it('SGD and LAMB without weight decay leave an infinite parameter infinite (no 0 * inf term), as PyTorch', () => {
    torch.scope(() => {
      const p = param([Infinity, 1]);
      const opt = new SGD([p], { lr: 0.5 });
      p.grad = torch.tensor([1, 1]);
      opt.step();
      assert.deepEqual(values(p), [Infinity, 0.5]);
      const q = param([Infinity, 1]);
      const lamb = new LAMB([q], { lr: 0.5, weightDecay: 0 });
      q.grad = torch.tensor([1, 1]);
      lamb.step();
      // m/(sqrt(v)+eps) with bias correction is 1 / (1 + 1e-6) on the first step.
      assert.equal(values(q)[0], Infinity);
      close(values(q).slice(1), [1 - 0.5 / (1 + 1e-6)]);
    });
  });

  it('capturable fused SGD: the weight decay must stay what the first step saw', () => {
    const opt = new DeviceLrSGD([param()], { lr: 0.1, weightDecay: 0.01, fused: true, capturable: true });
    opt.prepareStep();
    opt.prepareStep();
    assert.equal(opt.scalar(opt.paramGroups[0], 'lr').item(), Math.fround(0.1));
    opt.paramGroups[0].weightDecay = 0.02;
    refuses(() => opt.prepareStep(),
      'Expected weightDecay 0.01 for group 0 of a capturable fused SGD but received 0.02: aten::_fused_sgd_ takes weight decay ' +
      'as a float that a captured graph keeps. Keep the weight decay constant, or use fused: false (a device-scalar weight decay)');
  });

  it('capturable AdamW resumed from a state dict: its step counts become tensors in an eager step, not in a capture', () => {
    torch.scope(() => {
      const p = param([1, 2]);
      const opt = new AdamW([p], { lr: 0.1, weightDecay: 0, capturable: true });
      // A resumed run: the step count is a number in the saved state, the moments are tensors.
      opt.loadStateDict({
        json: { state: { 0: { step: 2 } }, paramGroups: [{ lr: 0.1, params: [0] }] },
        tensors: new Map([['state.0.exp_avg', torch.tensor([0.5, 0.5])], ['state.0.exp_avg_sq', torch.tensor([0.25, 0.25])]]),
      });
      opt.prepareStep();
      p.grad = torch.tensor([1, 1]);
      refuses(() => torch.cuda.checkCapturable(() => opt.step()),
        'The step count tensor of a parameter would be created during checkCapturable: optimiser state must exist before a capture. ' +
        'Run one eager optimizer.step() (with every captured parameter holding a gradient) before capturing');
      opt.step();
      const step = opt.state.get(p)!.step as Tensor;
      assert.deepEqual([step.dtype, step.device, step.item()], ['float32', 'cpu', 3]);
      torch.cuda.checkCapturable(() => opt.step());
      assert.equal(step.item(), 4);
    });
  });

  it('LARS: the trust ratio without weight decay, and Nesterov momentum', () => {
    torch.scope(() => {
      // ||w|| = 5, ||g|| = 1: ratio = 0.001 * 5 / (1 + 1e-8).
      const ratio = (0.001 * 5) / (1 + 1e-8);
      const p = param([3, 4]);
      const opt = new LARS([p], { lr: 1, weightDecay: 0, momentum: 0 });
      p.grad = torch.tensor([0.6, 0.8]);
      opt.step();
      close(values(p), [3 - ratio * 0.6, 4 - ratio * 0.8]);
      const q = param([3, 4]);
      const nesterov = new LARS([q], { lr: 1, weightDecay: 0, momentum: 0.9, nesterov: true });
      q.grad = torch.tensor([0.6, 0.8]);
      nesterov.step();
      // First step: buf = d, direction = d + 0.9 * buf.
      close(values(q), [3 - 1.9 * ratio * 0.6, 4 - 1.9 * ratio * 0.8]);
    });
  });

  it('LARS with weight decay: the closed form, eager and capturable; a capturable step keeps the decay operators at 0', () => {
    torch.scope(() => {
      // ||w|| = 5, ||g|| = 1, wd = 0.1: ratio = 0.001 * 5 / (1 + 0.1 * 5 + 1e-8), d = ratio * (g + 0.1 w).
      const ratio = (0.001 * 5) / (1 + 0.5 + 1e-8);
      for (const capturable of [false, true]) {
        const p = param([3, 4]);
        const opt = new LARS([p], { lr: 2, weightDecay: 0.1, momentum: 0, capturable });
        p.grad = torch.tensor([0.6, 0.8]);
        opt.step();
        close(values(p), [3 - 2 * ratio * 0.9, 4 - 2 * ratio * 1.2]);
      }
      // A captured graph replays what it recorded: with weight decay 0 now, it must still hold the decay
      // operators, for a schedule that raises the weight decay later.
      const calls = (wd: number): number => {
        const p = param([3, 4]);
        const opt = new LARS([p], { lr: 2, weightDecay: wd, momentum: 0, capturable: true });
        p.grad = torch.tensor([0.6, 0.8]);
        opt.step();
        return countCalls(() => opt.step());
      };
      assert.equal(calls(0), calls(0.1));
    });
  });

  it("paramGroupsWeightDecay: the groups' names, and a matrix named *.bias left undecayed", () => {
    const w = torch.zeros([2, 2]).requiresGrad_();
    const b = torch.zeros([2, 2]).requiresGrad_();
    const [decay, noDecay] = paramGroupsWeightDecay([['fc.weight', w], ['fc.bias', b]], { weightDecay: 0.1 });
    assert.deepEqual([decay.name, decay.params, noDecay.name, noDecay.params], ['decay', [w], 'no_decay', [b]]);
  });
});

/** Float32 results against float64 expectations: equal to float32 rounding (one ulp at the values' scale). */
function close(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) <= 2 ** -22 * Math.abs(expected[i]), `[${i}]: ${a} vs ${expected[i]}`));
}
