# Python side of scripts/bench-models.ts: seconds per CPU training step
# (forward, cross-entropy, backward, SGD with momentum) of the same encoders
# with Debian's python3-torch (the same libtorch 1.13).
#   /usr/bin/python3 bench_models.py '<json list of cases>' steps threads
# Prints one JSON object {name: {"wall": best seconds, "cpu": best CPU seconds per step}}.
import json
import os
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'helpers'))
# The reference models of the parity tests: timm's ViT structure in plain torch, and lib/models/small-cnn.ts.
from models_ref import SmallCnn, VisionTransformer  # noqa: E402


def build(case):
    if case['model'] == 'resnet18':
        return torchvision.models.resnet18(num_classes=case['numClasses'])
    if case['model'] == 'small_cnn':
        return SmallCnn(case['inChannels'], case['numClasses'])
    if case['model'] == 'vit_tiny_patch4':
        return VisionTransformer(case['size'], 4, case['inChannels'], case['numClasses'], 192, 12, 3)
    raise ValueError(case['model'])


def main():
    cases = json.loads(sys.argv[1])
    steps = int(sys.argv[2])
    torch.set_num_threads(int(sys.argv[3]))
    torch.manual_seed(0)
    results = {}
    for case in cases:
        model = build(case).train()
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x = torch.randn(case['batch'], case['inChannels'], case['size'], case['size'])
        y = torch.randint(0, case['numClasses'], (case['batch'],))

        def step():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()

        step()
        wall, cpu = float('inf'), float('inf')
        for _ in range(steps):
            t0, c0 = time.perf_counter(), time.process_time()
            step()
            cpu = min(cpu, time.process_time() - c0)
            wall = min(wall, time.perf_counter() - t0)
        results[case['name']] = {'wall': wall, 'cpu': cpu}
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    main()
