# PyTorch side of scripts/profile-step.ts (issue 19): one training step of each
# workload of bench_gpu.py (eager), profiled with torch.profiler (CPU activity:
# every operator with its input shapes and host time, autograd nodes,
# allocations), and the host time of unprofiled steps. The events go out in the
# column format of native/profiler.cc, so that lib/torch/profile-events.ts
# aggregates both sides with the same code.
#
#   /usr/bin/python3 scripts/profile_step.py '<json job>'
#   job: {"device": "cpu"|"cuda", "warmup": N, "steps": N, "threads": N|null, "workloads": [<Workload record>, ...]}
# Prints JSON lines: {"kind": "env", ...}, then one {"kind": "profile", ...} per workload.
import bisect
import contextlib
import json
import os
import resource
import sys
import threading
import time
import warnings

import torch
from torch.autograd import DeviceType

from bench_env import blas_library
from bench_gpu import build_optimizer, env, sync, training_step
from bench_gpu_models import METHODS

warnings.filterwarnings('ignore')


def profile_events(fn):
    """Runs fn under torch.profiler (CPU activity, shapes, memory) and returns its events as columns (the format of
    native/profiler.cc's profilerStop): names interned, parent indices, scopes, host times in ns, allocations made
    directly inside each event (attributed by time to the innermost event that contains them), input shapes."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], record_shapes=True, profile_memory=True) as prof:
        fn()
    events = [e for e in prof.events() if e.name != '[memory]' and e.device_type == DeviceType.CPU and not e.is_async]
    events.sort(key=lambda e: (e.time_range.start, -e.time_range.end))
    index = {id(e): i for i, e in enumerate(events)}
    parent = [index.get(id(e.cpu_parent), -1) if e.cpu_parent is not None else -1 for e in events]
    depth = []
    for i in range(len(events)):
        depth.append(0 if parent[i] < 0 else depth[parent[i]] + 1)
    threads = {}
    names, name_index = [], {}
    for e in events:
        if e.name not in name_index:
            name_index[e.name] = len(names)
            names.append(e.name)
        threads.setdefault(e.thread, len(threads) + 1)
    allocs = [0] * len(events)
    alloc_bytes = [0] * len(events)
    totals = {'allocs': 0, 'allocBytes': 0, 'frees': 0, 'freeBytes': 0}
    result = prof.profiler.kineto_results
    ns = hasattr(result, 'trace_start_ns')  # 2.x stamps in ns, 1.13 in us (the FunctionEvents' time ranges: us)
    origin = result.trace_start_ns() / 1000 if ns else result.trace_start_us()
    starts = [e.time_range.start for e in events]
    for m in result.events():
        if m.name() != '[memory]':
            continue
        n = m.nbytes()
        if n < 0:
            totals['frees'] += 1
            totals['freeBytes'] -= n
            continue
        totals['allocs'] += 1
        totals['allocBytes'] += n
        t = (m.start_ns() / 1000 if ns else m.start_us()) - origin
        i = bisect.bisect_right(starts, t) - 1
        while i >= 0 and events[i].time_range.end < t:
            i = parent[i]
        if i >= 0:
            allocs[i] += 1
            alloc_bytes[i] += n
    return {
        'names': names,
        'name': [name_index[e.name] for e in events],
        'parent': parent,
        'depth': depth,
        'scope': [int(e.scope) for e in events],
        'thread': [threads[e.thread] for e in events],
        'syncCopy': [0] * len(events),
        'startNs': [e.time_range.start * 1e3 for e in events],
        'durationNs': [e.cpu_time_total * 1e3 for e in events],
        'selfNs': [e.self_cpu_time_total * 1e3 for e in events],
        'allocs': allocs,
        'allocBytes': alloc_bytes,
        'shapes': [str(list(e.input_shapes)) if e.input_shapes is not None else '[]' for e in events],
        'memory': totals,
    }


def cuda_syncs(fn):
    """PyTorch's own detector on CUDA (torch.cuda.set_sync_debug_mode('warn')): the synchronising CUDA calls fn
    makes, counted from the warnings; None on the CPU or where torch lacks it."""
    if not torch.cuda.is_available() or not hasattr(torch.cuda, 'set_sync_debug_mode'):
        return None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        torch.cuda.set_sync_debug_mode('warn')
        try:
            fn()
        finally:
            torch.cuda.set_sync_debug_mode('default')
    return sum(1 for w in caught if 'synchroniz' in str(w.message))


def main_thread_cpu_us():
    """CPU time of this thread so far, microseconds, from /proc/self/task/<tid>/schedstat (nanoseconds on a CPU),
    the file lib/bench/profile-step.ts reads for Node's main thread; None where it does not exist."""
    try:
        with open(f'/proc/self/task/{threading.get_native_id()}/schedstat') as f:
            return int(f.read().split()[0]) / 1e3
    except (OSError, ValueError, IndexError):
        return None


def profile_workload(w, job):
    device = job['device']
    torch.manual_seed(0)
    method = METHODS[w['name']](w).to(device=device)
    method.train()
    opt, _ = build_optimizer(method, w['optimizer'], device, False)
    params = [p for p in method.parameters() if p.requires_grad]
    c = w['encoder']['inChannels']
    views = [torch.randn(w['batch'], c, s, s, device=device) for s in w['viewSizes']]
    autocast = (lambda: torch.autocast('cuda', dtype=torch.bfloat16)) if device == 'cuda' else contextlib.nullcontext
    step = training_step(method, opt, params, w['optimizer'].get('clipGrad'), views, autocast, method.training_step)
    for _ in range(job['warmup']):
        step()
    sync(device)
    columns = profile_events(step)
    syncs = cuda_syncs(step)
    host, wall, cpu, main_cpu, faults = [], [], [], [], []
    for _ in range(job['steps']):
        sync(device)
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        m0 = main_thread_cpu_us()
        c0 = time.process_time()  # CPU time of the whole process, as Node's process.cpuUsage()
        t0 = time.perf_counter()
        step()
        t1 = time.perf_counter()
        c1 = time.process_time()
        m1 = main_thread_cpu_us()
        f1 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        sync(device)
        host.append((t1 - t0) * 1e6)
        wall.append((time.perf_counter() - t0) * 1e6)
        cpu.append((c1 - c0) * 1e6)
        if m0 is not None and m1 is not None:
            main_cpu.append(m1 - m0)
        faults.append(f1 - f0)
    return {'kind': 'profile', 'workload': w['name'], 'scale': w['scale'], 'device': device, 'columns': columns,
            'cudaSyncWarnings': syncs, 'hostUs': host, 'wallUs': wall, 'cpuUs': cpu, 'mainCpuUs': main_cpu, 'pageFaults': faults}


def main():
    job = json.loads(sys.argv[1])
    if job.get('threads'):
        torch.set_num_threads(job['threads'])
    print(json.dumps({**env(job['device']), 'blas': blas_library(), 'ompWaitPolicy': os.environ.get('OMP_WAIT_POLICY'),
                      'glibcTunables': os.environ.get('GLIBC_TUNABLES')}), flush=True)
    for w in job['workloads']:
        try:
            out = profile_workload(w, job)
        except Exception as e:  # one failing workload must not hide the others
            out = {'kind': 'profile', 'workload': w['name'], 'status': 'error', 'reason': f'{type(e).__name__}: {e}'[:500]}
        print(json.dumps(out), flush=True)
        if job['device'] == 'cuda':
            torch.cuda.empty_cache()


if __name__ == '__main__':
    main()
