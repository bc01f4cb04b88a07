// Parity of the nn layers with PyTorch: the same weights (copied from here to
// Python through the state dict) and the same inputs give the same outputs,
// input and parameter gradients, and buffers after the step. A second suite
// checks that default initialisation after the same seed gives PyTorch's values.
import { execFileSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import * as nn from '../../lib/nn';
import { PYTHON, input, parity } from '../helpers/parity';

type Tensor = torch.Tensor;

interface Packed { shape: number[]; dtype: string; data: number[] }
interface Result {
  error?: string;
  state?: Record<string, Packed>;
  output?: Packed;
  inputGrads?: (Packed | null)[];
  paramGrads?: Record<string, Packed>;
}

function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'selfsup') return dir;
    if (path.dirname(dir) === dir) throw new Error(`no selfsup package.json above ${__dirname}`);
  }
}

function runPython(cases: object[]): Result[] {
  const script = path.join(repoRoot(), 'test', 'helpers', 'nn_layers.py');
  const out = execFileSync(PYTHON, [script], { input: JSON.stringify(cases), maxBuffer: 1 << 30, encoding: 'utf8' });
  return JSON.parse(out) as Result[];
}

function pack(t: Tensor): Packed {
  const d = t.detach();
  const data = d.dtype === 'int64' ? Array.from(d.toTypedArray() as BigInt64Array, Number)
    : Array.from(d.to('float64').toTypedArray() as Float64Array);
  return { shape: [...t.shape], dtype: t.dtype, data };
}

function packState(m: nn.Module): Record<string, Packed> {
  return Object.fromEntries([...m.stateDict()].map(([k, t]) => [k, pack(t)]));
}

function compare(what: string, actual: Tensor, expected: Packed | null | undefined, rtol: number, atol: number): void {
  assert.ok(expected, `${what}: PyTorch has none`);
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  assert.equal(actual.dtype, expected.dtype, `${what}: dtype`);
  const got = pack(actual).data;
  for (let i = 0; i < got.length; i++) {
    const e: number = expected.data[i];
    if (!(Math.abs(got[i] - e) <= atol + rtol * Math.abs(e))) {
      assert.fail(`${what}[${i}]: got ${got[i]}, expected ${e} (rtol ${rtol}, atol ${atol})`);
    }
  }
}

function gradWeights(t: Tensor): Tensor {
  const w = Float64Array.from({ length: t.numel() }, (_, i) => Math.sin(0.37 * i + 0.1));
  return torch.tensor(w, { shape: t.shape }).to(t.dtype);
}

interface InputSpec { shape: number[]; int?: number }
interface LayerCase {
  name: string;
  /** The module here. */
  make: () => nn.TensorModule;
  /** The same module in Python (`nn`, `F`, `TimmAttention`, `TimmMlp` in scope). */
  py: string;
  inputs: InputSpec[];
  train?: boolean;
  /** Forward passes before backward (the gradient is of the sum over all of them). */
  steps?: number;
  rtol?: number;
  atol?: number;
}

/** Registers a suite that compares each case's forward and backward with PyTorch's. */
function layerParity(title: string, cases: LayerCase[]): void {
  describe(`parity: ${title}`, function () {
    this.timeout(120000);
    const prepared = cases.map((c, i) => torch.scope(() => {
      const g = new torch.Generator().manualSeed(100 + i);
      const module = c.make();
      // Non-default parameter values, so that ones/zeros initialisations are not what is compared.
      torch.noGrad(() => {
        for (const p of module.parameters()) p.add_(torch.randn(p.shape, { generator: g }).mul(0.1));
      });
      const inputs = c.inputs.map((s) => torch.keep(s.int !== undefined
        ? torch.randint(0, s.int, s.shape, { generator: g })
        : torch.randn(s.shape, { generator: g })));
      return { module, inputs, state: packState(module) };
    }));
    let refs: Result[] = [];
    before(() => {
      refs = runPython(cases.map((c, i) => ({
        kind: 'forward', ctor: c.py, state: prepared[i].state, train: c.train ?? true, steps: c.steps ?? 1,
        inputs: prepared[i].inputs.map((t) => ({ ...pack(t), requiresGrad: t.dtype !== 'int64' })),
      })));
    });
    after(() => {
      for (const p of prepared) {
        p.module.dispose();
        for (const t of p.inputs) t.dispose();
      }
    });
    cases.forEach((c, i) => {
      it(c.name, () => {
        const ref = refs[i];
        assert.ok(ref && !ref.error, `PyTorch failed on the reference: ${ref?.error}`);
        const { module, inputs } = prepared[i];
        const rtol = c.rtol ?? 1e-4;
        const atol = c.atol ?? 1e-5;
        module.train(c.train ?? true);
        torch.scope(() => {
          const leaves = inputs.map((t) => (t.dtype === 'int64' ? t : t.detach().requiresGrad_()));
          const outs: Tensor[] = [];
          for (let s = 0; s < (c.steps ?? 1); s++) outs.push(module.forward(leaves[0]));
          const out = outs[outs.length - 1];
          compare('output', out, ref.output, rtol, atol);
          let total = outs[0].mul(gradWeights(outs[0])).sum();
          for (const o of outs.slice(1)) total = total.add(o.mul(gradWeights(o)).sum());
          total.backward();
          leaves.forEach((t, k) => {
            if (t.dtype !== 'int64') compare(`grad of input ${k}`, t.grad!, ref.inputGrads?.[k], rtol * 10, atol * 10);
          });
          const grads = ref.paramGrads ?? {};
          const named = [...module.namedParameters()];
          assert.deepEqual(named.map(([k]) => k).sort(), Object.keys(grads).sort(), 'parameters with gradients');
          for (const [k, p] of named) compare(`grad of ${k}`, p.grad!, grads[k], rtol * 10, atol * 10);
          const state = module.stateDict();
          assert.deepEqual([...state.keys()], Object.keys(ref.state ?? {}), 'state-dict keys after the step');
          for (const [k, t] of state) compare(`${k} after the step`, t, ref.state![k], rtol, atol);
        });
        module.zeroGrad();
      });
    });
  });
}

layerParity('nn layers', [
  { name: 'Linear', make: () => new nn.Linear(5, 3), py: 'nn.Linear(5, 3)', inputs: [{ shape: [4, 5] }] },
  { name: 'Linear without bias on (B, N, C)', make: () => new nn.Linear(6, 4, { bias: false }),
    py: 'nn.Linear(6, 4, bias=False)', inputs: [{ shape: [2, 3, 6] }] },
  { name: 'Conv2d', make: () => new nn.Conv2d(3, 4, 3), py: 'nn.Conv2d(3, 4, 3)', inputs: [{ shape: [2, 3, 7, 7] }] },
  { name: 'Conv2d stride 2 padding 1 no bias', make: () => new nn.Conv2d(3, 6, 3, { stride: 2, padding: 1, bias: false }),
    py: 'nn.Conv2d(3, 6, 3, stride=2, padding=1, bias=False)', inputs: [{ shape: [2, 3, 8, 8] }] },
  { name: 'Conv2d groups 2, rectangular kernel, dilation', make: () => new nn.Conv2d(4, 6, [3, 2], { groups: 2, dilation: 2, padding: [1, 2] }),
    py: 'nn.Conv2d(4, 6, (3, 2), groups=2, dilation=2, padding=(1, 2))', inputs: [{ shape: [1, 4, 9, 8] }] },
  { name: 'Conv2d padding same', make: () => new nn.Conv2d(2, 3, 3, { padding: 'same' }),
    py: "nn.Conv2d(2, 3, 3, padding='same')", inputs: [{ shape: [1, 2, 6, 6] }] },
  { name: 'ConvTranspose2d stride 2', make: () => new nn.ConvTranspose2d(4, 3, 2, { stride: 2 }),
    py: 'nn.ConvTranspose2d(4, 3, 2, stride=2)', inputs: [{ shape: [2, 4, 5, 5] }] },
  { name: 'ConvTranspose2d padding, outputPadding, groups', make: () => new nn.ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
    py: 'nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)', inputs: [{ shape: [1, 4, 4, 4] }] },
  { name: 'BatchNorm2d training, two steps (running stats)', make: () => new nn.BatchNorm2d(3),
    py: 'nn.BatchNorm2d(3)', inputs: [{ shape: [4, 3, 5, 5] }], steps: 2 },
  { name: 'BatchNorm2d training, momentum null (cumulative average)', make: () => new nn.BatchNorm2d(3, { momentum: null }),
    py: 'nn.BatchNorm2d(3, momentum=None)', inputs: [{ shape: [4, 3, 2, 2] }], steps: 3 },
  { name: 'BatchNorm2d evaluation', make: () => new nn.BatchNorm2d(3), py: 'nn.BatchNorm2d(3)',
    inputs: [{ shape: [2, 3, 4, 4] }], train: false },
  { name: 'BatchNorm2d without running stats, in evaluation', make: () => new nn.BatchNorm2d(3, { trackRunningStats: false }),
    py: 'nn.BatchNorm2d(3, track_running_stats=False)', inputs: [{ shape: [2, 3, 4, 4] }], train: false },
  { name: 'BatchNorm1d (N, C) training', make: () => new nn.BatchNorm1d(5, { momentum: 0.3, eps: 1e-3 }),
    py: 'nn.BatchNorm1d(5, momentum=0.3, eps=1e-3)', inputs: [{ shape: [8, 5] }] },
  { name: 'BatchNorm1d (N, C, L) not affine', make: () => new nn.BatchNorm1d(4, { affine: false }),
    py: 'nn.BatchNorm1d(4, affine=False)', inputs: [{ shape: [3, 4, 6] }] },
  { name: 'LayerNorm', make: () => new nn.LayerNorm(8, { eps: 1e-6 }), py: 'nn.LayerNorm(8, eps=1e-6)',
    inputs: [{ shape: [2, 5, 8] }] },
  { name: 'LayerNorm over two dimensions', make: () => new nn.LayerNorm([3, 4]), py: 'nn.LayerNorm([3, 4])',
    inputs: [{ shape: [2, 3, 4] }] },
  { name: 'GroupNorm', make: () => new nn.GroupNorm(2, 6), py: 'nn.GroupNorm(2, 6)', inputs: [{ shape: [2, 6, 3, 3] }] },
  { name: 'Embedding', make: () => new nn.Embedding(10, 4), py: 'nn.Embedding(10, 4)', inputs: [{ shape: [3, 5], int: 10 }] },
  { name: 'Embedding with paddingIdx', make: () => new nn.Embedding(7, 3, { paddingIdx: 2 }),
    py: 'nn.Embedding(7, 3, padding_idx=2)', inputs: [{ shape: [12], int: 7 }] },
  { name: 'Attention (timm)', make: () => new nn.Attention(16, { numHeads: 4, qkvBias: true }),
    py: 'TimmAttention(16, num_heads=4, qkv_bias=True)', inputs: [{ shape: [2, 5, 16] }] },
  { name: 'Attention without qkv bias, one head', make: () => new nn.Attention(8, { numHeads: 1 }),
    py: 'TimmAttention(8, num_heads=1)', inputs: [{ shape: [1, 7, 8] }] },
  { name: 'Mlp (timm)', make: () => new nn.Mlp(6, { hiddenFeatures: 12 }), py: 'TimmMlp(6, hidden_features=12)',
    inputs: [{ shape: [2, 3, 6] }] },
  { name: 'Mlp with ReLU and outFeatures', make: () => new nn.Mlp(6, { hiddenFeatures: 5, outFeatures: 2, act: () => new nn.ReLU() }),
    py: 'TimmMlp(6, hidden_features=5, out_features=2, act_layer=nn.ReLU)', inputs: [{ shape: [4, 6] }] },
  { name: 'weightNorm(Linear)', make: () => nn.weightNorm(new nn.Linear(5, 4)),
    py: 'torch.nn.utils.weight_norm(nn.Linear(5, 4))', inputs: [{ shape: [3, 5] }] },
  { name: 'weightNorm(Linear without bias), dim null', make: () => nn.weightNorm(new nn.Linear(5, 4, { bias: false }), 'weight', null),
    py: 'torch.nn.utils.weight_norm(nn.Linear(5, 4, bias=False), dim=None)', inputs: [{ shape: [3, 5] }] },
  { name: 'weightNorm(Conv2d), two forwards', make: () => nn.weightNorm(new nn.Conv2d(2, 3, 3)),
    py: 'torch.nn.utils.weight_norm(nn.Conv2d(2, 3, 3))', inputs: [{ shape: [1, 2, 5, 5] }], steps: 2 },
  { name: 'Sequential of Conv2d, BatchNorm2d, ReLU', make: () => new nn.Sequential(new nn.Conv2d(2, 4, 3, { padding: 1, bias: false }),
    new nn.BatchNorm2d(4), new nn.ReLU()),
  py: 'nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU())', inputs: [{ shape: [2, 2, 5, 5] }] },
  { name: 'MaxPool2d, AdaptiveAvgPool2d, Flatten (ResNet stem and head)',
    make: () => new nn.Sequential(new nn.MaxPool2d(3, { stride: 2, padding: 1 }), new nn.AdaptiveAvgPool2d(1), new nn.Flatten()),
    py: 'nn.Sequential(nn.MaxPool2d(3, stride=2, padding=1), nn.AdaptiveAvgPool2d(1), nn.Flatten())', inputs: [{ shape: [2, 3, 9, 9] }] },
  { name: 'AvgPool2d ceil mode, Tanh, Sigmoid', make: () => new nn.Sequential(new nn.AvgPool2d(2, { ceilMode: true }), new nn.Tanh(), new nn.Sigmoid()),
    py: 'nn.Sequential(nn.AvgPool2d(2, ceil_mode=True), nn.Tanh(), nn.Sigmoid())', inputs: [{ shape: [1, 2, 5, 5] }] },
  { name: 'GELU tanh and SiLU', make: () => new nn.Sequential(new nn.GELU({ approximate: 'tanh' }), new nn.SiLU()),
    py: "nn.Sequential(nn.GELU(approximate='tanh'), nn.SiLU())", inputs: [{ shape: [3, 7] }] },
]);

interface InitCase { name: string; make: () => nn.Module; py: string }

const initCases: InitCase[] = [
  { name: 'Linear(5, 3)', make: () => new nn.Linear(5, 3), py: 'nn.Linear(5, 3)' },
  { name: 'Linear(64, 10) without bias', make: () => new nn.Linear(64, 10, { bias: false }), py: 'nn.Linear(64, 10, bias=False)' },
  { name: 'Conv2d(3, 8, 3)', make: () => new nn.Conv2d(3, 8, 3), py: 'nn.Conv2d(3, 8, 3)' },
  { name: 'Conv2d(4, 6, (3, 5), groups 2)', make: () => new nn.Conv2d(4, 6, [3, 5], { groups: 2 }), py: 'nn.Conv2d(4, 6, (3, 5), groups=2)' },
  { name: 'ConvTranspose2d(4, 6, 2, groups 2)', make: () => new nn.ConvTranspose2d(4, 6, 2, { groups: 2 }),
    py: 'nn.ConvTranspose2d(4, 6, 2, groups=2)' },
  { name: 'Embedding(10, 4)', make: () => new nn.Embedding(10, 4), py: 'nn.Embedding(10, 4)' },
  { name: 'Embedding(6, 3, paddingIdx -1)', make: () => new nn.Embedding(6, 3, { paddingIdx: -1 }), py: 'nn.Embedding(6, 3, padding_idx=-1)' },
  { name: 'BatchNorm2d(4)', make: () => new nn.BatchNorm2d(4), py: 'nn.BatchNorm2d(4)' },
  { name: 'LayerNorm(6)', make: () => new nn.LayerNorm(6), py: 'nn.LayerNorm(6)' },
  { name: 'GroupNorm(2, 4)', make: () => new nn.GroupNorm(2, 4), py: 'nn.GroupNorm(2, 4)' },
  { name: 'Attention(8, 2 heads, qkv bias) in timm order', make: () => new nn.Attention(8, { numHeads: 2, qkvBias: true }),
    py: 'TimmAttention(8, num_heads=2, qkv_bias=True)' },
  { name: 'Mlp(4, hidden 8)', make: () => new nn.Mlp(4, { hiddenFeatures: 8 }), py: 'TimmMlp(4, hidden_features=8)' },
  { name: 'Sequential(Linear, ReLU, Linear)', make: () => new nn.Sequential(new nn.Linear(3, 5), new nn.ReLU(), new nn.Linear(5, 2)),
    py: 'nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))' },
];

describe('parity: default initialisation after manualSeed', function () {
  this.timeout(120000);
  let refs: Result[] = [];
  before(() => {
    refs = runPython(initCases.map((c, i) => ({ kind: 'init', seed: i, ctor: c.py })));
  });
  initCases.forEach((c, i) => {
    it(c.name, () => {
      const ref = refs[i];
      assert.ok(ref && !ref.error, `PyTorch failed on the reference: ${ref?.error}`);
      torch.manualSeed(i);
      const m = c.make();
      const state = m.stateDict();
      assert.deepEqual([...state.keys()], Object.keys(ref.state ?? {}), 'state-dict keys in PyTorch order');
      // Exact equality: the same generator stream and the same bounds.
      for (const [k, t] of state) compare(k, t, ref.state![k], 0, 0);
      m.dispose();
    });
  });
});

const seeded = <T>(fn: () => T): T => {
  torch.manualSeed(0);
  return fn();
};

// The reference side seeds torch.manual_seed(0) before each case.
parity('nn.init, Dropout and DropPath after manualSeed', [
  { name: 'truncNormal_ std 0.02 (timm ViT)', inputs: [],
    js: () => seeded(() => nn.init.truncNormal_(torch.empty([500]), { std: 0.02 })),
    py: 'torch.nn.init.trunc_normal_(torch.empty(500), std=0.02)' },
  { name: 'truncNormal_ mean 1, std 2, a -1, b 2', inputs: [],
    js: () => seeded(() => nn.init.truncNormal_(torch.empty([20, 25]), { mean: 1, std: 2, a: -1, b: 2 })),
    py: 'torch.nn.init.trunc_normal_(torch.empty(20, 25), mean=1, std=2, a=-1, b=2)' },
  // Both samplers on any libtorch, against test/helpers/init_ref.py (the defaults above call the real function).
  { name: 'truncNormal_ sampler inverse-cdf, mean 1, std 2, a -1, b 2', inputs: [],
    js: () => seeded(() => nn.init.truncNormal_(torch.empty([20, 25]), { mean: 1, std: 2, a: -1, b: 2, sampler: 'inverse-cdf' })),
    py: 'trunc_normal_inverse_cdf(torch.empty(20, 25), mean=1, std=2, a=-1, b=2)' },
  { name: 'truncNormal_ sampler rejection, mass > 0.3: normal draws redrawn (std 1, a -1, b 1.5)', inputs: [],
    js: () => seeded(() => nn.init.truncNormal_(torch.empty([500]), { a: -1, b: 1.5, sampler: 'rejection' })),
    py: 'trunc_normal_rejection(torch.empty(500), a=-1, b=1.5)' },
  { name: 'truncNormal_ sampler rejection, mass <= 0.3: uniform draws accepted by density (mean 1, std 2, a -0.2, b 0.5)',
    inputs: [],
    js: () => seeded(() => nn.init.truncNormal_(torch.empty([20, 25]), { mean: 1, std: 2, a: -0.2, b: 0.5, sampler: 'rejection' })),
    py: 'trunc_normal_rejection(torch.empty(20, 25), mean=1, std=2, a=-0.2, b=0.5)' },
  { name: 'truncNormal_ sampler rejection, mean outside [a, b] (mode at a)', inputs: [],
    js: () => seeded(() => nn.init.truncNormal_(torch.empty([300]), { mean: -1, std: 0.5, a: -0.2, b: 0.6, sampler: 'rejection' })),
    py: 'trunc_normal_rejection(torch.empty(300), mean=-1, std=0.5, a=-0.2, b=0.6)' },
  { name: 'kaimingNormal_ fan_out relu (torchvision ResNet)', inputs: [],
    js: () => seeded(() => nn.init.kaimingNormal_(torch.empty([16, 8, 3, 3]), { mode: 'fan_out', nonlinearity: 'relu' })),
    py: "torch.nn.init.kaiming_normal_(torch.empty(16, 8, 3, 3), mode='fan_out', nonlinearity='relu')" },
  { name: 'kaimingUniform_ defaults', inputs: [],
    js: () => seeded(() => nn.init.kaimingUniform_(torch.empty([6, 5]))),
    py: 'torch.nn.init.kaiming_uniform_(torch.empty(6, 5))' },
  { name: 'kaimingUniform_ leaky_relu a 0.2', inputs: [],
    js: () => seeded(() => nn.init.kaimingUniform_(torch.empty([6, 5]), { a: 0.2 })),
    py: 'torch.nn.init.kaiming_uniform_(torch.empty(6, 5), a=0.2)' },
  { name: 'xavierUniform_', inputs: [],
    js: () => seeded(() => nn.init.xavierUniform_(torch.empty([7, 9]))),
    py: 'torch.nn.init.xavier_uniform_(torch.empty(7, 9))' },
  { name: 'xavierNormal_ gain 2', inputs: [],
    js: () => seeded(() => nn.init.xavierNormal_(torch.empty([7, 3, 2]), { gain: 2 })),
    py: 'torch.nn.init.xavier_normal_(torch.empty(7, 3, 2), gain=2)' },
  { name: 'normal_, uniform_, constant_, zeros_, ones_', inputs: [],
    js: () => seeded(() => [nn.init.normal_(torch.empty([5]), 3, 0.5), nn.init.uniform_(torch.empty([5]), -2, 3),
      nn.init.constant_(torch.empty([2]), 0.25), nn.init.zeros_(torch.empty([2])), nn.init.ones_(torch.empty([2]))]),
    py: '(torch.nn.init.normal_(torch.empty(5), 3, 0.5), torch.nn.init.uniform_(torch.empty(5), -2, 3), ' +
      'torch.nn.init.constant_(torch.empty(2), 0.25), torch.nn.init.zeros_(torch.empty(2)), torch.nn.init.ones_(torch.empty(2)))' },
  { name: 'Dropout(0.3) in training', inputs: [input('x', [4, 6])],
    js: (x) => seeded(() => new nn.Dropout(0.3).forward(x)), py: 'F.dropout(x, p=0.3)' },
  { name: 'DropPath(0.4) in training (timm drop_path)', inputs: [input('x', [6, 3, 4])],
    js: (x) => seeded(() => new nn.DropPath(0.4).forward(x)),
    py: 'x * x.new_empty((6, 1, 1)).bernoulli_(0.6).div_(0.6)' },
]);
