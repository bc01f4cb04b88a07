// A step is a fixed handful of dispatcher calls, whatever the number of
// parameters (multi-tensor `_foreach_*` operators), and it leaks no tensors.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { countCalls } from '../helpers/count-calls';
import { SGD } from '../../lib/optim/sgd';
import { AdamW } from '../../lib/optim/adamw';
import { LARS } from '../../lib/optim/lars';
import { Optimizer, BaseOptions } from '../../lib/optim/optimizer';
import { clipGradNorm_ } from '../../lib/optim/clip';
import { GradScaler } from '../../lib/optim/grad-scaler';


/** `count` parameters of mixed shapes (conv weights, norm vectors), with gradients. */
function params(count: number): torch.Tensor[] {
  const ps = Array.from({ length: count }, (_, i) => torch.keep(
    (i % 3 === 0 ? torch.randn([4, 2, 3, 3]) : i % 3 === 1 ? torch.randn([4]) : torch.randn([8, 4])).requiresGrad_()));
  for (const p of ps) p.grad = torch.keep(torch.randnLike(p));
  return ps;
}

const makers: [string, (ps: torch.Tensor[]) => Optimizer<BaseOptions>][] = [
  ['SGD momentum + weight decay', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 1e-4 })],
  ['SGD Nesterov', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true })],
  ['AdamW', (ps) => new AdamW(ps, { lr: 1e-3 })],
  ['AdamW amsgrad', (ps) => new AdamW(ps, { lr: 1e-3, amsgrad: true })],
  ['LARS', (ps) => new LARS(ps, { lr: 0.1, weightDecay: 1e-6 })],
];

describe('optim: multi-tensor steps', () => {
  const one = params(1);
  const many = params(160);
  after(() => [...one, ...many].forEach((p) => { p.grad = undefined; p.dispose(); }));

  for (const [name, make] of makers) {
    it(`${name}: the same number of operator calls for 1 and 160 parameters`, () => {
      const a = make(one);
      const b = make(many);
      a.step(); // first steps create state
      b.step();
      const n1 = countCalls(() => a.step());
      const n160 = countCalls(() => b.step());
      assert.equal(n160, n1, `${n160} calls for 160 parameters, ${n1} for 1`);
      assert.ok(n1 <= 25, `${n1} calls per step`);
    });
  }

  it('clipGradNorm_, zeroGrad and GradScaler.unscale_: the same number of calls for 1 and 160 parameters', () => {
    const clip = (ps: torch.Tensor[]): number => countCalls(() => clipGradNorm_(ps, 1e9).dispose());
    assert.equal(clip(many), clip(one));
    const zero = (ps: torch.Tensor[]): number => countCalls(() => new SGD(ps, { lr: 1 }).zeroGrad({ setToNone: false }));
    assert.equal(zero(many), zero(one));
    const unscale = (ps: torch.Tensor[]): number => {
      const scaler = new GradScaler({ initScale: 1 });
      scaler.scale(torch.ones([])).dispose();
      const opt = new SGD(ps, { lr: 1 });
      return countCalls(() => scaler.unscale_(opt));
    };
    assert.equal(unscale(many), unscale(one));
  });

  it('CPU chunking gives the same result as one list', () => {
    const saved = Optimizer.cpuChunkBytes;
    try {
      for (const [name, make] of makers) {
        const results = [16, 1 << 30].map((bytes) => {
          Optimizer.cpuChunkBytes = bytes;
          return torch.scope(() => {
            torch.manualSeed(7);
            const ps = [torch.randn([3, 4]), torch.randn([4]), torch.randn([2, 3])].map((t) => t.requiresGrad_());
            const opt = make(ps);
            for (let i = 0; i < 3; i++) {
              ps.forEach((p) => { p.grad = torch.randnLike(p); });
              opt.step();
            }
            return torch.cat(ps.map((p) => p.detach().flatten()));
          });
        });
        assert.ok(torch.equal(results[0], results[1]), `${name}: chunked and whole steps differ`);
      }
    } finally {
      Optimizer.cpuChunkBytes = saved;
    }
  });

  it('leaks no tensors across steps (optimisers, clipping, loss scaling)', () => {
    const ps = params(12);
    const opts = makers.map(([, make]) => make(ps));
    const scaler = new GradScaler();
    const run = (): void => {
      for (const opt of opts) {
        torch.scope(() => { scaler.scale(torch.ones([])); });
        clipGradNorm_(ps, 10).dispose();
        scaler.step(opt);
        scaler.update();
      }
    };
    run();
    const before = torch.memory().tensors;
    for (let i = 0; i < 5; i++) run();
    assert.equal(torch.memory().tensors, before);
    ps.forEach((p) => { p.grad = undefined; p.dispose(); });
  });
});
