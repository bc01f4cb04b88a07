# Reference side of the optimiser parity tests: runs torch.optim (and a LARS
# written from lightly's formula, and clip_grad_norm_) on parameters and
# gradients given as JSON, and returns parameters and state after chosen steps.
# Reads one JSON document on stdin, writes one on stdout.
import torch

from parity import serve


class LightlyLARS(torch.optim.Optimizer):
    """lightly.utils.lars.LARS, with the exclusion decided per group (exclude=True)."""

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 trust_coefficient=0.001, eps=1e-8, exclude=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, trust_coefficient=trust_coefficient, eps=eps, exclude=exclude)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            wd = group['weight_decay']
            momentum = group['momentum']
            for p in group['params']:
                if p.grad is None:
                    continue
                d_p = p.grad
                p_norm = torch.norm(p.data)
                g_norm = torch.norm(p.grad.data)
                if not group['exclude']:
                    if p_norm != 0 and g_norm != 0:
                        lars_lr = p_norm / (g_norm + p_norm * wd + group['eps'])
                        lars_lr *= group['trust_coefficient']
                        d_p = d_p.add(p, alpha=wd)
                        d_p *= lars_lr
                if momentum != 0:
                    state = self.state[p]
                    if 'momentum_buffer' not in state:
                        buf = state['momentum_buffer'] = torch.clone(d_p).detach()
                    else:
                        buf = state['momentum_buffer']
                        buf.mul_(momentum).add_(d_p, alpha=1 - group['dampening'])
                    d_p = d_p.add(buf, alpha=momentum) if group['nesterov'] else buf
                p.add_(d_p, alpha=-group['lr'])


SNAKE = {'weightDecay': 'weight_decay', 'trustCoefficient': 'trust_coefficient', 'larsExclude': 'exclude'}


def options(o):
    out = {}
    for k, v in o.items():
        out[SNAKE.get(k, k)] = tuple(v) if k == 'betas' else v
    return out


def tensor(spec):
    return torch.tensor(spec['data'], dtype=torch.float64).reshape(spec['shape']).to(torch.float32)


def flat(t):
    return t.detach().to(torch.float64).reshape(-1).tolist()


def run_optimizer(case):
    params = [tensor(p).requires_grad_() for p in case['params']]
    groups = []
    for g in case['groups']:
        groups.append(dict(params=[params[i] for i in g['indices']], **options(g['options'])))
    kind = case['optimizer']
    defaults = options(case['defaults'])
    if kind == 'sgd':
        opt = torch.optim.SGD(groups, **defaults)
    elif kind == 'adamw':
        opt = torch.optim.AdamW(groups, **defaults)
    else:
        opt = LightlyLARS(groups, **defaults)
    snapshots = []
    for step, grads in enumerate(case['grads']):
        for p, g in zip(params, grads):
            p.grad = None if g is None else tensor(g)
        opt.step()
        if step + 1 in case['record']:
            state = []
            for p in params:
                s = opt.state.get(p, {})
                state.append({k: flat(v) for k, v in s.items() if isinstance(v, torch.Tensor) and k != 'step'})
            snapshots.append({'params': [flat(p) for p in params], 'state': state})
    return snapshots


def run_clip(case):
    params = [tensor(p).requires_grad_() for p in case['params']]
    for p, g in zip(params, case['grads']):
        p.grad = tensor(g)
    norm_type = float('inf') if case['normType'] == 'inf' else case['normType']
    total = torch.nn.utils.clip_grad_norm_(params, case['maxNorm'], norm_type)
    return {'total': float(total), 'grads': [flat(p.grad) for p in params]}


def run_case(case):
    return run_clip(case) if case.get('kind') == 'clip' else run_optimizer(case)


if __name__ == '__main__':
    serve(run_case)
