import * as assert from 'node:assert/strict';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
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

  it('a scope\'s tensors do not make V8 collect garbage (their bytes are not reported as external memory)', async () => {
    // Reported, the bytes of tensors that a scope frees itself made V8 start a full mark-compact for
    // "external memory pressure" in every ResNet training step (native/handle.cc); only tensors left to
    // the garbage collector are reported now. 10 scopes of 32 x 16 MB (empty: no page is touched), with a
    // little JS allocation between them, ran 14 major GCs before the change and 0 after.
    let majors = 0;
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) majors++;
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    let junk: unknown[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        torch.scope(() => {
          for (let j = 0; j < 32; j++) {
            torch.empty([4 << 20]);
            junk = [junk, new Array(100).fill(j)];
          }
        });
      }
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      obs.disconnect();
    }
    assert.ok(junk.length === 2);
    assert.ok(majors <= 1, `${majors} major GCs while scopes made and freed 5 GB of tensors`);
  });

  it('reports CPU bytes of live tensors', () => {
    const before = torch.memory().cpuBytes;
    const x = torch.zeros([1024], { dtype: 'float64' });
    assert.equal(torch.memory().cpuBytes, before + 8192);
    x.dispose();
    assert.equal(torch.memory().cpuBytes, before);
  });
});
