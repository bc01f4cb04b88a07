# What the PyTorch reference of the benchmark scripts runs on: its torch, the
# BLAS library mapped into the process, its OpenMP wait policy, glibc tunables
# (selfsup's malloc thresholds) and thread count. profile_step.py prints it in its header; scripts/bench-python.ts's
# tests start it to check that the reference gets Node's BLAS build.
#
#   /usr/bin/python3 scripts/bench_env.py      -> one JSON line
import json
import os

import torch


def blas_library():
    """The BLAS library mapped into this process (its path), as `selfsup info` finds Node's: the pthread or the
    OpenMP build of OpenBLAS, MKL, ...; None when none is mapped (BLAS linked into libtorch) or not on Linux."""
    try:
        with open('/proc/self/maps') as f:
            files = {line.split()[-1] for line in f if '/' in line and '.so' in line}
    except OSError:
        return None
    for pattern in ('openblas', 'libmkl', 'blis', 'libblas'):
        found = sorted(f for f in files if pattern in os.path.basename(f) or pattern in os.path.dirname(f))
        if found:
            return found[0]
    return None


if __name__ == '__main__':
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))  # BLAS libraries are mapped when torch loads; a product makes sure
    print(json.dumps({'torch': torch.__version__, 'blas': blas_library(), 'ompWaitPolicy': os.environ.get('OMP_WAIT_POLICY'),
                      'glibcTunables': os.environ.get('GLIBC_TUNABLES'), 'threads': torch.get_num_threads(), 'rank': os.environ.get('RANK')}))
