# The PyTorch side of scripts/bench-ddp.ts: the same MLP, batch and SGD step
# under torch.nn.parallel.DistributedDataParallel (Gloo); rank 0 prints the
# median ms per step as JSON. Usage: bench_ddp.py MODE ITERS BATCH [mlp|cnn].
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn

mode, iters, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
kind = sys.argv[4] if len(sys.argv) > 4 else 'mlp'
world = int(os.environ.get('WORLD_SIZE', '1'))
if world > 1:
    dist.init_process_group('gloo')
torch.manual_seed(0)
if kind == 'cnn':
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
                          nn.Conv2d(64, 64, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(64 * 7 * 7, 10))
else:
    model = nn.Sequential(nn.Linear(784, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU(), nn.Linear(2048, 10))
ddp = nn.parallel.DistributedDataParallel(model) if world > 1 else None
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
n = batch // world
x = torch.randn(n, 1, 28, 28) if kind == 'cnn' else torch.randn(n, 784)
y = torch.arange(n).remainder(10)


def step():
    opt.zero_grad()
    out = ddp(x) if ddp is not None else model(x)
    nn.functional.cross_entropy(out, y).backward()
    opt.step()


times = []
for i in range(iters + 3):
    if world > 1:
        dist.barrier()
    t0 = time.perf_counter()
    if mode == 'nosync' and ddp is not None:
        with ddp.no_sync():
            step()
    else:
        step()
    if i >= 3:
        times.append((time.perf_counter() - t0) * 1000)
times.sort()
if world > 1:
    dist.destroy_process_group()
if os.environ.get('RANK', '0') == '0':
    print(json.dumps({'ms': times[len(times) // 2], 'parameters': sum(p.numel() for p in model.parameters())}), flush=True)
