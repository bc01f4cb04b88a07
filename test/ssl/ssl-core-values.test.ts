// The shared parts of lib/ssl by value: the EMA (a tensor momentum, the
// schedule's base and final), the embedding queue (initial rows, the ring
// buffer's writes and position, the batch check's suggestion), RankMe's
// effective rank against the singular values by hand, the multi-crop forward's
// grouping by resolution, the encoder specs and recipes, the registry, the
// Method base class (parameter groups, step values, config), and the encoder
// a run's config rebuilds; every refusal by its exact message.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { Module } from '../../lib/nn/module';
import { Linear } from '../../lib/nn/layers/linear';
import { create as createModel } from '../../lib/models/registry';
import { Encoder } from '../../lib/models/encoder';
import { emaUpdate_, initTeacher, momentumSchedule } from '../../lib/ssl/ema';
import { EmbeddingQueue } from '../../lib/ssl/queue';
import { effectiveRank, rankLog } from '../../lib/ssl/collapse';
import { checkCrops, forwardByResolution } from '../../lib/ssl/crops-forward';
import { encoderConfig, makeEncoder } from '../../lib/ssl/encoder-spec';
import { resolveRecipe } from '../../lib/ssl/recipe';
import { create, list } from '../../lib/ssl/registry';
import { methodEncoder } from '../../lib/ssl/method-encoder';
import { SimCLR } from '../../lib/ssl/simclr';
import { BYOL } from '../../lib/ssl/byol';
import { Rotation as RotationMethod } from '../../lib/ssl/rotation';
import { LabEncoder } from '../../lib/ssl/pretext/lab-encoder';
import { refuses } from '../helpers/refuses';
import { near, nearAll } from '../helpers/assert-close';

const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
const num = (t: Tensor): number => Number(t.item());


/** An encoder that records the batch shapes it is called with and returns the per-sample pixel sums times (1, 2). */
class RecordingEncoder extends Module implements Encoder {
  readonly featureDim = 2;
  readonly numClasses = 0;
  readonly calls: number[][] = [];
  forward(x: Tensor): Tensor {
    this.calls.push([...x.shape]);
    const s = x.flatten(1).sum([1], true); // (B, 1)
    return torch.cat([s, s.mul(2)], 1);
  }
}

describe('ssl core by value (ema, queue, collapse, crops, encoder specs, recipe, registry, Method)', function () {
  this.timeout(60000);

  it('emaUpdate_ with a 0-d tensor momentum equals the number path; momentumSchedule base and final; no parameters', () => {
    torch.manualSeed(1);
    const student = new Linear(3, 2);
    const a = new Linear(3, 2);
    const b = new Linear(3, 2);
    b.loadStateDict(a.stateDict());
    const before = values(a.weight);
    const s = values(student.weight);
    emaUpdate_(a, student, torch.tensor(0.25, { dtype: 'float32' }));
    emaUpdate_(b, student, 0.25);
    nearAll(values(a.weight), before.map((v, i) => 0.25 * v + 0.75 * s[i]), 'tensor momentum');
    assert.deepEqual(values(a.weight), values(b.weight));
    assert.equal(a.weight.requiresGrad, true, 'the update runs without grad and leaves the flag alone');
    const tau = momentumSchedule({ base: 0.9, final: 0.95, totalSteps: 4 });
    nearAll([0, 1, 2, 3, 4].map((k) => tau(k)), [0, 1, 2, 3, 4].map((k) => 0.95 - (0.05 * (Math.cos((Math.PI * k) / 4) + 1)) / 2),
      'cosine from 0.9 to 0.95', 1e-12);
    emaUpdate_(new Module(), new Module(), 0.5); // nothing to pair: returns
    assert.throws(() => initTeacher(new Linear(3, 2), new Linear(3, 2, { bias: false })), /bias/, 'strict: a key the student lacks');
    refuses(() => emaUpdate_(a, student, -0.1), 'Expected a number in [0, 1] for momentum but received -0.1');
    refuses(() => momentumSchedule({ final: 1.5, totalSteps: 3 }), 'Expected a number in [0, 1] for final but received 1.5');
  });

  it('EmbeddingQueue: random unit rows or zeros; enqueue_ writes over the oldest rows and wraps the position', () => {
    torch.manualSeed(2);
    const q = new EmbeddingQueue(4, 3);
    const norms = (values(q.queue).reduce<number[][]>((r, v, i) => (i % 3 === 0 ? [...r, [v]] : (r[r.length - 1].push(v), r)), []))
      .map((r) => Math.hypot(...r));
    nearAll(norms, [1, 1, 1, 1], 'unit rows');
    assert.equal(new Set(values(q.queue)).size, 12, 'random');
    const z = new EmbeddingQueue(4, 3, { init: 'zeros' });
    assert.deepEqual(values(z.queue), new Array(12).fill(0));
    assert.deepEqual([...z.stateDict()].map(([k, t]) => `${k} ${t.dtype} ${t.shape.join('x')}`), ['queue float32 4x3', 'ptr int64 1']);
    assert.deepEqual([z.length, z.dim], [4, 3]);
    const batch = (v: number): Tensor => torch.full([2, 3], v, { dtype: 'float64' }).requiresGrad_();
    z.enqueue_(batch(1));
    assert.deepEqual(values(z.queue), [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(values(z.ptr), [2]);
    z.enqueue_(batch(2));
    assert.deepEqual(values(z.ptr), [0]);
    z.enqueue_(batch(3));
    assert.deepEqual(values(z.queue), [3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2]);
    assert.deepEqual(values(z.ptr), [2]);
    assert.equal(z.queue.dtype, 'float32');
    assert.equal(z.queue.requiresGrad, false);
    z.checkBatch(4, 'x');
    refuses(() => z.checkBatch(3, 'MoCo v2 option queueLength'), 'MoCo v2 option queueLength 4 must be a multiple of the batch size 3 ' +
      '(each step replaces one batch of the queue); use a queue length such as 3');
    refuses(() => new EmbeddingQueue(10, 3).checkBatch(4, 'L'), 'L 10 must be a multiple of the batch size 4 (each step replaces ' +
      'one batch of the queue); use a queue length such as 12');
    refuses(() => new EmbeddingQueue(1, 3).checkBatch(4, 'L'), 'L 1 must be a multiple of the batch size 4 (each step replaces ' +
      'one batch of the queue); use a queue length such as 4');
    refuses(() => z.enqueue_(torch.zeros([3, 3])), 'The queue length 4 must be a multiple of the batch size 3 (each step replaces ' +
      'one batch of the queue); use a queue length such as 3');
    refuses(() => z.enqueue_(torch.zeros([2, 4])), 'Expected embeddings of shape (B, 3) for the queue but received [2, 4]');
    refuses(() => z.enqueue_(torch.zeros([2, 3, 1])), 'Expected embeddings of shape (B, 3) for the queue but received [2, 3, 1]');
    refuses(() => new EmbeddingQueue(0, 3), 'Expected positive integer for queue length but received 0');
    refuses(() => new EmbeddingQueue(4, 0), 'Expected positive integer for queue dim but received 0');
  });

  it('effectiveRank: exp of the entropy of the normalised singular values of the row-normalised embeddings; rankLog', () => {
    // Rows (1, 0), (0, 1), (1, 1)/sqrt2 after normalisation: Gram eigenvalues by hand.
    const z = torch.tensor([[2, 0], [0, 3], [1, 1]], { dtype: 'float32' });
    const x = [[1, 0], [0, 1], [Math.SQRT1_2, Math.SQRT1_2]];
    // x^T x (2 x 2) has the same non-zero eigenvalues as the Gram matrix.
    const a = x.reduce((s, r) => s + r[0] * r[0], 0);
    const d = x.reduce((s, r) => s + r[1] * r[1], 0);
    const bc = x.reduce((s, r) => s + r[0] * r[1], 0);
    const disc = Math.sqrt(((a - d) / 2) ** 2 + bc * bc);
    const sv = [(a + d) / 2 + disc, (a + d) / 2 - disc, 0].map((e) => Math.sqrt(Math.max(e, 0)));
    const total = sv.reduce((s, v) => s + v, 0) + 1e-12;
    const p = sv.map((v) => v / total + 1e-7);
    const expected = Math.exp(-p.reduce((s, v) => s + v * Math.log(v), 0));
    const r = effectiveRank(z.requiresGrad_());
    near(num(r), expected, 'rank', 1e-4);
    assert.equal(r.requiresGrad, false);
    assert.deepEqual(r.shape, []);
    const log = rankLog(z);
    assert.deepEqual(Object.keys(log), ['rank']);
    near(num(log.rank!), expected, 'rankLog', 1e-4);
  });

  it('forwardByResolution: one encoder call per run of same-size crops, crop-major; checkCrops', () => {
    const enc = new RecordingEncoder();
    const crop = (v: number, size: number): Tensor => torch.full([2, 1, size, size], v);
    const crops = [crop(1, 4), crop(2, 4), crop(3, 2), crop(4, 2), crop(5, 2), crop(6, 4)];
    const f = forwardByResolution(enc, crops);
    assert.deepEqual(enc.calls, [[4, 1, 4, 4], [6, 1, 2, 2], [2, 1, 4, 4]]);
    const sums = [16, 16, 32, 32, 12, 12, 16, 16, 20, 20, 96, 96];
    assert.deepEqual(values(f), sums.flatMap((s) => [s, 2 * s]));
    const one = new RecordingEncoder();
    assert.deepEqual(values(forwardByResolution(one, [crop(1, 2)])), [4, 8, 4, 8]);
    assert.deepEqual(one.calls, [[2, 1, 2, 2]]);
    const wide = new RecordingEncoder();
    forwardByResolution(wide, [torch.zeros([1, 1, 2, 3]), torch.zeros([1, 1, 2, 4]), torch.zeros([1, 1, 3, 4])]);
    assert.deepEqual(wide.calls, [[1, 1, 2, 3], [1, 1, 2, 4], [1, 1, 3, 4]], 'height and width both decide');
    assert.equal(checkCrops([crop(1, 4), crop(1, 2)], 'SwAV'), 2);
    assert.equal(checkCrops([crop(1, 4)], 'X', 1), 2);
    refuses(() => checkCrops([crop(1, 4)], 'SwAV'),
      'SwAV expects at least 2 (B, C, H, W) crops (as its augmentation() gives) but received 1 item(s)');
    refuses(() => checkCrops('x' as unknown as Tensor[], 'DINO', 3),
      'DINO expects at least 3 (B, C, H, W) crops (as its augmentation() gives) but received x');
    refuses(() => checkCrops([crop(1, 4), torch.zeros([2, 4, 4])], 'SwAV'),
      'SwAV expects at least 2 (B, C, H, W) crops (as its augmentation() gives) but received 2 item(s)');
    refuses(() => checkCrops([crop(1, 4), 3 as unknown as Tensor], 'SwAV'),
      'SwAV expects at least 2 (B, C, H, W) crops (as its augmentation() gives) but received 2 item(s)');
    refuses(() => checkCrops([crop(1, 4), torch.zeros([3, 1, 4, 4])], 'SwAV'), 'SwAV expects crops of one batch size but received 2, 3');
  });

  it('makeEncoder: a name builds with numClasses 0 (first call reuses the checked one), a factory, an instance once; encoderConfig', () => {
    const build = makeEncoder('small_cnn', { inChannels: 1, width: 2 }, { needsFactory: true, method: 'byol' });
    const a = build();
    const b = build();
    assert.notEqual(a, b);
    assert.deepEqual([a.numClasses, a.featureDim, b.featureDim], [0, 8, 8]);
    assert.equal(makeEncoder('small_cnn', undefined, { needsFactory: false, method: 'm' })().featureDim, 128);
    const inst = createModel('small_cnn', { inChannels: 1, width: 2, numClasses: 0 }) as Encoder;
    const once = makeEncoder(inst, undefined, { needsFactory: false, method: 'SimCLR' });
    assert.equal(once(), inst);
    refuses(() => once(), 'SimCLR was given an Encoder instance, which can be used once; pass a registry name or a factory to build another copy');
    const fromFactory = makeEncoder(() => createModel('small_cnn', { width: 2, numClasses: 0 }) as Encoder, {}, { needsFactory: true, method: 'dino' });
    assert.notEqual(fromFactory(), fromFactory());
    refuses(() => makeEncoder(inst, undefined, { needsFactory: true, method: 'BYOL' }),
      'BYOL needs two copies of the encoder (online and target/teacher) but received an Encoder instance (SmallCnn); pass a registry ' +
      'name such as encoder: \'resnet18\' (with encoderOptions) or a factory such as encoder: () => models.create(\'resnet18\', { numClasses: 0 })');
    refuses(() => makeEncoder(inst, { width: 2 }, { needsFactory: false, method: 'SimCLR' }),
      'SimCLR: encoderOptions apply only when encoder is a registry name; build the encoder with its options inside your factory instead');
    refuses(() => makeEncoder('small_cnn', [] as never, { needsFactory: false, method: 'SimCLR' }),
      'Expected an options object for SimCLR option encoderOptions but received []');
    refuses(() => makeEncoder('small_cnn', null as never, { needsFactory: false, method: 'SimCLR' }),
      'Expected an options object for SimCLR option encoderOptions but received null');
    refuses(() => makeEncoder('small_cnn', 3 as never, { needsFactory: false, method: 'SimCLR' }),
      'Expected an options object for SimCLR option encoderOptions but received 3');
    refuses(() => makeEncoder(RecordingEncoder as never, undefined, { needsFactory: false, method: 'SimCLR' }),
      'SimCLR: expected a factory for encoder but received a class; pass () => new RecordingEncoder(...) instead');
    refuses(() => makeEncoder((class {}) as never, undefined, { needsFactory: false, method: 'SimCLR' }),
      'SimCLR: expected a factory for encoder but received a class; pass () => new MyEncoder(...) instead');
    refuses(() => makeEncoder(5 as never, undefined, { needsFactory: true, method: 'BYOL' }),
      'Expected a registry name, a factory () => Encoder for BYOL option encoder but received 5');
    refuses(() => makeEncoder(5 as never, undefined, { needsFactory: false, method: 'SimCLR' }),
      'Expected a registry name, a factory () => Encoder or an Encoder for SimCLR option encoder but received 5');
    refuses(() => makeEncoder(() => 7 as never, undefined, { needsFactory: false, method: 'SimCLR' })(),
      'SimCLR: expected the encoder factory to give an Encoder (a Module with forward and featureDim) but received 7');
    refuses(() => makeEncoder(() => new Module() as never, undefined, { needsFactory: false, method: 'SimCLR' })(),
      'SimCLR: expected the encoder factory to give an Encoder (a Module with forward and featureDim) but received Module()');
    const noDim = new RecordingEncoder();
    (noDim as unknown as { featureDim: number }).featureDim = 0;
    refuses(() => makeEncoder(noDim, undefined, { needsFactory: false, method: 'SimCLR' }),
      'SimCLR: expected the encoder instance to give an Encoder with a positive featureDim but received 0');
    refuses(() => makeEncoder('small_cnn', { numClasses: 10 }, { needsFactory: false, method: 'SimCLR' }),
      'SimCLR: expected models.create(\'small_cnn\') to give a feature encoder (numClasses 0) but it has numClasses 10; build it with numClasses: 0');
    // The first call of a name's factory returns the encoder built (and checked) by makeEncoder: the same draws.
    torch.manualSeed(11);
    const first = makeEncoder('small_cnn', { width: 2 }, { needsFactory: true, method: 'byol' })();
    torch.manualSeed(11);
    assert.deepEqual(values(first.parameters()[0]), values(createModel('small_cnn', { width: 2, numClasses: 0 }).parameters()[0]));
    const commented = makeEncoder(() => /* a class { in a comment */ createModel('small_cnn', { width: 2, numClasses: 0 }) as Encoder,
      undefined, { needsFactory: false, method: 'SimCLR' });
    assert.equal(commented().featureDim, 8);
    refuses(() => makeEncoder(() => ({ forward: (x: Tensor) => x, featureDim: 2, numClasses: 0 }) as never, undefined,
      { needsFactory: false, method: 'SimCLR' })(), 'SimCLR: expected the encoder factory to give an Encoder (a Module with forward and ' +
      'featureDim) but received [object Object]');
    const stringDim = new RecordingEncoder();
    (stringDim as unknown as { featureDim: string }).featureDim = '8';
    refuses(() => makeEncoder(stringDim, undefined, { needsFactory: false, method: 'SimCLR' }),
      "SimCLR: expected the encoder instance to give an Encoder with a positive featureDim but received '8'");
    assert.deepEqual(encoderConfig('small_cnn', { width: 4 }), { encoder: 'small_cnn', encoderOptions: { width: 4 } });
    assert.deepEqual(encoderConfig('small_cnn', undefined), { encoder: 'small_cnn' });
    assert.deepEqual(encoderConfig(inst, undefined), { encoder: 'custom' });
  });

  it('resolveRecipe: a copy of the defaults, overrides on top (undefined skipped), unknown fields refused', () => {
    const defaults = { optimizer: 'sgd' as const, lr: 0.1, lrScaling: 'linear' as const, weightDecay: 1e-4, warmupEpochs: 0 };
    const copy = resolveRecipe(defaults, undefined, 'M');
    assert.deepEqual(copy, defaults);
    assert.notEqual(copy, defaults);
    const r = resolveRecipe(defaults, { lr: 0.5, weightDecay: undefined, clipGrad: 3 }, 'M');
    assert.deepEqual(r, { ...defaults, lr: 0.5, clipGrad: 3 });
    assert.equal(defaults.lr, 0.1);
    refuses(() => resolveRecipe(defaults, { learningRate: 1 } as never, 'SimCLR'),
      "Unknown option(s) 'learningRate' for SimCLR option recipe; expected some of optimizer, lr, lrScaling, finalLrRatio, weightDecay, " +
      'weightDecayEnd, momentum, betas, warmupEpochs, clipGrad');
  });

  it('registry: every method by name in the README\'s order; an unknown name lists them', () => {
    assert.deepEqual(list(), ['simclr', 'byol', 'dino', 'mae', 'simsiam', 'barlow_twins', 'vicreg', 'mocov2', 'mocov3', 'swav',
      'deepclusterv2', 'rotation', 'jigsaw', 'relative_position', 'colorization', 'split_brain', 'deoldify', 'context_encoder',
      'damaged_jigsaw']);
    const m = create('simclr', { encoder: 'small_cnn', encoderOptions: { width: 2 }, hiddenDim: 4, outDim: 2 });
    assert.ok(m instanceof SimCLR);
    assert.equal(m.name, 'simclr');
    refuses(() => create('simclr2' as never, {} as never), `Unknown method 'simclr2'; expected one of ${list().map((n) => `'${n}'`).join(', ')}`);
    refuses(() => create('toString' as never, {} as never), `Unknown method 'toString'; expected one of ${list().map((n) => `'${n}'`).join(', ')}`);
  });

  it('Method: parameterGroups decay weight matrices only (teachers left out), step values, config with recipe', () => {
    const m = new BYOL({ encoder: 'small_cnn', encoderOptions: { width: 2 }, hiddenDim: 4, outDim: 2, recipe: { lr: 0.3 } });
    const [decay, noDecay] = m.parameterGroups(0.01);
    assert.deepEqual([decay.weightDecay, noDecay.weightDecay, decay.name, noDecay.name], [0.01, 0, 'decay', 'no_decay']);
    const trainable = [...m.namedParameters()].filter(([, p]) => p.requiresGrad);
    assert.equal(decay.params.length + noDecay.params.length, trainable.length);
    assert.ok(trainable.length < [...m.namedParameters()].length, 'the target network is left out');
    assert.deepEqual(decay.params, trainable.filter(([k, p]) => p.dim() > 1 && !k.endsWith('.bias')).map(([, p]) => p));
    assert.equal(m.config().recipe !== undefined, true);
    assert.deepEqual(m.config().recipe, { lr: 0.3 });
    assert.equal(m.recipe.lr, 0.3);
    const base = m as unknown as { stepValue(n: string, v: number): Tensor; setStepValues(v: Record<string, number>): void };
    const t = base.stepValue('momentum', 0.75);
    assert.deepEqual([num(t), t.dim()], [0.75, 0]);
    assert.equal(base.stepValue('momentum', 0.5), t, 'the same device scalar, rewritten');
    assert.equal(num(t), 0.5);
    base.setStepValues({ temp: 0.04, momentum: 0.9 });
    near(num(t), 0.9, 'momentum rewritten');
    near(num(base.stepValue('temp', 0.07)), 0.07, 'temp');
    assert.equal(m.capturable, true);
    assert.equal(new RotationMethod({ encoder: 'small_cnn', encoderOptions: { width: 2 } }).capturable, false, 'not capturable by default');
    const live = torch.memory().tensors;
    const owned = m.stateDict().size + 2; // the weights and buffers, and the two step values
    m.dispose();
    assert.equal(live - torch.memory().tensors, owned, 'dispose frees the weights and the step values');
    class Bare extends SimCLR {
      constructor() {
        super({ encoder: 'small_cnn', encoderOptions: { width: 2 }, hiddenDim: 4, outDim: 2 });
        (this as unknown as { declared: undefined }).declared = undefined;
      }
    }
    refuses(() => new Bare().config(), 'Bare has no option table: call this.useOptions(...) in its constructor or override config()');
  });

  it('methodEncoder: the registry model for most methods, a LabEncoder for the colour tasks with the run\'s normalisation', () => {
    const plain = methodEncoder('simclr', 'small_cnn', { width: 2, numClasses: 5 });
    assert.equal(plain.numClasses, 0);
    assert.equal(plain.featureDim, 8);
    const mean = [0.1, 0.2, 0.3];
    const std = [0.5, 0.6, 0.7];
    const lab = methodEncoder('colorization', 'small_cnn', { width: 2 }, { mean, std });
    assert.ok(lab instanceof LabEncoder);
    nearAll(values(lab.stateDict().get('rgb_mean')!), mean, 'rgb_mean');
    nearAll(values(lab.stateDict().get('rgb_std')!), std, 'rgb_std');
    const grey = methodEncoder('colorization', 'small_cnn', { width: 2 }, { mean: [0.5], std: [0.25] });
    assert.deepEqual(values(grey.stateDict().get('rgb_mean')!), values(methodEncoder('colorization', 'small_cnn', { width: 2 })
      .stateDict().get('rgb_mean')!), 'one-channel statistics leave the default');
    const colour = methodEncoder('colorization', 'small_cnn', { width: 2 }, undefined, { colourAtEvaluation: true });
    const lOnly = methodEncoder('colorization', 'small_cnn', { width: 2 }, undefined, { colourAtEvaluation: 'yes' });
    assert.deepEqual([colour.stateDict().get('net.conv1.weight')!.shape[1], lOnly.stateDict().get('net.conv1.weight')!.shape[1]], [3, 1]);
    assert.notDeepEqual([...colour.stateDict()].map(([k, v]) => `${k} ${v.shape.join('x')}`),
      [...lOnly.stateDict()].map(([k, v]) => `${k} ${v.shape.join('x')}`), 'colourAtEvaluation true (only) changes the input channels');
    const split = methodEncoder('split_brain', 'small_cnn', { width: 2 }, { mean, std });
    assert.ok(split instanceof LabEncoder);
    assert.ok([...split.stateDict().keys()].some((k) => k.startsWith('l_to_ab.')));
    nearAll(values(split.stateDict().get('rgb_std')!), std, 'split-brain rgb_std');
  });
});
