// Schedules: exact values, DINO's cosine_scheduler bit for bit, and the
// LRScheduler that applies them to parameter groups.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as torch from '../../lib/torch';
import { cosineSchedule, stepSchedule, constantSchedule } from '../../lib/optim/schedule';
import { LRScheduler } from '../../lib/optim/lr-scheduler';
import { SGD } from '../../lib/optim/sgd';
import { AdamW } from '../../lib/optim/adamw';
import { PYTHON } from '../helpers/python-reference';

const close = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) <= 1e-12 * (1 + Math.abs(b)), `${what}: got ${a}, expected ${b}`);

describe('optim: schedules', () => {
  it('cosine with warmup: warmup end, middle, last step, past the end', () => {
    const s = cosineSchedule({ base: 1, final: 0.1, totalSteps: 11, warmupSteps: 3, warmupStart: 0 });
    close(s(0), 0, 'step 0');
    close(s(1), 0.5, 'step 1');
    close(s(2), 1, 'last warmup step reaches base (np.linspace)');
    close(s(3), 1, 'first cosine step');
    close(s(7), 0.55, 'middle of the cosine');
    close(s(10), 0.1 + 0.45 * (1 + Math.cos((7 * Math.PI) / 8)), 'last step');
    close(s(11), 0.1, 'past the end');
    close(s(1e6), 0.1, 'far past the end');
  });

  it("equals DINO's cosine_scheduler (numpy) at every step", () => {
    const py = [
      'import numpy as np, json',
      'def cosine_scheduler(base_value, final_value, epochs, niter_per_ep, warmup_epochs=0, start_warmup_value=0):',
      '    warmup_schedule = np.array([])',
      '    warmup_iters = warmup_epochs * niter_per_ep',
      '    if warmup_epochs > 0:',
      '        warmup_schedule = np.linspace(start_warmup_value, base_value, warmup_iters)',
      '    iters = np.arange(epochs * niter_per_ep - warmup_iters)',
      '    schedule = final_value + 0.5 * (base_value - final_value) * (1 + np.cos(np.pi * iters / len(iters)))',
      '    return np.concatenate((warmup_schedule, schedule))',
      'print(json.dumps([cosine_scheduler(5e-4, 1e-6, 10, 7, 2, 1e-5).tolist(), cosine_scheduler(0.04, 0.4, 10, 7).tolist()]))',
    ].join('\n');
    const [lr, wd] = JSON.parse(execFileSync(PYTHON, ['-c', py], { encoding: 'utf8' })) as number[][];
    const mine = cosineSchedule({ base: 5e-4, final: 1e-6, totalSteps: 70, warmupSteps: 14, warmupStart: 1e-5 });
    lr.forEach((v, i) => close(mine(i), v, `lr step ${i}`));
    const dinoWd = cosineSchedule({ base: 0.04, final: 0.4, totalSteps: 70 });
    wd.forEach((v, i) => close(dinoWd(i), v, `weight decay step ${i}`));
  });

  it("BYOL's EMA momentum 0.996 -> 1", () => {
    const tau = cosineSchedule({ base: 0.996, final: 1, totalSteps: 100 });
    close(tau(0), 0.996, 'start');
    close(tau(50), 0.998, 'middle');
    // BYOL: 1 - (1 - tau_base) * (cos(pi k / K) + 1) / 2
    close(tau(99), 1 - 0.004 * (Math.cos((Math.PI * 99) / 100) + 1) / 2, 'last step');
    close(tau(100), 1, 'end');
  });

  it('step and constant schedules, with warmup', () => {
    const s = stepSchedule({ base: 0.1, milestones: [30, 10], gamma: 0.5, warmupSteps: 5, warmupStart: 0.02 });
    close(s(0), 0.02, 'warmup start');
    close(s(2), 0.06, 'warmup middle');
    close(s(9), 0.1, 'before first milestone');
    close(s(10), 0.05, 'first milestone (unsorted input)');
    close(s(30), 0.025, 'second milestone');
    const c = constantSchedule({ value: 3, warmupSteps: 3 });
    assert.deepEqual([0, 1, 2, 3, 100].map(c), [0, 1.5, 3, 3, 3]);
  });

  it('validates options and steps', () => {
    assert.throws(() => cosineSchedule({ base: 1, totalSteps: 0 }), /Expected integer >= 1 for totalSteps but received 0/);
    assert.throws(() => cosineSchedule({ base: 1, totalSteps: 5, warmupSteps: 6 }), /Expected warmupSteps <= totalSteps \(5\) but received 6/);
    assert.throws(() => cosineSchedule({ base: 1, totalSteps: 5 })(-1), /Expected non-negative number for step but received -1/);
    assert.throws(() => stepSchedule({ base: 1, milestones: [1.5] }), /for milestones\[0\] but received 1.5/);
  });

  it('LRScheduler sets lr per group with lrScale, and weight decay only where it is not 0', () => {
    const a = torch.zeros([2]).requiresGrad_();
    const b = torch.zeros([2]).requiresGrad_();
    const opt = new SGD([{ params: [a], lrScale: 0.5 }, { params: [b] }], { lr: 123 });
    const sched = new LRScheduler(opt, constantSchedule({ value: 1, warmupSteps: 3 }));
    assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0, 0]);
    sched.step();
    assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0.25, 0.5]);
    sched.step();
    assert.equal(sched.lastStep, 2);
    assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0.5, 1]);
    sched.loadStateDict({ lastStep: 1 });
    assert.deepEqual(opt.paramGroups.map((g) => g.lr), [0.25, 0.5]);

    const adam = new AdamW([{ params: [a], weightDecay: 0.04 }, { params: [b], weightDecay: 0 }]);
    const wd = new LRScheduler(adam, cosineSchedule({ base: 0.04, final: 0.4, totalSteps: 10 }), { option: 'weightDecay' });
    for (let i = 0; i < 10; i++) wd.step();
    assert.deepEqual(adam.paramGroups.map((g) => g.weightDecay), [0.4, 0]);
  });
});
