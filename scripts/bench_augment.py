# torchvision's SimCLR CIFAR pipeline applied image by image (as a DataLoader
# worker does), on the same 256 x 3 x 32 x 32 float images as
# scripts/bench-augment.ts: images per second, two views per image.
#
#   /usr/bin/python3 scripts/bench_augment.py [batch=256] [seconds=3] [threads=1]
import sys
import time

import torch
import torchvision.transforms as T

batch = int(sys.argv[1]) if len(sys.argv) > 1 else 256
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 1)

pipeline = T.Compose([
    T.RandomResizedCrop(32, scale=(0.08, 1.0), antialias=False),
    T.RandomHorizontalFlip(),
    T.RandomApply([T.ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
    T.RandomGrayscale(p=0.2),
    T.Normalize([0.49, 0.48, 0.45], [0.25, 0.24, 0.26]),
])
x = torch.rand(batch, 3, 32, 32)


def two_views():
    for img in x:
        pipeline(img)
        pipeline(img)


two_views()
calls = 0
start = time.perf_counter()
while time.perf_counter() - start < seconds:
    two_views()
    calls += 1
elapsed = time.perf_counter() - start
r = calls * batch / elapsed
print(f'torchvision per-image SimCLR CIFAR (2 views), {torch.get_num_threads()} thread(s): '
      f'{r:.0f} source images/s ({2 * r:.0f} views/s)')
