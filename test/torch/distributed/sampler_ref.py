# torch.utils.data.distributed.DistributedSampler's indices for each case on
# stdin (JSON), for test/torch/distributed/sampler.test.ts.
import json
import sys

from torch.utils.data.distributed import DistributedSampler

out = []
for c in json.load(sys.stdin):
    s = DistributedSampler(range(c['length']), num_replicas=c['numReplicas'], rank=c['rank'], shuffle=c['shuffle'],
                           seed=c['seed'], drop_last=c['dropLast'])
    s.set_epoch(c['epoch'])
    out.append(list(iter(s)))
print(json.dumps(out))
