// The text loop (trainSteps) by value, on a one-weight method whose loss is
// its weight w (gradient 1): AdamW's step with a constant gradient is lr
// (m / sqrt(v) = 1, less eps), so each loss is 1 minus the learning rates so
// far. The log lines' text, the history's window means, the clock, the
// checkpoints' progress, a stop and a resume that continues the same losses,
// and the refusals by message.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { OptimizerStateDict } from '../../lib/optim/optimizer';
import { cosineSchedule } from '../../lib/optim/schedule';
import { OptimizerRecipe } from '../../lib/ssl/method';
import { StepMethod, StepsProgress, trainSteps, TrainStepsOptions } from '../../lib/train/text-trainer';

const RECIPE: OptimizerRecipe = { optimizer: 'adamw', lr: 0.01, lrScaling: 'none', weightDecay: 0, warmupEpochs: 0, finalLrRatio: 0.5 };

/** Every clock read: 1 s later per step (advanced in trainingStep). */
let clock = 0;

interface Toy { method: StepMethod<number>; w: Tensor; modes: unknown[]; decays: number[]; batches: number[] }

function toy(recipe: Partial<OptimizerRecipe> = {}, lossAt?: (step: number) => number, square = false): Toy {
  const w = torch.ones([1]).requiresGrad_();
  const frozen = torch.ones([1]); // not trained: left out of clipping
  const t: Toy = { w, modes: [], decays: [], batches: [], method: undefined as never };
  t.method = {
    recipe: { ...RECIPE, ...recipe },
    trainingStep: (batch) => {
      clock += 1000;
      t.batches.push(batch);
      const extra = lossAt === undefined ? 0 : lossAt(batch);
      const loss = square ? w.pow(2).sum() : w.sum();
      return { loss: loss.add(extra), logs: { half: loss.mul(0.5) } };
    },
    parameterGroups: (weightDecay) => {
      t.decays.push(weightDecay);
      return [{ params: [w], weightDecay }];
    },
    parameters: () => [w, frozen],
    train: (mode) => { t.modes.push(mode); },
  };
  return t;
}

/** 1 minus the learning rates of the steps before each of `steps` steps (warm-up 1, cosine to half). */
function expectedLosses(steps: number, warmupSteps: number): number[] {
  const lr = cosineSchedule({ base: 0.01, final: 0.005, totalSteps: steps, warmupSteps });
  const out: number[] = [];
  let w = 1;
  for (let s = 0; s < steps; s++) {
    out.push(w);
    w -= lr(s);
  }
  return out;
}

const close = (a: readonly number[], b: readonly number[]): void => {
  assert.equal(a.length, b.length, `${a} vs ${b}`);
  a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-6, `[${a}] vs [${b}]`));
};

describe('train: trainSteps by value', () => {
  const realNow = Date.now;
  beforeEach(() => {
    clock = 0;
    Date.now = () => clock;
  });
  afterEach(() => {
    Date.now = realNow;
  });

  it('losses, window means, log lines and seconds; the recipe\'s optimizer and weight decay; train mode on', () => {
    clock = 10_000; // the run starts at 10 s: its seconds count from there
    const t = toy({ weightDecay: 0 });
    const live = torch.memory().tensors;
    const lines: string[] = [];
    const result = trainSteps(t.method, (s) => 10 + s, { steps: 5, warmupSteps: 1, logEvery: 2, log: (l) => lines.push(l) });
    const want = expectedLosses(5, 1);
    close(result.losses, want);
    assert.deepEqual(t.batches, [10, 11, 12, 13, 14]);
    assert.deepEqual(result.history.map((h) => h.step), [2, 4, 5]);
    close(result.history.map((h) => h.loss), [(want[0] + want[1]) / 2, (want[2] + want[3]) / 2, want[4]]);
    close(result.history.map((h) => h.half), [(want[0] + want[1]) / 4, (want[2] + want[3]) / 4, want[4] / 2]);
    const lr = cosineSchedule({ base: 0.01, final: 0.005, totalSteps: 5, warmupSteps: 1 });
    assert.deepEqual(lines, [
      `step 2/5  loss ${((want[0] + want[1]) / 2).toFixed(4)}  half ${((want[0] + want[1]) / 4).toFixed(4)}  lr ${lr(1).toExponential(2)}  2 s`,
      `step 4/5  loss ${((want[2] + want[3]) / 2).toFixed(4)}  half ${((want[2] + want[3]) / 4).toFixed(4)}  lr ${lr(3).toExponential(2)}  4 s`,
      `step 5/5  loss ${want[4].toFixed(4)}  half ${(want[4] / 2).toFixed(4)}  lr ${lr(4).toExponential(2)}  5 s`,
    ]);
    assert.deepEqual({ ...result, losses: [], history: [] },
      { losses: [], history: [], seconds: 5, optimizer: 'adamw', steps: 5, interrupted: false });
    assert.equal(torch.memory().tensors, live); // the optimizer's state is freed
    assert.deepEqual(t.modes, [true]);
    assert.deepEqual(t.decays, [0]);
    // The options over the recipe: weight decay, optimizer.
    const u = toy({ weightDecay: 0.05 });
    assert.equal(trainSteps(u.method, () => 0, { steps: 1, weightDecay: 0.3, optimizer: 'lamb' }).optimizer, 'lamb');
    assert.deepEqual(u.decays, [0.3]);
    const v = toy({ weightDecay: 0.05, optimizer: 'lamb' });
    assert.equal(trainSteps(v.method, () => 0, { steps: 1 }).optimizer, 'lamb');
    assert.deepEqual(v.decays, [0.05]);
  });

  it('warm-up: a tenth of the steps by default (20 steps: 2), else as given; lr over the recipe\'s', () => {
    const t = toy();
    close(trainSteps(t.method, () => 0, { steps: 20 }).losses, expectedLosses(20, 2));
    const u = toy();
    close(trainSteps(u.method, () => 0, { steps: 20, warmupSteps: 0 }).losses, expectedLosses(20, 0));
    const v = toy();
    const losses = trainSteps(v.method, () => 0, { steps: 2, warmupSteps: 0, lr: 0.1 }).losses;
    close(losses, [1, 1 - 0.1]);
  });

  it('a stop after a step saves progress there and ends the run; a resume continues the same losses and windows', () => {
    const whole = trainSteps(toy({}, undefined, true).method, (s) => s, { steps: 6, warmupSteps: 1, logEvery: 2 });
    const saved: Array<{ progress: Omit<StepsProgress, 'optimizer'>; optimizer: OptimizerStateDict }> = [];
    const onCheckpoint = (p: StepsProgress): void => {
      const { optimizer, ...progress } = p;
      const sd = optimizer.stateDict();
      saved.push({ progress: structuredClone(progress), optimizer: { json: structuredClone(sd.json), tensors: new Map([...sd.tensors].map(([k, v]) => [k, v.clone()])) } });
    };
    const first = toy({}, undefined, true);
    let n = 0;
    const stopped = trainSteps(first.method, (s) => s, { steps: 6, warmupSteps: 1, logEvery: 2, onCheckpoint, stopRequested: () => ++n === 3 });
    assert.deepEqual([stopped.steps, stopped.interrupted, stopped.losses.length, stopped.seconds], [3, true, 3, 3]);
    assert.equal(saved.length, 1);
    const p = saved[0].progress;
    assert.deepEqual([p.step, p.seconds, p.history.map((h) => h.step), Object.keys(p.window)], [3, 3, [2], ['loss', 'half']]);
    close(p.losses, whole.losses.slice(0, 3));
    close(p.window.loss, whole.losses.slice(2, 3));
    // The caller restores the weights (here: the first run's w itself goes on).
    const second = toy({}, undefined, true);
    torch.noGrad(() => second.w.copy_(first.w));
    clock = 0;
    const resumed = trainSteps(second.method, (s) => s, { steps: 6, warmupSteps: 1, logEvery: 2, resume: saved[0] });
    assert.deepEqual(second.batches, [3, 4, 5]);
    close(resumed.losses, whole.losses);
    assert.deepEqual(resumed.history.map((h) => h.step), [2, 4, 6]);
    close(resumed.history.map((h) => h.loss), whole.history.map((h) => h.loss));
    assert.deepEqual([resumed.steps, resumed.interrupted, resumed.seconds], [6, false, 3 + 3]);
    // Without the optimizer's state the resumed steps differ (loss w^2: a changing gradient, so Adam's moments matter).
    const cold = toy({}, undefined, true);
    torch.noGrad(() => cold.w.copy_(first.w));
    const { optimizer: _, ...withoutOptimizer } = saved[0];
    const fresh = trainSteps(cold.method, (s) => s, { steps: 6, warmupSteps: 1, logEvery: 2,
      resume: { ...withoutOptimizer, optimizer: { json: { state: {}, paramGroups: saved[0].optimizer.json.paramGroups }, tensors: new Map() } } });
    close(fresh.losses.slice(0, 4), whole.losses.slice(0, 4)); // the saved losses and the first resumed step (w restored)
    assert.ok(Math.abs(fresh.losses[5] - whole.losses[5]) > 1e-5, `${fresh.losses[5]} vs ${whole.losses[5]}`);
    assert.throws(() => trainSteps(toy({}, undefined, true).method, () => 0, { steps: 2, resume: saved[0] }), {
      name: 'RangeError', message: 'Cannot resume after step 3: the run has only 2 steps' });
    assert.deepEqual(trainSteps(toy({}, undefined, true).method, () => 0, { steps: 3, resume: saved[0] }).losses.length, 3); // resumed at its end
  });

  it('checkpoints every checkpointEvery steps; a stop asked at the last step is not an interruption', () => {
    const steps: number[] = [];
    const r = trainSteps(toy().method, () => 0, { steps: 4, checkpointEvery: 2, onCheckpoint: (p) => steps.push(p.step), stopRequested: () => false });
    assert.deepEqual([steps, r.interrupted], [[2, 4], false]);
    const last: number[] = [];
    const one = trainSteps(toy().method, () => 0, { steps: 1, onCheckpoint: (p) => last.push(p.step), stopRequested: () => true });
    assert.deepEqual([last, one.interrupted, one.steps], [[], false, 1]);
    // No onCheckpoint: a stop still ends the run.
    const bare = trainSteps(toy().method, () => 0, { steps: 4, stopRequested: () => true });
    assert.deepEqual([bare.steps, bare.interrupted], [1, true]);
  });

  it('a non-finite loss stops the run, naming the step and the learning rate', () => {
    const t = toy({}, (s) => (s === 1 ? NaN : 0));
    assert.throws(() => trainSteps(t.method, (s) => s, { steps: 4, warmupSteps: 0 }), {
      message: 'Loss is NaN at step 1: training diverged; lower the learning rate (now 0.00927)' });
    assert.throws(() => trainSteps(toy().method, () => 0, { steps: 0 }), /options\.steps/);
    assert.throws(() => trainSteps(toy().method, () => 0, { steps: 2, lr: -1 }), /options\.lr/);
    assert.throws(() => trainSteps(toy().method, () => 0, { steps: 2, warmupSteps: -1 }), /options\.warmupSteps/);
  });
});
