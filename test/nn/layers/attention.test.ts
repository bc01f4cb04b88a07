import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import * as nn from '../../../lib/nn';
import { flat } from '../../helpers/assert-close';

describe('nn/layers/attention', () => {
  it('maps (B, N, dim) to (B, N, dim) with timm keys', () => {
    const attn = new nn.Attention(12, { numHeads: 3, qkvBias: true });
    assert.equal(attn.headDim, 4);
    assert.deepEqual([...attn.stateDict()].map(([k, t]) => [k, t.shape]),
      [['qkv.weight', [36, 12]], ['qkv.bias', [36]], ['proj.weight', [12, 12]], ['proj.bias', [12]]]);
    assert.deepEqual(torch.scope(() => attn.forward(torch.randn([2, 5, 12])).shape), [2, 5, 12]);
    assert.deepEqual([...new nn.Attention(8).stateDict().keys()], ['qkv.weight', 'proj.weight', 'proj.bias']);
    assert.deepEqual([...new nn.Attention(8, { numHeads: 2, qkNorm: true }).stateDict().keys()],
      ['qkv.weight', 'q_norm.weight', 'q_norm.bias', 'k_norm.weight', 'k_norm.bias', 'proj.weight', 'proj.bias']);
    attn.dispose();
  });

  it('is equivariant to permuting the tokens (no position information of its own)', () => {
    const attn = new nn.Attention(8, { numHeads: 2 });
    const x = torch.randn([1, 4, 8]);
    const perm = torch.tensor([2, 0, 3, 1], { dtype: 'int64' });
    const a = attn.forward(x).indexSelect(1, perm);
    const b = attn.forward(x.indexSelect(1, perm));
    assert.ok(a.allclose(b, { atol: 1e-6 }));
    attn.dispose();
  });

  it('applies attention dropout in training only', () => {
    torch.manualSeed(0);
    const attn = new nn.Attention(8, { numHeads: 2, attnDrop: 0.5 });
    const x = torch.randn([2, 6, 8]);
    const t1 = flat(attn.forward(x));
    const t2 = flat(attn.forward(x));
    assert.notDeepEqual(t1, t2);
    attn.eval();
    assert.deepEqual(flat(attn.forward(x)), flat(attn.forward(x)));
    attn.dispose();
  });

  it('frees its intermediates: the live tensor count is flat across calls', () => {
    const attn = new nn.Attention(8, { numHeads: 2, qkvBias: true });
    const x = torch.randn([2, 3, 8]);
    attn.forward(x).dispose();
    const before = torch.memory().tensors;
    for (let i = 0; i < 3; i++) attn.forward(x).dispose();
    assert.equal(torch.memory().tensors, before);
    attn.dispose();
    x.dispose();
  });

  it('rejects bad arguments and inputs', () => {
    assert.throws(() => new nn.Attention(10, { numHeads: 3 }), /Expected dim \(10\) divisible by numHeads \(3\)/);
    assert.throws(() => new nn.Attention(8, { numHeads: -1 }), /Expected positive integer for options.numHeads but received -1/);
    assert.throws(() => new nn.Attention(8, { attnDrop: 2 }), /Expected a probability in \[0, 1\] for options.attnDrop/);
    const attn = new nn.Attention(8);
    assert.throws(() => attn.forward(torch.zeros([2, 8])), /Expected 3-D input \(B, N, dim\) for Attention/);
    assert.throws(() => attn.forward(torch.zeros([2, 3, 4])), /Expected input with 8 features/);
    attn.dispose();
  });
});
