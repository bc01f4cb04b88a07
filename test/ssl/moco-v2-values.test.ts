// MoCo v2's step by value, in float64: the queries in bnGroups consecutive
// slices, the keys of the momentum network in bnGroups strided slices (the
// single-process shuffling BN) put back in order, InfoNCE against the queue
// at the temperature; after the optimizer step the EMA with `momentum` and
// the normalised keys written over the oldest rows of the queue, once.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { normalize } from '../../lib/nn/functional';
import { MoCoV2 } from '../../lib/ssl/moco-v2';
import { infoNceWithQueue } from '../../lib/ssl/losses/moco-loss';
import { TrainProgress } from '../../lib/ssl/method';

const B = 4;
const at: TrainProgress = { step: 0, totalSteps: 10, epoch: 0, stepsPerEpoch: 10 };
const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').contiguous().toTypedArray() as Float64Array);

function close(a: Tensor, b: Tensor, what: string, tol = 1e-12): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shape`);
  const d = Number(a.detach().to('float64').sub(b.detach().to('float64')).abs().max().item());
  assert.ok(d <= tol, `${what}: differs by ${d}`);
}

function make(bnGroups: number): MoCoV2 {
  torch.manualSeed(3);
  return new MoCoV2({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 2 }, hiddenDim: 6, outDim: 5,
    queueLength: 8, temperature: 0.3, momentum: 0.9, bnGroups }).to({ dtype: 'float64' });
}

function views(): Tensor[] {
  const g = new torch.Generator().manualSeed(4);
  return [0, 1].map(() => torch.randn([B, 1, 8, 8], { dtype: 'float64', generator: g }));
}

/** head(encoder(x)) of the rows `rows` of x. */
const net = (m: MoCoV2, momentum: boolean, x: Tensor, rows: number[]): Tensor => {
  const sub = x.indexSelect(0, torch.tensor(rows, { dtype: 'int64' }));
  return momentum ? m.momentumProjectionHead.forward(m.momentumEncoder.forward(sub)) : m.projectionHead.forward(m.encoder.forward(sub));
};

describe('ssl: MoCo v2 by value', function () {
  this.timeout(60000);

  for (const groups of [2, 1]) {
    it(`bnGroups ${groups}: queries and keys by batch-norm group, InfoNCE against the queue at tau 0.3`, () => {
      const m = make(groups);
      m.train();
      const [x1, x2] = views();
      const queue0 = m.queue.queue.clone();
      const { loss, embedding } = m.trainingStep([x1, x2], at);
      torch.noGrad(() => {
        // Queries: consecutive slices [0, 1], [2, 3] (or the whole batch).
        const q = groups === 1 ? net(m, false, x1, [0, 1, 2, 3]) : torch.cat([net(m, false, x1, [0, 1]), net(m, false, x1, [2, 3])], 0);
        // Keys: strided slices [0, 2], [1, 3] (sample i in group i mod 2), put back in order.
        let k: Tensor;
        if (groups === 1) {
          k = net(m, true, x2, [0, 1, 2, 3]);
        } else {
          const even = net(m, true, x2, [0, 2]);
          const odd = net(m, true, x2, [1, 3]);
          k = torch.stack([even.select(0, 0), odd.select(0, 0), even.select(0, 1), odd.select(0, 1)], 0);
        }
        close(embedding!, q, 'queries');
        close(loss, infoNceWithQueue(q, k, queue0, { temperature: 0.3 }), 'loss');
        // After the optimizer step: the EMA with momentum 0.9, then the normalised keys over rows 0..3.
        const before = m.momentumEncoder.parameters().map((p) => p.clone());
        const headBefore = m.momentumProjectionHead.parameters().map((p) => p.clone());
        m.encoder.parameters().forEach((p) => p.add_(0.5));
        m.projectionHead.parameters().forEach((p) => p.sub_(0.25));
        m.afterOptimizerStep(at);
        m.momentumEncoder.parameters().forEach((p, i) =>
          close(p, before[i].mul(0.9).add(m.encoder.parameters()[i].mul(0.1)), `momentum encoder ${i}`, 1e-7));
        m.momentumProjectionHead.parameters().forEach((p, i) =>
          close(p, headBefore[i].mul(0.9).add(m.projectionHead.parameters()[i].mul(0.1)), `momentum head ${i}`, 1e-7));
        // Normalised in float32 (k.float()), as the loss's keys on a GPU's autocast step.
        close(m.queue.queue.narrow(0, 0, B), normalize(k.to('float32'), { dim: 1 }), 'enqueued keys');
        close(m.queue.queue.narrow(0, B, B), queue0.narrow(0, B, B), 'older rows');
        assert.deepEqual(values(m.queue.ptr), [4]);
        // Enqueued once: a second call moves the EMA only.
        m.afterOptimizerStep(at);
        assert.deepEqual(values(m.queue.ptr), [4]);
      });
    });
  }

  it('refuses a batch bnGroups does not divide, and a queue the batch does not divide', () => {
    const [x1, x2] = views();
    assert.throws(() => make(3).trainingStep([x1, x2], at),
      (e: Error) => e.message === 'MoCoV2 option bnGroups 3 must divide the batch size 4 (the batch is normalised in equal groups)');
    torch.manualSeed(3);
    const m = new MoCoV2({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 2 }, hiddenDim: 6, outDim: 5, queueLength: 6,
      bnGroups: 1 }).to({ dtype: 'float64' });
    assert.throws(() => m.trainingStep([x1, x2], at), (e: Error) => e.message.startsWith('MoCoV2 option queueLength 6 must be a multiple'));
    assert.equal(new MoCoV2({ encoder: 'small_cnn', encoderOptions: { width: 2 }, outDim: 4, queueLength: 8 }).hiddenDim,
      8, 'hiddenDim defaults to the encoder\'s feature size');
  });
});
