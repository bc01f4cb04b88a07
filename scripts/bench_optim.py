# Python side of scripts/bench-optim.ts: milliseconds per optimiser step on a
# ResNet-18-shaped parameter list (the shapes come from the Node side as JSON
# on stdin), with Debian's python3-torch. Prints one JSON object {name: ms}.
import json
import sys
import time

import torch

torch.set_num_threads(1)


class LARS(torch.optim.Optimizer):
    """lightly's LARS (per parameter, as lightly and solo-learn ship it); exclusion per group."""

    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0, trust_coefficient=0.001, eps=1e-8, exclude=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      trust_coefficient=trust_coefficient, eps=eps, exclude=exclude))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            wd = group['weight_decay']
            for p in group['params']:
                if p.grad is None:
                    continue
                d_p = p.grad
                if not group['exclude']:
                    p_norm = torch.norm(p.data)
                    g_norm = torch.norm(p.grad.data)
                    if p_norm != 0 and g_norm != 0:
                        lars_lr = p_norm / (g_norm + p_norm * wd + group['eps']) * group['trust_coefficient']
                        d_p = d_p.add(p, alpha=wd)
                        d_p *= lars_lr
                state = self.state[p]
                if 'momentum_buffer' not in state:
                    buf = state['momentum_buffer'] = torch.clone(d_p).detach()
                else:
                    buf = state['momentum_buffer']
                    buf.mul_(group['momentum']).add_(d_p)
                p.add_(buf, alpha=-group['lr'])


def main():
    spec = json.load(sys.stdin)
    shapes, steps, repeats = spec['shapes'], spec['steps'], spec['repeats']
    torch.manual_seed(0)
    params = [torch.randn(s, requires_grad=True) for s in shapes]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    groups = [{'params': [p for p in params if p.dim() > 1]},
              {'params': [p for p in params if p.dim() <= 1], 'weight_decay': 0.0, 'exclude': True}]
    makers = {
        'SGD foreach': lambda: torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=5e-4, foreach=True),
        'SGD for-loop': lambda: torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=5e-4, foreach=False),
        'AdamW foreach': lambda: torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05, foreach=True),
        'AdamW for-loop': lambda: torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05, foreach=False),
        'LARS for-loop (lightly)': lambda: LARS(groups, lr=0.3, weight_decay=1e-6),
    }
    out = {}
    for name, make in makers.items():
        opt = make()
        for _ in range(3):
            opt.step()
        best = float('inf')
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(steps):
                opt.step()
            best = min(best, (time.perf_counter() - t0) * 1e3 / steps)
        out[name] = best
    json.dump(out, sys.stdout)


main()
