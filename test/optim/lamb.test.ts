// LAMB: parity of parameters and state over several steps with a LAMB written
// from the paper's Algorithm 2 in PyTorch (test/helpers/lamb_ref.py); each
// option changes the step as documented; a step is a fixed number of
// operator calls; state round-trips; bad options are refused by name.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { LAMB, LAMBOptions } from '../../lib/optim/lamb';
import { countCalls } from '../helpers/count-calls';
import { runPythonReference } from '../helpers/python-reference';
import { Packed, randomPacked, seeded } from './reference';

type Tensor = torch.Tensor;
type Options = Partial<LAMBOptions>;

interface LambCase {
  name: string;
  defaults: Options;
  groups: { indices: number[]; options: Options }[];
  /** [step (0-based), param index] pairs whose gradient is absent. */
  missing?: [number, number][];
  /** Parameters that start at zero (ratio 1). */
  zeroParams?: number[];
  /** Multiplies the initial parameters (a weight norm above the update's: the trust ratio exceeds 1). */
  paramScale?: number;
}

interface Snapshot { params: number[][]; state: Record<string, number[]>[]; steps: number[] }

const SHAPES = [[4, 3], [3], [2, 2, 3], [5]];
const STEPS = 4;
const RECORD = [1, 2, 4];
const TWO = (a: Options, b: Options): LambCase['groups'] => [{ indices: [0, 2], options: a }, { indices: [1, 3], options: b }];

const CASES: LambCase[] = [
  { name: 'defaults (bias correction), a decayed and an undecayed group (not adapted)',
    defaults: { lr: 1e-2 }, groups: TWO({ weightDecay: 0.01 }, { weightDecay: 0, lr: 2e-2 }) },
  { name: 'alwaysAdapt, betas (0.8, 0.99), eps 1e-4',
    defaults: { lr: 5e-2, betas: [0.8, 0.99], eps: 1e-4, alwaysAdapt: true, weightDecay: 0.1 }, groups: TWO({}, { weightDecay: 0 }) },
  { name: 'no bias correction (ALBERT\'s lamb_optimizer.py), weight decay 0.1',
    defaults: { lr: 2e-2, biasCorrection: false, weightDecay: 0.1 }, groups: TWO({}, { weightDecay: 0.01 }) },
  { name: 'trustClip with a trust ratio above 1 (large weights)',
    defaults: { lr: 1e-2, trustClip: true, weightDecay: 0.01 }, groups: TWO({}, { trustClip: false }), paramScale: 20 },
  { name: 'gradients missing on some steps (per-parameter step counts), a zero parameter (ratio 1)',
    defaults: { lr: 1e-2 }, groups: TWO({}, { alwaysAdapt: true, weightDecay: 0 }),
    missing: [[0, 1], [1, 2], [2, 0]], zeroParams: [3] },
];

function inputsOf(c: LambCase, seed: number): { params: Packed[]; grads: (Packed | null)[][] } {
  const rng = seeded(seed);
  const params = SHAPES.map((s, i) => {
    const p = randomPacked(rng, s);
    if (c.zeroParams?.includes(i)) return { shape: s, data: p.data.map(() => 0) };
    return { shape: s, data: p.data.map((x) => Math.fround(x * (c.paramScale ?? 1))) };
  });
  const grads = Array.from({ length: STEPS }, (_, step) => SHAPES.map((s, i) => {
    const g = randomPacked(rng, s, -2, 2);
    return c.missing?.some(([ms, mi]) => ms === step && mi === i) ? null : g;
  }));
  return { params, grads };
}

const make = (p: Packed): Tensor => torch.tensor(Float64Array.from(p.data), { shape: p.shape }).to('float32');
const values = (t: Tensor): number[] => Array.from(t.to('float64').toTypedArray() as Float64Array);

function assertNear(what: string, got: Tensor, expected: number[], rtol = 2e-5, atol = 1e-6): void {
  const g = values(got);
  assert.equal(g.length, expected.length, `${what}: numel`);
  g.forEach((v, i) => {
    assert.ok(Math.abs(v - expected[i]) <= atol + rtol * Math.abs(expected[i]), `${what}[${i}]: got ${v}, expected ${expected[i]}`);
  });
}

describe('optim: LAMB vs Algorithm 2 of You et al. 2020 (PyTorch re-implementation)', function () {
  this.timeout(120000);
  const inputs = CASES.map((c, i) => inputsOf(c, 777 + i));
  let refs: (Snapshot[] | { error: string })[] = [];
  before(() => {
    refs = runPythonReference<(Snapshot[] | { error: string })[]>('lamb_ref.py', CASES.map((c, i) => ({
      params: inputs[i].params, grads: inputs[i].grads, record: RECORD, groups: c.groups, defaults: c.defaults,
    })));
  });

  CASES.forEach((c, k) => {
    it(c.name, () => {
      const ref = refs[k];
      assert.ok(Array.isArray(ref), `PyTorch failed on the reference: ${(ref as { error: string }).error}`);
      torch.scope(() => {
        const params = inputs[k].params.map((p) => make(p).requiresGrad_());
        const opt = new LAMB(c.groups.map((g) => ({ params: g.indices.map((i) => params[i]), ...g.options })), c.defaults);
        let r = 0;
        inputs[k].grads.forEach((grads, step) => {
          params.forEach((p, i) => { p.grad = grads[i] === null ? undefined : make(grads[i]!); });
          opt.step();
          if (!RECORD.includes(step + 1)) return;
          const snap = ref[r++];
          params.forEach((p, i) => assertNear(`step ${step + 1} param ${i}`, p, snap.params[i]));
          params.forEach((p, i) => {
            const mine = opt.state.get(p) ?? {};
            assert.equal(mine.step ?? 0, snap.steps[i], `step ${step + 1} param ${i}: step count`);
            const keys = Object.keys(mine).filter((key) => mine[key] instanceof torch.Tensor).sort();
            assert.deepEqual(keys, Object.keys(snap.state[i]).sort(), `step ${step + 1} param ${i}: state keys`);
            for (const key of keys) assertNear(`step ${step + 1} param ${i} ${key}`, mine[key] as Tensor, snap.state[i][key]);
          });
        });
        opt.dispose();
      });
    });
  });
});

/** One step of a fresh LAMB on a copy of `w` with gradient `g`: the change of the parameter. */
function delta(w: Tensor, g: Tensor, options: Options): Tensor {
  const p = w.clone().requiresGrad_();
  p.grad = g.clone();
  const opt = new LAMB([p], options);
  opt.step();
  opt.dispose();
  return p.detach().sub(w);
}

describe('optim: LAMB options', () => {
  const norm = (t: Tensor): number => Number(t.norm().item());
  let w: Tensor;
  let g: Tensor;
  before(() => {
    torch.manualSeed(3);
    w = torch.keep(torch.randn([6, 5]));
    g = torch.keep(torch.randn([6, 5]));
  });
  after(() => { w.dispose(); g.dispose(); });

  it('an adapted step moves each tensor by exactly lr * ||w|| (the trust ratio), whatever the gradient scale', () => torch.scope(() => {
    for (const scale of [1e-3, 1, 1e3]) {
      const d = delta(w, g.mul(scale), { lr: 0.01, weightDecay: 0.01 });
      assert.ok(Math.abs(norm(d) - 0.01 * norm(w)) < 1e-6 * norm(w), `scale ${scale}: ||dw|| ${norm(d)} vs ${0.01 * norm(w)}`);
    }
  }));

  it('weightDecay 0: no adaptation (the Adam step, about lr per element at step 1); alwaysAdapt restores it', () => torch.scope(() => {
    const plain = delta(w, g, { lr: 0.01, weightDecay: 0 });
    const expected = g.div(g.abs().add(1e-6)).mul(-0.01); // m_hat / (sqrt(v_hat) + eps) at t = 1
    assert.ok(torch.allclose(plain, expected, { rtol: 1e-5, atol: 1e-8 }));
    const adapted = delta(w, g, { lr: 0.01, weightDecay: 0, alwaysAdapt: true });
    assert.ok(Math.abs(norm(adapted) - 0.01 * norm(w)) < 1e-6 * norm(w));
    assert.ok(torch.allclose(adapted, plain.mul((0.01 * norm(w)) / norm(plain)), { rtol: 1e-4, atol: 1e-8 }), 'same direction');
  }));

  it('biasCorrection: false leaves the moments uncorrected (step 1: 0.1 g / (sqrt(0.001) |g| + eps))', () => torch.scope(() => {
    const d = delta(w, g, { lr: 0.01, weightDecay: 0, biasCorrection: false });
    const expected = g.mul(0.1).div(g.abs().mul(Math.sqrt(0.001)).add(1e-6)).mul(-0.01);
    assert.ok(torch.allclose(d, expected, { rtol: 1e-5, atol: 1e-8 }));
  }));

  it('trustClip caps the ratio at 1: a large tensor moves by lr * ||r||, not lr * ||w||', () => torch.scope(() => {
    const big = w.mul(100);
    const clipped = delta(big, g, { lr: 0.01, weightDecay: 0.01, trustClip: true });
    const unclipped = delta(big, g, { lr: 0.01, weightDecay: 0.01 });
    const r = g.div(g.abs().add(1e-6)).add(big, { alpha: 0.01 });
    assert.ok(Math.abs(norm(clipped) - 0.01 * norm(r)) < 1e-5 * norm(r), `${norm(clipped)} vs ${0.01 * norm(r)}`);
    assert.ok(Math.abs(norm(unclipped) - 0.01 * norm(big)) < 1e-5 * norm(big));
  }));

  it('eps and weightDecay enter the update: larger eps shrinks an unadapted step, weight decay turns it toward -w', () => torch.scope(() => {
    const small = delta(w, g, { lr: 0.01, weightDecay: 0, eps: 1 });
    assert.ok(torch.allclose(small, g.div(g.abs().add(1)).mul(-0.01), { rtol: 1e-5, atol: 1e-8 }));
    const cosine = (a: Tensor, b: Tensor): number => Number(a.flatten().dot(b.flatten()).item()) / (norm(a) * norm(b));
    const light = delta(w, g, { lr: 0.01, weightDecay: 0.01 });
    const heavy = delta(w, g, { lr: 0.01, weightDecay: 10 });
    assert.ok(cosine(heavy, w.neg()) > 0.98 && cosine(light, w.neg()) < 0.9, `${cosine(heavy, w.neg())} ${cosine(light, w.neg())}`);
  }));

  it('a step is the same number of operator calls for 1 and 120 parameters, and leaks no tensor', () => torch.scope(() => {
    const make = (n: number): Tensor[] => Array.from({ length: n }, (_, i) => {
      const p = torch.randn(i % 2 === 0 ? [4, 3] : [4]).requiresGrad_();
      p.grad = torch.randnLike(p);
      return p;
    });
    const calls = (ps: Tensor[]): number => {
      const opt = new LAMB([{ params: ps.filter((p) => p.dim() > 1) }, { params: ps.filter((p) => p.dim() === 1), weightDecay: 0 }]);
      opt.step();
      const n = countCalls(() => opt.step());
      const live = torch.memory().tensors;
      opt.step();
      assert.equal(torch.memory().tensors, live, 'live tensors grew over a step');
      opt.dispose();
      return n;
    };
    const n2 = calls(make(2));
    assert.equal(calls(make(120)), n2);
    assert.ok(n2 <= 40, `${n2} calls per step`);
  }));

  it('stateDict / loadStateDict: a restored optimiser continues exactly', () => torch.scope(() => {
    const run = (restore: boolean): Tensor => {
      torch.manualSeed(11);
      const ps = [torch.randn([3, 4]).requiresGrad_(), torch.randn([4]).requiresGrad_()];
      let opt = new LAMB(ps, { lr: 0.05 });
      for (let s = 0; s < 4; s++) {
        if (restore && s === 2) {
          const sd = opt.stateDict();
          const copy = { json: JSON.parse(JSON.stringify(sd.json)) as typeof sd.json, tensors: new Map([...sd.tensors].map(([k, v]) => [k, v.clone()])) };
          opt.dispose();
          opt = new LAMB(ps, { lr: 0.05 });
          opt.loadStateDict(copy);
        }
        ps.forEach((p, i) => { p.grad = torch.full(p.shape, (s + 1) * (i + 1) * 0.1).sin(); });
        opt.step();
      }
      opt.dispose();
      return torch.cat(ps.map((p) => p.detach().flatten()));
    };
    assert.ok(torch.equal(run(false), run(true)));
  }));

  it('refuses bad options by name, and capturable steps', () => {
    const p = [torch.zeros([2]).requiresGrad_()];
    assert.throws(() => new LAMB(p, { betas: [0.9, 1.5] }), /betas\[1\]/);
    assert.throws(() => new LAMB(p, { eps: -1 }), /eps/);
    assert.throws(() => new LAMB(p, { trustClip: 'yes' as unknown as boolean }), /Expected a boolean for trustClip/);
    assert.throws(() => new LAMB([{ params: p, weightDecay: -1 }]), /weightDecay \(group 0\)/);
    assert.throws(() => new LAMB(p, { capturable: true }), /LAMB does not support capturable/);
    p[0].dispose();
  });
});
