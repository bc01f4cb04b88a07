# PyTorch side of scripts/bench-gpu.ts (issue "GPU speed"): images per second
# of one training step of SimCLR, BYOL, DINO and MAE, written as a PyTorch user
# writes them, with the same architectures, batch, precision and optimiser as
# the Node side (lib/bench/workloads.ts sends the workload records as JSON).
#
# Self-contained (with bench_gpu_models.py): ResNet-18 (torchvision's structure, CIFAR stem), a timm-style
# ViT, the heads, losses and a LARS are written here with plain torch; no
# downloads, no timm, no torchvision. Runs with Debian's torch 1.13 on the CPU
# (graph and compile configurations are skipped with a reason) and with
# PyTorch 2.x on CUDA.
#
# Configurations:
#   eager                 operator by operator
#   eager+channels-last   weights and views in NHWC (convolutional workloads)
#   graph[+channels-last] the whole step (forward, backward, clipping, optimiser,
#                         EMA) captured in one CUDA graph, as the PyTorch docs'
#                         "whole network capture": static inputs, warm-up on a
#                         side stream, fused (or capturable) AdamW
#   compile:<mode>        torch.compile of the step's forward and loss, so that
#                         forward, loss and backward (AOTAutograd) run compiled,
#                         with the same eager (fused) optimiser, for every
#                         workload and each mode: default,
#                         max-autotune-no-cudagraphs, reduce-overhead (CUDA
#                         graphs of the compiled code); channels-last for the
#                         convolutional workloads (the faster layout there)
# On CUDA the forward runs under bfloat16 autocast; on the CPU in float32.
# Math modes: PyTorch's defaults (TF32 off for matmuls, on for cuDNN; cuDNN
# benchmark off), the same as the Node side (both report them).
#
#   /usr/bin/python3 scripts/bench_gpu.py '<json job>'
#   job: {"device": "cpu"|"cuda", "steps": N, "warmup": N, "threads": N|null, "compileTimeout": S|null, "compileBudget": S|null,
#         "runs": [{"workload": <Workload record>, "configs": [...]}]}
# Prints JSON lines: one {"kind": "env", ...}, then one {"kind": "result", ...} per workload and configuration.
import contextlib
import json
import subprocess
import sys
import time
import warnings

import torch

# The encoders, heads, losses and methods (next to this script, which Python puts first on sys.path).
from bench_gpu_models import HAS_SDPA, METHODS

warnings.filterwarnings('ignore')  # weight_norm's deprecation notice in 2.x would interleave with the JSON lines


# --- optimisers ------------------------------------------------------------------

class LARS(torch.optim.Optimizer):
    """lightly's LARS rule: for each parameter with ||w|| > 0 and ||g|| > 0,
    d = trust * ||w|| / (||g|| + wd ||w|| + eps) * (g + wd w), else d = g; excluded groups (biases, norms) take
    d = g; then SGD momentum. Written multi-tensor (torch._foreach_*), as lib/optim/lars.ts and as PyTorch's own
    optimisers default to, with the condition evaluated on the device (torch.where) instead of lightly's
    `if p_norm != 0`, which synchronises with the host and cannot be captured in a CUDA graph."""

    def __init__(self, params, lr, momentum=0.9, weight_decay=0.0, trust_coefficient=0.001, eps=1e-8):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      trust_coefficient=trust_coefficient, eps=eps, exclude=False))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            params = [p for p in group['params'] if p.grad is not None]
            if not params:
                continue
            grads = [p.grad for p in params]
            wd = group['weight_decay']
            if group['exclude']:
                updates = grads
            else:
                w = torch.stack(torch._foreach_norm(params))
                g = torch.stack(torch._foreach_norm(grads))
                ok = (w > 0) & (g > 0)
                ratio = group['trust_coefficient'] * w / (g + w * wd + group['eps'])
                # d = g * s + w * t with s = ratio, t = wd * ratio where ok, else s = 1, t = 0
                s = torch.where(ok, ratio, torch.ones_like(ratio)).unbind()
                t = torch.where(ok, ratio * wd, torch.zeros_like(ratio)).unbind()
                updates = torch._foreach_mul(grads, list(s))
                torch._foreach_add_(updates, torch._foreach_mul(params, list(t)))
            bufs = [self.state[p].get('momentum_buffer') for p in params]
            if any(b is None for b in bufs):
                bufs = [u.detach().clone() for u in updates]
                for p, b in zip(params, bufs):
                    self.state[p]['momentum_buffer'] = b
            else:
                torch._foreach_mul_(bufs, group['momentum'])
                torch._foreach_add_(bufs, updates)
            torch._foreach_add_(params, bufs, alpha=-group['lr'])


def weight_decay_groups(model, weight_decay, extra=None):
    """timm/main_dino.py's groups: no decay for biases and 1-d tensors (as paramGroupsWeightDecay)."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim <= 1 or name.endswith('.bias') else decay).append(p)
    return [{'params': decay, 'weight_decay': weight_decay}, {'params': no_decay, 'weight_decay': 0.0, **(extra or {})}]


def supports_fused_adamw():
    import inspect
    return 'fused' in inspect.signature(torch.optim.AdamW.__init__).parameters


def build_optimizer(model, o, device, graph):
    if o['kind'] == 'lars':
        return LARS(weight_decay_groups(model, o['weightDecay'], {'exclude': True}), lr=o['lr'],
                    momentum=o.get('momentum', 0.9), weight_decay=o['weightDecay']), False
    kwargs = dict(lr=o['lr'], betas=tuple(o.get('betas', (0.9, 0.999))), weight_decay=o['weightDecay'])
    fused = device == 'cuda' and supports_fused_adamw()
    if fused:
        kwargs['fused'] = True
    else:
        kwargs['foreach'] = True  # multi-tensor, as lib/optim/adamw.ts (1.13's default is the per-parameter loop)
    if graph:
        # step() refuses to be captured otherwise (fused included): step count and bias corrections on the device.
        kwargs['capturable'] = True
    return torch.optim.AdamW(weight_decay_groups(model, o['weightDecay']), **kwargs), fused


# --- one configuration -------------------------------------------------------------------

def sync(device):
    if device == 'cuda':
        torch.cuda.synchronize()


def skip_reason(config, device):
    if config.startswith('graph') and device != 'cuda':
        return f'CUDA graphs need a CUDA device (running on {device})'
    if config.startswith('graph') and not hasattr(torch.cuda, 'graph'):
        return f'torch {torch.__version__} has no torch.cuda.graph'
    if config.startswith('compile') and not hasattr(torch, 'compile'):
        return f'torch.compile is unavailable in torch {torch.__version__}'
    if config.startswith('compile') and device != 'cuda':
        return 'the torch.compile columns are measured on CUDA only (Inductor on the CPU needs a C++ toolchain run per shape)'
    return None


def compile_mode(config):
    """'compile:reduce-overhead' -> 'reduce-overhead'; 'compile' -> 'default'; None otherwise."""
    if not config.startswith('compile'):
        return None
    return config.split(':', 1)[1] if ':' in config else 'default'


def count_flops(step):
    """PyTorch's own count of one step (forward and backward), for cross-checking the Node counter."""
    try:
        from torch.utils.flop_counter import FlopCounterMode
    except ImportError:
        return None
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def training_step(method, opt, params, clip, views, autocast, forward, mark_step=None):
    """One training step as the Trainer takes it (zero_grad, forward and loss, backward, clipping, optimiser, EMA),
    returning the detached loss; scripts/profile_step.py profiles the same function."""
    def step():
        if mark_step is not None:
            mark_step()  # a new training iteration for the compiled code's CUDA graphs
        opt.zero_grad(set_to_none=True)
        with autocast():
            loss = forward(views)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(params, clip)
        opt.step()
        method.after_step()
        return loss.detach()
    return step


def run(w, config, job, want_flops):
    device, steps, warmup = job['device'], job['steps'], job['warmup']
    result = {'kind': 'result', 'workload': w['name'], 'scale': w['scale'], 'config': config, 'device': device,
              'batch': w['batch'], 'steps': steps, 'warmup': warmup}
    reason = skip_reason(config, device)
    if reason:
        return {**result, 'status': 'skipped', 'reason': reason}
    torch.manual_seed(0)
    mode = compile_mode(config)
    channels_last = config.endswith('channels-last') or (mode is not None and w.get('convolutional', False))
    graph = config.startswith('graph')
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    method = METHODS[w['name']](w).to(device=device, memory_format=fmt)
    method.train()
    opt, fused = build_optimizer(method, w['optimizer'], device, graph)
    params = [p for p in method.parameters() if p.requires_grad]
    clip = w['optimizer'].get('clipGrad')
    c = w['encoder']['inChannels']
    views = [torch.randn(w['batch'], c, s, s, device=device).contiguous(memory_format=fmt) for s in w['viewSizes']]
    # 1.13 asserts on a disabled CUDA autocast without CUDA: no context at all on the CPU (float32). A captured
    # step needs autocast's weight-cast cache off (the CUDA graphs notes; the Node side's capture does the same).
    autocast = (lambda: torch.autocast('cuda', dtype=torch.bfloat16, cache_enabled=not graph)) \
        if device == 'cuda' else contextlib.nullcontext
    forward = torch.compile(method.training_step, mode=mode) if mode is not None else method.training_step
    mark_step = getattr(getattr(torch, 'compiler', None), 'cudagraph_mark_step_begin', None) \
        if mode == 'reduce-overhead' else None

    step = training_step(method, opt, params, clip, views, autocast, forward, mark_step)
    torch_flops = count_flops(step) if want_flops else None
    if graph:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(max(1, warmup)):
                step()
        torch.cuda.current_stream().wait_stream(side)
        g = torch.cuda.CUDAGraph()
        opt.zero_grad(set_to_none=True)
        with torch.cuda.graph(g):
            static_loss = step()
        # As the docs' training loop (and the Node side's GraphedStep): each step copies its batch into the
        # static inputs, then replays.
        batch = [v.clone() for v in views]

        def run_step():
            for static, new in zip(views, batch):
                static.copy_(new)
            g.replay()
    else:
        state = {}

        def run_step():
            state['loss'] = step()
    # torch.compile compiles on the first call, may recompile once, and reduce-overhead records its CUDA graphs
    # on the following calls: never inside the timed steps.
    for _ in range(max(warmup, 3) if mode is not None else warmup):
        run_step()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        run_step()
    sync(device)
    seconds = (time.perf_counter() - t0) / steps
    loss = static_loss if graph else state['loss']
    return {**result, 'status': 'ok', 'secondsPerStep': seconds, 'imagesPerSecond': w['batch'] / seconds,
            'loss': float(loss.float().item()), 'torchFlopsPerStep': torch_flops, 'fusedAdamW': fused}


def env(device):
    out = {'kind': 'env', 'torch': torch.__version__, 'device': device, 'cuda': torch.version.cuda,
           'threads': torch.get_num_threads(), 'sdpa': HAS_SDPA, 'compile': hasattr(torch, 'compile'),
           'backends': {'matmulAllowTF32': torch.backends.cuda.matmul.allow_tf32,
                        'cudnnAllowTF32': torch.backends.cudnn.allow_tf32,
                        'cudnnBenchmark': torch.backends.cudnn.benchmark,
                        'cudnnDeterministic': torch.backends.cudnn.deterministic,
                        'float32MatmulPrecision': torch.get_float32_matmul_precision()}}
    if device == 'cuda':
        out['gpu'] = torch.cuda.get_device_name(0)
    return out


def run_isolated(w, config, job):
    """One compile column in its own process, at most job['compileTimeout'] seconds (compiling included):
    a slow autotune cannot eat the whole run's time, and its memory and compiled graphs go with the process."""
    timeout = job['compileTimeout']
    base = {'kind': 'result', 'workload': w['name'], 'config': config, 'device': job['device']}
    sub = {**job, 'runs': [{'workload': w, 'configs': [config]}], 'isolated': True}
    try:
        p = subprocess.run([sys.executable, __file__, json.dumps(sub)], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {**base, 'status': 'skipped', 'reason': f'compiling and timing took more than {timeout} s (the compile timeout)'}
    results = [json.loads(line) for line in p.stdout.splitlines() if line.startswith('{"kind": "result"')]
    if results:
        return results[-1]
    last = (p.stderr.strip().splitlines() or ['no output'])[-1]
    return {**base, 'status': 'error', 'reason': f'exit {p.returncode}: {last[:400]}'}


def main():
    job = json.loads(sys.argv[1])
    if job.get('threads'):
        torch.set_num_threads(job['threads'])
    device = job['device']
    if device == 'cuda' and not torch.cuda.is_available():
        raise SystemExit(f'bench_gpu.py: --device cuda but torch {torch.__version__} sees no CUDA device')
    # NOTE: PyTorch's defaults are kept (cudnn.benchmark off, TF32 matmuls off, TF32 cuDNN on); the Node
    # side runs with the same values (torch.backends) and both print them.
    print(json.dumps(env(device)), flush=True)
    # The compile columns share one wall-clock budget (compileBudget seconds, all of them together): once
    # it is spent, the remaining ones are reported skipped, so the run ends in a known time.
    compile_started = None
    # Every eager and graph column first, then the compile columns mode by mode across the workloads, so a
    # spent compile budget leaves whole modes out rather than whole workloads.
    plain = [(r, i, c) for r in job['runs'] for i, c in enumerate(r['configs']) if not c.startswith('compile')]
    modes = []
    for r in job['runs']:
        modes += [c for c in r['configs'] if c.startswith('compile') and c not in modes]
    compiled = [(r, r['configs'].index(m), m) for m in modes for r in job['runs'] if m in r['configs']]
    for r, i, config in plain + compiled:
        try:
            isolated = config.startswith('compile') and job.get('compileTimeout') and not job.get('isolated') \
                and skip_reason(config, device) is None
            budget = job.get('compileBudget')
            if isolated and compile_started is None:
                compile_started = time.monotonic()
            if isolated and budget and time.monotonic() - compile_started + job['compileTimeout'] > budget:
                out = {'kind': 'result', 'workload': r['workload']['name'], 'config': config, 'device': device,
                       'status': 'skipped', 'reason': f'the compile budget of {budget} s was spent'}
            elif isolated:
                out = run_isolated(r['workload'], config, job)
            else:
                out = run(r['workload'], config, job, want_flops=i == 0 and not job.get('isolated'))
        except Exception as e:  # one failing configuration must not hide the others' numbers
            out = {'kind': 'result', 'workload': r['workload']['name'], 'config': config, 'device': device,
                   'status': 'error', 'reason': f'{type(e).__name__}: {e}'.splitlines()[0][:500]}
        print(json.dumps(out), flush=True)
        if device == 'cuda':
            torch.cuda.empty_cache()


if __name__ == '__main__':
    main()
