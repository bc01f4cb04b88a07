# The Python half of scripts/step-samples.ts: the one timing loop of the
# CPU step benchmarks (bench_ssl.py, bench_text.py). A job is the JSON the
# Node side sends ({"cases", "config", "steps", "warmup", "threads"}); each
# case's builder returns a step function (or (step, extra) with values to
# report next to the times). Prints one JSON object
# {name: {"wall": [seconds per step], "cpu": [CPU seconds per step], ...extra}}.
import json
import sys
import time

import torch


def time_steps(step, steps, warmup):
    """Wall and CPU seconds of each of `steps` calls of `step`, after `warmup` untimed calls."""
    for _ in range(warmup):
        step()
    wall, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    return {'wall': wall, 'cpu': cpu}


def run_job(builders):
    """Runs the job in sys.argv[1]: every case built from the same seed, timed, and printed as JSON."""
    job = json.loads(sys.argv[1])
    torch.set_num_threads(job['threads'])
    results = {}
    for name in job['cases']:
        torch.manual_seed(0)
        built = builders[name](job['config'][name])
        step, extra = built if isinstance(built, tuple) else (built, {})
        results[name] = {**time_steps(step, job['steps'], job['warmup']), **extra}
        del step, built
    json.dump(results, sys.stdout)
