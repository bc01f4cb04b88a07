// SwAV's step by value, in float64: the codes of each global crop are
// Sinkhorn's (epsilon, iterations) of its scores with the queue's scores in
// front once the queue is in use, and of its scores alone while the queue
// only fills; the queue takes the crop's embeddings after its scores are
// read; queueInUse's bounds; the prototypes' gradients zeroed before step
// freezePrototypesSteps only; a batch equal to the prototypes accepted;
// no queue (queueLength 0) never fills or uses one.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { normalize } from '../../lib/nn/functional';
import { SwAV } from '../../lib/ssl/swav';
import { forwardByResolution } from '../../lib/ssl/crops-forward';
import { sinkhornKnopp, swavLoss } from '../../lib/ssl/losses/swav-loss';
import { TrainProgress } from '../../lib/ssl/method';

const B = 4;
const at = (step: number, epoch: number, stepsPerEpoch = 10): TrainProgress => ({ step, totalSteps: 100, epoch, stepsPerEpoch });

function close(a: Tensor, b: Tensor, what: string, tol = 1e-12): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  const d = Number(a.detach().to('float64').sub(b.detach().to('float64')).abs().max().item());
  assert.ok(d <= tol, `${what}: differs by ${d}`);
}

function make(extra: Record<string, unknown> = {}): SwAV {
  torch.manualSeed(8);
  return new SwAV({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 2 }, hiddenDim: 6, outDim: 5, numPrototypes: 7,
    temperature: 0.3, epsilon: 0.2, sinkhornIterations: 2, queueLength: 8, queueStartEpoch: 1, freezePrototypesSteps: 3,
    localCrops: 1, ...extra } as never).to({ dtype: 'float64' });
}

function crops(seed = 9): Tensor[] {
  const g = new torch.Generator().manualSeed(seed);
  return [8, 8, 4].map((s) => torch.randn([B, 1, s, s], { dtype: 'float64', generator: g }));
}

/** The embeddings (3B, outDim) and scores (3B, K) of the crops, by hand. */
function embed(m: SwAV, views: Tensor[]): { z: Tensor; scores: Tensor } {
  const z = normalize(m.projectionHead.forward(forwardByResolution(m.encoder, views)), { dim: 1 });
  return { z, scores: z.matmul(m.prototypes.weights()[0].t()) };
}

describe('ssl: SwAV by value', function () {
  this.timeout(60000);

  it('queueInUse: from queueStartEpoch, once queueLength / batch steps of that epoch have filled it; never without a queue', () => {
    const m = make({ queueLength: 16, queueStartEpoch: 2 });
    assert.equal(m.queueInUse(at(500, 1), B), false, 'before queueStartEpoch, whatever the step');
    assert.equal(m.queueInUse(at(23, 2), B), false, '3 batches of 4 since step 20');
    assert.equal(m.queueInUse(at(24, 2), B), true, '4 batches of 4 fill 16 rows');
    assert.equal(m.queueInUse(at(22, 2), 8), true, 'the batch given is the global one');
    const none = make({ queueLength: 0, numPrototypes: 4 });
    assert.equal(none.queues, undefined);
    assert.equal(none.queueInUse(at(500, 50), B), false);
    // No queue at an epoch past queueStartEpoch: nothing to fill or use.
    const views = crops();
    const { loss, logs } = none.trainingStep(views, at(500, 50));
    assert.equal(logs!.queue, 0);
    torch.noGrad(() => {
      const { scores } = embed(none, views);
      const codes = [0, 1].map((c) => sinkhornKnopp(scores.narrow(0, c * B, B), { epsilon: 0.2, iterations: 2 }));
      close(loss, swavLoss(scores, codes, { temperature: 0.3 }), 'loss without a queue');
    });
  });

  it('filling (epoch 1, step 10): codes of the batch alone, then the embeddings enqueued', () => {
    const m = make();
    m.train();
    const views = crops();
    const { loss, logs } = m.trainingStep(views, at(10, 1));
    assert.equal(logs!.queue, 0);
    torch.noGrad(() => {
      const { z, scores } = embed(m, views);
      const codes = [0, 1].map((c) => sinkhornKnopp(scores.narrow(0, c * B, B), { epsilon: 0.2, iterations: 2 }));
      close(loss, swavLoss(scores, codes, { temperature: 0.3 }), 'loss');
      [0, 1].forEach((c) => {
        close(m.queues!.at(c).queue.narrow(0, 0, B), z.narrow(0, c * B, B), `queue ${c}: crop ${c}'s embeddings`);
        assert.deepEqual(m.queues!.at(c).queue.narrow(0, B, B).abs().sum().item(), 0);
      });
    });
  });

  it('in use (epoch 1, step 12): Sinkhorn over the queue\'s scores then the batch\'s, the batch\'s rows of the codes', () => {
    const m = make();
    m.train();
    torch.noGrad(() => {
      m.trainingStep(crops(1), at(10, 1));
      m.trainingStep(crops(2), at(11, 1));
    });
    const queues = [0, 1].map((c) => m.queues!.at(c).queue.clone());
    const views = crops(3);
    const { loss, logs } = m.trainingStep(views, at(12, 1));
    assert.equal(logs!.queue, 1);
    torch.noGrad(() => {
      const { z, scores } = embed(m, views);
      const w = m.prototypes.weights()[0];
      const codes = [0, 1].map((c) => {
        const all = torch.cat([queues[c].matmul(w.t()), scores.narrow(0, c * B, B)], 0); // (8 + B, K)
        return sinkhornKnopp(all, { epsilon: 0.2, iterations: 2 }).narrow(0, 8, B);
      });
      close(loss, swavLoss(scores, codes, { temperature: 0.3 }), 'loss');
      // The ring buffer: the oldest rows (0..3) replaced by this step's embeddings after they were scored.
      [0, 1].forEach((c) => {
        close(m.queues!.at(c).queue.narrow(0, 0, B), z.narrow(0, c * B, B), `queue ${c} rows 0..3`);
        close(m.queues!.at(c).queue.narrow(0, B, B), queues[c].narrow(0, B, B), `queue ${c} rows 4..7`);
      });
    });
  });

  it('beforeOptimizerStep zeroes the prototypes\' gradients before step freezePrototypesSteps only; no gradient is no error', () => {
    const m = make();
    m.train();
    m.beforeOptimizerStep(at(0, 0));
    const views = crops();
    for (const step of [2, 3]) {
      m.zeroGrad();
      m.trainingStep(views, at(step, 0)).loss.backward();
      const g = m.prototypes.weights()[0].grad!;
      assert.ok(Number(g.abs().sum().item()) > 0);
      m.beforeOptimizerStep(at(step, 0));
      assert.equal(Number(g.abs().sum().item()) === 0, step === 2, `step ${step}`);
    }
  });

  it('accepts a batch equal to numPrototypes (no queue)', () => {
    const m = make({ queueLength: 0, numPrototypes: 4 });
    assert.equal(Number.isFinite(Number(m.trainingStep(crops(), at(0, 0)).loss.item())), true);
    assert.throws(() => make({ queueLength: 0, numPrototypes: 5 }).trainingStep(crops(), at(0, 0)), (e: Error) => e.message ===
      'SwAV needs batch size + queueLength >= numPrototypes, so that Sinkhorn-Knopp can share its samples among all prototypes: ' +
      'batch 4 + queueLength 0 < numPrototypes 5; use a larger batch, a queue (queueLength) or fewer prototypes');
  });
});
