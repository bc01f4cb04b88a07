// GradScaler on CPU tensors, against the numbers torch.cuda.amp.GradScaler
// produces: unscaled gradients, skipped steps, backoff and growth.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { SGD } from '../../lib/optim/sgd';
import { GradScaler } from '../../lib/optim/grad-scaler';

const values = (t: torch.Tensor): number[] => Array.from(t.toTypedArray() as Float32Array);

describe('optim: GradScaler', () => {
  it('scales, unscales, steps, skips on inf and NaN, backs off and grows', () => {
    torch.scope(() => {
      const p = torch.tensor([1, 2]).requiresGrad_();
      const w = torch.tensor([0.5, -0.25]);
      const opt = new SGD([p], { lr: 1 });
      const scaler = new GradScaler({ initScale: 4, growthInterval: 2 });
      const backward = (): void => torch.scope(() => {
        const loss = p.mul(w).sum();
        const scaled = scaler.scale(loss);
        assert.equal(scaled.item(), scaler.getScale() * Number(loss.item()));
        scaled.backward();
      });

      backward();
      assert.deepEqual(values(p.grad!), [2, -1]);
      assert.equal(scaler.step(opt), true);
      assert.deepEqual(values(p), [0.5, 2.25], 'stepped with unscaled gradients');
      scaler.update();
      assert.deepEqual([scaler.getScale(), scaler.stateDict()._growth_tracker], [4, 1]);
      opt.zeroGrad();

      backward();
      scaler.unscale_(opt);
      assert.deepEqual(values(p.grad!), [0.5, -0.25]);
      assert.throws(() => scaler.unscale_(opt), /unscale_\(\) has already been called on this optimizer/);
      assert.equal(scaler.step(opt), true);
      assert.throws(() => scaler.step(opt), /step\(\) has already been called since the last update\(\)/);
      scaler.update();
      assert.deepEqual([scaler.getScale(), scaler.stateDict()._growth_tracker], [8, 0], 'grows after growthInterval clean steps');
      opt.zeroGrad();

      backward();
      p.grad = torch.tensor([Infinity, 1]);
      assert.equal(scaler.step(opt), false, 'inf: skipped');
      assert.deepEqual(values(p), [0, 2.5]);
      scaler.update();
      assert.deepEqual([scaler.getScale(), scaler.stateDict()._growth_tracker], [4, 0], 'backs off');

      backward();
      p.grad = torch.tensor([1, NaN]);
      assert.equal(scaler.step(opt), false, 'NaN: skipped');
      assert.deepEqual(values(p), [0, 2.5]);
      scaler.update();
      assert.equal(scaler.getScale(), 2);

      backward();
      scaler.step(opt);
      scaler.update(1024);
      assert.equal(scaler.getScale(), 1024, 'update(newScale)');
    });
  });

  it('keeps the scale when growing would overflow float32, and resets the tracker', () => {
    torch.scope(() => {
      const p = torch.tensor([1]).requiresGrad_();
      const opt = new SGD([p], { lr: 0 });
      const scaler = new GradScaler({ initScale: 3e38, growthInterval: 1 });
      torch.scope(() => scaler.scale(p.sum()).backward());
      scaler.step(opt);
      scaler.update();
      assert.equal(scaler.getScale(), Math.fround(3e38));
      assert.equal(scaler.stateDict()._growth_tracker, 0);
    });
  });

  it('passes through when disabled, and restores its state', () => {
    torch.scope(() => {
      const p = torch.tensor([1]).requiresGrad_();
      const opt = new SGD([p], { lr: 1 });
      const off = new GradScaler({ enabled: false });
      const loss = p.sum();
      assert.equal(off.scale(loss), loss);
      loss.backward();
      assert.equal(off.step(opt), true);
      assert.deepEqual(values(p), [0]);
      assert.equal(off.getScale(), 1);

      const a = new GradScaler();
      a.loadStateDict({ scale: 512, _growth_tracker: 7 });
      assert.deepEqual(a.stateDict(), { scale: 512, growth_factor: 2, backoff_factor: 0.5, growth_interval: 2000, _growth_tracker: 7 });
      assert.throws(() => new GradScaler().unscale_(opt), /called before scale\(\)/);
    });
  });
});
