import { strict as assert } from 'assert';
import * as torch from '../../lib/torch';
import { native as n } from '../../lib/torch/native';

const cuda = torch.cuda.isAvailable();

describe('CUDA graph capture rules (any device)', () => {
  it('checkCapturable runs the function and returns its result', () => {
    const y = torch.scope(() => torch.cuda.checkCapturable(() => torch.ones([3]).mul(2)));
    assert.deepEqual(y.toArray(), [2, 2, 2]);
    y.dispose();
  });

  it('refuses host reads inside a capture, naming the call', () => {
    torch.scope(() => {
      const x = torch.ones([2]);
      assert.throws(() => torch.cuda.checkCapturable(() => x.sum().item()),
        /item\(\) reads a tensor back to the host during checkCapturable: a CUDA graph cannot capture a host synchronisation/);
      assert.throws(() => torch.cuda.checkCapturable(() => x.toArray()), /toTypedArray\(\) reads a tensor back/);
      assert.throws(() => torch.cuda.checkCapturable(() => x.asTypedArray()), /asTypedArray\(\) reads a tensor back/);
      assert.throws(() => torch.cuda.checkCapturable(() => String(x)), /reads a tensor back/);
      // The rules end with the rehearsal.
      assert.equal(torch.cuda.isCapturing(), false);
      assert.equal(x.sum().item(), 2);
    });
  });

  it('refuses copies from CPU tensors to the GPU inside a capture', () => {
    torch.scope(() => {
      const x = torch.ones([2]);
      assert.throws(() => torch.cuda.checkCapturable(() => x.to('cuda')),
        /to\('cuda'\) copies a CPU tensor to the GPU during checkCapturable/);
      assert.throws(() => torch.cuda.checkCapturable(() => x.to({ device: 'cuda:0', dtype: 'float16' })),
        /copies a CPU tensor to the GPU/);
      // CPU to CPU and dtype changes are fine.
      torch.cuda.checkCapturable(() => x.to('float64').to('cpu'));
    });
  });

  it('refuses operators whose output shape depends on the data, by every route', () => {
    torch.scope(() => {
      const x = torch.tensor([0, 1, 2, 0]);
      const msg = /nonzero\(\) has an output whose shape or value depends on the data, so CUDA reads it back to the host, during checkCapturable/;
      assert.throws(() => torch.cuda.checkCapturable(() => x.nonzero()), msg);
      assert.throws(() => torch.cuda.checkCapturable(() => torch.ops.aten.nonzero(x)), msg);
      assert.throws(() => torch.cuda.checkCapturable(() => torch.ops.aten.nonzero.default(x)), msg);
      assert.throws(() => torch.cuda.checkCapturable(() => x.maskedSelect(x.gt(0))), /masked_select\(\) has an output whose shape/);
      assert.throws(() => torch.cuda.checkCapturable(() => torch.ops.aten._unique2(x)), /_unique2\(\) has an output/);
      // Fixed-shape forms are fine, and the same calls work outside.
      torch.cuda.checkCapturable(() => torch.where(x.gt(0), x, 0));
      assert.deepEqual(x.nonzero().toArray(), [[1], [2]]);
    });
  });

  it('isCapturing is true only inside', () => {
    assert.equal(torch.cuda.isCapturing(), false);
    assert.equal(torch.cuda.checkCapturable(() => torch.cuda.isCapturing()), true);
    assert.throws(() => torch.cuda.checkCapturable(() => { throw new Error('boom'); }), /boom/);
    assert.equal(torch.cuda.isCapturing(), false);
  });

  it('DeviceScalar: set writes the tensor; a changed value inside a capture is refused', () => {
    const s = new torch.DeviceScalar(0.5);
    try {
      assert.equal(s.value, 0.5);
      assert.equal(s.tensor.item(), 0.5);
      s.set(0.25);
      assert.equal(s.tensor.item(), 0.25);
      torch.cuda.checkCapturable(() => s.set(0.25)); // unchanged: nothing to record
      assert.throws(() => torch.cuda.checkCapturable(() => s.set(0.125)),
        /DeviceScalar.set\(0.125\) during checkCapturable: the graph would replay the value it records/);
      assert.equal(s.value, 0.25);
      assert.throws(() => s.set(NaN), /Expected a number for a DeviceScalar but received NaN/);
      const scoped = torch.scope(() => s.tensor.mul(4));
      assert.equal(scoped.item(), 1);
      scoped.dispose();
      assert.equal(s.tensor.isDisposed, false, 'the scalar survives scopes');
    } finally {
      s.dispose();
    }
  });

  it('the autocast weight cache can be switched off and on', () => {
    // Through the addon (capture turns it off and restores it).
    assert.equal(n.autocastCacheEnabled(), true);
    n.setAutocastCacheEnabled(false);
    assert.equal(n.autocastCacheEnabled(), false);
    n.setAutocastCacheEnabled(true);
    assert.equal(n.autocastCacheEnabled(), true);
  });
});

describe('CUDA graphs without a GPU', function () {
  if (cuda) return;
  it('say that they need a CUDA build and a GPU', () => {
    assert.throws(() => new torch.cuda.CUDAGraph(), /A CUDA graph needs a CUDA build of libtorch and a GPU: this libtorch \S+ build/);
    assert.throws(() => torch.cuda.onSideStream(() => 1), /A side stream needs a CUDA build of libtorch and a GPU/);
    assert.throws(() => torch.cuda.getRngState(), /No CUDA device 0 for its random generator: 0 visible \(this libtorch \S+\)/);
  });
});

describe('CUDA graphs (GPU)', function () {
  before(function () {
    if (!cuda) this.skip(); // GPU only: no CUDA device on this machine
  });

  it('replays the captured kernels on new static inputs', () => {
    const x = torch.keep(torch.zeros([4], { device: 'cuda' }));
    const g = new torch.cuda.CUDAGraph();
    let y!: torch.Tensor;
    try {
      g.capture(() => { y = torch.keep(torch.scope(() => x.mul(2).add(1))); });
      assert.equal(g.isCaptured, true);
      for (const v of [1, 5, -3]) {
        x.fill_(v);
        g.replay();
        assert.deepEqual(y.cpu().toArray(), [2 * v + 1, 2 * v + 1, 2 * v + 1, 2 * v + 1]);
      }
    } finally {
      g.dispose();
      y?.dispose();
      x.dispose();
    }
  });

  it('saves and restores the GPU generator (torch.cuda.getRngState / setRngState)', () => {
    torch.scope(() => {
      torch.manualSeed(1);
      const state = torch.cuda.getRngState();
      assert.equal(state.dtype, 'uint8');
      const a = torch.rand([5], { device: 'cuda' }).cpu().toArray();
      torch.cuda.setRngState(state);
      const b = torch.rand([5], { device: 'cuda' }).cpu().toArray();
      assert.deepEqual(b, a);
    });
  });

  it('reads DeviceScalars at replay', () => {
    const lr = new torch.DeviceScalar(0.1, { device: 'cuda' });
    const p = torch.keep(torch.ones([3], { device: 'cuda' }));
    const g = new torch.cuda.CUDAGraph();
    try {
      g.capture(() => torch.scope(() => { p.sub_(lr.tensor); }));
      lr.set(0.5);
      g.replay();
      lr.set(0.25);
      g.replay();
      assert.ok(Math.abs(Number(p.cpu().sum().item()) - 3 * 0.25) < 1e-6);
    } finally {
      g.dispose();
      p.dispose();
      lr.dispose();
    }
  });

  it('explains a host synchronisation inside capture and can capture again', () => {
    const x = torch.keep(torch.ones([4], { device: 'cuda' }));
    const g = new torch.cuda.CUDAGraph();
    try {
      assert.throws(() => g.capture(() => { x.sum().item(); }), /item\(\) reads a tensor back to the host during CUDA graph capture/);
      assert.throws(() => g.capture(() => { x.nonzero(); }), /nonzero\(\) has an output whose shape .* during CUDA graph capture/);
      // A synchronising operator the JS rules do not list: CUDA's own error, explained.
      const repeats = torch.keep(torch.ones([4], { dtype: 'int64', device: 'cuda' }));
      try {
        assert.throws(() => g.capture(() => { torch.ops.aten.repeat_interleave.Tensor(repeats); }),
          /The step cannot be captured in a CUDA graph: .*Common causes: an operator that synchronises with the host/s);
      } finally {
        repeats.dispose();
      }
      assert.equal(g.isCaptured, false);
      g.capture(() => { torch.scope(() => x.mul_(2)); });
      g.replay();
      assert.deepEqual(x.cpu().toArray(), [2, 2, 2, 2]);
    } finally {
      g.dispose();
      x.dispose();
    }
  });
});
