// CUDA against CPU: operators and their gradients, a model's training step,
// autocast bf16, the caching allocator's statistics and a 1,000-step leak
// check, on the same inputs. These need a GPU: on a machine without one they
// are reported as pending, and with SELFSUP_TEST_DEVICE=cuda (set by
// scripts/cuda/build-and-test.sh) a missing GPU is a failure, not a skip.
import * as assert from 'node:assert/strict';
import { torch, nn, models, optim, data } from '../../lib';

type Tensor = torch.Tensor;
const F = nn.functional;
const available = torch.cuda.isAvailable();
const requested = process.env.SELFSUP_TEST_DEVICE === 'cuda';

/** max |a - b| / (atol + rtol |b|) <= 1, with both moved to the CPU. */
function assertNear(actual: Tensor, expected: Tensor, what: string, rtol: number, atol: number): void {
  torch.scope(() => {
    const a = actual.cpu().double();
    const b = expected.cpu().double();
    assert.deepEqual(a.shape, b.shape, `${what}: shape`);
    const excess = a.sub(b).abs().sub(b.abs().mul(rtol)).sub(atol).max().item() as number;
    assert.ok(excess <= 0, `${what}: CUDA and CPU differ by ${excess} beyond atol ${atol} + rtol ${rtol}`);
  });
}

/** A parameter by its state-dict name. */
function param(m: nn.Module, name: string): Tensor {
  const p = new Map(m.namedParameters()).get(name);
  assert.ok(p, `no parameter ${name}`);
  return p;
}

interface Case {
  name: string;
  shapes: number[][];
  fn: (...xs: Tensor[]) => Tensor;
  /** Looser for TF32 convolutions (cuDNN's default) and reductions in another order. */
  rtol?: number;
}

const cases: Case[] = [
  { name: 'add, mul, div', shapes: [[64, 33], [64, 33]], fn: (a, b) => a.add(b).mul(a).div(b.abs().add(1)) },
  { name: 'matmul', shapes: [[31, 64], [64, 17]], fn: (a, b) => a.matmul(b) },
  { name: 'sum, mean, logsumexp', shapes: [[8, 100]], fn: (a) => a.sum(1).add(a.mean(0).sum()).add(a.logsumexp(1)) },
  { name: 'softmax, logSoftmax', shapes: [[16, 50]], fn: (a) => a.softmax(1).add(a.logSoftmax(1)) },
  { name: 'crossEntropy (label smoothing)', shapes: [[32, 10]],
    fn: (a) => F.crossEntropy(a, torch.arange(32, { device: a.device }).remainder(10), { labelSmoothing: 0.1 }) },
  { name: 'conv2d stride 2 padding 1', shapes: [[4, 3, 16, 16], [8, 3, 3, 3]],
    fn: (x, w) => F.conv2d(x, w, null, { stride: 2, padding: 1 }), rtol: 5e-3 },
  { name: 'batchNorm (training)', shapes: [[8, 4, 5, 5], [4], [4]],
    fn: (x, w, b) => F.batchNorm(x, null, null, { weight: w, bias: b, training: true }) },
  { name: 'layerNorm, gelu', shapes: [[6, 7, 32], [32], [32]], fn: (x, w, b) => F.gelu(F.layerNorm(x, [32], { weight: w, bias: b })) },
  { name: 'scaledDotProductAttention', shapes: [[2, 3, 10, 16], [2, 3, 10, 16], [2, 3, 10, 16]],
    fn: (q, k, v) => F.scaledDotProductAttention(q, k, v), rtol: 1e-3 },
  { name: 'maxPool2d, adaptiveAvgPool2d', shapes: [[2, 3, 12, 12]], fn: (x) => F.adaptiveAvgPool2d(F.maxPool2d(x, 2), 3) },
  { name: 'interpolate bilinear', shapes: [[2, 3, 8, 8]], fn: (x) => F.interpolate(x, { size: [13, 11], mode: 'bilinear' }) },
  { name: 'normalize, cosine similarity', shapes: [[10, 24], [10, 24]],
    fn: (a, b) => F.normalize(a, { dim: 1 }).add(F.cosineSimilarity(a, b, { dim: 1 }).unsqueeze(1)) },
  { name: 'indexSelect, gather, cat', shapes: [[10, 6]], fn: (a) => {
    const idx = torch.tensor([3, 1, 4, 1, 5], { dtype: 'int64', device: a.device });
    return torch.cat([a.indexSelect(0, idx), a.gather(1, idx.view([5, 1]).expand([5, 6]).remainder(6))], 0);
  } },
];

(available ? describe : describe.skip)('CUDA against CPU (needs a GPU)', () => {
  // Exact float32 on the GPU: PyTorch's defaults let cuDNN convolutions use
  // TF32 (10-bit mantissa), which put conv1's gradient 0.08 away from the
  // CPU's on an H200. The comparisons below are between float32 results.
  let saved: torch.BackendState;
  before(() => {
    saved = torch.backendState();
    torch.setBackends({ matmulAllowTF32: false, float32MatmulPrecision: 'highest', cudnnAllowTF32: false,
      cudnnBenchmark: false, cudnnDeterministic: true });
  });
  after(() => torch.setBackends(saved));

  for (const c of cases) {
    it(`${c.name}: values and gradients`, () => {
      torch.scope(() => {
        torch.manualSeed(0);
        const cpu = c.shapes.map((s) => torch.randn(s).requiresGrad_());
        const gpu = cpu.map((t) => t.detach().cuda().requiresGrad_());
        const yc = c.fn(...cpu);
        const yg = c.fn(...gpu);
        const rtol = c.rtol ?? 1e-4;
        assertNear(yg, yc, `${c.name} output`, rtol, 1e-5);
        const w = torch.randn(yc.shape);
        yc.mul(w).sum().backward();
        yg.mul(w.cuda()).sum().backward();
        cpu.forEach((t, i) => assertNear(gpu[i].grad!, t.grad!, `${c.name} grad of input ${i}`, rtol * 10, 1e-4));
      });
    });
  }

  it('a ResNet-18 training step on CUDA equals the CPU step (outputs, gradients, SGD update)', () => {
    torch.scope(() => {
      torch.manualSeed(0);
      const a = models.resnet18({ numClasses: 10, smallImages: true });
      const b = models.resnet18({ numClasses: 10, smallImages: true });
      b.loadStateDict(a.stateDict());
      b.to('cuda');
      const x = torch.randn([4, 3, 32, 32]);
      const y = torch.tensor([1, 2, 3, 4], { dtype: 'int64' });
      const oa = new optim.SGD(a.parameters(), { lr: 0.1, momentum: 0.9 });
      const ob = new optim.SGD(b.parameters(), { lr: 0.1, momentum: 0.9 });
      const la = F.crossEntropy(a.forward(x), y);
      const lb = F.crossEntropy(b.forward(x.cuda()), y.cuda());
      assertNear(lb, la, 'loss', 5e-3, 1e-4);
      la.backward();
      lb.backward();
      assertNear(param(b, 'conv1.weight').grad!, param(a, 'conv1.weight').grad!, 'conv1 grad', 1e-2, 1e-4);
      oa.step();
      ob.step();
      assertNear(param(b, 'fc.weight'), param(a, 'fc.weight'), 'fc weight after a step', 1e-2, 1e-3);
    });
  });

  it('AdamW: the fused kernel (where libtorch has it) equals the multi-tensor path on CUDA', function () {
    if (!torch.listOps().includes('aten::_fused_adamw_')) this.skip();
    torch.scope(() => {
      torch.manualSeed(0);
      const p1 = [torch.randn([100], { device: 'cuda' }).requiresGrad_(), torch.randn([7, 3], { device: 'cuda' }).requiresGrad_()];
      const p2 = p1.map((p) => p.detach().clone().requiresGrad_());
      const o1 = new optim.AdamW(p1, { lr: 0.01 });
      const o2 = new optim.AdamW(p2, { lr: 0.01, fused: true });
      for (let i = 0; i < 3; i++) {
        p1.forEach((p, j) => { p.grad = torch.randn(p.shape, { device: 'cuda' }); p2[j].grad = p.grad.clone(); });
        o1.step();
        o2.step();
      }
      p1.forEach((p, j) => assertNear(p2[j], p, `param ${j}`, 1e-5, 1e-6));
    });
  });

  it('autocast bf16 runs linear and conv in bfloat16 close to float32', () => {
    torch.scope(() => {
      torch.manualSeed(0);
      const x = torch.randn([16, 64], { device: 'cuda' });
      const w = torch.randn([32, 64], { device: 'cuda' });
      const full = F.linear(x, w);
      const half = torch.autocast('cuda', 'bfloat16', () => F.linear(x, w));
      assert.equal(half.dtype, 'bfloat16');
      assertNear(half.float(), full, 'bf16 linear', 2e-2, 0.1);
      const img = torch.randn([2, 3, 8, 8], { device: 'cuda' });
      const k = torch.randn([4, 3, 3, 3], { device: 'cuda' });
      assert.equal(torch.autocast('cuda', 'bfloat16', () => F.conv2d(img, k)).dtype, 'bfloat16');
    });
  });

  it('the caching allocator statistics follow allocations', () => {
    torch.cuda.synchronize();
    const before = torch.memory().cuda!.allocatedBytes;
    const t = torch.empty([1 << 20], { device: 'cuda' });
    assert.ok(torch.memory().cuda!.allocatedBytes >= before + 4 * (1 << 20));
    t.dispose();
    assert.equal(torch.memory().cuda!.allocatedBytes, before);
  });

  it('resetPeakMemoryStats restarts the peaks from the current values (torch.cuda.reset_peak_memory_stats)', () => {
    torch.cuda.synchronize();
    torch.cuda.resetPeakMemoryStats();
    const start = torch.cuda.memoryStats();
    assert.equal(start.peakAllocatedBytes, start.allocatedBytes);
    assert.equal(start.peakReservedBytes, start.reservedBytes);
    const t = torch.empty([16 << 20], { device: 'cuda' }); // 64 MiB
    t.dispose();
    const after = torch.cuda.memoryStats();
    assert.equal(after.allocatedBytes, start.allocatedBytes);
    assert.ok(after.peakAllocatedBytes >= start.allocatedBytes + 64 * 2 ** 20, JSON.stringify(after));
    assert.ok(after.peakReservedBytes >= start.reservedBytes + 64 * 2 ** 20, JSON.stringify(after));
    torch.cuda.emptyCache();
    torch.cuda.resetPeakMemoryStats();
    const again = torch.cuda.memoryStats();
    assert.equal(again.peakAllocatedBytes, again.allocatedBytes);
    assert.ok(again.peakReservedBytes < after.peakReservedBytes, JSON.stringify(again));
  });

  it('the Loader delivers the same batches on CUDA (pinned gather, non-blocking copy) without leaking', async () => {
    const ds = data.synthetic({ n: 64, channels: 3, size: 8, classes: 4, seed: 1 });
    const onCpu = new data.Loader(ds, { batchSize: 16, seed: 3 });
    const onGpu = new data.Loader(ds, { batchSize: 16, seed: 3, device: 'cuda' });
    const before = torch.memory().tensors;
    const cpuBatches: data.Batch[] = [];
    for await (const b of onCpu.epoch(1)) cpuBatches.push(b);
    let i = 0;
    for await (const b of onGpu.epoch(1)) {
      assert.equal(b.images.device, 'cuda:0');
      assert.ok(torch.scope(() => b.images.cpu().equal(cpuBatches[i].images)), `batch ${i} images`);
      assert.ok(torch.scope(() => b.labels!.cpu().equal(cpuBatches[i].labels!)), `batch ${i} labels`);
      data.disposeBatch(b);
      i++;
    }
    assert.equal(i, 4);
    cpuBatches.forEach((b) => data.disposeBatch(b));
    assert.equal(torch.memory().tensors, before);
    data.disposeDataset(ds);
  });

  it('1,000 training steps on CUDA keep live tensors and allocated bytes flat', () => {
    torch.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(64, 128), new nn.ReLU(), new nn.Linear(128, 10)).to('cuda');
    const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
    const x = torch.keep(torch.randn([32, 64], { device: 'cuda' }));
    const y = torch.keep(torch.randint(0, 10, [32], { device: 'cuda' }));
    const step = (): void => torch.scope(() => {
      const loss = F.crossEntropy(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
    for (let i = 0; i < 100; i++) step();
    torch.cuda.synchronize();
    const at100 = torch.memory();
    for (let i = 0; i < 900; i++) step();
    torch.cuda.synchronize();
    const at1000 = torch.memory();
    assert.equal(at1000.tensors, at100.tensors);
    assert.equal(at1000.cuda!.allocatedBytes, at100.cuda!.allocatedBytes);
    model.dispose();
    x.dispose();
    y.dispose();
  });
});

describe('CUDA test device', () => {
  it('a GPU is present when SELFSUP_TEST_DEVICE=cuda asks for one', () => {
    if (requested) assert.ok(available, 'SELFSUP_TEST_DEVICE=cuda but torch.cuda.isAvailable() is false: the CUDA build or driver is broken');
    else assert.equal(typeof available, 'boolean');
  });
});
