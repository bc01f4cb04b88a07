import * as assert from 'node:assert/strict';
import { torch } from '../../lib';

const live = () => torch.memory().tensors;

describe('scope and dispose', () => {
  it('dispose() frees now, twice is harmless, later use throws a clear error', () => {
    const before = live();
    const x = torch.ones([4]);
    assert.equal(live(), before + 1);
    x.dispose();
    x.dispose();
    assert.equal(live(), before);
    assert.ok(x.isDisposed);
    assert.throws(() => torch.ops.aten.add(x, x), /argument 'self' is a disposed Tensor/);
    assert.throws(() => x.shape, /Tensor was disposed and cannot be used \(shape\)/);
    assert.throws(() => x.toArray(), /Tensor was disposed/);
  });

  it('frees intermediates and keeps what is returned, in arrays and objects too', () => {
    const before = live();
    const out = torch.scope(() => {
      const a = torch.ones([3]);
      const b = torch.ops.aten.mul(a, a) as torch.Tensor;
      torch.ops.aten.add(a, b);
      return { sum: torch.ops.aten.add(a, b) as torch.Tensor, list: [b] };
    });
    assert.equal(live(), before + 2);
    assert.deepEqual(out.sum.toArray(), [2, 2, 2]);
    assert.deepEqual(out.list[0].toArray(), [1, 1, 1]);
  });

  it('keep() survives scopes until disposed', () => {
    let kept: torch.Tensor | undefined;
    torch.scope(() => {
      kept = torch.keep(torch.zeros([2]));
      torch.zeros([2]);
    });
    assert.ok(kept && !kept.isDisposed);
    kept.dispose();
  });

  it('nested scopes hand returned tensors to the outer scope', () => {
    const before = live();
    torch.scope(() => {
      const inner = torch.scope(() => torch.ones([1]));
      assert.ok(!inner.isDisposed);
      assert.equal(live(), before + 1);
    });
    assert.equal(live(), before);
  });

  it('frees everything when the function throws', () => {
    const before = live();
    assert.throws(() => torch.scope(() => {
      torch.ones([3]);
      throw new Error('boom');
    }), /boom/);
    assert.equal(live(), before);
  });

  it('rejects async functions', () => {
    assert.throws(() => torch.scope(async () => torch.ones([1])), /torch.scope\(fn\) needs a synchronous fn/);
  });

  it('`using` disposes at the end of the block', () => {
    const before = live();
    {
      using t = torch.ones([8]);
      assert.equal(t.numel(), 8);
      assert.equal(live(), before + 1);
    }
    assert.equal(live(), before);
  });

  it('the finalizer frees tensors that were forgotten', async () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    if (!gc) return; // mocha runs with --expose-gc (.mocharc.json)
    const before = live();
    (() => {
      for (let i = 0; i < 200; i++) torch.ones([16]);
    })();
    // Registration waits for the event loop to turn, collection for a GC,
    // and the callbacks for another turn: give it a few rounds.
    for (let i = 0; i < 50 && live() > before; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(live() <= before + 5, `live tensors ${live()} vs ${before} before`);
  });

  it('reports CPU bytes of live tensors', () => {
    const before = torch.memory().cpuBytes;
    const x = torch.zeros([1024], { dtype: 'float64' });
    assert.equal(torch.memory().cpuBytes, before + 8192);
    x.dispose();
    assert.equal(torch.memory().cpuBytes, before);
  });
});
