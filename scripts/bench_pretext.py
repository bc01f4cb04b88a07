# The Python half of scripts/bench-pretext.ts: the same pretext-task batches
# built with PyTorch on the same libtorch, written the way a PyTorch user
# would batch them (torch.rot90, one gather for all tiles, max_pool2d for the
# overlap band). Reads {"batch", "size", "rounds", "reps", "threads", "perms"}
# as JSON on stdin, prints {task: [ms per batch, one per round]} as JSON.
import json
import sys
import time

import torch
import torch.nn.functional as F

job = json.load(sys.stdin)
torch.set_num_threads(job['threads'])
B, S = job['batch'], job['size']
perms = torch.tensor(job['perms'], dtype=torch.long)  # the jigsaw's permutation set (N, 9), from Node
g = torch.Generator().manual_seed(0)
x = torch.randn(B, 3, S, S, generator=g)


def grid_origins(n, H, P, gap, jitter):
    need = 3 * P + 2 * gap + 2 * jitter
    top = torch.randint(0, H - need + 1, (n, 1, 2), generator=g)
    cell = torch.arange(9)
    rc = torch.stack([cell // 3, cell % 3], 1).view(1, 9, 2)
    shift = torch.randint(-jitter, jitter + 1, (n, 9, 2), generator=g) if jitter > 0 else 0
    return rc * (P + gap) + jitter + top + shift


def patches_at(images, origins, P):
    b, c, h, w = images.shape
    r = torch.arange(P)
    ys = origins[:, :, :1] + r.view(1, 1, P)
    xs = origins[:, :, 1:] + r.view(1, 1, P)
    flat = (ys.unsqueeze(3) * w + xs.unsqueeze(2)).view(b, 1, -1)
    picked = images.reshape(b, c, h * w).gather(2, flat.expand(b, c, flat.shape[2]))
    return picked.view(b, c, 9, P, P).transpose(1, 2)


def standardize(t):
    flat = t.flatten(-2)
    std = flat.std(-1, keepdim=True)
    return ((flat - flat.mean(-1, keepdim=True)) / torch.where(std == 0, torch.ones_like(std), std)).view_as(t)


def jigsaw_tiles(damage=False):
    cell = S // 3
    P = max(1, round(cell * 64 / 75))
    gap = max(0, cell - P)
    tiles = patches_at(x, grid_origins(B, S, P, gap, gap // 2), P)
    labels = torch.randint(0, perms.shape[0], (B,), generator=g)
    order = perms[labels]
    shuffled = tiles.gather(1, order.view(B, 9, 1, 1, 1).expand_as(tiles))
    if not damage:
        return standardize(shuffled).view(B * 9, 3, P, P)
    missing = torch.randint(0, 9, (B,), generator=g)
    luma = (torch.tensor([0.2989, 0.587, 0.114]).view(1, 1, 3, 1, 1) * shuffled).sum(2, keepdim=True)
    gray = standardize(luma.expand_as(shuffled).contiguous())
    present = torch.arange(9).view(1, 9) != missing.view(B, 1)
    return gray * present.view(B, 9, 1, 1, 1)


def relative_pairs():
    P = (S - 4) // 4
    origins = grid_origins(B, S, P, P // 2, 2)
    patches = patches_at(x, origins, P)
    labels = torch.randint(0, 8, (B,), generator=g)
    torch.randint(0, 3, (B,), generator=g)
    cell = labels + (labels >= 4).long()
    neighbour = patches.gather(1, cell.view(B, 1, 1, 1, 1).expand(B, 1, *patches.shape[2:])).squeeze(1)
    gm = (torch.tensor([-1.0, 2.0, -1.0]) / 6 ** 0.5).view(1, 3, 1, 1)
    guard = lambda p: p - gm * (p * gm).sum(1, keepdim=True)
    return torch.cat([guard(patches[:, 4]), guard(neighbour)])


def context_masks(kind, overlap=1, weight=10.0):
    if kind == 'center':
        r = torch.arange(S)
        inside = ((r >= S // 4 + overlap) & (r < S // 4 + S // 2 - overlap)).float()
        hole = (inside.view(S, 1) * inside.view(1, S)).expand(B, 1, S, S)
    elif kind == 'block':
        s = S // 4
        top = torch.randint(0, S - s + 1, (B, 4, 1, 1), generator=g)
        left = torch.randint(0, S - s + 1, (B, 4, 1, 1), generator=g)
        r = torch.arange(S)
        rows = (r.view(1, 1, S, 1) >= top) & (r.view(1, 1, S, 1) < top + s)
        cols = (r.view(1, 1, 1, S) >= left) & (r.view(1, 1, 1, S) < left + s)
        hole = (rows & cols).any(1, keepdim=True).float()
    else:
        noise = F.interpolate(torch.rand(B, 1, 8, 8, generator=g), size=(S, S), mode='bilinear', align_corners=False)
        flat = noise.view(B, -1)
        k = round(S * S / 4)
        lowest = flat.topk(k, 1, largest=False).indices
        hole = torch.zeros(B, S * S).scatter_(1, lowest, 1.0).view(B, 1, S, S)
    grown = F.max_pool2d(hole, 2 * overlap + 1, stride=1, padding=overlap)
    weights = (grown - hole) * weight + hole
    return x * (1 - hole), weights


TASKS = {
    'rotation': lambda: torch.cat([torch.rot90(x, k, [2, 3]) for k in range(4)]),
    'jigsaw': jigsaw_tiles,
    'relative_position': relative_pairs,
    'context_encoder center': lambda: context_masks('center'),
    'context_encoder block': lambda: context_masks('block'),
    'context_encoder region': lambda: context_masks('region'),
    'damaged_jigsaw': lambda: jigsaw_tiles(True),
}

out = {}
for name, fn in TASKS.items():
    fn()
    times = []
    for _ in range(job['rounds']):
        start = time.perf_counter()
        for _ in range(job['reps']):
            fn()
        times.append((time.perf_counter() - start) * 1000 / job['reps'])
    out[name] = times
json.dump(out, sys.stdout)
