# Reference implementations of the self-supervised losses, written the way
# the papers' reference code computes them, for the parity tests in
# test/ssl/losses.test.ts. parity.py evaluates expressions such as
# `__import__('ssl_losses_ref').nt_xent_lightly(z1, z2, 0.5)` (this folder is
# on sys.path because parity.py runs from it).
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def nt_xent_lightly(out0, out1, temperature=0.5):
    """lightly.loss.NTXentLoss.forward without memory bank, on one process."""
    device = out0.device
    batch_size, _ = out0.shape
    out0 = F.normalize(out0, dim=1)
    out1 = F.normalize(out1, dim=1)
    diag_mask = torch.eye(batch_size, device=out0.device, dtype=torch.bool)
    logits_00 = torch.einsum('nc,mc->nm', out0, out0) / temperature
    logits_01 = torch.einsum('nc,mc->nm', out0, out1) / temperature
    logits_10 = torch.einsum('nc,mc->nm', out1, out0) / temperature
    logits_11 = torch.einsum('nc,mc->nm', out1, out1) / temperature
    logits_00 = logits_00[~diag_mask].view(batch_size, -1)
    logits_11 = logits_11[~diag_mask].view(batch_size, -1)
    logits_0100 = torch.cat([logits_01, logits_00], dim=1)
    logits_1011 = torch.cat([logits_10, logits_11], dim=1)
    logits = torch.cat([logits_0100, logits_1011], dim=0)
    labels = torch.arange(batch_size, device=device, dtype=torch.long).repeat(2)
    return F.cross_entropy(logits, labels)


def nt_xent_simclr(z1, z2, temperature=0.5):
    """SimCLR's Algorithm 1 written literally: l(i, j) over all 2N anchors, in float64 loops."""
    z = torch.cat([z1, z2]).double()
    n = z1.shape[0]
    sim = F.cosine_similarity(z.unsqueeze(1), z.unsqueeze(0), dim=2, eps=0)
    total = 0
    for i in range(2 * n):
        j = (i + n) % (2 * n)
        denom = sum(torch.exp(sim[i, k] / temperature) for k in range(2 * n) if k != i)
        total = total - torch.log(torch.exp(sim[i, j] / temperature) / denom)
    return (total / (2 * n)).float()


def byol_loss(p, z):
    """BYOL's regression loss (the reference's loss_fn), target detached, mean over the batch."""
    x = F.normalize(p, dim=-1, p=2)
    y = F.normalize(z.detach(), dim=-1, p=2)
    return (2 - 2 * (x * y).sum(dim=-1)).mean()


class DINOLoss(nn.Module):
    """main_dino.py's DINOLoss, without the distributed all-reduce (one process)."""

    def __init__(self, out_dim, ncrops, warmup_teacher_temp, teacher_temp,
                 warmup_teacher_temp_epochs, nepochs, student_temp=0.1, center_momentum=0.9):
        super().__init__()
        self.student_temp = student_temp
        self.center_momentum = center_momentum
        self.ncrops = ncrops
        self.register_buffer("center", torch.zeros(1, out_dim))
        self.teacher_temp_schedule = np.concatenate((
            np.linspace(warmup_teacher_temp, teacher_temp, warmup_teacher_temp_epochs),
            np.ones(nepochs - warmup_teacher_temp_epochs) * teacher_temp
        ))

    def forward(self, student_output, teacher_output, epoch):
        student_out = student_output / self.student_temp
        student_out = student_out.chunk(self.ncrops)
        temp = self.teacher_temp_schedule[epoch]
        teacher_out = F.softmax((teacher_output - self.center) / temp, dim=-1)
        teacher_out = teacher_out.detach().chunk(2)
        total_loss = 0
        n_loss_terms = 0
        for iq, q in enumerate(teacher_out):
            for v in range(len(student_out)):
                if v == iq:
                    continue
                loss = torch.sum(-q * F.log_softmax(student_out[v], dim=-1), dim=-1)
                total_loss += loss.mean()
                n_loss_terms += 1
        total_loss /= n_loss_terms
        self.update_center(teacher_output)
        return total_loss

    @torch.no_grad()
    def update_center(self, teacher_output):
        batch_center = torch.sum(teacher_output, dim=0, keepdim=True)
        batch_center = batch_center / len(teacher_output)
        self.center = self.center * self.center_momentum + batch_center * (1 - self.center_momentum)


def dino_steps(student_outputs, teacher_outputs, epochs_run, center, **options):
    """Losses of successive DINOLoss.forward calls and the centre after each (starting from `center`)."""
    loss_fn = DINOLoss(**options)
    loss_fn.center = center.clone()
    outputs = []
    centers = []
    for s, t, epoch in zip(student_outputs, teacher_outputs, epochs_run):
        outputs.append(loss_fn(s, t, epoch))
        centers.append(loss_fn.center.clone())
    return outputs + centers


def teacher_temp_schedule(**options):
    """The teacher temperatures of every epoch, as float64."""
    options.setdefault('out_dim', 1)
    options.setdefault('ncrops', 2)
    return torch.tensor(DINOLoss(**options).teacher_temp_schedule, dtype=torch.float64)


def patchify(imgs, p):
    """models_mae.py's patchify for C channels (MAE hard-codes 3) and H != W."""
    n, c, height, width = imgs.shape
    assert height % p == 0 and width % p == 0
    h, w = height // p, width // p
    x = imgs.reshape(shape=(n, c, h, p, w, p))
    x = torch.einsum('nchpwq->nhwpqc', x)
    return x.reshape(shape=(n, h * w, p ** 2 * c))


def unpatchify(x, p, c):
    """models_mae.py's unpatchify for C channels."""
    h = w = int(x.shape[1] ** .5)
    assert h * w == x.shape[1]
    x = x.reshape(shape=(x.shape[0], h, w, p, p, c))
    x = torch.einsum('nhwpqc->nchpwq', x)
    return x.reshape(shape=(x.shape[0], c, h * p, h * p))


def mae_loss(imgs, pred, mask, p, norm_pix_loss=True):
    """models_mae.py's forward_loss."""
    target = patchify(imgs, p)
    if norm_pix_loss:
        mean = target.mean(dim=-1, keepdim=True)
        var = target.var(dim=-1, keepdim=True)
        target = (target - mean) / (var + 1.e-6) ** .5
    loss = (pred - target) ** 2
    loss = loss.mean(dim=-1)
    loss = (loss * mask).sum() / mask.sum()
    return loss
