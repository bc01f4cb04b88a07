# The Python rank of the Node+Python interop test: torch.distributed with Gloo,
# the same collectives and inputs as workers/interop.ts, reported as JSON.
import datetime
import json
import os

import torch
import torch.distributed as dist


def libuv_refused():
    """torch 2.4+ ask for TCPStore's libuv server by default and refuse where the build has none (Debian 13's 2.6);
    USE_LIBUV=0 then picks the classic one (the selfsup rank does the same without being told). Probed on a store of
    its own: a failed init_process_group would have used up the default group's name."""
    try:
        dist.TCPStore('127.0.0.1', 0, 1, True, timeout=datetime.timedelta(seconds=5), use_libuv=True)
    except TypeError:  # 1.13: no use_libuv, only the classic server
        return False
    except RuntimeError as e:
        if 'without libuv support' in str(e):
            return True
        raise
    return False


if 'USE_LIBUV' not in os.environ and libuv_refused():
    os.environ['USE_LIBUV'] = '0'
dist.init_process_group('gloo', init_method=os.environ['INIT_METHOD'], timeout=datetime.timedelta(seconds=30))
rank = dist.get_rank()
out = {'rank': rank, 'world': dist.get_world_size()}
x = torch.arange(1000, dtype=torch.float32) * (rank + 1) + 0.25 * rank
dist.all_reduce(x)
out['sumFirst'] = x[:4].tolist()
out['sumTotal'] = x.sum().item()
m = torch.tensor([rank + 0.5, 1 - 3 * rank], dtype=torch.float32)
dist.all_reduce(m, op=dist.ReduceOp.MAX)
out['max'] = m.tolist()
b = torch.full([3], 7.5 if rank == 1 else 0.0, dtype=torch.float32)
dist.broadcast(b, src=1)
out['broadcast'] = b.tolist()
parts = [torch.empty(2) for _ in range(dist.get_world_size())]
# Every tensor given to a collective stays referenced from Python until after destroy_process_group. Gloo's worker
# thread drops its reference when a work ends, which may be after wait() returned; if that is the last reference to a
# tensor whose Python object was freed, the worker needs the GIL to free it, while the main thread holds the GIL in
# ~ProcessGroupGloo joining that worker: a deadlock, about 1 run in 12 on Debian 13's torch 2.6 (gdb: main thread in
# ~ProcessGroupGloo -> thread::join, worker in runLoop -> ~TensorImpl -> PyObjectSlot::maybe_destroy_pyobj).
# PyTorch releases the GIL in that destructor from 2.8 (PR #154976).
mine = torch.tensor([rank, 10 + rank], dtype=torch.float32)
dist.all_gather(parts, mine)
out['allGather'] = [p.tolist() for p in parts]
dist.barrier()
dist.destroy_process_group()
print(json.dumps(out), flush=True)
