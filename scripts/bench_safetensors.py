# Python side of scripts/bench-safetensors.ts: MB/s of writing and reading the
# same state dict (ResNet-50's shapes, float32) with torch.save / torch.load
# and with a safetensors writer/reader over raw bytes (Debian 12 has no
# python3-safetensors; test/helpers/safetensors_ref.py is the reference
# format code the tests pin against the safetensors crate).
#   /usr/bin/python3 bench_safetensors.py <folder> <repeats>
# Prints one JSON object {name: best MB/s}.
import json
import os
import sys
import time

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'helpers'))
from safetensors_ref import load as st_load, serialize as st_serialize  # noqa: E402


def best_rate(fn, nbytes, repeats):
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return nbytes / best / 1e6


def main():
    folder, repeats = sys.argv[1], int(sys.argv[2])
    torch.manual_seed(0)
    sd = torchvision.models.resnet50().state_dict()
    nbytes = sum(t.numel() * t.element_size() for t in sd.values())
    pt = os.path.join(folder, 'py.pt')
    st = os.path.join(folder, 'py.safetensors')

    def save_pt():
        torch.save(sd, pt)

    def save_st():
        with open(st, 'wb') as f:
            f.write(st_serialize(sd, None))
            f.flush()
            os.fsync(f.fileno())

    out = {
        'torch.save': best_rate(save_pt, nbytes, repeats),
        'torch.load': best_rate(lambda: torch.load(pt), nbytes, repeats),
        'safetensors write (reference, fsync)': best_rate(save_st, nbytes, repeats),
        'safetensors read (reference)': best_rate(lambda: st_load(st), nbytes, repeats),
        'bytes': nbytes,
    }
    print(json.dumps(out))


main()
