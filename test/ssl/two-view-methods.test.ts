// SimSiam, Barlow Twins, VICReg, MoCo v2 and MoCo v3 as Methods: their keys,
// recipes and configs, the loss each step computes against the loss
// functions on the networks' outputs, every option reaching where it acts,
// a few steps lowering the loss on a fixed batch with a flat live-tensor
// count, MoCo v2's queue as a device ring buffer, and bad input.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { normalize } from '../../lib/nn/functional';
import { SGD } from '../../lib/optim/sgd';
import { Method } from '../../lib/ssl/method';
import { SimSiam } from '../../lib/ssl/simsiam';
import { BarlowTwins } from '../../lib/ssl/barlow-twins';
import { VICReg } from '../../lib/ssl/vicreg';
import { MoCoV2 } from '../../lib/ssl/moco-v2';
import { MoCoV3 } from '../../lib/ssl/moco-v3';
import { create } from '../../lib/ssl/registry';
import { barlowTwinsLoss, infoNceWithQueue, mocoV3Loss, simsiamLoss, vicregTerms } from '../../lib/ssl/losses';
import { BATCH, fixedViews, mean, progress, trainSteps, values } from './tiny-batch';
import { Trainer } from '../../lib/train/trainer';
import { synthetic } from '../../lib/data/synthetic';

const CNN = { encoder: 'small_cnn', encoderOptions: { width: 8 } } as const;
const enc = (): { encoder: string; encoderOptions: Record<string, unknown> } => ({ encoder: CNN.encoder, encoderOptions: { ...CNN.encoderOptions } });

const builders: Record<string, () => Method> = {
  simsiam: () => new SimSiam({ ...enc(), hiddenDim: 64, outDim: 32, predHiddenDim: 16 }),
  barlow_twins: () => new BarlowTwins({ ...enc(), hiddenDim: 64, outDim: 64 }),
  vicreg: () => new VICReg({ ...enc(), hiddenDim: 64, outDim: 64 }),
  mocov2: () => new MoCoV2({ ...enc(), hiddenDim: 64, outDim: 32, queueLength: 64 }),
  mocov3: () => new MoCoV3({ ...enc(), hiddenDim: 64, outDim: 32 }),
};

/** Runs one step's forward in train mode and returns the loss as a number. */
function lossOf(method: Method, views: Tensor[]): number {
  method.train();
  return torch.scope(() => Number(method.trainingStep(views, progress(0, 10)).loss.item()));
}

describe('ssl: SimSiam, Barlow Twins, VICReg, MoCo v2, MoCo v3', function () {
  this.timeout(120_000);

  for (const [name, build] of Object.entries(builders)) {
    it(`${name}: lowers the loss over 15 SGD steps on a fixed batch, with a flat live-tensor count; config rebuilds it`, () => {
      torch.manualSeed(10);
      const method = build();
      assert.equal(method.name, name);
      const views = fixedViews(method);
      const lr = name === 'vicreg' || name === 'barlow_twins' ? 0.02 : 0.1;
      const opt = new SGD(method.parameterGroups(0), { lr, momentum: 0.9 });
      const { losses, liveTensors } = trainSteps(method, opt, views, 15, 15);
      assert.ok(losses.every(Number.isFinite), `losses ${losses.join(', ')}`);
      // NOTE: MoCo v2 on a fixed batch: its queue (4 batches) fills with this batch's own keys over the
      // first 4 steps, which raises the loss (the negatives become the positives' near-copies); from
      // then on the queue holds only this batch and the loss must fall.
      const skip = name === 'mocov2' ? 4 : 0;
      const before = mean(losses.slice(skip, skip + 3));
      const after = mean(losses.slice(-3));
      assert.ok(after < before - 0.01 * Math.max(1, Math.abs(before)), `${name} loss ${before} -> ${after}: ${losses.join(', ')}`);
      const steady = liveTensors.slice(-5);
      assert.deepEqual(steady, Array(5).fill(steady[0]), `live tensors per step: ${liveTensors.join(', ')}`);
      const rebuilt = create(name as 'simsiam', method.config() as never);
      assert.deepEqual([...rebuilt.stateDict().keys()], [...method.stateDict().keys()]);
      assert.deepEqual(rebuilt.config(), method.config());
    });
  }

  it('SimSiam: the loss is the symmetrised stop-gradient cosine of its heads; options reach the heads', () => {
    torch.manualSeed(1);
    const method = builders.simsiam() as SimSiam;
    method.train();
    const views = fixedViews(method);
    torch.scope(() => {
      const { loss, embedding, logs } = method.trainingStep(views, progress(0, 1));
      const z = (x: Tensor): Tensor => method.projectionHead.forward(method.encoder.forward(x));
      const z1 = z(views[0]);
      const z2 = z(views[1]);
      const expected = simsiamLoss(method.predictionHead.forward(z1), z2).div(2)
        .add(simsiamLoss(method.predictionHead.forward(z2), z1).div(2));
      assert.ok(Math.abs(Number(loss.item()) - Number(expected.item())) < 1e-5);
      assert.deepEqual(values(embedding!), values(z1));
      const rank = Number((logs!.rank as Tensor).item());
      assert.ok(rank > 1 && rank <= BATCH, `rank ${rank}`);
    });
    const sd = method.stateDict();
    assert.deepEqual(sd.get('projection_head.layers.0.weight')!.shape, [64, 32]);
    assert.deepEqual(sd.get('prediction_head.layers.0.weight')!.shape, [16, 32]);
    assert.equal(sd.get('projection_head.layers.7.weight'), undefined, 'the output BN has no affine parameters');
    assert.ok(sd.has('projection_head.layers.7.running_mean'));
    const two = new SimSiam({ ...enc(), hiddenDim: 64, outDim: 32, projectorLayers: 2 });
    assert.equal([...two.projectionHead.layers].length, 5);
    assert.deepEqual(method.recipe, { optimizer: 'sgd', lr: 0.05, lrScaling: 'linear', finalLrRatio: 0, weightDecay: 1e-4,
      momentum: 0.9, warmupEpochs: 0 });
    assert.throws(() => new SimSiam({ ...enc(), projectorLayers: 0 }), /Expected positive integer for SimSiam option projectorLayers but received 0/);
  });

  it('Barlow Twins and VICReg: the loss is their loss function on the projections, with lambda and the weights applied', () => {
    torch.manualSeed(2);
    for (const lambda of [5e-3, 0.5]) {
      const method = new BarlowTwins({ ...enc(), hiddenDim: 32, outDim: 48, lambda });
      method.train();
      const views = fixedViews(method);
      torch.scope(() => {
        const { loss } = method.trainingStep(views, progress(0, 1));
        const z = (x: Tensor): Tensor => method.projectionHead.forward(method.encoder.forward(x));
        const expected = barlowTwinsLoss(z(views[0]), z(views[1]), { lambda });
        assert.ok(Math.abs(Number(loss.item()) - Number(expected.item())) < 1e-4 * Number(expected.item()));
      });
      assert.deepEqual(method.stateDict().get('projection_head.layers.6.weight')!.shape, [48, 32]);
      assert.equal(method.stateDict().get('projection_head.layers.0.bias'), undefined, 'Barlow Twins: no biases');
    }
    const weights = { simCoeff: 3, stdCoeff: 7, covCoeff: 11 };
    const method = new VICReg({ ...enc(), hiddenDim: 32, outDim: 48, ...weights });
    method.train();
    const views = fixedViews(method);
    torch.scope(() => {
      const { loss, logs } = method.trainingStep(views, progress(0, 1));
      const z = (x: Tensor): Tensor => method.projectionHead.forward(method.encoder.forward(x));
      const t = vicregTerms(z(views[0]), z(views[1]));
      const expected = 3 * Number(t.invariance.item()) + 7 * Number(t.variance.item()) + 11 * Number(t.covariance.item());
      assert.ok(Math.abs(Number(loss.item()) - expected) < 1e-4 * expected);
      assert.ok(Math.abs(Number((logs!.variance as Tensor).item()) - Number(t.variance.item())) < 1e-6);
    });
    assert.ok(method.stateDict().has('projection_head.layers.0.bias'), 'VICReg: the expander keeps hidden biases');
    assert.deepEqual(new VICReg({ ...enc() }).config(), { ...enc(), hiddenDim: 8192, outDim: 8192, simCoeff: 25, stdCoeff: 25, covCoeff: 1 });
  });

  it('MoCo v2: InfoNCE against the queue, the queue a device ring buffer filled inside the step, the key network an EMA', () => {
    torch.manualSeed(3);
    const method = new MoCoV2({ ...enc(), hiddenDim: 32, outDim: 16, queueLength: 48, temperature: 0.3, momentum: 0.9, bnGroups: 2 });
    const views = fixedViews(method);
    const queue0 = values(method.queue.queue);
    const keyBefore = values(method.momentumEncoder.parameters()[0]);
    const opt = new SGD(method.parameterGroups(0), { lr: 0.1 });
    method.train();
    let keys: number[] = [];
    torch.scope(() => {
      opt.zeroGrad();
      const { loss } = method.trainingStep(views, progress(0, 3));
      // The loss against the queue before this step's keys join it.
      const k = torch.noGrad(() => {
        const g = 2;
        const x = views[1];
        const strided = torch.arange(BATCH).view([BATCH / g, g]).t().reshape([-1]);
        const back = torch.arange(BATCH).view([g, BATCH / g]).t().reshape([-1]);
        const parts = x.indexSelect(0, strided).chunk(g, 0)
          .map((p) => method.momentumProjectionHead.forward(method.momentumEncoder.forward(p)));
        return torch.cat(parts, 0).indexSelect(0, back);
      });
      const qParts = views[0].chunk(2, 0).map((p) => method.projectionHead.forward(method.encoder.forward(p)));
      const expected = infoNceWithQueue(torch.cat(qParts, 0), k, method.queue.queue, { temperature: 0.3 });
      assert.ok(Math.abs(Number(loss.item()) - Number(expected.item())) < 1e-5, `${Number(loss.item())} vs ${Number(expected.item())}`);
      keys = values(normalize(k, { dim: 1 }));
      loss.backward();
      opt.step();
      method.afterOptimizerStep(progress(0, 3));
    });
    const queue1 = values(method.queue.queue);
    const d = 16;
    // Rows 0..B-1 now hold this step's normalised keys; the rest is unchanged.
    keys.forEach((v, i) => assert.ok(Math.abs(queue1[i] - v) < 1e-5, `queue[${Math.floor(i / d)}]`));
    for (let i = BATCH * d; i < queue1.length; i++) assert.equal(queue1[i], queue0[i]);
    assert.deepEqual(values(method.queue.ptr), [BATCH]);
    const onlineNow = values(method.encoder.parameters()[0]);
    values(method.momentumEncoder.parameters()[0]).forEach((v, i) =>
      assert.ok(Math.abs(v - (0.9 * keyBefore[i] + 0.1 * onlineNow[i])) < 1e-6));
    // Two more steps: the pointer wraps around (48 = 3 batches of 16).
    trainSteps(method, opt, views, 2, 3);
    assert.deepEqual(values(method.queue.ptr), [0]);
    assert.equal(method.queue.queue.device, 'cpu');
    assert.ok(method.stateDict().has('queue.queue') && method.stateDict().has('queue.ptr'));
  });

  it('MoCo v2: bnGroups changes the batch statistics (1 = one group), and bad batches are refused', () => {
    torch.manualSeed(4);
    const views = fixedViews(builders.mocov2());
    const losses = [1, 4].map((bnGroups) => {
      torch.manualSeed(4);
      return lossOf(new MoCoV2({ ...enc(), hiddenDim: 32, outDim: 16, queueLength: 64, bnGroups }), views);
    });
    assert.notEqual(losses[0], losses[1]);
    const bad = new MoCoV2({ ...enc(), hiddenDim: 32, outDim: 16, queueLength: 40 });
    assert.throws(() => lossOf(bad, views),
      /MoCoV2 option queueLength 40 must be a multiple of the batch size 16 \(each step replaces one batch of the queue\); use a queue length such as 48/);
    const groups = new MoCoV2({ ...enc(), hiddenDim: 32, outDim: 16, queueLength: 64, bnGroups: 3 });
    assert.throws(() => lossOf(groups, views), /MoCoV2 option bnGroups 3 must divide the batch size 16/);
    assert.throws(() => new MoCoV2({ ...enc(), momentum: 2 }), /Expected a number in \[0, 1\] for MoCoV2 option momentum but received 2/);
    assert.throws(() => new MoCoV2({ encoder: create('simclr', { ...enc() }).encoder as never }),
      /MoCoV2 needs two copies of the encoder/);
    assert.deepEqual(new MoCoV2({ ...enc(), queueLength: 32 }).queue.queue.shape, [32, 128]);
  });

  it('the five steps follow the CUDA-graph capture rules (rehearsed on the CPU) and give the eager losses; MoCo v2 enqueues inside them', async () => {
    const data = synthetic({ n: 64, channels: 1, size: 16, classes: 4, seed: 1 });
    const small = { encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 4 } };
    const options: Record<string, Record<string, unknown>> = {
      simsiam: { hiddenDim: 16, outDim: 8, predHiddenDim: 4 }, barlow_twins: { hiddenDim: 16, outDim: 16 },
      vicreg: { hiddenDim: 16, outDim: 16 }, mocov2: { hiddenDim: 16, outDim: 8, queueLength: 48 }, mocov3: { hiddenDim: 16, outDim: 8 },
    };
    for (const [name, o] of Object.entries(options)) {
      const run = async (cudaGraph: false | 'rehearse'): Promise<{ losses: number[]; method: Method }> => {
        torch.manualSeed(1);
        const method = create(name as 'simsiam', { ...small, ...o } as never);
        assert.equal(method.capturable, true, name);
        const losses: number[] = [];
        await new Trainer(method, { data, batchSize: 16, steps: 5, progress: 'none', logEvery: 1, handleSigint: false, cudaGraph,
          onLog: (r) => { if (r.type === 'step') losses.push(r.loss); } }).fit();
        return { losses, method };
      };
      const eager = await run(false);
      const graphed = await run('rehearse');
      // NOTE: MoCo v3's momentum comes from a float32 device scalar in the graphed run (a double on the host in the eager one).
      graphed.losses.forEach((l, i) => assert.ok(Math.abs(l - eager.losses[i]) < 1e-5, `${name} step ${i}: ${l} vs ${eager.losses[i]}`));
      if (name === 'mocov2') assert.deepEqual(values((graphed.method as MoCoV2).queue.ptr), [32], '5 steps of 16 in a queue of 48');
    }
  });

  it('MoCo v3: the symmetric loss with 2 tau scaling, the cosine momentum, ViT defaults and the frozen patch projection', () => {
    torch.manualSeed(5);
    const method = new MoCoV3({ ...enc(), hiddenDim: 32, outDim: 16, temperature: 0.5, momentumBase: 0.9 });
    method.train();
    const views = fixedViews(method);
    torch.scope(() => {
      const { loss } = method.trainingStep(views, progress(0, 1));
      const z = (x: Tensor): Tensor => method.projectionHead.forward(method.encoder.forward(x));
      const k = (x: Tensor): Tensor => method.momentumProjectionHead.forward(method.momentumEncoder.forward(x));
      const q1 = method.predictionHead.forward(z(views[0]));
      const q2 = method.predictionHead.forward(z(views[1]));
      const expected = mocoV3Loss(q1, k(views[1]), { temperature: 0.5 }).add(mocoV3Loss(q2, k(views[0]), { temperature: 0.5 }));
      assert.ok(Math.abs(Number(loss.item()) - Number(expected.item())) < 1e-5);
    });
    assert.equal(method.momentumAt(0, 100), 0.9);
    assert.ok(Math.abs(method.momentumAt(100, 100) - 1) < 1e-12);
    assert.equal([...method.projectionHead.layers].length, 5, 'a 2-layer projector after a CNN');
    assert.equal(method.recipe.optimizer, 'lars');
    const vit = new MoCoV3({ encoder: 'vit_tiny_patch4_224', encoderOptions: { imgSize: 16 }, hiddenDim: 32, outDim: 16,
      freezePatchEmbed: true });
    assert.equal(vit.temperature, 0.2);
    assert.equal(vit.recipe.optimizer, 'adamw');
    assert.equal([...vit.projectionHead.layers].length, 8, 'a 3-layer projector after a ViT');
    const patch = (vit.encoder as unknown as { patchEmbed: { parameters(): Tensor[] } }).patchEmbed.parameters();
    const before = patch.map(values);
    const grouped = new Set(vit.parameterGroups(0.1).flatMap((g) => g.params));
    assert.ok(patch.every((p) => !grouped.has(p) && !p.requiresGrad));
    const vitViews = fixedViews(vit);
    trainSteps(vit, new SGD(vit.parameterGroups(0), { lr: 0.1 }), vitViews, 2, 2);
    patch.forEach((p, i) => assert.deepEqual(values(p), before[i]));
    assert.throws(() => new MoCoV3({ ...enc(), freezePatchEmbed: true }), /MoCoV3 option freezePatchEmbed needs a Vision Transformer encoder \(vit_\*\) but the encoder is SmallCnn/);
  });
});
