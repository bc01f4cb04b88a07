import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import * as nn from '../../../lib/nn';
import { assertClose, flat } from '../../helpers/assert-close';

describe('nn/layers/weight-norm', () => {
  it('replaces weight by weight_g and weight_v (keys after the others) and leaves the output unchanged', () => {
    const fc = new nn.Linear(3, 2);
    const x = torch.randn([4, 3]);
    const before = flat(fc.forward(x));
    const w = flat(fc.weight);
    const wn = nn.weightNorm(fc);
    assert.equal(wn, fc);
    assert.deepEqual([...wn.stateDict()].map(([k, t]) => [k, t.shape]), [['bias', [2]], ['weight_g', [2, 1]], ['weight_v', [2, 3]]]);
    assert.deepEqual(flat(wn.weight_v), w);
    const norms = [Math.hypot(w[0], w[1], w[2]), Math.hypot(w[3], w[4], w[5])];
    assertClose(wn.weight_g, [[norms[0]], [norms[1]]]);
    const after = flat(wn.forward(x));
    after.forEach((v, i) => assert.ok(Math.abs(v - before[i]) < 1e-5));
    wn.dispose();
  });

  it('recomputes the weight before each forward: g * v / ||v|| per output row', () => {
    const wn = nn.weightNorm(new nn.Linear(2, 2, { bias: false }));
    torch.noGrad(() => {
      wn.weight_v.copy_(torch.tensor([[3, 4], [0, 2]]));
      wn.weight_g.copy_(torch.tensor([[10], [1]]));
    });
    assertClose(wn.forward(torch.tensor([[1, 0], [0, 1]])), [[6, 0], [8, 1]]);
    assertClose(wn.weight, [[6, 8], [0, 1]]);
    wn.dispose();
  });

  it('DINO last layer: weight_g fixed to 1 and frozen learns only the direction', () => {
    const last = nn.weightNorm(new nn.Linear(4, 3, { bias: false }));
    nn.init.ones_(last.weight_g);
    last.weight_g.requiresGrad_(false);
    assert.equal(last.numParameters({ trainableOnly: true }), 12);
    last.forward(torch.randn([5, 4])).pow(2).sum().backward();
    assert.equal(last.weight_g.grad, undefined);
    assert.ok(last.weight_v.grad);
    // Each row of the effective weight has unit norm.
    const rows = last.weight.toArray() as number[][];
    for (const r of rows) assert.ok(Math.abs(Math.hypot(...r) - 1) < 1e-5);
    last.dispose();
  });

  it('norms over all dimensions but dim (or over all with null); frees the old weights', () => {
    const conv = nn.weightNorm(new nn.Conv2d(2, 3, 3), 'weight', 1);
    assert.deepEqual(conv.weight_g.shape, [1, 2, 1, 1]);
    const whole = nn.weightNorm(new nn.Linear(3, 2), 'weight', null);
    assert.deepEqual(whole.weight_g.shape, []);
    const x = torch.randn([1, 2, 5, 5]);
    conv.forward(x).dispose();
    const live = torch.memory().tensors;
    for (let i = 0; i < 3; i++) conv.forward(x).dispose();
    assert.equal(torch.memory().tensors, live);
    conv.dispose();
    whole.dispose();
  });

  it('keeps module.weight readable after the forward\'s scope and frees everything on dispose', () => {
    const baseline = torch.memory().tensors;
    const wn = nn.weightNorm(new nn.Linear(3, 2));
    torch.scope(() => {
      wn.forward(torch.randn([1, 3]));
    });
    assert.equal(wn.weight.isDisposed, false);
    assert.deepEqual(wn.weight.shape, [2, 3]);
    // The kept weight holds no autograd graph: a graph node kept across steps would keep
    // weight_g's and weight_v's gradient accumulators alive (CUDA graph capture warns).
    assert.equal(wn.weight.requiresGrad, false);
    torch.scope(() => {
      const y = wn.forward(torch.randn([1, 3]));
      y.sum().backward();
    });
    torch.scope(() => assert.ok(wn.weight_v.grad, 'the forward\'s weight still carries the gradient to weight_v'));
    assert.equal(wn.weight.requiresGrad, false);
    wn.dispose();
    assert.equal(torch.memory().tensors, baseline);
  });

  it('rejects a missing parameter, a bad dim and a second application', () => {
    assert.throws(() => nn.weightNorm(new nn.Linear(2, 2), 'scale'), /Expected a parameter named 'scale' in Linear for weightNorm but found \[weight, bias\]/);
    assert.throws(() => nn.weightNorm(new nn.Linear(2, 2), 'weight', 2), /Expected dim in \[-1, 1\] or null/);
    const once = nn.weightNorm(new nn.Linear(2, 2));
    assert.throws(() => nn.weightNorm(once, 'weight'), /Expected a parameter named 'weight'/);
    once.dispose();
  });
});
