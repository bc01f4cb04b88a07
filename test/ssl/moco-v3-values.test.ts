// MoCo v3 by value: the momentum log of a step is momentumAt(step), the
// update after the optimizer step is the EMA with that momentum (network and
// projection head), the schedule follows a change of totalSteps, and the
// refusals of a factory that returns one Encoder twice and of totalSteps 0.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { create as createModel } from '../../lib/models/registry';
import { Encoder } from '../../lib/models/encoder';
import { MoCoV2 } from '../../lib/ssl/moco-v2';
import { MoCoV3 } from '../../lib/ssl/moco-v3';
import { TrainProgress } from '../../lib/ssl/method';

const at = (step: number, totalSteps: number): TrainProgress => ({ step, totalSteps, epoch: 0, stepsPerEpoch: totalSteps });
const momentumAt = (base: number, step: number, total: number): number => 1 - ((1 - base) * (Math.cos((Math.PI * step) / total) + 1)) / 2;

function close(a: Tensor, b: Tensor, what: string, tol: number): void {
  const d = Number(a.detach().to('float64').sub(b.detach().to('float64')).abs().max().item());
  assert.ok(d <= tol, `${what}: differs by ${d}`);
}

function make(): MoCoV3 {
  torch.manualSeed(21);
  return new MoCoV3({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: 2 }, hiddenDim: 6, outDim: 5, momentumBase: 0.8 })
    .to({ dtype: 'float64' });
}

describe('ssl: MoCo v3 by value', function () {
  this.timeout(60000);

  it('logs momentumAt(step) and moves the momentum network by the EMA with it after the optimizer step', () => {
    const m = make();
    const g = new torch.Generator().manualSeed(22);
    const views = [0, 1].map(() => torch.randn([4, 1, 8, 8], { dtype: 'float64', generator: g }));
    const { logs } = m.trainingStep(views, at(3, 10));
    const expected = momentumAt(0.8, 3, 10);
    assert.ok(Math.abs(Number((logs!.momentum as Tensor).item()) - expected) < 1e-7, `momentum log ${String(logs!.momentum)}`);
    torch.noGrad(() => {
      const before = [...m.momentumEncoder.parameters(), ...m.momentumProjectionHead.parameters()].map((p) => p.clone());
      m.encoder.parameters().forEach((p) => p.add_(0.5));
      m.projectionHead.parameters().forEach((p) => p.sub_(0.25));
      m.afterOptimizerStep(at(3, 10));
      const online = [...m.encoder.parameters(), ...m.projectionHead.parameters()];
      [...m.momentumEncoder.parameters(), ...m.momentumProjectionHead.parameters()].forEach((p, i) =>
        close(p, before[i].mul(expected).add(online[i].mul(1 - expected)), `momentum parameter ${i}`, 1e-7));
    });
  });

  it('momentumAt follows totalSteps when it changes; totalSteps must be a positive integer', () => {
    const m = make();
    assert.ok(Math.abs(m.momentumAt(5, 10) - momentumAt(0.8, 5, 10)) < 1e-12);
    assert.ok(Math.abs(m.momentumAt(5, 20) - momentumAt(0.8, 5, 20)) < 1e-12);
    assert.ok(Math.abs(m.momentumAt(5, 10) - momentumAt(0.8, 5, 10)) < 1e-12);
    assert.throws(() => m.momentumAt(0, 0), (e: Error) => e.message === 'Expected positive integer for totalSteps but received 0');
  });

  it('MoCo v2 and v3 refuse a factory that returns the same Encoder twice', () => {
    const one = createModel('small_cnn', { width: 2, numClasses: 0 }) as Encoder;
    assert.throws(() => new MoCoV3({ encoder: () => one, hiddenDim: 6, outDim: 5 }), (e: Error) =>
      e.message === 'MoCoV3: the encoder factory returned the same Encoder twice; it must build a new one each call');
    assert.throws(() => new MoCoV2({ encoder: () => one, hiddenDim: 6, outDim: 5, queueLength: 8 }), (e: Error) =>
      e.message === 'MoCoV2: the encoder factory returned the same Encoder twice; it must build a new one each call');
    // MoCo's queue starts as random unit vectors ("initialize the queue"), not zeros.
    const queue = new MoCoV2({ encoder: 'small_cnn', encoderOptions: { width: 2 }, hiddenDim: 6, outDim: 5, queueLength: 8 }).queue.queue;
    Array.from(queue.norm(2, [1]).toTypedArray() as Float32Array).forEach((n) => assert.ok(Math.abs(n - 1) < 1e-5, `queue row norm ${n}`));
  });
});
