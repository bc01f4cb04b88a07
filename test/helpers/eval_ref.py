# Reference side of the evaluation tests (lib/eval): DINO's weighted k-NN
# classifier (eval_knn.py knn_classifier, copied with its logic unchanged) and
# a linear probe written as a plain PyTorch loop, run with Debian's python3-torch
# on the same features as the TypeScript side.
#
# Reads one JSON document on stdin: a list of cases. Tensors travel as raw
# little-endian files named in the case ({"path", "shape", "dtype"}: float32 or
# int64). Writes one JSON list of results on stdout.
import gzip
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F


def load(spec):
    dtype = {'float32': np.float32, 'int64': np.int64}[spec['dtype']]
    return torch.from_numpy(np.fromfile(spec['path'], dtype=dtype).reshape(spec['shape']).copy())


@torch.no_grad()
def knn_classifier(train_features, train_labels, test_features, test_labels, k, T, num_classes=1000):
    """DINO eval_knn.py knn_classifier (features already L2-normalised; top-5 capped at num_classes)."""
    top1, top5, total = 0.0, 0.0, 0
    train_features = train_features.t()
    num_test_images, num_chunks = test_labels.shape[0], 100
    imgs_per_chunk = max(1, num_test_images // num_chunks)
    retrieval_one_hot = torch.zeros(k, num_classes).to(train_features.device)
    for idx in range(0, num_test_images, imgs_per_chunk):
        features = test_features[idx: min((idx + imgs_per_chunk), num_test_images), :]
        targets = test_labels[idx: min((idx + imgs_per_chunk), num_test_images)]
        batch_size = targets.shape[0]
        similarity = torch.mm(features, train_features)
        distances, indices = similarity.topk(k, largest=True, sorted=True)
        candidates = train_labels.view(1, -1).expand(batch_size, -1)
        retrieved_neighbors = torch.gather(candidates, 1, indices)
        retrieval_one_hot.resize_(batch_size * k, num_classes).zero_()
        retrieval_one_hot.scatter_(1, retrieved_neighbors.view(-1, 1), 1)
        distances_transform = distances.clone().div_(T).exp_()
        probs = torch.sum(
            torch.mul(retrieval_one_hot.view(batch_size, -1, num_classes), distances_transform.view(batch_size, -1, 1)),
            1,
        )
        _, predictions = probs.sort(1, True)
        correct = predictions.eq(targets.data.view(-1, 1))
        top1 = top1 + correct.narrow(1, 0, 1).sum().item()
        top5 = top5 + correct.narrow(1, 0, min(5, k, num_classes)).sum().item()  # num_classes: fewer than 5 classes
        total += targets.size(0)
    return top1 / total, top5 / total


def knn_case(case, train_f, train_l, test_f, test_l):
    train_f = F.normalize(train_f, dim=1, p=2)
    test_f = F.normalize(test_f, dim=1, p=2)
    num_classes = case.get('numClasses') or int(max(train_l.max(), test_l.max())) + 1
    out = {'top1': {}, 'top5': {}}
    for k in case['k']:
        t1, t5 = knn_classifier(train_f, train_l, test_f, test_l, k, case['temperature'], num_classes)
        out['top1'][str(k)] = t1
        out['top5'][str(k)] = t5
    return out


def read_idx(path):
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack('>' + 'I' * ndim, data[4: 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion_mnist(root, split):
    prefix = 'train' if split == 'train' else 't10k'
    images = read_idx(os.path.join(root, f'{prefix}-images-idx3-ubyte.gz'))
    labels = read_idx(os.path.join(root, f'{prefix}-labels-idx1-ubyte.gz'))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).reshape(len(images), -1)
    return x, torch.from_numpy(labels.astype(np.int64))


def fmnist_knn_case(case):
    train_f, train_l = fashion_mnist(case['root'], 'train')
    test_f, test_l = fashion_mnist(case['root'], 'test')
    if 'trainCount' in case:
        train_f, train_l = train_f[: case['trainCount']], train_l[: case['trainCount']]
    if 'testCount' in case:
        test_f, test_l = test_f[: case['testCount']], test_l[: case['testCount']]
    return knn_case(case, train_f, train_l, test_f, test_l)


def linear_probe_case(case, train_f, train_l, test_f, test_l):
    """Standardise by the training set's statistics, zero-initialised linear head, SGD momentum 0.9, per-step cosine."""
    mean = train_f.mean(0, keepdim=True)
    std = (train_f.var(0, unbiased=False, keepdim=True) + 1e-6).sqrt()
    x_train = (train_f - mean) / std
    x_test = (test_f - mean) / std
    n, d = x_train.shape
    c = case['numClasses']
    head = torch.nn.Linear(d, c)
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)
    lr, epochs, bs = case['lr'], case['epochs'], case['batchSize']
    opt = torch.optim.SGD(head.parameters(), lr=lr, momentum=0.9, weight_decay=case['weightDecay'])
    steps_per_epoch = math.ceil(n / bs)
    total = epochs * steps_per_epoch
    step = 0
    for epoch in range(epochs):
        order = torch.randperm(n, generator=torch.Generator().manual_seed(case['seed'] + epoch))
        for s in range(steps_per_epoch):
            for g in opt.param_groups:
                g['lr'] = 0.5 * lr * (1 + math.cos(math.pi * step / total))
            idx = order[s * bs: (s + 1) * bs]
            loss = F.cross_entropy(head(x_train[idx]), train_l[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
    with torch.no_grad():
        top1 = (head(x_test).argmax(1) == test_l).float().mean().item()
        train_top1 = (head(x_train).argmax(1) == train_l).float().mean().item()
    return {'top1': top1, 'trainTop1': train_top1, 'weight': head.weight.detach().flatten().tolist(),
            'bias': head.bias.detach().tolist()}


def run(case):
    op = case['op']
    if op == 'fmnist_knn':
        return fmnist_knn_case(case)
    train_f, train_l = load(case['train']['features']), load(case['train']['labels'])
    test_f, test_l = load(case['test']['features']), load(case['test']['labels'])
    if op == 'knn':
        return knn_case(case, train_f, train_l, test_f, test_l)
    if op == 'linear_probe':
        return linear_probe_case(case, train_f, train_l, test_f, test_l)
    raise ValueError(f'unknown op {op}')


def main():
    torch.set_num_threads(1)
    cases = json.load(sys.stdin)
    results = []
    for case in cases:
        try:
            results.append(run(case))
        except Exception as e:  # noqa: BLE001 - reported to the test, which fails with the message
            results.append({'error': f'{type(e).__name__}: {e}'})
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    main()
