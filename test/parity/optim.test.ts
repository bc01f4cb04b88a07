// Optimiser parity: the same parameters and gradient sequences through this
// project's SGD / AdamW / LARS and through torch.optim.SGD / AdamW and a LARS
// written from lightly's formula (test/helpers/optim_ref.py); parameters after
// steps 1 and 3, and state (momentum buffers, moments) after each, must match.
// clipGradNorm_ against torch.nn.utils.clip_grad_norm_.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { SGD } from '../../lib/optim/sgd';
import { AdamW } from '../../lib/optim/adamw';
import { LARS } from '../../lib/optim/lars';
import { clipGradNorm_ } from '../../lib/optim/clip';
import { hasOp } from '../../lib/torch/foreach';
import { Optimizer, BaseOptions } from '../../lib/optim/optimizer';
import { Packed, randomPacked, runOptimRef, seeded } from '../optim/reference';

type Tensor = torch.Tensor;
type Options = Record<string, number | boolean | number[]>;

interface OptCase {
  name: string;
  optimizer: 'sgd' | 'adamw' | 'lars';
  shapes: number[][];
  defaults: Options;
  groups: { indices: number[]; options: Options }[];
  steps: number;
  /** [step (0-based), param index] pairs whose gradient is absent. */
  missing?: [number, number][];
  /** Parameters that start at zero (LARS's no-adaptation branch). */
  zeroParams?: number[];
}

interface Snapshot { params: number[][]; state: Record<string, number[]>[] }

const RECORD = [1, 3];
const SHAPES = [[4, 3], [3], [2, 2, 3], [5]];
const TWO_GROUPS = (a: Options, b: Options): OptCase['groups'] => [{ indices: [0, 2], options: a }, { indices: [1, 3], options: b }];

const CASES: OptCase[] = [
  { name: 'SGD, no momentum, two groups (lr, weight decay)', optimizer: 'sgd', shapes: SHAPES, steps: 3,
    defaults: { lr: 0.1 }, groups: TWO_GROUPS({ weightDecay: 0.01 }, { lr: 0.05 }) },
  { name: 'SGD momentum 0.9, dampening 0.1, weight decay', optimizer: 'sgd', shapes: SHAPES, steps: 3,
    defaults: { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3 }, groups: TWO_GROUPS({}, { lr: 0.03, weightDecay: 0 }) },
  { name: 'SGD Nesterov, weight decay 5e-4', optimizer: 'sgd', shapes: SHAPES, steps: 3,
    defaults: { lr: 0.2, momentum: 0.9, nesterov: true, weightDecay: 5e-4 }, groups: TWO_GROUPS({}, { lr: 0.02 }) },
  { name: 'SGD momentum, gradients missing on some steps', optimizer: 'sgd', shapes: SHAPES, steps: 3,
    defaults: { lr: 0.1, momentum: 0.9 }, groups: TWO_GROUPS({}, {}), missing: [[0, 1], [1, 2], [2, 3]] },
  { name: 'AdamW defaults, two groups (lr, weight decay)', optimizer: 'adamw', shapes: SHAPES, steps: 3,
    defaults: { lr: 1e-2 }, groups: TWO_GROUPS({ weightDecay: 0.05 }, { lr: 2e-2, weightDecay: 0 }) },
  { name: 'AdamW amsgrad, betas (0.8, 0.99), eps 1e-6', optimizer: 'adamw', shapes: SHAPES, steps: 3,
    defaults: { lr: 1e-2, betas: [0.8, 0.99], eps: 1e-6, amsgrad: true, weightDecay: 0.1 }, groups: TWO_GROUPS({}, { lr: 5e-3 }) },
  { name: 'AdamW, gradients missing on some steps (per-parameter step counts)', optimizer: 'adamw', shapes: SHAPES, steps: 3,
    defaults: { lr: 1e-2, weightDecay: 0.05 }, groups: TWO_GROUPS({}, {}), missing: [[0, 1], [1, 2], [1, 0]] },
  // The fused kernels: libtorch 2.4 on have CPU ones (Debian 13's 2.6 runs these; 1.13 has none and refuses
  // fused: true, test/optim/refusals). PyTorch's side is torch.optim's fused=True on the same inputs.
  { name: 'SGD fused, momentum 0.9, dampening 0.1, weight decay', optimizer: 'sgd', shapes: SHAPES, steps: 3,
    defaults: { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 1e-3, fused: true }, groups: TWO_GROUPS({}, { lr: 0.03, weightDecay: 0 }) },
  // (no missing gradients: PyTorch 2.6's fused SGD fails on a momentum buffer a gradless first step left unset)
  { name: 'SGD fused Nesterov, weight decay 5e-4', optimizer: 'sgd', shapes: SHAPES, steps: 3,
    defaults: { lr: 0.2, momentum: 0.9, nesterov: true, weightDecay: 5e-4, fused: true }, groups: TWO_GROUPS({}, { lr: 0.02 }) },
  { name: 'AdamW fused, amsgrad, two groups', optimizer: 'adamw', shapes: SHAPES, steps: 3,
    defaults: { lr: 1e-2, betas: [0.8, 0.99], eps: 1e-6, amsgrad: true, weightDecay: 0.1, fused: true },
    groups: TWO_GROUPS({}, { lr: 5e-3, weightDecay: 0 }), missing: [[1, 0]] },
  { name: 'LARS, decay group and excluded group', optimizer: 'lars', shapes: SHAPES, steps: 3,
    defaults: { lr: 0.5, momentum: 0.9, weightDecay: 0.1, trustCoefficient: 0.02 },
    groups: TWO_GROUPS({}, { larsExclude: true, weightDecay: 0 }) },
  { name: 'LARS Nesterov, a zero parameter (no adaptation), default trust coefficient', optimizer: 'lars', shapes: SHAPES, steps: 3,
    defaults: { lr: 2, momentum: 0.9, nesterov: true, weightDecay: 1e-2 }, groups: TWO_GROUPS({}, { lr: 1 }), zeroParams: [2] },
  { name: 'LARS without weight decay or momentum', optimizer: 'lars', shapes: SHAPES, steps: 3,
    defaults: { lr: 1, momentum: 0, trustCoefficient: 0.01 }, groups: TWO_GROUPS({}, { larsExclude: true }) },
];

function inputsOf(c: OptCase, seed: number): { params: Packed[]; grads: (Packed | null)[][] } {
  const rng = seeded(seed);
  const params = c.shapes.map((s, i) => (c.zeroParams?.includes(i) ? { shape: s, data: new Array<number>(s.reduce((a, b) => a * b, 1)).fill(0) }
    : randomPacked(rng, s)));
  const grads = Array.from({ length: c.steps }, (_, step) => c.shapes.map((s, i) => {
    const g = randomPacked(rng, s, -2, 2);
    return c.missing?.some(([ms, mi]) => ms === step && mi === i) ? null : g;
  }));
  return { params, grads };
}

const FUSED_KERNEL = { sgd: 'aten::_fused_sgd_', adamw: 'aten::_fused_adamw_', lars: '' };
/** Whether this libtorch can run the case (a fused case needs its kernel). */
const runnable = (c: OptCase): boolean => c.defaults.fused !== true || hasOp(FUSED_KERNEL[c.optimizer]);

const make = (p: Packed): Tensor => torch.tensor(Float64Array.from(p.data), { shape: p.shape }).to('float32');

function build(c: OptCase, params: Tensor[]): Optimizer<BaseOptions> {
  const groups = c.groups.map((g) => ({ params: g.indices.map((i) => params[i]), ...g.options }));
  const d = c.defaults as { lr: number };
  switch (c.optimizer) {
    case 'sgd': return new SGD(groups, d);
    case 'adamw': return new AdamW(groups, d);
    default: return new LARS(groups, d);
  }
}

function assertNear(what: string, got: Tensor, expected: number[], rtol = 2e-5, atol = 1e-6): void {
  const g = Array.from(got.to('float64').toTypedArray() as Float64Array);
  assert.equal(g.length, expected.length, `${what}: numel`);
  g.forEach((v, i) => {
    assert.ok(Math.abs(v - expected[i]) <= atol + rtol * Math.abs(expected[i]),
      `${what}[${i}]: got ${v}, expected ${expected[i]}`);
  });
}

describe('parity: optimisers vs torch.optim', function () {
  this.timeout(120000);
  const inputs = CASES.map((c, i) => inputsOf(c, 4242 + i));
  const refs = new Map<OptCase, Snapshot[] | { error: string }>();
  before(() => {
    const run = CASES.filter(runnable);
    runOptimRef<Snapshot[] | { error: string }>(run.map((c) => ({
      optimizer: c.optimizer, ...inputs[CASES.indexOf(c)], record: RECORD, groups: c.groups, defaults: c.defaults,
    }))).forEach((ref, i) => refs.set(run[i], ref));
  });

  CASES.forEach((c, k) => {
    it(c.name, function () {
      if (!runnable(c)) this.skip(); // 1.13: no fused kernel (the refusal is tested in test/optim/refusals)
      const ref = refs.get(c)!;
      assert.ok(Array.isArray(ref), `PyTorch failed on the reference: ${(ref as { error: string }).error}`);
      torch.scope(() => {
        const params = inputs[k].params.map((p) => make(p).requiresGrad_());
        const opt = build(c, params);
        let r = 0;
        inputs[k].grads.forEach((grads, step) => {
          params.forEach((p, i) => { p.grad = grads[i] === null ? undefined : make(grads[i]!); });
          opt.step();
          if (!RECORD.includes(step + 1)) return;
          const snap = ref[r++];
          params.forEach((p, i) => assertNear(`step ${step + 1} param ${i}`, p, snap.params[i]));
          params.forEach((p, i) => {
            const mine = opt.state.get(p) ?? {};
            const theirs = snap.state[i];
            // as optim_ref.py: tensors but the step count (a tensor in the fused state; the values show it)
            const keys = Object.keys(mine).filter((key) => mine[key] instanceof torch.Tensor && key !== 'step').sort();
            assert.deepEqual(keys, Object.keys(theirs).sort(), `step ${step + 1} param ${i}: state keys`);
            for (const key of keys) assertNear(`step ${step + 1} param ${i} ${key}`, mine[key] as Tensor, theirs[key]);
          });
        });
      });
    });
  });
});

interface ClipCase { name: string; normType: number; maxNorm: number }
interface ClipRef { total: number; grads: number[][]; error?: string }

describe('parity: clipGradNorm_ vs torch.nn.utils.clip_grad_norm_', function () {
  this.timeout(120000);
  const cases: ClipCase[] = [
    { name: '2-norm, clipping', normType: 2, maxNorm: 1 },
    { name: '2-norm, below the limit (unchanged)', normType: 2, maxNorm: 100 },
    { name: '1-norm', normType: 1, maxNorm: 2 },
    { name: 'inf-norm', normType: Infinity, maxNorm: 0.5 },
    { name: '3-norm', normType: 3, maxNorm: 0.7 },
  ];
  const rng = seeded(99);
  const grads = SHAPES.map((s) => randomPacked(rng, s, -3, 3));
  let refs: ClipRef[] = [];
  before(() => {
    refs = runOptimRef<ClipRef>(cases.map((c) => ({
      kind: 'clip', params: grads, grads, maxNorm: c.maxNorm, normType: c.normType === Infinity ? 'inf' : c.normType,
    })));
  });
  cases.forEach((c, k) => {
    it(c.name, () => {
      assert.ok(!refs[k].error, refs[k].error);
      torch.scope(() => {
        const params = grads.map((g) => make(g).requiresGrad_());
        params.forEach((p, i) => { p.grad = make(grads[i]); });
        const extra = torch.zeros([2]).requiresGrad_(); // no grad: ignored
        const total = clipGradNorm_([...params, extra], c.maxNorm, c.normType);
        assert.deepEqual(total.shape, []);
        assertNear('total norm', total, [refs[k].total]);
        params.forEach((p, i) => assertNear(`grad ${i}`, p.grad!, refs[k].grads[i]));
      });
    });
  });
});
