// The heads of lib/ssl/heads by value: each method's projector and predictor
// layer by layer (Linear sizes and biases, batch norms and their affine
// parameters, activations) for every layer count and the defaults; the
// prototypes' scores and normalisation; DINOHead's MLP for 1 to 3 layers with
// and without batch norm, its initialisation drawn again by hand, its logits
// from the weight-normalised last layer written out, and normLastLayer.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { Module } from '../../lib/nn/module';
import { Linear } from '../../lib/nn/layers/linear';
import { truncNormal_ } from '../../lib/nn/init';
import { ProjectionHead } from '../../lib/ssl/heads/projection-head';
import {
  barlowTwinsProjectionHead, mocoV2ProjectionHead, mocoV3Head, simsiamPredictionHead, simsiamProjectionHead, swavProjectionHead,
} from '../../lib/ssl/heads/method-heads';
import { Prototypes } from '../../lib/ssl/heads/prototypes';
import { DINOHead } from '../../lib/ssl/heads/dino-head';
import { refuses } from '../helpers/refuses';

const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);

/**
 * The layers of a Sequential in short: `L4-6` (Linear 4 -> 6, `+b` with a bias),
 * `BN6` (`BN6/` without affine parameters), `ReLU`, `GELU`.
 */
function layout(seq: Module): string[] {
  return [...seq.children()].map((m) => {
    const s = String(m);
    let r = /^Linear\(in_features=(\d+), out_features=(\d+), bias=(True|False)\)$/.exec(s);
    if (r) return `L${r[1]}-${r[2]}${r[3] === 'True' ? '+b' : ''}`;
    r = /^BatchNorm1d\((\d+), eps=1e-05, momentum=0.1, affine=(True|False), track_running_stats=True\)$/.exec(s);
    if (r) return `BN${r[1]}${r[2] === 'True' ? '' : '/'}`;
    if (s === 'ReLU()') return 'ReLU';
    if (s === "GELU(approximate='none')") return 'GELU';
    return s;
  });
}

const heads = (h: ProjectionHead): string[] => layout(h.layers);

function near(actual: number[], expected: number[], what: string, tol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= tol * (1 + Math.abs(expected[i])),
    `${what}[${i}]: ${v} != ${expected[i]}`));
}

/** x (B, I) @ w (O, I)^T as plain numbers. */
function matmulT(x: number[], w: number[], B: number, I: number, O: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) {
      let s = 0;
      for (let i = 0; i < I; i++) s += x[b * I + i] * w[o * I + i];
      out.push(s);
    }
  }
  return out;
}

describe('ssl heads by value (layers, prototypes, DINOHead)', function () {
  this.timeout(60000);

  it('SimSiam projector: layers - 1 hidden blocks L(no bias)-BN-ReLU, then L(no bias) and BN without affine', () => {
    assert.deepEqual(heads(simsiamProjectionHead(4, 6, 5, 3)), ['L4-6', 'BN6', 'ReLU', 'L6-6', 'BN6', 'ReLU', 'L6-5', 'BN5/']);
    assert.deepEqual(heads(simsiamProjectionHead(4, 6, 5, 2)), ['L4-6', 'BN6', 'ReLU', 'L6-5', 'BN5/']);
    assert.deepEqual(heads(simsiamProjectionHead(4, 6, 5, 1)), ['L4-5', 'BN5/']);
    assert.deepEqual(heads(simsiamProjectionHead(4)), ['L4-2048', 'BN2048', 'ReLU', 'L2048-2048', 'BN2048', 'ReLU', 'L2048-2048', 'BN2048/']);
    assert.deepEqual(heads(simsiamProjectionHead(4, 6)), ['L4-6', 'BN6', 'ReLU', 'L6-6', 'BN6', 'ReLU', 'L6-2048', 'BN2048/']);
  });

  it('SimSiam predictor: L(no bias)-BN-ReLU, then L with a bias; defaults 2048 -> 512 -> 2048', () => {
    assert.deepEqual(heads(simsiamPredictionHead(5, 3, 4)), ['L5-3', 'BN3', 'ReLU', 'L3-4+b']);
    assert.deepEqual(heads(simsiamPredictionHead()), ['L2048-512', 'BN512', 'ReLU', 'L512-2048+b']);
  });

  it('Barlow Twins / VICReg projector: two hidden blocks (biases only with hiddenBias), then L(no bias)', () => {
    assert.deepEqual(heads(barlowTwinsProjectionHead(4, 6, 5)), ['L4-6', 'BN6', 'ReLU', 'L6-6', 'BN6', 'ReLU', 'L6-5']);
    assert.deepEqual(heads(barlowTwinsProjectionHead(4, 6, 5, true)), ['L4-6+b', 'BN6', 'ReLU', 'L6-6+b', 'BN6', 'ReLU', 'L6-5']);
  });

  it('MoCo v2 head: L-ReLU-L with biases, hidden width the input by default, output 128', () => {
    assert.deepEqual(heads(mocoV2ProjectionHead(4, 6, 5)), ['L4-6+b', 'ReLU', 'L6-5+b']);
    assert.deepEqual(heads(mocoV2ProjectionHead(4)), ['L4-4+b', 'ReLU', 'L4-128+b']);
  });

  it('MoCo v3 heads: layers - 1 hidden blocks, the last L(no bias) with BN without affine; defaults 4096, 256, 2 layers', () => {
    assert.deepEqual(heads(mocoV3Head(4, 6, 5, 3)), ['L4-6', 'BN6', 'ReLU', 'L6-6', 'BN6', 'ReLU', 'L6-5', 'BN5/']);
    assert.deepEqual(heads(mocoV3Head(4, 6, 5, 1)), ['L4-5', 'BN5/']);
    assert.deepEqual(heads(mocoV3Head(4)), ['L4-4096', 'BN4096', 'ReLU', 'L4096-256', 'BN256/']);
  });

  it('SwAV / DeepCluster v2 head: L-BN-ReLU-L with biases; defaults 2048 -> 128', () => {
    assert.deepEqual(heads(swavProjectionHead(4, 6, 5)), ['L4-6+b', 'BN6', 'ReLU', 'L6-5+b']);
    assert.deepEqual(heads(swavProjectionHead(4)), ['L4-2048+b', 'BN2048', 'ReLU', 'L2048-128+b']);
  });

  it('ProjectionHead: batchNorm false is none, bias defaults to "no batch norm", repr and a bad norm module', () => {
    const h = new ProjectionHead([{ inDim: 3, outDim: 4, batchNorm: false }, { inDim: 4, outDim: 2, batchNorm: true }]);
    assert.deepEqual(heads(h), ['L3-4+b', 'L4-2', 'BN2']);
    assert.deepEqual([h.inDim, h.outDim], [3, 2]);
    assert.equal(h.extraRepr(), 'inDim=3, outDim=2');
    refuses(() => new ProjectionHead([{ inDim: 3, outDim: 4, batchNorm: 'bn' as unknown as boolean }]),
      "Expected a Module with forward for blocks[0].batchNorm but received 'bn'");
    refuses(() => new ProjectionHead([{ inDim: 3, outDim: 4, batchNorm: new Module() as unknown as boolean }]),
      'Expected a Module with forward for blocks[0].batchNorm but received Module()');
    refuses(() => new ProjectionHead([{ inDim: 3, outDim: 4, activation: { forward: (x: Tensor) => x } as unknown as Module as never }]),
      'Expected a Module with forward for blocks[0].activation but received [object Object]');
    assert.deepEqual(heads(new ProjectionHead([{ inDim: 3, outDim: 4, activation: null }])), ['L3-4+b'], 'activation null is none');
    refuses(() => new ProjectionHead('x' as unknown as []), "Expected a non-empty array of blocks for ProjectionHead but received 'x'");
    refuses(() => new ProjectionHead([{ inDim: 3, outDim: 4, bias: 1 as unknown as boolean }]),
      'Expected true or false for blocks[0].bias but received 1');
  });

  it('Prototypes: scores z @ W_i^T per set, weights(), normalize_ keeps directions at unit length', () => {
    torch.manualSeed(2);
    const p = new Prototypes(3, [4, 2]);
    assert.deepEqual(layout(p.heads), ['L3-4', 'L3-2']);
    assert.deepEqual([...p.stateDict().keys()], ['heads.0.weight', 'heads.1.weight']);
    assert.deepEqual([p.dim, ...p.sizes], [3, 4, 2]);
    const z = torch.randn([5, 3], { generator: new torch.Generator().manualSeed(1) });
    const [w0, w1] = p.weights().map(values);
    assert.deepEqual(p.weights().map((w) => w.shape), [[4, 3], [2, 3]]);
    const scores = p.forward(z);
    assert.equal(scores.length, 2);
    near(values(scores[0]), matmulT(values(z), w0, 5, 3, 4), 'set 0');
    near(values(scores[1]), matmulT(values(z), w1, 5, 3, 2), 'set 1');
    p.normalize_();
    const unit = (w: number[], rows: number, cols: number): number[] => w.map((v, i) => {
      const r = Math.floor(i / cols);
      return v / Math.hypot(...w.slice(r * cols, r * cols + cols));
    });
    near(values(p.weights()[0]), unit(w0, 4, 3), 'normalised set 0');
    near(values(p.weights()[1]), unit(w1, 2, 3), 'normalised set 1');
    assert.equal(p.weights()[0].requiresGrad, true, 'still a parameter');
    refuses(() => new Prototypes(3, []), 'Expected a non-empty array of prototype counts but received []');
    refuses(() => new Prototypes(3, 5 as unknown as number[]), 'Expected a non-empty array of prototype counts but received 5');
    refuses(() => new Prototypes(3, [4, 0]), 'Expected positive integer for numPrototypes[1] but received 0');
    refuses(() => new Prototypes(0, [4]), 'Expected positive integer for dim but received 0');
  });

  it('DINOHead: the MLP for nlayers 1, 2 and 3, with and without batch norm; keys and repr', () => {
    const o = { outDim: 5, hiddenDim: 6, bottleneckDim: 3 };
    const one = new DINOHead(4, { ...o, nlayers: 1 });
    assert.ok(one.mlp instanceof Linear);
    assert.equal(String(one.mlp), 'Linear(in_features=4, out_features=3, bias=True)');
    assert.deepEqual(layout(new DINOHead(4, { ...o, nlayers: 2 }).mlp as Module), ['L4-6+b', 'GELU', 'L6-3+b']);
    assert.deepEqual(layout(new DINOHead(4, { ...o, nlayers: 3, useBn: true }).mlp as Module),
      ['L4-6+b', 'BN6', 'GELU', 'L6-6+b', 'BN6', 'GELU', 'L6-3+b']);
    const d = new DINOHead(4, o);
    assert.deepEqual(layout(d.mlp as Module), ['L4-6+b', 'GELU', 'L6-6+b', 'GELU', 'L6-3+b']);
    assert.deepEqual([...d.stateDict()].map(([k, t]) => `${k} ${t.shape.join('x')}`), [
      'mlp.0.weight 6x4', 'mlp.0.bias 6', 'mlp.2.weight 6x6', 'mlp.2.bias 6', 'mlp.4.weight 3x6', 'mlp.4.bias 3',
      'last_layer.weight_g 5x1', 'last_layer.weight_v 5x3']);
    assert.equal(d.extraRepr(), 'inDim=4, bottleneckDim=3, outDim=5');
    assert.deepEqual([d.inDim, d.bottleneckDim, d.outDim], [4, 3, 5]);
    assert.deepEqual(values(d.lastLayer.weight_g), [1, 1, 1, 1, 1]);
    assert.equal(d.lastLayer.weight_g.requiresGrad, false, 'normLastLayer by default');
    assert.equal(new DINOHead(4, { ...o, normLastLayer: false }).lastLayer.weight_g.requiresGrad, true);
    assert.equal(d.lastLayer.weight_v.requiresGrad, true);
    // Defaults: 2048 hidden, 256 bottleneck, 65536 prototypes.
    const big = new DINOHead(2);
    assert.deepEqual([...big.stateDict()].map(([k, t]) => `${k} ${t.shape.join('x')}`), [
      'mlp.0.weight 2048x2', 'mlp.0.bias 2048', 'mlp.2.weight 2048x2048', 'mlp.2.bias 2048', 'mlp.4.weight 256x2048',
      'mlp.4.bias 256', 'last_layer.weight_g 65536x1', 'last_layer.weight_v 65536x256']);
    big.dispose();
    refuses(() => new DINOHead(0), 'Expected positive integer for inDim but received 0');
    refuses(() => new DINOHead(4, { outdim: 5 } as never), "Unknown option(s) 'outdim' for DINOHead; expected some of outDim, hiddenDim, " +
      'bottleneckDim, normLastLayer, nlayers, useBn');
    refuses(() => new DINOHead(4, { nlayers: 0 }), 'Expected positive integer for options.nlayers but received 0');
  });

  it('DINOHead: MLP weights from a truncated normal (std 0.02), zero biases, the last layer Linear\'s own draw', () => {
    const o = { outDim: 5, hiddenDim: 6, bottleneckDim: 3, nlayers: 2 };
    torch.manualSeed(4);
    const d = new DINOHead(4, o);
    // The same draws in the same order: the Linears as built, then each MLP weight redrawn, then the last layer.
    torch.manualSeed(4);
    const l0 = new Linear(4, 6);
    const l1 = new Linear(6, 3);
    truncNormal_(l0.weight, { std: 0.02 });
    truncNormal_(l1.weight, { std: 0.02 });
    const last = new Linear(3, 5, { bias: false });
    const sd = d.stateDict();
    assert.deepEqual(values(sd.get('mlp.0.weight')!), values(l0.weight));
    assert.deepEqual(values(sd.get('mlp.2.weight')!), values(l1.weight));
    assert.deepEqual(values(sd.get('mlp.0.bias')!), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(values(sd.get('mlp.2.bias')!), [0, 0, 0]);
    assert.deepEqual(values(sd.get('last_layer.weight_v')!), values(last.weight));
    torch.manualSeed(4);
    const single = new DINOHead(4, { ...o, nlayers: 1 });
    torch.manualSeed(4);
    const l = new Linear(4, 3);
    truncNormal_(l.weight, { std: 0.02 });
    assert.deepEqual(values((single.mlp as Linear).weight), values(l.weight));
    assert.deepEqual(values((single.mlp as Linear).bias!), [0, 0, 0]);
  });

  it('DINOHead.forward: the bottleneck L2-normalised, then g * v / |v| per prototype', () => {
    torch.manualSeed(6);
    const d = new DINOHead(4, { outDim: 5, hiddenDim: 6, bottleneckDim: 3, nlayers: 1, normLastLayer: false });
    torch.noGrad(() => d.lastLayer.weight_g.copy_(torch.tensor([[1], [2], [0.5], [3], [1.5]])));
    const x = torch.randn([2, 4], { generator: new torch.Generator().manualSeed(3) });
    const mlp = d.mlp as Linear;
    const h = values(mlp.weight);
    const bias = values(mlp.bias!);
    const xs = values(x);
    const y = matmulT(xs, h, 2, 4, 3).map((v, i) => v + bias[i % 3]);
    const z = y.map((v, i) => {
      const r = Math.floor(i / 3);
      return v / Math.hypot(y[3 * r], y[3 * r + 1], y[3 * r + 2]);
    });
    const v = values(d.lastLayer.weight_v);
    const g = [1, 2, 0.5, 3, 1.5];
    const w = v.map((e, i) => {
      const r = Math.floor(i / 3);
      return (g[r] * e) / Math.hypot(v[3 * r], v[3 * r + 1], v[3 * r + 2]);
    });
    near(values(d.forward(x)), matmulT(z, w, 2, 3, 5), 'logits');
    // (B, T, inDim) tokens: the normalisation is over the last dimension.
    const tokens = torch.cat([x, x.flip([0])], 0).view([2, 2, 4]);
    const zt = [...z.slice(0, 3), ...z.slice(3, 6), ...z.slice(3, 6), ...z.slice(0, 3)];
    near(values(d.forward(tokens)), matmulT(zt, w, 4, 3, 5), 'logits of tokens');
  });
});
