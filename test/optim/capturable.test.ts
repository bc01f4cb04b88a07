// Capturable optimisers (PyTorch's `capturable=True`): learning rate, weight
// decay and AdamW's step counts live on the device, so a step can be captured
// in a CUDA graph once and replayed under changing schedules. On CPU we check
// that the capturable path computes what the eager one does, that a step
// reads nothing back to the host (`checkCapturable`), and the errors.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { countCalls } from '../helpers/count-calls';
import { SGD } from '../../lib/optim/sgd';
import { AdamW } from '../../lib/optim/adamw';
import { LARS } from '../../lib/optim/lars';
import { Optimizer, BaseOptions, ParamGroup, StepOptions } from '../../lib/optim/optimizer';
import { LRScheduler } from '../../lib/optim/lr-scheduler';
import { cosineSchedule } from '../../lib/optim/schedule';

type Tensor = torch.Tensor;
/** Builds an optimiser over groups; `step` options (capturable) are added by the test. */
type Make = (groups: ParamGroup[], step: StepOptions) => Optimizer<BaseOptions>;

const STEPS = 20;

/** Two groups with different lrScale (LARS's second group is excluded from adaptation and decay). */
function groupsOf(ps: Tensor[], lars: boolean): ParamGroup[] {
  return [
    { params: [ps[0], ps[1]] },
    lars ? { params: [ps[2]], lrScale: 0.5, weightDecay: 0, larsExclude: true } as ParamGroup
      : { params: [ps[2]], lrScale: 0.5, weightDecayScale: 0.1 },
  ];
}

/** `lars`: LARS groups; `missing`: some gradients missing on some steps; `stateless`: no per-parameter state. */
interface CaseOptions { lars?: boolean; missing?: boolean; stateless?: boolean }

const cases: [string, Make, CaseOptions][] = [
  ['SGD momentum + weight decay', (g, s) => new SGD(g, { lr: 0.1, momentum: 0.9, weightDecay: 1e-2, ...s }), {}],
  ['SGD Nesterov + weight decay', (g, s) => new SGD(g, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-2, ...s }), {}],
  ['SGD dampening', (g, s) => new SGD(g, { lr: 0.1, momentum: 0.8, dampening: 0.3, weightDecay: 1e-2, ...s }), {}],
  ['SGD without momentum', (g, s) => new SGD(g, { lr: 0.1, weightDecay: 1e-2, ...s }), { stateless: true }],
  ['AdamW betas', (g, s) => new AdamW(g, { lr: 1e-2, betas: [0.8, 0.95], weightDecay: 0.05, ...s }), {}],
  ['AdamW amsgrad', (g, s) => new AdamW(g, { lr: 1e-2, amsgrad: true, weightDecay: 0.05, ...s }), {}],
  ['AdamW, parameters missing gradients', (g, s) => new AdamW(g, { lr: 1e-2, weightDecay: 0.05, ...s }), { missing: true }],
  ['LARS', (g, s) => new LARS(g, { lr: 0.3, weightDecay: 1e-2, ...s }), { lars: true }],
  ['LARS Nesterov', (g, s) => new LARS(g, { lr: 0.3, nesterov: true, weightDecay: 1e-2, ...s }), { lars: true }],
];

/**
 * Runs STEPS steps under a cosine learning rate with warmup and a cosine
 * weight decay, with the same seeded parameters and gradients; returns the
 * parameters (flattened).
 */
function train(make: Make, step: StepOptions, options: CaseOptions): Tensor {
  return torch.scope(() => {
    torch.manualSeed(11);
    const ps = [torch.randn([4, 3]), torch.randn([5]), torch.randn([3])].map((t) => t.requiresGrad_());
    const grads = Array.from({ length: STEPS }, () => ps.map((p) => torch.randnLike(p)));
    const opt = make(groupsOf(ps, options.lars ?? false), step);
    const lr = new LRScheduler(opt, cosineSchedule({ base: opt.paramGroups[0].lr, totalSteps: STEPS, warmupSteps: 5, warmupStart: 0.01 }));
    const wd = new LRScheduler(opt, cosineSchedule({ base: opt.paramGroups[0].weightDecay, final: 0.1, totalSteps: STEPS }),
      { option: 'weightDecay' });
    for (let i = 0; i < STEPS; i++) {
      ps.forEach((p, k) => { p.grad = options.missing && (i + k) % 3 === 0 ? undefined : grads[i][k]; });
      opt.step();
      lr.step();
      wd.step();
    }
    const out = torch.cat(ps.map((p) => p.detach().flatten()));
    opt.dispose();
    return out;
  });
}


/** `count` kept parameters of mixed shapes, with gradients. */
function params(count: number): Tensor[] {
  const ps = Array.from({ length: count }, (_, i) => torch.keep(
    (i % 2 === 0 ? torch.randn([4, 3]) : torch.randn([4])).requiresGrad_()));
  for (const p of ps) p.grad = torch.keep(torch.randnLike(p));
  return ps;
}

function release(ps: Tensor[]): void {
  for (const p of ps) {
    p.grad?.dispose();
    p.grad = undefined;
    p.dispose();
  }
}

describe('optim: capturable steps', () => {
  for (const [name, make, options] of cases) {
    it(`${name}: capturable gives the eager parameters over ${STEPS} scheduled steps`, () => {
      const eager = train(make, { capturable: false }, options);
      const capturable = train(make, { capturable: true }, options);
      const diff = Number(eager.sub(capturable).abs().max().item());
      assert.ok(torch.allclose(capturable, eager, { rtol: 1e-6, atol: 1e-7 }), `max difference ${diff}`);
      eager.dispose();
      capturable.dispose();
    });
  }

  it('CPU chunks give the same result as one list (capturable)', () => {
    const saved = Optimizer.cpuChunkBytes;
    try {
      for (const [name, make, options] of cases) {
        const results = [16, 1 << 30].map((bytes) => {
          Optimizer.cpuChunkBytes = bytes;
          return train(make, { capturable: true }, options);
        });
        assert.ok(torch.allclose(results[0], results[1], { rtol: 1e-6, atol: 1e-7 }), `${name}: chunked and whole steps differ`);
        results.forEach((r) => r.dispose());
      }
    } finally {
      Optimizer.cpuChunkBytes = saved;
    }
  });

  for (const [name, make, options] of cases) {
    it(`${name}: a step after an eager one passes checkCapturable, and a stale lr is caught`, () => {
      const ps = params(3);
      const opt = make(groupsOf(ps, options.lars ?? false), { capturable: true });
      // The first step creates the device scalars and the state: not capturable.
      assert.throws(() => torch.cuda.checkCapturable(() => opt.step()),
        /The device scalar \w+ of group 0 would be created during checkCapturable/);
      opt.prepareStep();
      if (!options.stateless) {
        assert.throws(() => torch.cuda.checkCapturable(() => opt.step()),
          /The state of a parameter seen for the first time would be created during checkCapturable: .* Run one eager optimizer\.step\(\)/);
        assert.equal(opt.state.size, 0);
      }
      opt.step();
      const before = ps.map((p) => p.detach().clone());
      torch.cuda.checkCapturable(() => opt.step());
      assert.ok(ps.some((p, i) => !torch.equal(p.detach(), before[i])), 'the rehearsed step changed the parameters');
      // A schedule that moved without prepareStep: the graph would replay the old value.
      opt.paramGroups[0].lr *= 0.5;
      assert.throws(() => torch.cuda.checkCapturable(() => opt.step()), /DeviceScalar\.set\(.*\) during checkCapturable/);
      opt.prepareStep();
      torch.cuda.checkCapturable(() => opt.step());
      before.forEach((t) => t.dispose());
      opt.dispose();
      release(ps);
    });
  }

  it('a capturable step reads the prepared values (an lr written by prepareStep is used)', () => {
    torch.scope(() => {
      const p = torch.ones([2]).requiresGrad_();
      const opt = new SGD([p], { lr: 1, capturable: true });
      p.grad = torch.ones([2]);
      opt.step(); // 1 - 1
      opt.paramGroups[0].lr = 0.25;
      opt.prepareStep();
      torch.cuda.checkCapturable(() => opt.step()); // 0 - 0.25
      assert.deepEqual(p.detach().toArray(), [-0.25, -0.25]);
      opt.dispose();
    });
  });

  it('prepareStep is a no-op for a non-capturable optimiser', () => {
    const ps = params(2);
    const opt = new AdamW(ps, { lr: 1e-3 });
    const before = torch.memory().tensors;
    opt.prepareStep();
    assert.equal(torch.memory().tensors, before);
    assert.equal(opt.capturable, false);
    release(ps);
  });

  it('capturable steps cost the same number of operator calls for 1 and 40 parameters', () => {
    const one = params(1);
    const many = params(40);
    for (const [name, make] of cases) {
      const a = make([{ params: one }], { capturable: true });
      const b = make([{ params: many }], { capturable: true });
      a.step();
      b.step();
      const n1 = countCalls(() => a.step());
      const n40 = countCalls(() => b.step());
      assert.equal(n40, n1, `${name}: ${n40} calls for 40 parameters, ${n1} for 1`);
      a.dispose();
      b.dispose();
    }
    release([...one, ...many]);
  });

  it('leaks no tensors across capturable steps, and dispose() frees the device scalars', () => {
    for (const [name, make, options] of cases) {
      const ps = params(3);
      const start = torch.memory().tensors;
      const opt = make(groupsOf(ps, options.lars ?? false), { capturable: true });
      const lr = new LRScheduler(opt, cosineSchedule({ base: 0.1, totalSteps: 10 }));
      opt.step();
      lr.step();
      const afterFirst = torch.memory().tensors;
      for (let i = 0; i < 3; i++) {
        opt.step();
        lr.step();
      }
      assert.equal(torch.memory().tensors, afterFirst, `${name}: steps leaked`);
      opt.dispose();
      assert.equal(torch.memory().tensors, start, `${name}: dispose left tensors`);
      release(ps);
    }
  });

  it('AdamW: stateDict round trip resumes bit-identically (step counts as float32 tensors)', () => {
    torch.scope(() => {
      torch.manualSeed(5);
      const init = [torch.randn([3, 2]), torch.randn([4]), torch.randn([2])];
      const grads = [0, 1, 2, 3].map(() => init.map((t) => torch.randnLike(t)));
      const make = (ps: Tensor[]): AdamW => new AdamW(
        [{ params: [ps[0], ps[1]] }, { params: [ps[2]], lr: 0.05 }], { lr: 0.01, amsgrad: true, capturable: true });
      const a = init.map((t) => t.clone().requiresGrad_());
      const optA = make(a);
      for (const g of grads.slice(0, 3)) {
        a.forEach((p, i) => { p.grad = g[i]; });
        optA.step();
      }
      optA.paramGroups[1].lr = 0.02;
      const sd = optA.stateDict();
      const json = JSON.parse(JSON.stringify(sd.json)) as typeof sd.json;
      assert.deepEqual(json.state['0'], {}, 'the step is a tensor, not a JSON number');
      const step = sd.tensors.get('state.0.step');
      assert.ok(step !== undefined && step.dtype === 'float32' && step.dim() === 0);
      assert.equal(step.item(), 3);

      const b = a.map((p) => p.detach().clone().requiresGrad_());
      const optB = make(b);
      optB.loadStateDict({ json, tensors: new Map([...sd.tensors].map(([k, t]) => [k, t.clone()])) });
      a.forEach((p, i) => { p.grad = grads[3][i]; });
      b.forEach((p, i) => { p.grad = grads[3][i].clone(); });
      optA.step();
      optB.step();
      a.forEach((p, i) => assert.ok(torch.equal(p.detach(), b[i].detach()), `param ${i} differs after resuming`));
      optA.dispose();
      optB.dispose();
    });
  });

  it('AdamW: eager state loads into a capturable optimiser and back', () => {
    torch.scope(() => {
      torch.manualSeed(6);
      const init = [torch.randn([3, 2]), torch.randn([4])];
      const grads = Array.from({ length: 7 }, () => init.map((t) => torch.randnLike(t)));
      const options = { lr: 0.01, betas: [0.85, 0.98] as [number, number], weightDecay: 0.1 };
      const feed = (ps: Tensor[], g: Tensor[]): void => ps.forEach((p, i) => { p.grad = g[i].clone(); });
      const a = init.map((t) => t.clone().requiresGrad_());
      const eager = new AdamW(a, options);
      for (const g of grads.slice(0, 2)) { feed(a, g); eager.step(); }

      // eager -> capturable: the JSON step 2 becomes a float32 tensor at the next step
      const b = a.map((p) => p.detach().clone().requiresGrad_());
      const capturable = new AdamW(b, { ...options, capturable: true });
      capturable.loadStateDict(eager.stateDict());
      for (const g of grads.slice(2, 4)) {
        feed(a, g); eager.step();
        feed(b, g); capturable.step();
      }
      b.forEach((p, i) => assert.ok(torch.allclose(p.detach(), a[i].detach(), { rtol: 1e-6, atol: 1e-7 }), `capturable param ${i}`));
      const sdB = capturable.stateDict();
      assert.equal(sdB.tensors.get('state.1.step')?.item(), 4);

      // capturable -> eager: the tensor step 4 becomes a number again
      const c = b.map((p) => p.detach().clone().requiresGrad_());
      const back = new AdamW(c, options);
      back.loadStateDict({ json: sdB.json, tensors: new Map([...sdB.tensors].map(([k, t]) => [k, t.clone()])) });
      for (const g of grads.slice(4)) {
        feed(a, g); eager.step();
        feed(b, g); capturable.step();
        feed(c, g); back.step();
      }
      c.forEach((p, i) => assert.ok(torch.allclose(p.detach(), a[i].detach(), { rtol: 1e-6, atol: 1e-7 }), `eager-again param ${i}`));
      assert.deepEqual(back.stateDict().json.state['0'], { step: 7 });
      assert.equal(back.stateDict().tensors.has('state.0.step'), false);
      [eager, capturable, back].forEach((o) => o.dispose());
    });
  });

  it('fused SGD needs aten::_fused_sgd_ (libtorch >= 2.1): a clear error on 1.13', function () {
    if (torch.listOps().includes('aten::_fused_sgd_')) this.skip();
    const ps = params(2);
    for (const capturable of [false, true]) {
      const opt = new SGD(ps, { lr: 0.1, momentum: 0.9, fused: true, capturable });
      assert.equal(opt.fused, true);
      assert.throws(() => opt.step(), /SGD fused: true needs aten::_fused_sgd_, which libtorch 1\.13[^ ]* lacks/);
      assert.equal(opt.state.size, 0, 'no state was created');
      opt.dispose();
    }
    assert.throws(() => new SGD(ps, { lr: 0.1, fused: 1 as unknown as boolean }), /Expected a boolean for fused but received 1/);
    assert.throws(() => new AdamW(ps, { capturable: 'yes' as unknown as boolean }), /Expected a boolean for capturable but received yes/);
    release(ps);
  });

  it('capturable fused SGD rejects a weight decay that changes after the first step', () => {
    const ps = params(2);
    const opt = new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4, fused: true, capturable: true });
    // the first step fixes the weight decay (then fails on 1.13, which has no aten::_fused_sgd_)
    if (torch.listOps().includes('aten::_fused_sgd_')) opt.step();
    else assert.throws(() => opt.step(), /_fused_sgd_/);
    opt.paramGroups[0].weightDecay = 2e-4;
    assert.throws(() => opt.prepareStep(),
      /Expected weightDecay 0\.0001 for group 0 of a capturable fused SGD but received 0\.0002/);
    opt.dispose();
    release(ps);
  });

  it('capturable fused AdamW needs aten::_fused_adamw_ (a clear error on 1.13)', function () {
    if (torch.listOps().includes('aten::_fused_adamw_')) this.skip();
    const ps = params(2);
    const opt = new AdamW(ps, { fused: true, capturable: true });
    assert.throws(() => opt.step(), /AdamW fused: true needs aten::_fused_adamw_, which libtorch 1\.13[^ ]* lacks/);
    opt.dispose();
    release(ps);
  });
});
