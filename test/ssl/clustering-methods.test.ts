// SwAV and DeepCluster v2 as Methods: the loss each step computes against
// the loss functions, the prototypes (normalised, frozen for the first
// steps; DeepCluster's set from k-means at an epoch's first step), the
// queue and the memory bank, a few steps lowering the loss on a fixed batch,
// and bad input (a batch too small for the prototypes, a queue not divisible
// by the batch, k larger than the bank).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { normalize } from '../../lib/nn/functional';
import { SGD } from '../../lib/optim/sgd';
import { SwAV } from '../../lib/ssl/swav';
import { DeepClusterV2 } from '../../lib/ssl/deepcluster-v2';
import { create } from '../../lib/ssl/registry';
import { deepClusterV2Loss, sinkhornKnopp, sphericalKMeans, swavLoss } from '../../lib/ssl/losses';
import { BATCH, fixedViews, mean, values } from './tiny-batch';
import { TrainProgress } from '../../lib/ssl/method';

const enc = (): { encoder: string; encoderOptions: Record<string, unknown> } => ({ encoder: 'small_cnn', encoderOptions: { width: 8 } });
const at = (step: number, epoch = 0, stepsPerEpoch = 100, indices?: Tensor): TrainProgress =>
  ({ step, totalSteps: 1000, epoch, stepsPerEpoch, indices });

function swav(extra: Partial<ConstructorParameters<typeof SwAV>[0]> = {}): SwAV {
  return new SwAV({ ...enc(), hiddenDim: 32, outDim: 16, numPrototypes: 12, queueLength: 0, localCrops: 2, localSize: 8, ...extra });
}

describe('ssl: SwAV and DeepCluster v2', function () {
  this.timeout(120_000);

  it('SwAV: normalised prototypes, Sinkhorn codes of the global crops predicted by the others', () => {
    torch.manualSeed(1);
    const method = swav({ temperature: 0.2, epsilon: 0.1, sinkhornIterations: 4 });
    method.train();
    const views = fixedViews(method);
    assert.equal(views.length, 4);
    torch.scope(() => {
      const { loss, embedding, logs } = method.trainingStep(views, at(0));
      const w = method.prototypes.weights()[0];
      values(w.norm(2, 1)).forEach((n) => assert.ok(Math.abs(n - 1) < 1e-5, `prototype norm ${n}`));
      const features = torch.cat([method.encoder.forward(torch.cat(views.slice(0, 2), 0)), method.encoder.forward(torch.cat(views.slice(2), 0))], 0);
      const z = normalize(method.projectionHead.forward(features), { dim: 1 });
      const scores = z.matmul(w.t());
      const codes = [0, 1].map((c) => sinkhornKnopp(scores.narrow(0, c * BATCH, BATCH).detach(), { epsilon: 0.1, iterations: 4 }));
      const expected = swavLoss(scores, codes, { temperature: 0.2 });
      assert.ok(Math.abs(Number(loss.item()) - Number(expected.item())) < 1e-5, `${Number(loss.item())} vs ${Number(expected.item())}`);
      assert.deepEqual(embedding!.shape, [BATCH, 16]);
      assert.equal(logs!.queue, 0);
    });
  });

  it('SwAV: prototypes keep their direction while frozen, then learn; the loss falls over 15 steps', () => {
    torch.manualSeed(2);
    const method = swav({ freezePrototypesSteps: 5 });
    const views = fixedViews(method);
    method.prototypes.normalize_();
    const w0 = values(method.prototypes.weights()[0]);
    const opt = new SGD(method.parameterGroups(0), { lr: 0.1, momentum: 0.9 });
    const losses: number[] = [];
    method.train();
    for (let step = 0; step < 15; step++) {
      losses.push(torch.scope(() => {
        opt.zeroGrad();
        const { loss } = method.trainingStep(views, at(step));
        loss.backward();
        method.beforeOptimizerStep(at(step));
        opt.step();
        method.afterOptimizerStep(at(step));
        return Number(loss.item());
      }));
      if (step === 4) {
        method.prototypes.normalize_();
        values(method.prototypes.weights()[0]).forEach((v, i) => assert.ok(Math.abs(v - w0[i]) < 1e-6, 'frozen prototypes moved'));
      }
    }
    method.prototypes.normalize_();
    assert.ok(values(method.prototypes.weights()[0]).some((v, i) => Math.abs(v - w0[i]) > 1e-4), 'prototypes learn after the freeze');
    assert.ok(mean(losses.slice(-3)) < mean(losses.slice(0, 3)) - 0.01, `losses ${losses.join(', ')}`);
  });

  it('SwAV: the queue fills from queueStartEpoch, is used once full, and widens Sinkhorn\'s batch', () => {
    torch.manualSeed(3);
    const method = swav({ numPrototypes: 40, queueLength: 32, queueStartEpoch: 2 });
    const views = fixedViews(method);
    const spe = 10;
    assert.equal(method.queueInUse(at(19, 1, spe), BATCH), false);
    assert.equal(method.queueInUse(at(21, 2, spe), BATCH), false);
    assert.equal(method.queueInUse(at(22, 2, spe), BATCH), true);
    method.train();
    torch.noGrad(() => torch.scope(() => {
      method.trainingStep(views, at(5, 0, spe));
      assert.ok(values(method.queues!.at(0).queue).every((v) => v === 0), 'no filling before queueStartEpoch');
      method.trainingStep(views, at(20, 2, spe));
      method.trainingStep(views, at(21, 2, spe));
      assert.ok(values(method.queues!.at(1).queue).every((v) => v !== 0));
      // In use: the codes now come from Sinkhorn over 32 queued + 16 batch rows.
      const { logs } = method.trainingStep(views, at(22, 2, spe));
      assert.equal(logs!.queue, 1);
    }));
    assert.deepEqual(values(method.queues!.at(0).ptr), [16]);
  });

  it('SwAV: a batch too small for the prototypes and a queue not divisible by the batch are refused', () => {
    const views = fixedViews(swav());
    const tooMany = swav({ numPrototypes: 40, queueLength: 0 });
    assert.throws(() => tooMany.trainingStep(views, at(0)),
      /SwAV needs batch size \+ queueLength >= numPrototypes, so that Sinkhorn-Knopp can share its samples among all prototypes: batch 16 \+ queueLength 0 < numPrototypes 40/);
    assert.throws(() => swav({ queueLength: 40 }).trainingStep(views, at(0)),
      /SwAV option queueLength 40 must be a multiple of the global batch size 16 \(each step replaces one batch of the queue\); use 48/);
    assert.throws(() => swav().trainingStep(views.slice(0, 1), at(0)), /SwAV expects at least 2 \(B, C, H, W\) crops/);
    assert.throws(() => swav({ epsilon: 0 }), /Expected a positive number for SwAV option epsilon but received 0/);
    assert.deepEqual(create('swav', swav().config() as never).config(), swav().config());
  });

  function dc(extra: Partial<ConstructorParameters<typeof DeepClusterV2>[0]> = {}): DeepClusterV2 {
    return new DeepClusterV2({ ...enc(), datasetSize: 40, hiddenDim: 32, outDim: 16, numPrototypes: [5, 7, 6], kmeansIterations: 4,
      localCrops: 2, localSize: 8, ...extra });
  }

  it('DeepCluster v2: k-means on the bank at an epoch\'s first step sets prototypes and assignments; the bank takes the batch', () => {
    torch.manualSeed(4);
    const method = dc({ temperature: 0.3 });
    const views = fixedViews(method);
    const indices = torch.arange(BATCH).mul(2); // images 0, 2, ..., 30
    const bank0 = method.memoryBank.clone();
    method.train();
    torch.scope(() => {
      const { loss } = method.trainingStep(views, at(300, 3, 100, indices));
      method.numPrototypes.forEach((k, h) => {
        const g = new torch.Generator().manualSeed(1000003 + 3);
        // Each set draws its initial rows from the same generator in order; replay the draws.
        const results = method.numPrototypes.slice(0, h + 1).map((kk, hh) =>
          sphericalKMeans(bank0.select(0, hh % 2), kk, { iterations: 4, generator: g }));
        assert.deepEqual(values(method.prototypes.weights()[h]), values(results[h].centroids), `prototypes of set ${h}`);
        assert.deepEqual(values(method.assignments.select(0, h)), values(results[h].assignments));
        assert.equal(method.prototypes.weights()[h].shape[0], k);
      });
      const features = torch.cat([method.encoder.forward(torch.cat(views.slice(0, 2), 0)), method.encoder.forward(torch.cat(views.slice(2), 0))], 0);
      const z = normalize(method.projectionHead.forward(features), { dim: 1 });
      const scores = method.prototypes.weights().map((w) => z.matmul(w.t()));
      const targets = method.numPrototypes.map((_, h) => method.assignments.select(0, h).indexSelect(0, indices));
      const expected = deepClusterV2Loss(scores, targets, { temperature: 0.3 });
      assert.ok(Math.abs(Number(loss.item()) - Number(expected.item())) < 1e-5);
      // Rows 0, 2, ... of both banks now hold the global crops' embeddings; odd rows are untouched.
      assert.deepEqual(values(method.memoryBank.select(0, 1).indexSelect(0, indices)), values(z.narrow(0, BATCH, BATCH)));
      assert.deepEqual(values(method.memoryBank.select(0, 0).select(0, 1)), values(bank0.select(0, 0).select(0, 1)));
    });
    // Not the first step of an epoch: no clustering.
    const before = values(method.prototypes.weights()[0]);
    torch.scope(() => method.trainingStep(views, at(301, 3, 100, indices)));
    assert.deepEqual(values(method.prototypes.weights()[0]), before);
    assert.ok(method.prototypes.parameters().every((p) => !p.requiresGrad));
  });

  it('sphericalKMeans: options.centroids are where the k-means starts (instead of bank rows); a wrong shape is refused', () => {
    const bank = normalize(torch.tensor([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9], [-1, 0.05]]), { dim: 1 });
    const start = normalize(torch.tensor([[1, 1], [-1, 0.2]]), { dim: 1 });
    const r0 = sphericalKMeans(bank, 2, { centroids: start, iterations: 0 });
    assert.deepEqual(values(r0.centroids), values(start));
    assert.deepEqual(values(r0.assignments), [0, 0, 0, 0, 1]);
    // One iteration: cluster 0 is the mean of rows 0-3, cluster 1 row 4.
    const r1 = sphericalKMeans(bank, 2, { centroids: start, iterations: 1 });
    const expected = normalize(torch.stack([bank.narrow(0, 0, 4).mean(0), bank.select(0, 4)], 0), { dim: 1 });
    assert.ok(Number(r1.centroids.sub(expected).abs().max().item()) < 1e-6);
    assert.throws(() => sphericalKMeans(bank, 2, { centroids: start.narrow(0, 0, 1) }),
      /Expected options.centroids of shape \[2, 2\] but received shape \[1, 2\]/);
  });

  it('DeepCluster v2: the loss falls over 15 steps within an epoch; bad input is refused', () => {
    torch.manualSeed(5);
    const method = dc();
    const views = fixedViews(method);
    const indices = torch.arange(BATCH);
    const opt = new SGD(method.parameterGroups(0), { lr: 0.1, momentum: 0.9 });
    method.train();
    const losses: number[] = [];
    for (let step = 0; step < 15; step++) {
      losses.push(torch.scope(() => {
        opt.zeroGrad();
        const { loss } = method.trainingStep(views, at(step, 0, 100, indices));
        loss.backward();
        opt.step();
        return Number(loss.item());
      }));
    }
    assert.ok(mean(losses.slice(-3)) < mean(losses.slice(0, 3)) - 0.01, `losses ${losses.join(', ')}`);
    assert.throws(() => dc({ numPrototypes: [5, 41] }),
      /DeepClusterV2: k-means needs k <= the memory bank's size: numPrototypes has k = 41 but the bank holds datasetSize = 40 embeddings per crop; lower k/);
    assert.throws(() => method.trainingStep(views, at(0)), /DeepClusterV2 needs the dataset indices of the batch's 16 images as progress.indices/);
    assert.throws(() => dc({ numPrototypes: [] }), /Expected a non-empty array of k for DeepClusterV2 option numPrototypes/);
    assert.throws(() => new DeepClusterV2({ ...enc() } as never), /Expected positive integer for DeepClusterV2 option datasetSize but received undefined/);
    assert.deepEqual(create('deepclusterv2', dc().config() as never).config(), dc().config());
  });
});
