// SimCLR: keys, recipe, one encoder pass over both views, the loss against a
// hand computation of NT-Xent, a few LARS steps lowering the loss, a flat
// live-tensor count, and actionable option errors.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { create } from '../../lib/models/registry';
import { SmallCnn } from '../../lib/models/small-cnn';
import { LARS } from '../../lib/optim/lars';
import { ntXent } from '../../lib/ssl/losses';
import { SIMCLR_RECIPE, SimCLR } from '../../lib/ssl/simclr';
import { BATCH, fixedViews, mean, progress, trainSteps, values } from './tiny-batch';

const ENCODER = { encoder: 'small_cnn', encoderOptions: { width: 8 } } as const;

function tiny(temperature = 0.5): SimCLR {
  return new SimCLR({ ...ENCODER, encoderOptions: { ...ENCODER.encoderOptions }, hiddenDim: 64, outDim: 32, temperature });
}

/** NT-Xent in plain JS doubles, from the definition (Chen et al. 2020, eq. 1). */
function ntXentByHand(z1: number[][], z2: number[][], tau: number): number {
  const unit = (v: number[]): number[] => {
    const n = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
    return v.map((x) => x / n);
  };
  const z = [...z1, ...z2].map(unit);
  const n = z1.length;
  let total = 0;
  for (let i = 0; i < 2 * n; i++) {
    const sim = z.map((v) => v.reduce((a, x, d) => a + x * z[i][d], 0) / tau);
    const positive = sim[(i + n) % (2 * n)];
    const denominator = sim.reduce((a, s, k) => (k === i ? a : a + Math.exp(s)), 0);
    total += Math.log(denominator) - positive;
  }
  return total / (2 * n);
}

describe('ssl: SimCLR', function () {
  this.timeout(60_000);

  it('registers encoder and projection_head with lightly/torchvision keys', () => {
    torch.manualSeed(0);
    const method = tiny();
    const keys = [...method.stateDict().keys()];
    assert.equal(keys[0], 'encoder.conv1.weight');
    assert.deepEqual(keys.filter((k) => k.startsWith('projection_head.')), [
      'projection_head.layers.0.weight', 'projection_head.layers.1.weight', 'projection_head.layers.1.bias',
      'projection_head.layers.1.running_mean', 'projection_head.layers.1.running_var',
      'projection_head.layers.1.num_batches_tracked', 'projection_head.layers.3.weight', 'projection_head.layers.3.bias',
    ]);
    assert.ok(keys.every((k) => k.startsWith('encoder.') || k.startsWith('projection_head.')));
    assert.equal(method.encoder.featureDim, 32);
    assert.deepEqual(method.stateDict().get('projection_head.layers.0.weight')!.shape, [64, 32]);
    assert.equal(method.name, 'simclr');
  });

  it('has the paper recipe, overridable, and a JSON config that rebuilds it', () => {
    assert.deepEqual(tiny().recipe, { optimizer: 'lars', lr: 0.3, lrScaling: 'linear', finalLrRatio: 0, weightDecay: 1e-6,
      momentum: 0.9, warmupEpochs: 10 });
    const method = new SimCLR({ encoder: 'small_cnn', encoderOptions: { width: 8 }, recipe: { lr: 0.075, lrScaling: 'sqrt' } });
    assert.equal(method.recipe.lr, 0.075);
    assert.equal(method.recipe.lrScaling, 'sqrt');
    assert.equal(SIMCLR_RECIPE.lr, 0.3);
    const config = JSON.parse(JSON.stringify(method.config())) as Record<string, unknown>;
    assert.deepEqual(config, { encoder: 'small_cnn', encoderOptions: { width: 8 }, hiddenDim: 2048, outDim: 128,
      temperature: 0.5, cropScale: [0.08, 1], recipe: { lr: 0.075, lrScaling: 'sqrt' } });
    const rebuilt = new SimCLR(config as unknown as ConstructorParameters<typeof SimCLR>[0]);
    assert.deepEqual(rebuilt.config(), config);
    assert.equal(rebuilt.numParameters(), method.numParameters());
  });

  it('runs the encoder once on both views and matches NT-Xent computed by hand', () => {
    torch.manualSeed(1);
    const method = tiny(0.5);
    method.train();
    const views = fixedViews(method);
    const batches: number[] = [];
    const forward = method.encoder.forward.bind(method.encoder);
    method.encoder.forward = (x: torch.Tensor) => {
      batches.push(x.shape[0]);
      return forward(x);
    };
    const { loss, embedding } = method.trainingStep(views, progress(0, 1));
    assert.deepEqual(batches, [2 * BATCH], 'one encoder call on the 2N images of both views');
    assert.deepEqual(embedding!.shape, [BATCH, 32]);
    // The same projections by hand (train mode: batch statistics over 2N, as trainingStep).
    const z = method.projectionHead.forward(method.encoder.forward(torch.cat(views, 0))); // (2B, 32)
    const z1 = z.narrow(0, 0, BATCH);
    const z2 = z.narrow(0, BATCH, BATCH);
    assert.ok(Math.abs(Number(loss.item()) - Number(ntXent(z1, z2, { temperature: 0.5 }).item())) < 1e-6);
    const rows = (t: torch.Tensor): number[][] => t.detach().toArray() as number[][];
    const byHand = ntXentByHand(rows(z1), rows(z2), 0.5);
    assert.ok(Math.abs(Number(loss.item()) - byHand) < 1e-5, `${Number(loss.item())} vs ${byHand}`);
    assert.deepEqual(values(embedding!), values(z1));
    // Separate passes per view normalise each view with its own statistics: a different loss.
    const perView = Number(ntXent(method.projectionHead.forward(method.encoder.forward(views[0])),
      method.projectionHead.forward(method.encoder.forward(views[1])), { temperature: 0.5 }).item());
    assert.ok(Math.abs(perView - Number(loss.item())) > 1e-4, `per-view ${perView} vs joint ${Number(loss.item())}`);
    loss.backward();
    assert.ok(method.parameters().every((p) => p.grad instanceof torch.Tensor), 'every parameter gets a gradient');
  });

  it('lowers the loss over 15 LARS steps on a fixed batch, with a flat live-tensor count', () => {
    torch.manualSeed(2);
    const method = tiny(0.5);
    const views = fixedViews(method);
    const groups = method.parameterGroups(1e-6);
    assert.equal(groups.length, 2);
    assert.equal(groups[0].params.length + groups[1].params.length, method.parameters().length);
    const opt = new LARS(groups, { lr: 1.0, momentum: 0.9 });
    const { losses, liveTensors } = trainSteps(method, opt, views, 15);
    const before = mean(losses.slice(0, 3));
    const after = mean(losses.slice(-3));
    assert.ok(losses.every(Number.isFinite));
    assert.ok(after < before - 0.05, `loss ${before} -> ${after}`);
    // After the first steps (optimizer state allocated), every step frees what it made.
    const steady = liveTensors.slice(-5);
    assert.deepEqual(steady, Array(5).fill(steady[0]), `live tensors per step: ${liveTensors.join(', ')}`);
  });

  it('accepts an Encoder instance or a factory', () => {
    const encoder = new SmallCnn({ width: 4 });
    const method = new SimCLR({ encoder, hiddenDim: 16, outDim: 8 });
    assert.equal(method.encoder, encoder);
    const fromFactory = new SimCLR({ encoder: () => create('small_cnn', { width: 4 }), hiddenDim: 16, outDim: 8 });
    assert.equal(fromFactory.encoder.featureDim, 16);
    assert.deepEqual(fromFactory.config(), { encoder: 'custom', hiddenDim: 16, outDim: 8, temperature: 0.5, cropScale: [0.08, 1] });
  });

  it('rejects bad options with actionable messages', () => {
    const bad = (options: unknown): ConstructorParameters<typeof SimCLR>[0] => options as ConstructorParameters<typeof SimCLR>[0];
    assert.throws(() => new SimCLR(bad({ encoder: 'small_cnn', temprature: 0.1 })),
      /Unknown option\(s\) 'temprature' for SimCLR; expected some of encoder, encoderOptions, hiddenDim, outDim, temperature, cropScale, recipe/);
    assert.throws(() => new SimCLR({ encoder: 'small_cnn', cropScale: [0.9, 0.2] }),
      /Expected \[low, high\] with low <= high with low >= 0 for SimCLR option cropScale but received \[0.9,0.2\]/);
    assert.throws(() => new SimCLR({ encoder: 'small_cnn', temperature: 0 }),
      /Expected a positive number for SimCLR option temperature but received 0/);
    assert.throws(() => new SimCLR(bad({ encoder: 'small_cnn', temperature: '0.1' })),
      /Expected a positive number for SimCLR option temperature but received '0.1'/);
    assert.throws(() => new SimCLR({ encoder: 'small_cnn', hiddenDim: -1 }),
      /Expected positive integer for SimCLR option hiddenDim but received -1/);
    assert.throws(() => new SimCLR({ encoder: 'resnet19' }), /Unknown model 'resnet19'. Did you mean 'resnet18'/);
    assert.throws(() => new SimCLR({ encoder: 'small_cnn', encoderOptions: { depth: 3 } }),
      /Unknown option\(s\) 'depth' for model 'small_cnn'/);
    assert.throws(() => new SimCLR({ encoder: () => new SmallCnn(), encoderOptions: { width: 8 } }),
      /SimCLR: encoderOptions apply only when encoder is a registry name/);
    assert.throws(() => new SimCLR(bad({ encoder: 42 })),
      /Expected a registry name, a factory \(\) => Encoder or an Encoder for SimCLR option encoder but received 42/);
    assert.throws(() => new SimCLR(bad({ encoder: SmallCnn })), /received a class; pass \(\) => new SmallCnn\(\.\.\.\) instead/);
    assert.throws(() => new SimCLR({ encoder: new SmallCnn({ numClasses: 10 }) }),
      /expected the encoder instance to give a feature encoder \(numClasses 0\) but it has numClasses 10/);
    assert.throws(() => new SimCLR(bad({ encoder: 'small_cnn', recipe: { lrr: 1 } })),
      /Unknown option\(s\) 'lrr' for SimCLR option recipe/);
    const method = new SimCLR({ encoder: 'small_cnn', encoderOptions: { width: 4 }, hiddenDim: 8, outDim: 4 });
    assert.throws(() => method.trainingStep([torch.zeros([2, 3, 8, 8])], progress(0, 1)),
      /SimCLR expects two views \[x1, x2\] \(as its augmentation\(\) gives\) but received 1 item\(s\)/);
    assert.throws(() => method.trainingStep([torch.zeros([2, 3, 8, 8]), torch.zeros([2, 3, 8, 4])], progress(0, 1)),
      /SimCLR expects two \(B, C, H, W\) views of the same shape but received \[2, 3, 8, 8\] and \[2, 3, 8, 4\]/);
  });
});
