// BYOL: keys, the target as an exact EMA of the online network (no grads, not
// optimised, its own batch-norm buffers), the momentum schedule, a few steps
// lowering the loss, a flat live-tensor count, and actionable option errors.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { create } from '../../lib/models/registry';
import { SmallCnn } from '../../lib/models/small-cnn';
import { LARS } from '../../lib/optim/lars';
import { SGD } from '../../lib/optim/sgd';
import { byolLoss } from '../../lib/ssl/losses';
import { BYOL } from '../../lib/ssl/byol';
import { fixedViews, mean, progress, trainSteps, values } from './tiny-batch';

function tiny(momentumBase?: number): BYOL {
  return new BYOL({ encoder: 'small_cnn', encoderOptions: { width: 8 }, hiddenDim: 64, outDim: 32, momentumBase });
}

function named(method: BYOL, prefix: string): Map<string, torch.Tensor> {
  return new Map([...method.namedParameters()].filter(([k]) => k.startsWith(prefix))
    .map(([k, t]) => [k.slice(prefix.length), t]));
}

describe('ssl: BYOL', function () {
  this.timeout(60_000);

  it('registers online and target networks with mirrored keys; the target starts as a frozen copy', () => {
    torch.manualSeed(0);
    const method = tiny();
    const keys = [...method.stateDict().keys()];
    const prefixes = [...new Set(keys.map((k) => k.split('.')[0]))];
    assert.deepEqual(prefixes, ['encoder', 'projection_head', 'prediction_head', 'target_encoder', 'target_projection_head']);
    const strip = (p: string): string[] => keys.filter((k) => k.startsWith(`${p}.`)).map((k) => k.slice(p.length + 1));
    assert.deepEqual(strip('target_encoder'), strip('encoder'));
    assert.deepEqual(strip('target_projection_head'), strip('projection_head'));
    assert.deepEqual(method.stateDict().get('projection_head.layers.3.weight')!.shape, [32, 64]);
    assert.deepEqual(method.stateDict().get('prediction_head.layers.0.weight')!.shape, [64, 32]);
    for (const [online, target] of [['encoder.', 'target_encoder.'], ['projection_head.', 'target_projection_head.']]) {
      const t = named(method, target);
      for (const [k, p] of named(method, online)) {
        assert.deepEqual(values(t.get(k)!), values(p), k);
        assert.equal(t.get(k)!.requiresGrad, false);
        assert.equal(p.requiresGrad, true);
      }
    }
    // The target is left out of the optimizer's groups.
    const grouped = new Set(method.parameterGroups(1.5e-6).flatMap((g) => g.params));
    const online = [...method.namedParameters()].filter(([k]) => !k.startsWith('target_'));
    assert.equal(grouped.size, online.length);
    assert.ok(online.every(([, p]) => grouped.has(p)));
    assert.deepEqual(method.recipe, { optimizer: 'lars', lr: 0.2, lrScaling: 'linear', finalLrRatio: 0, weightDecay: 1.5e-6,
      momentum: 0.9, warmupEpochs: 10 });
    assert.deepEqual(method.config(), { encoder: 'small_cnn', encoderOptions: { width: 8 }, hiddenDim: 64, outDim: 32,
      momentumBase: 0.996 });
  });

  it('after one step the target is exactly m * old target + (1 - m) * new online, and gets no gradients', () => {
    torch.manualSeed(1);
    const method = tiny();
    const views = fixedViews(method);
    const pairs = [['encoder.', 'target_encoder.'], ['projection_head.', 'target_projection_head.']] as const;
    const oldTarget = pairs.map(([, target]) => new Map([...named(method, target)].map(([k, t]) => [k, values(t)])));
    const opt = new SGD(method.parameterGroups(0), { lr: 0.1, momentum: 0.9 });
    const { losses } = trainSteps(method, opt, views, 1, 10);
    assert.equal(method.currentMomentum, 0.996);
    const m = 0.996;
    let checked = 0;
    pairs.forEach(([online, target], n) => {
      const onlineNow = named(method, online);
      for (const [k, t] of named(method, target)) {
        const old = oldTarget[n].get(k)!;
        const expected = values(onlineNow.get(k)!).map((v, i) => m * old[i] + (1 - m) * v);
        values(t).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-6, `${target}${k}[${i}]: ${v} vs ${expected[i]}`));
        assert.equal(t.grad, undefined, `${target}${k} must not get a gradient`);
        assert.ok(values(onlineNow.get(k)!).some((v, i) => v !== old[i]), `${online}${k} moved`);
        checked++;
      }
    });
    assert.ok(checked > 10);
    assert.ok(method.parameters().filter((p) => p.requiresGrad).every((p) => p.grad instanceof torch.Tensor));
    assert.ok(Number.isFinite(losses[0]) && losses[0] > 0 && losses[0] <= 8);
  });

  it('keeps its own batch-norm buffers: the EMA does not average them', () => {
    torch.manualSeed(2);
    const method = tiny();
    const targetBuffers = new Map(method.targetEncoder.namedBuffers());
    const onlineBuffers = new Map(method.encoder.namedBuffers());
    const runningMean = targetBuffers.get('bn1.running_mean')!;
    assert.notEqual(runningMean, onlineBuffers.get('bn1.running_mean'));
    runningMean.fill_(7);
    method.afterOptimizerStep(progress(3, 10));
    assert.ok(values(runningMean).every((v) => v === 7));
    assert.ok(values(onlineBuffers.get('bn1.running_mean')!).every((v) => v === 0));
    // After two steps the online and target statistics have diverged (they ran with different weights).
    const fresh = tiny();
    const views = fixedViews(fresh);
    trainSteps(fresh, new SGD(fresh.parameterGroups(0), { lr: 0.1, momentum: 0.9 }), views, 2, 10);
    const a = values(new Map(fresh.encoder.namedBuffers()).get('bn5.running_mean')!);
    const b = values(new Map(fresh.targetEncoder.namedBuffers()).get('bn5.running_mean')!);
    assert.ok(a.some((v, i) => Math.abs(v - b[i]) > 1e-6));
  });

  it('momentum is 0.996 at the first step and 1 at the last, on a cosine', () => {
    const method = tiny();
    assert.equal(method.currentMomentum, 0.996);
    assert.equal(method.momentumAt(0, 100), 0.996);
    assert.equal(method.momentumAt(99, 100), 1);
    assert.ok(Math.abs(method.momentumAt(50, 101) - 0.998) < 1e-12);
    for (let k = 1; k < 100; k++) assert.ok(method.momentumAt(k, 100) >= method.momentumAt(k - 1, 100));
    method.afterOptimizerStep(progress(99, 100));
    assert.equal(method.currentMomentum, 1);
    assert.equal(tiny(0.99).momentumAt(0, 10), 0.99);
    assert.equal(method.momentumAt(0, 1), 0.996);
  });

  it('sums the two directions of the loss', () => {
    torch.manualSeed(3);
    const method = tiny();
    method.train();
    const views = fixedViews(method);
    const { loss, embedding } = method.trainingStep(views, progress(0, 1));
    // The online and target networks are equal at the start; train-mode batch norm uses
    // batch statistics, so the same forward passes rebuild each term.
    const z = (x: torch.Tensor): torch.Tensor => method.projectionHead.forward(method.encoder.forward(x));
    const z1 = z(views[0]);
    const z2 = z(views[1]);
    const expected = Number(byolLoss(method.predictionHead.forward(z1), z2).item()) +
      Number(byolLoss(method.predictionHead.forward(z2), z1).item());
    assert.ok(Math.abs(Number(loss.item()) - expected) < 1e-5, `${Number(loss.item())} vs ${expected}`);
    assert.deepEqual(values(embedding!), values(z1));
  });

  it('lowers the loss over 15 LARS steps on a fixed batch, with a flat live-tensor count', () => {
    torch.manualSeed(4);
    const method = tiny();
    const views = fixedViews(method);
    const opt = new LARS(method.parameterGroups(1.5e-6), { lr: 1.0, momentum: 0.9 });
    const { losses, liveTensors } = trainSteps(method, opt, views, 15, 15);
    const before = mean(losses.slice(0, 3));
    const after = mean(losses.slice(-3));
    assert.ok(losses.every(Number.isFinite));
    assert.ok(after < before - 0.05, `loss ${before} -> ${after}`);
    assert.equal(method.currentMomentum, 1);
    const steady = liveTensors.slice(-5);
    assert.deepEqual(steady, Array(5).fill(steady[0]), `live tensors per step: ${liveTensors.join(', ')}`);
  });

  it('rejects bad options with actionable messages', () => {
    const bad = (options: unknown): ConstructorParameters<typeof BYOL>[0] => options as ConstructorParameters<typeof BYOL>[0];
    assert.throws(() => new BYOL(bad({ encoder: new SmallCnn() })),
      /BYOL needs two copies of the encoder \(online and target\/teacher\) but received an Encoder instance \(SmallCnn\); pass a registry name/);
    const shared = new SmallCnn({ width: 4 });
    assert.throws(() => new BYOL({ encoder: () => shared, hiddenDim: 8, outDim: 4 }),
      /the encoder factory returned the same Encoder twice/);
    assert.throws(() => new BYOL({ encoder: 'small_cnn', momentumBase: 1.5 }),
      /Expected a number in \[0, 1\] for BYOL option momentumBase but received 1.5/);
    assert.throws(() => new BYOL(bad({ encoder: 'small_cnn', momentum: 0.99 })),
      /Unknown option\(s\) 'momentum' for BYOL; expected some of encoder, encoderOptions, hiddenDim, outDim, momentumBase, recipe/);
    assert.throws(() => new BYOL({ encoder: 'small_cnn', outDim: 0 }), /Expected positive integer for BYOL option outDim but received 0/);
    assert.throws(() => new BYOL(bad({ encoder: 'small_cnn', encoderOptions: 3 })),
      /Expected an options object for BYOL option encoderOptions but received 3/);
    assert.throws(() => new BYOL(bad(null)), /Expected an options object for BYOL but received null/);
    const ok = new BYOL({ encoder: () => create('small_cnn', { width: 4 }), hiddenDim: 8, outDim: 4 });
    assert.notEqual(ok.targetEncoder, ok.encoder);
    assert.deepEqual(ok.config(), { encoder: 'custom', hiddenDim: 8, outDim: 4, momentumBase: 0.996 });
  });
});
