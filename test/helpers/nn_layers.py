# Reference side of test/parity/nn-layers.test.ts: builds PyTorch modules,
# loads the JS module's state dict into them, runs forward and backward on
# the same inputs and reports outputs, gradients and the state afterwards.
# Reads one JSON document from stdin, writes one to stdout.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from parity import grad_weights, serve


class TimmAttention(nn.Module):
    """timm's vision_transformer.Attention, written out with plain torch ops."""

    def __init__(self, dim, num_heads=8, qkv_bias=False, attn_drop=0.0, proj_drop=0.0):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = nn.Dropout(attn_drop)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        attn = attn.softmax(dim=-1)
        attn = self.attn_drop(attn)
        x = attn @ v
        x = x.transpose(1, 2).reshape(B, N, C)
        return self.proj_drop(self.proj(x))


class TimmMlp(nn.Module):
    """timm's layers.Mlp (fc1, act, drop1, norm, fc2, drop2)."""

    def __init__(self, in_features, hidden_features=None, out_features=None, act_layer=nn.GELU, drop=0.0):
        super().__init__()
        out_features = out_features or in_features
        hidden_features = hidden_features or in_features
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = act_layer()
        self.drop1 = nn.Dropout(drop)
        self.norm = nn.Identity()
        self.fc2 = nn.Linear(hidden_features, out_features)
        self.drop2 = nn.Dropout(drop)

    def forward(self, x):
        return self.drop2(self.fc2(self.norm(self.drop1(self.act(self.fc1(x))))))


DTYPES = {'float32': torch.float32, 'float64': torch.float64, 'int64': torch.int64}


def unpack(p):
    return torch.tensor(p['data'], dtype=DTYPES[p['dtype']]).reshape(p['shape'])


def pack(t):
    t = t.detach()
    return {'shape': list(t.shape), 'dtype': str(t.dtype).replace('torch.', ''),
            'data': t.reshape(-1).double().tolist() if t.is_floating_point() else t.reshape(-1).tolist()}


def scope():
    return {'torch': torch, 'nn': nn, 'F': F, 'math': math, 'TimmAttention': TimmAttention, 'TimmMlp': TimmMlp}


def run(case):
    if case['kind'] == 'init':
        torch.manual_seed(case['seed'])
        m = eval(case['ctor'], scope())
        return {'state': {k: pack(v) for k, v in m.state_dict().items()}}
    m = eval(case['ctor'], scope())
    m.load_state_dict({k: unpack(v) for k, v in case['state'].items()})
    m.train(case['train'])
    inputs = []
    for spec in case['inputs']:
        t = unpack(spec)
        if spec.get('requiresGrad'):
            t.requires_grad_(True)
        inputs.append(t)
    outputs = []
    for _ in range(case.get('steps', 1)):
        out = m(*inputs)
        outputs.append(out)
    out = outputs[-1]
    result = {'output': pack(out)}
    if out.requires_grad:
        total = sum((o * grad_weights(o)).sum() for o in outputs)
        total.backward()
        result['inputGrads'] = [pack(t.grad) if t.grad is not None else None for t in inputs]
        result['paramGrads'] = {k: pack(p.grad) for k, p in m.named_parameters() if p.grad is not None}
    result['state'] = {k: pack(v) for k, v in m.state_dict().items()}
    return result


if __name__ == '__main__':
    serve(run)
