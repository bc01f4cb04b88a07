# The Python side of scripts/bench-distributed.ts: all-reduce latency with
# torch.distributed (Gloo) on 2 ranks; rank 0 prints the medians as JSON.
import json
import os
import sys
import time

import torch
import torch.distributed as dist

iters = int(sys.argv[1]) if len(sys.argv) > 1 else 20
dist.init_process_group('gloo')
out = {}
for mb in (1, 25):
    t = torch.ones(mb * 1024 * 1024 // 4)
    times = []
    for i in range(iters + 3):
        dist.barrier()
        t0 = time.perf_counter()
        dist.all_reduce(t)
        if i >= 3:
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    out[f'{mb}MB'] = times[len(times) // 2]
dist.destroy_process_group()
if os.environ['RANK'] == '0':
    print(json.dumps(out), flush=True)
