# Python side of scripts/bench-ssl.ts: seconds per CPU training step of each
# self-supervised method (SimCLR, BYOL, DINO, MAE) and per weighted k-NN
# evaluation, written as a PyTorch user writes them (lightly's and the papers'
# reference code, from test/helpers/*_ref.py), with Debian's python3-torch
# (the same libtorch 1.13 as the addon). Views are fixed random tensors: no
# augmentation. A step is zero_grad, forward, loss, backward, [clipping],
# optimizer step, [EMA update of the teacher]; DINO's centre update is in its loss.
#   /usr/bin/python3 bench_ssl.py '<json {"cases", "config", "steps", "warmup", "threads"}>'
# Prints one JSON object {name: {"wall": [seconds per step], "cpu": [CPU seconds per step], "check"?: number}}.
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'helpers'))
# The reference implementations of the parity tests (lib/models, lightly, DINO, MAE).
from models_ref import SmallCnn, VisionTransformer  # noqa: E402
from ssl_methods_ref import Head  # noqa: E402
from ssl_losses_ref import DINOLoss, byol_loss, mae_loss, nt_xent_lightly  # noqa: E402
from dino_mae_ref import DINOHead, MaeDecoder  # noqa: E402
from optim_ref import LightlyLARS  # noqa: E402
from eval_ref import knn_classifier  # noqa: E402
from param_groups import weight_decay_groups  # noqa: E402
from step_samples import run_job  # noqa: E402


@torch.no_grad()
def ema_(teacher, student, m):
    """main_dino.py's teacher update (lightly's update_momentum is the same loop)."""
    for param_q, param_k in zip(student.parameters(), teacher.parameters()):
        param_k.data.mul_(m).add_((1 - m) * param_q.detach().data)


def frozen_copy(module, build):
    """A second network from `build` holding `module`'s weights, without gradients (as main_dino.py's teacher:
    deepcopy cannot copy a weight-normed layer, whose `weight` is computed)."""
    teacher = build()
    teacher.load_state_dict(module.state_dict())
    for p in teacher.parameters():
        p.requires_grad = False
    return teacher


def lars_and_views(m, c):
    """SimCLR's and BYOL's setup: train mode, lightly's LARS over the weight-decay groups, two fixed views."""
    m.train()
    groups = weight_decay_groups(m.named_parameters(), c['weightDecay'], {'exclude': True})
    opt = LightlyLARS(groups, lr=c['lr'], momentum=c['momentum'], weight_decay=c['weightDecay'])
    x1, x2 = torch.randn(c['batch'], 1, c['size'], c['size']), torch.randn(c['batch'], 1, c['size'], c['size'])
    return opt, x1, x2


def simclr(c):
    m = nn.Module()
    m.encoder = SmallCnn(1, 0, c['width'])
    m.projection_head = Head(4 * c['width'], c['hiddenDim'], c['outDim'])
    opt, x1, x2 = lars_and_views(m, c)

    def step():
        opt.zero_grad(set_to_none=True)
        z1, z2 = m.projection_head(m.encoder(torch.cat([x1, x2]))).chunk(2)  # one pass: BN over 2N
        nt_xent_lightly(z1, z2, c['temperature']).backward()
        opt.step()
    return step


def byol(c):
    w = c['width']
    m = nn.Module()
    m.encoder = SmallCnn(1, 0, w)
    m.projection_head = Head(4 * w, c['hiddenDim'], c['outDim'])
    m.prediction_head = Head(c['outDim'], c['hiddenDim'], c['outDim'])
    m.target_encoder = frozen_copy(m.encoder, lambda: SmallCnn(1, 0, w))
    m.target_projection_head = frozen_copy(m.projection_head, lambda: Head(4 * w, c['hiddenDim'], c['outDim']))
    opt, x1, x2 = lars_and_views(m, c)

    def step():
        opt.zero_grad(set_to_none=True)
        z1, z2 = m.projection_head(m.encoder(x1)), m.projection_head(m.encoder(x2))  # BN per view
        p1, p2 = m.prediction_head(z1), m.prediction_head(z2)
        with torch.no_grad():
            t1 = m.target_projection_head(m.target_encoder(x1))
            t2 = m.target_projection_head(m.target_encoder(x2))
        (byol_loss(p1, t2) + byol_loss(p2, t1)).backward()
        opt.step()
        ema_(m.target_encoder, m.encoder, c['emaMomentum'])
        ema_(m.target_projection_head, m.projection_head, c['emaMomentum'])
    return step


def vit(c, size):
    v = c['vit']
    return VisionTransformer(size, v['patchSize'], 1, 0, v['embedDim'], v['depth'], v['numHeads'])


class MultiCropWrapper(nn.Module):
    """main_dino.py's MultiCropWrapper: the backbone once per run of same-resolution crops, then the head."""

    def __init__(self, backbone, head):
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(self, x):
        idx_crops = torch.cumsum(torch.unique_consecutive(
            torch.tensor([inp.shape[-1] for inp in x]), return_counts=True)[1], 0)
        start_idx, output = 0, torch.empty(0).to(x[0].device)
        for end_idx in idx_crops:
            _out = self.backbone(torch.cat(x[start_idx: end_idx]))
            output = torch.cat((output, _out))
            start_idx = end_idx
        return self.head(output)


def dino(c):
    def build():
        return MultiCropWrapper(vit(c, c['globalSize']),
                                DINOHead(c['vit']['embedDim'], c['outDim'], hidden_dim=c['hiddenDim'],
                                         bottleneck_dim=c['bottleneckDim']))
    student = build()
    teacher = frozen_copy(student, build)
    student.train()
    teacher.train()
    ncrops = 2 + c['localCrops']
    loss_fn = DINOLoss(c['outDim'], ncrops, c['teacherTemp'], c['teacherTemp'], 0, 1, c['studentTemp'],
                       c['centerMomentum'])
    opt = torch.optim.AdamW(weight_decay_groups(student.named_parameters(), c['weightDecay']), lr=c['lr'])
    params = [p for p in student.parameters() if p.requires_grad]
    b = c['batch']
    crops = [torch.randn(b, 1, c['globalSize'], c['globalSize']) for _ in range(2)]
    crops += [torch.randn(b, 1, c['localSize'], c['localSize']) for _ in range(c['localCrops'])]

    def step():
        teacher_output = teacher(crops[:2])  # only the 2 global views pass through the teacher
        student_output = student(crops)
        loss = loss_fn(student_output, teacher_output, 0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, c['clipGrad'])
        opt.step()
        ema_(teacher, student, c['emaMomentum'])
    return step


def random_masking(batch, length, mask_ratio):
    """models_mae.py random_masking, on indices (the encoder gathers the kept patches)."""
    len_keep = int(length * (1 - mask_ratio))
    noise = torch.rand(batch, length)
    ids_shuffle = torch.argsort(noise, dim=1)  # small is keep, large is remove
    ids_restore = torch.argsort(ids_shuffle, dim=1)
    ids_keep = ids_shuffle[:, :len_keep]
    mask = torch.ones([batch, length])
    mask[:, :len_keep] = 0  # 0 is keep, 1 is remove
    return ids_keep, torch.gather(mask, dim=1, index=ids_restore), ids_restore


def mae(c):
    p = c['vit']['patchSize']
    grid = c['size'] // p
    m = nn.Module()
    m.encoder = vit(c, c['size'])
    m.encoder.pos_embed.requires_grad_(False)  # MAE's fixed sin-cos embedding
    m.decoder = MaeDecoder(c['vit']['embedDim'], grid * grid, p, 1, c['decoderDim'], c['decoderDepth'],
                           c['decoderHeads'])
    m.train()
    opt = torch.optim.AdamW(weight_decay_groups(m.named_parameters(), c['weightDecay']), lr=c['lr'],
                            betas=tuple(c['betas']))
    x = torch.randn(c['batch'], 1, c['size'], c['size'])

    def step():
        opt.zero_grad(set_to_none=True)
        ids_keep, mask, ids_restore = random_masking(x.shape[0], grid * grid, c['maskRatio'])
        latent = m.encoder.forward_encoder_masked(x, ids_keep)
        pred = m.decoder.forward_decoder(latent, ids_restore)
        mae_loss(x, pred, mask, p, norm_pix_loss=True).backward()
        opt.step()
    return step


def knn(c):
    torch.manual_seed(0)  # the same features as the Node side (same libtorch generator)
    train = F.normalize(torch.randn(c['nTrain'], c['dim']), dim=1)
    test = F.normalize(torch.randn(c['nTest'], c['dim']), dim=1)
    train_labels = torch.randint(0, c['numClasses'], (c['nTrain'],))
    test_labels = torch.randint(0, c['numClasses'], (c['nTest'],))
    out = {}

    def step():
        # eval_knn.py normalises the features it extracted, then classifies.
        train_f, test_f = F.normalize(train, dim=1, p=2), F.normalize(test, dim=1, p=2)
        out['check'] = knn_classifier(train_f, train_labels, test_f, test_labels, c['k'], c['temperature'],
                                      c['numClasses'])[0]
    return step, out


BUILDERS = {'simclr': simclr, 'byol': byol, 'dino': dino, 'mae': mae}


def main():
    run_job({**BUILDERS, 'knn': knn})


if __name__ == '__main__':
    main()
