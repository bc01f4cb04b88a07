// trainSteps's option table (TRAIN_STEPS_OPTIONS, issue 15) reaches the loop:
// logEvery's and checkpointEvery's defaults, clipGrad layered as the option
// over the recipe's over off, and the recipe's finalLrRatio (RECIPE_FALLBACKS'
// 0 when absent). A one-tensor method with the loss 1000 * sum(w) makes each
// step instant and its gradient norm known (2000 for four entries).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { StepMethod, trainSteps, TrainStepsOptions, TrainStepsResult } from '../../lib/train/text-trainer';
import { OptimizerRecipe } from '../../lib/ssl/method';

const RECIPE: OptimizerRecipe = { optimizer: 'adamw', lr: 0.01, lrScaling: 'none', weightDecay: 0, warmupEpochs: 0 };

/** Trains a one-tensor method; returns the loop's result, each step's gradient norm after clipping, and the log. */
function run(recipe: Partial<OptimizerRecipe>, options: Partial<TrainStepsOptions>): {
  result: TrainStepsResult; gradNorms: number[]; lines: string[]; checkpoints: number[];
} {
  const w = torch.ones([4]).requiresGrad_();
  const gradNorms: number[] = [];
  const method: StepMethod<null> = {
    recipe: { ...RECIPE, ...recipe },
    trainingStep: () => ({ loss: w.mul(1000).sum(), logs: {} }),
    parameterGroups: (weightDecay) => [{ params: [w], weightDecay }],
    parameters: () => [w],
    train: () => undefined,
    // After the step the gradient is still the clipped one.
    afterOptimizerStep: () => { gradNorms.push(Number(w.grad!.norm().item())); },
  };
  const lines: string[] = [];
  const checkpoints: number[] = [];
  try {
    const result = trainSteps(method, () => null, {
      steps: 60, warmupSteps: 0, log: (l) => lines.push(l), onCheckpoint: (p) => checkpoints.push(p.step), ...options,
    });
    return { result, gradNorms, lines, checkpoints };
  } finally {
    w.dispose();
  }
}

describe('train: trainSteps\'s option table reaches the loop', () => {
  it('defaults: a log line every 50 steps and at the last, no checkpoint, no clipping', () => {
    const { result, gradNorms, checkpoints } = run({}, {});
    assert.deepEqual(result.history.map((h) => h.step), [50, 60]);
    assert.deepEqual(checkpoints, []);
    assert.ok(gradNorms.every((n) => Math.abs(n - 2000) < 1e-2), String(gradNorms.slice(0, 3)));
  });

  it('logEvery and checkpointEvery given reach the loop', () => {
    const { result, checkpoints } = run({}, { logEvery: 25, checkpointEvery: 20 });
    assert.deepEqual(result.history.map((h) => h.step), [25, 50, 60]);
    assert.deepEqual(checkpoints, [20, 40, 60]);
  });

  it('clipGrad: the option over the recipe\'s over off', () => {
    const near = (xs: number[], v: number) => xs.every((n) => Math.abs(n - v) < 1e-3 * v);
    assert.ok(near(run({ clipGrad: 1 }, {}).gradNorms, 1), 'the recipe\'s clipGrad');
    assert.ok(near(run({ clipGrad: 1 }, { clipGrad: 2 }).gradNorms, 2), 'the option over the recipe');
    assert.ok(near(run({ clipGrad: 1 }, { clipGrad: 0 }).gradNorms, 2000), 'clipGrad 0 turns the recipe\'s off');
  });

  it('the recipe\'s finalLrRatio sets the end of the cosine (0 without one)', () => {
    const lastLr = (recipe: Partial<OptimizerRecipe>) => Number(/\blr (\S+)/.exec(run(recipe, {}).lines.at(-1)!)![1]);
    assert.ok(Math.abs(lastLr({ finalLrRatio: 0.5 }) - 0.005) < 1e-4, 'ends near half the peak');
    assert.ok(lastLr({}) < 1e-4, 'ends near 0');
  });

  it('bad values are refused by name, the recipe\'s clipGrad too', () => {
    assert.throws(() => run({}, { logEvery: 0 }), /options\.logEvery/);
    assert.throws(() => run({}, { checkpointEvery: -1 }), /options\.checkpointEvery/);
    assert.throws(() => run({}, { clipGrad: -1 }), /options\.clipGrad/);
    assert.throws(() => run({ clipGrad: -1 }, {}), /options\.clipGrad/);
    assert.throws(() => run({ finalLrRatio: -1 }, {}), /optimizer\.finalLrRatio/);
  });
});
