# Reference implementations of the losses of MoCo v2, MoCo v3, Barlow Twins,
# VICReg, SimSiam, SwAV and DeepCluster v2 for test/ssl/method-losses.test.ts,
# written from the papers and the computations in the authors' public code
# (facebookresearch/moco, moco-v3, barlowtwins, vicreg, simsiam, swav): the
# same order of operations, with plain PyTorch, on one process. parity.py
# evaluates `__import__('ssl_method_losses_ref').<call>`.
import torch
import torch.nn as nn
import torch.nn.functional as F


def moco_v2_loss(q, k, queue, T=0.2):
    """MoCo's InfoNCE: one positive (the key of the same image) against the queue's K negatives.

    `queue` is (K, C) here (MoCo keeps it as (C, K)); its rows are normalised keys.
    """
    q = F.normalize(q, dim=1)
    k = F.normalize(k.detach(), dim=1)
    l_pos = torch.einsum('nc,nc->n', q, k).unsqueeze(-1)
    l_neg = torch.einsum('nc,ck->nk', q, queue.t().clone().detach())
    logits = torch.cat([l_pos, l_neg], dim=1) / T
    labels = torch.zeros(logits.shape[0], dtype=torch.long)
    return F.cross_entropy(logits, labels)


def moco_v2_enqueue(queue, ptr, keys):
    """MoCo's _dequeue_and_enqueue on a (K, C) queue: the oldest batch is replaced; returns the queue and the pointer."""
    queue = queue.clone()
    k_len = queue.shape[0]
    b = keys.shape[0]
    assert k_len % b == 0
    p = int(ptr)
    queue[p:p + b] = F.normalize(keys, dim=1)
    return queue, torch.tensor((p + b) % k_len)


def moco_v3_loss(q, k, T=1.0):
    """MoCo v3's ctr: in-batch InfoNCE on normalised vectors, scaled by 2T; k gets no gradient."""
    q = F.normalize(q, dim=1)
    k = F.normalize(k.detach(), dim=1)
    logits = torch.einsum('nc,mc->nm', q, k) / T
    labels = torch.arange(q.shape[0], dtype=torch.long)
    return F.cross_entropy(logits, labels) * (2 * T)


def off_diagonal(x):
    n, m = x.shape
    assert n == m
    return x.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()


def barlow_twins_loss(z1, z2, lambd=5e-3):
    """Barlow Twins: the cross-correlation of the batch-normalised embeddings pushed to the identity."""
    bn = nn.BatchNorm1d(z1.shape[1], affine=False).to(z1.dtype)
    bn.train()
    c = bn(z1).T @ bn(z2)
    c = c / z1.shape[0]
    on_diag = torch.diagonal(c).add(-1).pow(2).sum()
    off_diag = off_diagonal(c).pow(2).sum()
    return on_diag + lambd * off_diag


def vicreg_terms(x, y):
    """VICReg's invariance, variance and covariance terms (before their coefficients)."""
    n, d = x.shape
    repr_loss = F.mse_loss(x, y)
    x = x - x.mean(dim=0)
    y = y - y.mean(dim=0)
    std_x = torch.sqrt(x.var(dim=0) + 0.0001)
    std_y = torch.sqrt(y.var(dim=0) + 0.0001)
    std_loss = torch.mean(F.relu(1 - std_x)) / 2 + torch.mean(F.relu(1 - std_y)) / 2
    cov_x = (x.T @ x) / (n - 1)
    cov_y = (y.T @ y) / (n - 1)
    cov_loss = off_diagonal(cov_x).pow(2).sum() / d + off_diagonal(cov_y).pow(2).sum() / d
    return repr_loss, std_loss, cov_loss


def vicreg_loss(x, y, sim=25.0, std=25.0, cov=1.0):
    r, s, c = vicreg_terms(x, y)
    return sim * r + std * s + cov * c


def simsiam_loss(p1, p2, z1, z2):
    """SimSiam's symmetrised negative cosine with stop-gradient on z (the paper's Algorithm 1)."""
    def d(p, z):
        return -F.cosine_similarity(p, z.detach(), dim=-1).mean()
    return d(p1, z2) / 2 + d(p2, z1) / 2


@torch.no_grad()
def sinkhorn(out, epsilon=0.05, iterations=3):
    """SwAV's Sinkhorn-Knopp on one process: codes Q (B, K) whose columns share the batch equally."""
    Q = torch.exp(out / epsilon).t()
    B = Q.shape[1]
    K = Q.shape[0]
    Q /= torch.sum(Q)
    for _ in range(iterations):
        Q /= torch.sum(Q, dim=1, keepdim=True)
        Q /= K
        Q /= torch.sum(Q, dim=0, keepdim=True)
        Q /= B
    Q *= B
    return Q.t()


def swav_loss(scores, n_crops, crops_for_assign=(0, 1), temperature=0.1, epsilon=0.05, iterations=3, queue=None):
    """SwAV's swapped prediction: codes of each assigned crop (Sinkhorn of its detached scores, with the
    queue's scores in front when given) predicted from every other crop's softmax.

    scores: (n_crops * B, K) crop-major; queue: optional (n_assign, Lq, K) scores of the queued embeddings.
    Returns the loss and the codes of each assigned crop.
    """
    bs = scores.shape[0] // n_crops
    loss = 0
    codes = []
    for i, crop_id in enumerate(crops_for_assign):
        out = scores[bs * crop_id: bs * (crop_id + 1)].detach()
        if queue is not None:
            out = torch.cat((queue[i], out))
        q = sinkhorn(out, epsilon, iterations)[-bs:]
        codes.append(q)
        subloss = 0
        for v in [v for v in range(n_crops) if v != crop_id]:
            x = scores[bs * v: bs * (v + 1)] / temperature
            subloss -= torch.mean(torch.sum(q * F.log_softmax(x, dim=1), dim=1))
        loss += subloss / (n_crops - 1)
    return [loss / len(crops_for_assign)] + codes


@torch.no_grad()
def kmeans(embeddings, init_idx, iterations):
    """DeepCluster v2's cluster_memory for one k on one process: spherical k-means from the bank rows
    `init_idx`; empty clusters keep their centroid. Returns the centroids and the assignments."""
    centroids = embeddings[init_idx.long()].clone()
    k = centroids.shape[0]
    for n_iter in range(iterations + 1):
        dot_products = torch.mm(embeddings, centroids.t())
        _, assignments = dot_products.max(dim=1)
        if n_iter == iterations:
            break
        counts = torch.zeros(k, dtype=torch.int32)
        emb_sums = torch.zeros(k, embeddings.shape[1], dtype=embeddings.dtype)
        for c in range(k):
            where = (assignments == c).nonzero().flatten()
            if len(where) > 0:
                emb_sums[c] = torch.sum(embeddings[where], dim=0)
                counts[c] = len(where)
        mask = counts > 0
        centroids[mask] = emb_sums[mask] / counts[mask].unsqueeze(1)
        centroids = F.normalize(centroids, dim=1, p=2)
    return centroids, assignments


def deepcluster_v2_loss(scores_per_head, targets_per_head, n_crops, temperature=0.1):
    """DeepCluster v2's loss: cross-entropy of every crop's scores to its image's cluster, averaged over the heads."""
    loss = 0
    for scores, targets in zip(scores_per_head, targets_per_head):
        loss += F.cross_entropy(scores / temperature, targets.long().repeat(n_crops))
    return loss / len(scores_per_head)
