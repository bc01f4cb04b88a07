# The two algorithms of torch.nn.init.trunc_normal_, written from their
# descriptions for the parity tests of lib/nn/init.ts's `sampler` option on any
# libtorch: the inverse-CDF sampler of PyTorch up to 2.11 and the rejection
# sampler of 2.12 on (PyTorch PR #174997: normal draws redrawn until inside
# [a, b]; when [a, b] holds at most 0.3 of the mass, uniform draws in [a, b]
# accepted with probability pdf(x) / pdf(mode)). Each draws from the global
# generator in the order its PyTorch version does, so after the same seed the
# values equal that version's torch.nn.init.trunc_normal_ (checked against
# 1.13 and 2.14, where the default case calls the real function).
import math

import torch


def _cdf(x):
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def trunc_normal_inverse_cdf(t, mean=0.0, std=1.0, a=-2.0, b=2.0):
    lo, hi = _cdf((a - mean) / std), _cdf((b - mean) / std)
    with torch.no_grad():
        t.uniform_(2 * lo - 1, 2 * hi - 1)
        t.erfinv_()
        t.mul_(std * math.sqrt(2.0)).add_(mean)
        return t.clamp_(min=a, max=b)


def trunc_normal_rejection(t, mean=0.0, std=1.0, a=-2.0, b=2.0):
    mass = _cdf((b - mean) / std) - _cdf((a - mean) / std)
    with torch.no_grad():
        if mass > 0.3:
            out = t.normal_(mean, std)
            while True:
                bad = torch.logical_or(out < a, out > b)
                if not bool(bad.any()):
                    break
                fresh = torch.empty_like(out).normal_(mean, std)
                out = torch.where(bad, fresh, out)
            if out is not t:
                t.copy_(out)
            return t

        def log_ratio(x):
            # log pdf(x) - log pdf(mode), in place on x
            peak = max(a, min(mean, b))
            return x.sub_(mean).div_(std).pow_(2).mul_(-0.5).sub_(-0.5 * ((peak - mean) / std) ** 2)

        u = torch.empty_like(t)
        cand = torch.empty_like(t)
        t.uniform_(a, b)
        cand.copy_(t)
        waiting = u.uniform_().log_().gt(log_ratio(cand))
        if not bool(waiting.any()):
            return t
        out = t
        while True:
            cand.uniform_(a, b)
            out = torch.where(waiting, cand, out)
            waiting = torch.where(waiting, u.uniform_().log_().gt(log_ratio(cand)), waiting)
            if not bool(waiting.any()):
                break
        t.copy_(out)
        return t
