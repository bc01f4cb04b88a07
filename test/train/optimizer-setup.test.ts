import { strict as assert } from 'assert';
import * as torch from '../../lib/torch';
import { LARS } from '../../lib/optim/lars';
import { AdamW } from '../../lib/optim/adamw';
import { SGD } from '../../lib/optim/sgd';
import { LAMB } from '../../lib/optim/lamb';
import { hasOp } from '../../lib/torch/foreach';
import { OptimizerRecipe } from '../../lib/ssl/method';
import { ParamGroup } from '../../lib/optim/optimizer';
import { makeOptimizer, mergeRecipe, scaledLr, setupOptimizer } from '../../lib/train/optimizer-setup';
import { ToyMethod } from './toy-method';

describe('train/optimizer-setup', () => {
  it('scales the learning rate with the batch size as the recipe says', () => {
    const r = { optimizer: 'lars' as const, lr: 0.3, lrScaling: 'linear' as const, weightDecay: 1e-6, warmupEpochs: 10 };
    assert.equal(scaledLr(r, 512), 0.6);
    assert.equal(scaledLr({ ...r, lr: 0.075, lrScaling: 'sqrt' }, 4096), 0.075 * 64);
    assert.equal(scaledLr({ ...r, lrScaling: 'none' }, 4096), 0.3);
  });

  it('overrides recipe fields one by one and checks them', () => {
    const m = new ToyMethod();
    const r = mergeRecipe(m.recipe, { optimizer: 'adamw', betas: [0.9, 0.95], weightDecayEnd: undefined });
    assert.equal(r.optimizer, 'adamw');
    assert.deepEqual(r.betas, [0.9, 0.95]);
    assert.equal(r.lr, 0.3);
    assert.equal(r.weightDecayEnd, 1e-3, 'undefined does not erase a recipe field');
    assert.throws(() => mergeRecipe(m.recipe, { optimizer: 'adam' as 'adamw' }), /'sgd', 'lars', 'adamw', 'lamb' for optimizer.optimizer/);
    assert.throws(() => mergeRecipe(m.recipe, { lr: -1 }), /optimizer.lr/);
  });

  it('builds LARS with warmup, a cosine to finalLrRatio and a cosine weight decay on the decayed group only', () => {
    torch.manualSeed(0);
    const m = new ToyMethod();
    const s = setupOptimizer(m, { batchSize: 512, stepsPerEpoch: 10, totalSteps: 100 });
    assert.ok(s.optimizer instanceof LARS);
    assert.equal(s.peakLr, 0.6);
    assert.equal(s.warmupSteps, 5); // 0.5 epochs of 10 steps
    const [decay, noDecay] = s.optimizer.paramGroups;
    assert.equal(decay.lr, 0, 'warmup starts at 0');
    for (let i = 0; i < 4; i++) s.lrScheduler.step();
    assert.equal(decay.lr, 0.6, 'the warmup reaches the peak at its last step');
    assert.equal(noDecay.lr, 0.6);
    for (let i = 4; i < 100; i++) s.lrScheduler.step();
    assert.ok(Math.abs(decay.lr - 0.006) < 1e-12, `final lr ${decay.lr}`);
    assert.ok(Math.abs(decay.weightDecay - 1e-4) < 1e-15, `first wd ${decay.weightDecay}`);
    assert.equal(noDecay.weightDecay, 0);
    for (let i = 0; i < 100; i++) s.wdScheduler!.step();
    assert.ok(Math.abs(decay.weightDecay - 1e-3) < 1e-15);
    assert.equal(noDecay.weightDecay, 0, 'the no-decay group stays at 0');
    s.optimizer.dispose();
  });

  it('builds AdamW and SGD, takes an absolute lr, and cuts a warmup longer than the run', () => {
    torch.manualSeed(0);
    const m = new ToyMethod({ recipe: { weightDecayEnd: undefined } });
    const a = setupOptimizer(m, { batchSize: 64, stepsPerEpoch: 2, totalSteps: 30, lr: 0.01,
      overrides: { optimizer: 'adamw', betas: [0.9, 0.95], warmupEpochs: 40 } });
    assert.ok(a.optimizer instanceof AdamW);
    assert.deepEqual((a.optimizer as unknown as AdamW).paramGroups[0].betas, [0.9, 0.95]);
    assert.equal(a.peakLr, 0.01);
    // 40 epochs of 2 steps = 80 >= the run's 30 steps: cut to a tenth of the run, and the peak is reached
    assert.equal(a.warmupCutFrom, 80);
    assert.equal(a.warmupSteps, 3);
    for (let i = 0; i < 2; i++) a.lrScheduler.step();
    assert.equal(a.optimizer.paramGroups[0].lr, 0.01, 'the cut warm-up reaches the peak at its last step');
    // exactly as long as the run is cut too; one step shorter is kept
    const whole = setupOptimizer(m, { batchSize: 64, stepsPerEpoch: 10, totalSteps: 20, overrides: { warmupEpochs: 2 } });
    assert.deepEqual([whole.warmupSteps, whole.warmupCutFrom], [2, 20]);
    const shorter = setupOptimizer(m, { batchSize: 64, stepsPerEpoch: 10, totalSteps: 20, overrides: { warmupEpochs: 1.9 } });
    assert.deepEqual([shorter.warmupSteps, shorter.warmupCutFrom], [19, undefined]);
    whole.optimizer.dispose();
    shorter.optimizer.dispose();
    assert.equal(a.wdScheduler, undefined);
    const s = setupOptimizer(m, { batchSize: 64, stepsPerEpoch: 2, totalSteps: 3, overrides: { optimizer: 'sgd', warmupEpochs: 0 } });
    assert.ok(s.optimizer instanceof SGD);
    assert.equal(s.optimizer.paramGroups[0].lr, (0.3 * 64) / 256, 'no warmup: the peak at step 0');
    a.optimizer.dispose();
    s.optimizer.dispose();
  });
  /** `fn` throws `type` with exactly `message`. */
  function refuses(fn: () => unknown, type: typeof TypeError | typeof RangeError, message: string): void {
    assert.throws(fn, (err: Error) => err instanceof type && err.message === message);
  }

  it('checks the optional recipe fields only when given, each by its name', () => {
    // A recipe without finalLrRatio, weightDecayEnd or clipGrad is complete.
    const plain: OptimizerRecipe = { optimizer: 'sgd', lr: 0.1, lrScaling: 'none', weightDecay: 0, warmupEpochs: 0 };
    assert.deepEqual(mergeRecipe(plain), plain);
    refuses(() => mergeRecipe(plain, { lrScaling: 'cubic' as 'none' }), TypeError,
      "Expected one of 'linear', 'sqrt', 'none' for optimizer.lrScaling but received 'cubic'");
    for (const k of ['weightDecay', 'warmupEpochs', 'finalLrRatio', 'weightDecayEnd', 'clipGrad'] as const) {
      refuses(() => mergeRecipe(plain, { [k]: -1 }), RangeError, `Expected a non-negative number for optimizer.${k} but received -1`);
      assert.equal(mergeRecipe(plain, { [k]: 0.5 })[k], 0.5);
    }
  });

  it('makeOptimizer: the betas and momentum reach the optimizer, checked by name; LAMB; the switches named', () => {
    torch.manualSeed(0);
    const m = new ToyMethod();
    const groups = () => m.parameterGroups(0.1);
    const adamw = { optimizer: 'adamw' as const, weightDecay: 0.1 };
    for (const betas of [[0.9], [0.9, 'x'], 'ab']) {
      refuses(() => makeOptimizer({ ...adamw, betas: betas as [number, number] }, groups(), { lr: 1 }), TypeError,
        `Expected [beta1, beta2] for optimizer.betas but received ${JSON.stringify(betas)}`);
    }
    const a = makeOptimizer(adamw, groups(), { lr: 1 }) as unknown as AdamW;
    assert.deepEqual(a.paramGroups[0].betas, [0.9, 0.999], 'PyTorch\'s default betas');
    const lamb = makeOptimizer({ optimizer: 'lamb', weightDecay: 0.1, betas: [0.8, 0.9] }, groups(), { lr: 1 });
    assert.ok(lamb instanceof LAMB);
    assert.deepEqual((lamb as unknown as LAMB).paramGroups[0].betas, [0.8, 0.9]);
    const sgd = makeOptimizer({ optimizer: 'sgd', weightDecay: 0.1, momentum: 0.5 }, groups(), { lr: 1 }) as unknown as SGD;
    assert.equal(sgd.paramGroups[0].momentum, 0.5);
    const lars = makeOptimizer({ optimizer: 'lars', weightDecay: 0.1 }, groups(), { lr: 1 }) as unknown as LARS;
    assert.equal(lars.paramGroups[0].momentum, 0.9, 'the recipe fallback');
    refuses(() => makeOptimizer(adamw, groups(), { lr: 1, capturable: 'yes' as unknown as boolean }), TypeError,
      "Expected true or false for options.capturable but received 'yes'");
    refuses(() => makeOptimizer(adamw, groups(), { lr: 1, fused: 1 as unknown as boolean }), TypeError,
      'Expected true or false for options.fused but received 1');
    // fused: the fused kernel only when asked and this libtorch has it (the CPU build has none).
    const fusedAdamw = makeOptimizer(adamw, groups(), { lr: 1, fused: true }) as unknown as AdamW;
    assert.equal(fusedAdamw.paramGroups[0].fused, hasOp('aten::_fused_adamw_'));
    assert.equal((makeOptimizer(adamw, groups(), { lr: 1 }) as unknown as AdamW).paramGroups[0].fused, false);
    const fusedSgd = makeOptimizer({ optimizer: 'sgd', weightDecay: 0.1 }, groups(), { lr: 1, fused: true }) as unknown as SGD;
    assert.equal(fusedSgd.fused, hasOp('aten::_fused_sgd_'));
    for (const o of [a, lamb, sgd, lars, fusedAdamw, fusedSgd]) o.dispose();
  });

  it('an empty parameter group is left out, and the weight-decay schedule still reaches the decayed group', () => {
    // The method's groups: an empty one first (a head without biases), then decayed and not decayed.
    class EmptyFirst extends ToyMethod {
      override parameterGroups(weightDecay: number): ParamGroup[] {
        return [{ params: [], weightDecay: 0 }, ...super.parameterGroups(weightDecay)];
      }
    }
    torch.manualSeed(0);
    const m = new EmptyFirst();
    const s = setupOptimizer(m, { batchSize: 256, stepsPerEpoch: 10, totalSteps: 10 });
    assert.equal(s.optimizer.paramGroups.length, 2);
    const [decay, noDecay] = s.optimizer.paramGroups;
    for (let i = 0; i < 10; i++) s.wdScheduler!.step();
    // The recipe's cosine from weightDecay 1e-4 ends at weightDecayEnd 1e-3 on the decayed group only.
    assert.ok(Math.abs(decay.weightDecay - 1e-3) < 1e-15, `decayed group ${decay.weightDecay}`);
    assert.equal(noDecay.weightDecay, 0);
    s.optimizer.dispose();
  });

  it('refuses a method with nothing to train', () => {
    const m = new ToyMethod();
    for (const p of m.parameters()) p.requiresGrad = false;
    refuses(() => setupOptimizer(m, { batchSize: 64, stepsPerEpoch: 2, totalSteps: 4 }), RangeError,
      "Method 'simclr' has no parameters that require grad: nothing to train");
  });
});
