# Reference side of the parity tests: evaluates each case with Debian's
# python3-torch (the same libtorch as the addon) and returns outputs and
# gradients. Reads one JSON document on stdin, writes one on stdout.
import json
import math
import sys

import torch
import torch.nn.functional as F

from init_ref import trunc_normal_inverse_cdf, trunc_normal_rejection

DTYPES = {
    'float32': torch.float32, 'float64': torch.float64, 'float16': torch.float16,
    'bfloat16': torch.bfloat16, 'int64': torch.int64, 'int32': torch.int32,
    'uint8': torch.uint8, 'bool': torch.bool,
}


def encode(values):
    out = []
    for v in values:
        if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
            out.append('nan' if math.isnan(v) else ('inf' if v > 0 else '-inf'))
        else:
            out.append(v)
    return out


def pack(t):
    if not isinstance(t, torch.Tensor):
        t = torch.tensor(t)
    t = t.detach()
    dtype = str(t.dtype).replace('torch.', '')
    flat = t.to(torch.float64 if t.is_floating_point() else torch.int64).reshape(-1).tolist()
    return {'shape': list(t.shape), 'dtype': dtype, 'data': encode(flat)}


def grad_weights(t):
    # The same deterministic output gradient as test/helpers/parity.ts, shaped as `t`.
    w = torch.tensor([math.sin(0.37 * i + 0.1) for i in range(t.numel())], dtype=torch.float64)
    return w.reshape(t.shape).to(t.dtype)


def run_case(case):
    env = {'torch': torch, 'F': F, 'math': math, 'trunc_normal_inverse_cdf': trunc_normal_inverse_cdf,
           'trunc_normal_rejection': trunc_normal_rejection}
    leaves = []
    for spec in case['inputs']:
        t = torch.tensor(spec['data'], dtype=torch.float64).reshape(spec['shape']).to(DTYPES[spec['dtype']])
        if spec.get('requiresGrad'):
            t.requires_grad_(True)
            leaves.append((spec['name'], t))
        env[spec['name']] = t
    torch.manual_seed(case.get('seed', 0))
    result = eval(case['py'], env)
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    outs = [o for o in outs if o is not None]
    packed = [pack(o) for o in outs]
    grads = {}
    diff = [o for o in outs if isinstance(o, torch.Tensor) and o.requires_grad]
    if leaves and diff:
        total = 0
        for o in diff:
            total = total + (o * grad_weights(o)).sum()
        total.backward()
        for name, t in leaves:
            grads[name] = pack(t.grad) if t.grad is not None else None
    return {'outputs': packed, 'grads': grads}


def serve(run):
    """Answers a JSON list of cases on stdin with the JSON list of run(case) on stdout.

    The other reference scripts in this folder (nn_layers.py, optim_ref.py,
    transforms_ref.py) share this loop: `from parity import serve`.
    """
    cases = json.load(sys.stdin)
    results = []
    for case in cases:
        try:
            results.append(run(case))
        except Exception as e:  # reported per case, so one bad case fails alone
            results.append({'error': '%s: %s' % (type(e).__name__, e)})
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    serve(run_case)
