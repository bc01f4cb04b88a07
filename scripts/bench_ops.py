# Python side of scripts/bench-ops.ts: microseconds per call of each
# operator on tiny CPU tensors, with Debian's python3-torch (same libtorch).
# Prints one JSON object {name: microseconds}.
import json
import sys
import time

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
iters = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5

a = torch.randn(4, 4)
b = torch.randn(4, 4)
v = torch.randn(16)
img = torch.randn(1, 3, 8, 8)
w = torch.randn(4, 3, 3, 3)
idx = torch.tensor([0, 2])
leaf = torch.randn(4, 4, requires_grad=True)


def backward_small():
    y = (leaf * b).relu().sum()
    y.backward()
    leaf.grad = None


cases = {
    'add': lambda: torch.add(a, b),
    'add_ (in place)': lambda: a.add_(b),
    'mul scalar': lambda: a.mul(2.0),
    'matmul 4x4': lambda: torch.matmul(a, b),
    'view': lambda: a.view(16),
    'sum': lambda: a.sum(),
    'relu': lambda: torch.relu(a),
    'cat': lambda: torch.cat([a, b], 0),
    'index_select': lambda: a.index_select(0, idx),
    'select (x[1])': lambda: a[1],
    'softmax': lambda: torch.softmax(a, 1),
    'conv2d 1x3x8x8': lambda: F.conv2d(img, w),
    'backward (3 ops)': backward_small,
}

results = {}
for name, fn in cases.items():
    for _ in range(200):
        fn()
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(iters):
            fn()
        best = min(best, (time.perf_counter() - t0) / iters * 1e6)
    results[name] = best
    a = torch.randn(4, 4)  # add_ drifts a; keep inputs tame
json.dump(results, sys.stdout)
