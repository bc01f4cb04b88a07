// The step engine on its own (the Trainer's and the benchmarks' step): what a
// step reads back is what the request asks, by value, on the eager path and
// on the CUDA-graph path (rehearsed on the CPU). The method's loss is
// sum(C * w), so with SGD at lr 0.1 the loss of step k is known in closed
// form; its embedding is a fixed matrix, so the embedding spread is computed
// here from its definition (mean over dimensions of the batch std of the
// L2-normalised rows).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { isAutocastEnabled } from '../../lib/torch/autocast';
import { SmallCnn } from '../../lib/models/small-cnn';
import { VisionTransformer } from '../../lib/models/vit';
import { Method, ImageSpec, OptimizerRecipe, StepOutput, TrainProgress } from '../../lib/ssl/method';
import { MultiView, views } from '../../lib/data/transforms/multi-crop';
import { Normalize } from '../../lib/data/transforms/normalize';
import { ParamGroup } from '../../lib/optim/optimizer';
import { SGD } from '../../lib/optim/sgd';
import { autoChannelsLast, StepEngine, StepEngineOptions } from '../../lib/train/step-engine';
import { GradSync } from '../../lib/train/optimization-step';

const W0 = [1, -2];
const C = [3, 4];
const LR = 0.1;
/** The loss before step k: sum(C * (w0 - k * lr * C)). */
const lossAt = (k: number): number => C.reduce((s, c, i) => s + c * (W0[i] - k * LR * c), 0);
const EMBEDDING = [[1, 0, 2], [0, 1, 1], [3, 1, 0], [1, 1, 1]];

/** The embedding spread by its definition: rows L2-normalised, each column's unbiased std over the rows, their mean. */
function embStdOf(rows: number[][]): number {
  const unit = rows.map((r) => r.map((v) => v / Math.hypot(...r)));
  const stds = unit[0].map((_, j) => {
    const col = unit.map((r) => r[j]);
    const mean = col.reduce((a, b) => a + b, 0) / col.length;
    return Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / (col.length - 1));
  });
  return stds.reduce((a, b) => a + b, 0) / stds.length;
}

/** What the method saw in a step. */
interface Seen { autocast: boolean; channelsLast: boolean[]; capturing: boolean }

class Probe extends Method {
  readonly name = 'simclr' as const;
  override readonly capturable = true;
  readonly encoder = this.registerModule('encoder', new SmallCnn({ inChannels: 3, width: 4 }));
  readonly w = this.registerParameter('w', torch.tensor(W0).requiresGrad_(true));
  readonly c = this.registerBuffer('c', torch.tensor(C));
  /** Multiplies the loss: NaN makes the step diverge (a device value, so a captured step sees it too). */
  readonly factor = this.registerBuffer('factor', torch.tensor(1));
  readonly recipe: OptimizerRecipe = { optimizer: 'sgd', lr: LR, lrScaling: 'none', weightDecay: 0, warmupEpochs: 0 };
  readonly seen: Seen[] = [];
  readonly prepared: number[] = [];

  constructor(readonly outputs: { embedding: boolean; logs: boolean } = { embedding: true, logs: true }) {
    super();
  }

  augmentation(spec: ImageSpec): MultiView {
    return views(new Normalize({ mean: spec.mean, std: spec.std }), 1);
  }

  trainingStep(v: Tensor[], _progress: TrainProgress): StepOutput {
    this.seen.push({ autocast: isAutocastEnabled('cpu'), channelsLast: v.map((x) => x.dim() === 4 && x.stride()[1] === 1),
      capturing: torch.cuda.isCapturing() });
    const loss = this.w.mul(this.c).sum().mul(this.factor);
    return {
      loss,
      ...(this.outputs.embedding ? { embedding: torch.tensor(EMBEDDING) } : {}),
      ...(this.outputs.logs ? { logs: { half: loss.detach().mul(0.5), count: 3 } } : {}),
    };
  }

  override prepareStep(progress: TrainProgress): void {
    this.prepared.push(progress.step);
  }

  override parameterGroups(weightDecay: number): ParamGroup[] {
    return [{ params: [this.w], weightDecay }];
  }

  weights(): number[] {
    return Array.from(this.w.detach().to('float64').toTypedArray() as Float64Array);
  }
}

const progress = (step: number): TrainProgress => ({ step, totalSteps: 10, epoch: Math.floor(step / 4), stepsPerEpoch: 4 });
const input = (): Tensor[] => [torch.rand([4, 3, 4, 4])];
const near = (a: number, b: number, what: string): void => assert.ok(Math.abs(a - b) < 1e-5, `${what}: ${a} != ${b}`);
/** The logs of step k: the tensor log `half` (float32, so near) and the number log `count` (exact). */
function assertLogs(logs: Record<string, number> | undefined, k: number): void {
  assert.deepEqual(Object.keys(logs ?? {}).sort(), ['count', 'half']);
  near(logs!.half, lossAt(k) / 2, `half ${k}`);
  assert.equal(logs!.count, 3);
}

function engine(method: Probe, extra: Partial<StepEngineOptions> = {}, momentum = 0): StepEngine {
  const optimizer = new SGD(method.parameterGroups(0), { lr: LR, momentum });
  return new StepEngine(method, { optimizer, device: 'cpu', bf16: false, channelsLast: false, ...extra });
}

describe('train: the step engine reads back what is asked, by value', function () {
  this.timeout(60000);

  it('autoChannelsLast: on a CUDA device unless the encoder prefers not (a ViT); never on the CPU', () => {
    const cnn = new SmallCnn({ inChannels: 3, width: 4 });
    const vit = new VisionTransformer({ imgSize: 16, patchSize: 4, embedDim: 32, depth: 1, numHeads: 2, numClasses: 0 });
    assert.deepEqual([autoChannelsLast(cnn, 'cuda'), autoChannelsLast(cnn, 'cuda:1'), autoChannelsLast(cnn, 'cpu')], [true, true, false]);
    assert.deepEqual([autoChannelsLast(vit, 'cuda'), autoChannelsLast(vit, 'cpu')], [false, false]);
    cnn.dispose();
    vit.dispose();
  });

  it('eager: the loss, the embedding spread and the logs when asked; NaN and null when not', () => {
    const m = new Probe();
    const e = engine(m);
    assert.equal(e.isGraphed, false);
    const all = torch.scope(() => e.step(input(), progress(0), { readLoss: true, readLogs: true }));
    near(all.loss, lossAt(0), 'loss');
    near(all.embStd!, embStdOf(EMBEDDING), 'embStd');
    assertLogs(all.logs, 0);
    assert.deepEqual(torch.scope(() => e.step(input(), progress(1), { readLoss: false, readLogs: false })), { loss: NaN, embStd: null });
    const lossOnly = torch.scope(() => e.step(input(), progress(2), { readLoss: true, readLogs: false }));
    near(lossOnly.loss, lossAt(2), 'loss 2');
    assert.deepEqual(Object.keys(lossOnly).sort(), ['embStd', 'loss']);
    assert.equal(lossOnly.embStd, null);
    // Without a request (or without readLogs) the spread is not computed at all.
    torch.scope(() => assert.equal(e.stepTensors(input(), progress(3)).embStd, undefined));
    torch.scope(() => assert.equal(e.stepTensors(input(), progress(4), { readLoss: false, readLogs: false }).embStd, undefined));
    near(m.weights()[0], W0[0] - 5 * LR * C[0], 'five steps taken');
    e.dispose();
  });

  it('eager: embStd false leaves the spread out; a method without embedding or logs reads null and no logs', () => {
    const off = engine(new Probe(), { embStd: false });
    const r = torch.scope(() => off.step(input(), progress(0), { readLoss: true, readLogs: true }));
    assert.equal(r.embStd, null);
    assertLogs(r.logs, 0);
    off.dispose();
    const bare = engine(new Probe({ embedding: false, logs: false }));
    const b = torch.scope(() => bare.step(input(), progress(0), { readLoss: true, readLogs: true }));
    near(b.loss, lossAt(0), 'loss');
    assert.deepEqual([b.embStd, b.logs], [null, undefined]);
    bare.dispose();
  });

  it('a NaN loss stops the eager step before the weights change, naming the step, the epoch and the learning rate', () => {
    const m = new Probe();
    const e = engine(m);
    torch.noGrad(() => m.factor.fill_(NaN));
    const advice = 'check the input normalisation (mean/std of the data), or enable gradient clipping (--clip-grad 3)';
    assert.throws(() => torch.scope(() => e.step(input(), progress(5), { readLoss: true, readLogs: false, lr: 0.1 })),
      (err: Error) => err.message === `Loss is NaN at step 5 (epoch 1): training diverged. Lower the learning rate (--lr, now 0.100), ${advice}`);
    assert.deepEqual(m.weights(), W0, 'the weights changed before the NaN was seen');
    assert.throws(() => torch.scope(() => e.step(input(), progress(6), { readLoss: true, readLogs: false })),
      (err: Error) => err.message === `Loss is NaN at step 6 (epoch 1): training diverged. Lower the learning rate (--lr), ${advice}`);
    // Not reading the loss, the step is taken without a host read (and without the check).
    const r = torch.scope(() => e.step(input(), progress(7), { readLoss: false, readLogs: false }));
    assert.ok(Number.isNaN(r.loss) && Number.isNaN(m.weights()[0]));
    e.dispose();
  });

  it('graphed (rehearsed): prepareStep before each step, the same reads, number logs kept beside the graph outputs', () => {
    const m = new Probe();
    const e = engine(m, { graph: { mode: 'rehearse', warmupSteps: 1 } });
    assert.equal(e.isGraphed, true);
    for (let k = 0; k < 3; k++) {
      const r = e.step(input(), progress(k), { readLoss: true, readLogs: true });
      near(r.loss, lossAt(k), `loss ${k}`);
      near(r.embStd!, embStdOf(EMBEDDING), `embStd ${k}`);
      assertLogs(r.logs, k);
    }
    assert.deepEqual(m.prepared, [0, 1, 2]);
    assert.deepEqual(m.seen.map((s) => s.capturing), [false, true, true], 'one eager warm-up step, then the rehearsed captures');
    assert.deepEqual(e.step(input(), progress(3), { readLoss: false, readLogs: false }), { loss: NaN, embStd: null });
    // A NaN in a graphed step is found when the loss is read (after the step).
    torch.noGrad(() => m.factor.fill_(NaN));
    assert.throws(() => e.step(input(), progress(4), { readLoss: true, readLogs: false, lr: 0.5 }),
      /^Error: Loss is NaN at step 4 \(epoch 1\): training diverged\. Lower the learning rate \(--lr, now 0\.500\)/);
    e.dispose();
  });

  it('graphed: embStd false and a method without logs give null and no logs', () => {
    const off = engine(new Probe(), { graph: { mode: 'rehearse', warmupSteps: 1 }, embStd: false });
    const bare = engine(new Probe({ embedding: true, logs: false }), { graph: { mode: 'rehearse', warmupSteps: 1 } });
    for (let k = 0; k < 2; k++) {
      const a = off.step(input(), progress(k), { readLoss: true, readLogs: true });
      assert.equal(a.embStd, null);
      assertLogs(a.logs, k);
      const b = bare.step(input(), progress(k), { readLoss: true, readLogs: true });
      near(b.embStd!, embStdOf(EMBEDDING), 'embStd');
      assert.equal(b.logs, undefined);
    }
    off.dispose();
    bare.dispose();
  });

  it('views: channels-last only when asked and only for 4-D views; bfloat16 autocast on the step\'s device', () => {
    const m = new Probe();
    const flat = torch.rand([4, 3]);
    const cl = engine(m, { channelsLast: true });
    torch.scope(() => cl.step([torch.rand([4, 3, 4, 4]), flat], progress(0), { readLoss: false, readLogs: false }));
    const plain = engine(m);
    torch.scope(() => plain.step([torch.rand([4, 3, 4, 4])], progress(1), { readLoss: false, readLogs: false }));
    const bf16 = engine(m, { bf16: true });
    torch.scope(() => bf16.step(input(), progress(2), { readLoss: false, readLogs: false }));
    assert.deepEqual(m.seen.map((s) => [s.channelsLast, s.autocast]), [[[true, false], false], [[false], false], [[false], true]]);
    for (const e of [cl, plain, bf16]) e.dispose();
  });

  it('a data-parallel step is eager: gradSync is called around the forward, and refused with a graph', () => {
    const calls: string[] = [];
    const gradSync: GradSync = {
      beforeForward: () => calls.push('before'),
      afterForward: (out) => calls.push(`after ${Number(out.loss.item())}`),
    };
    const m = new Probe();
    assert.throws(() => engine(m, { gradSync, graph: { mode: 'rehearse' } }), (err: Error) => err.message ===
      'StepEngine: a data-parallel step (gradSync) cannot be captured into a CUDA graph (its collectives block on the host): ' +
      'use graph undefined');
    const e = engine(m, { gradSync });
    torch.scope(() => e.step(input(), progress(0), { readLoss: false, readLogs: false }));
    assert.deepEqual(calls, ['before', `after ${lossAt(0)}`]);
    e.dispose();
  });

  it('dispose frees the optimizer\'s state and the gradients, and keeps the weights', () => {
    const m = new Probe();
    const e = engine(m, {}, 0.9);
    torch.scope(() => e.step(input(), progress(0), { readLoss: false, readLogs: false }));
    assert.equal(e.options.optimizer.state.size, 1, 'momentum buffer');
    assert.notEqual(m.w.grad, undefined);
    e.dispose();
    assert.equal(e.options.optimizer.state.size, 0);
    assert.equal(m.w.grad, undefined);
    near(m.weights()[1], W0[1] - LR * C[1], 'weights kept');
  });
});
