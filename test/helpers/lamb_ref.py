# Reference side of the LAMB parity test: LAMB written from Algorithm 2 of
# You et al. 2020 ("Large Batch Optimization for Deep Learning"), one tensor
# at a time in plain PyTorch, with the conventions of the public Lamb
# implementations (NVIDIA's, timm's) for what the paper leaves open: the trust
# ratio is 1 where ||w|| or ||r|| is 0; groups without weight decay are not
# adapted unless always_adapt; trust_clip caps the ratio at 1; phi is the
# identity. Reads one JSON document on stdin, writes one on stdout.
import torch

from parity import serve


def tensor(spec):
    return torch.tensor(spec['data'], dtype=torch.float64).reshape(spec['shape']).to(torch.float32)


def flat(t):
    return t.detach().to(torch.float64).reshape(-1).tolist()


DEFAULTS = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weightDecay=0.01, biasCorrection=True,
                alwaysAdapt=False, trustClip=False)


@torch.no_grad()
def lamb_step(p, g, state, o):
    b1, b2 = o['betas']
    if 'exp_avg' not in state:
        state['step'] = 0
        state['exp_avg'] = torch.zeros_like(p)
        state['exp_avg_sq'] = torch.zeros_like(p)
    state['step'] += 1
    t = state['step']
    m, v = state['exp_avg'], state['exp_avg_sq']
    # m_t = b1 m_{t-1} + (1 - b1) g_t ; v_t = b2 v_{t-1} + (1 - b2) g_t^2
    m.mul_(b1).add_((1 - b1) * g)
    v.mul_(b2).add_((1 - b2) * g * g)
    if o['biasCorrection']:
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
    else:
        m_hat, v_hat = m, v
    # r_t = m_hat / (sqrt(v_hat) + eps), then + lambda x_t
    r = m_hat / (v_hat.sqrt() + o['eps'])
    wd = o['weightDecay']
    if wd != 0:
        r = r + wd * p
    ratio = 1.0
    if wd != 0 or o['alwaysAdapt']:
        w_norm = torch.linalg.norm(p.to(torch.float64))
        r_norm = torch.linalg.norm(r.to(torch.float64))
        if w_norm > 0 and r_norm > 0:
            ratio = float(w_norm / r_norm)
        if o['trustClip']:
            ratio = min(ratio, 1.0)
    # x_{t+1} = x_t - lr * phi(||x_t||) / ||r_t + lambda x_t|| * (r_t + lambda x_t)
    p.sub_(o['lr'] * ratio * r)


def run(case):
    params = [tensor(p) for p in case['params']]
    defaults = dict(DEFAULTS)
    defaults.update(case['defaults'])
    groups = []
    for g in case['groups']:
        o = dict(defaults)
        o.update(g['options'])
        groups.append((g['indices'], o))
    states = [dict() for _ in params]
    snapshots = []
    for step, grads in enumerate(case['grads']):
        for indices, o in groups:
            for i in indices:
                if grads[i] is not None:
                    lamb_step(params[i], tensor(grads[i]), states[i], o)
        if step + 1 in case['record']:
            snapshots.append({
                'params': [flat(p) for p in params],
                'state': [{k: flat(v) for k, v in s.items() if isinstance(v, torch.Tensor)} for s in states],
                'steps': [s.get('step', 0) for s in states],
            })
    return snapshots


if __name__ == '__main__':
    serve(run)
