# The models of scripts/bench_gpu.py (the PyTorch side of the GPU speed
# comparison), written with plain torch after the reference code: ResNet-18
# with torchvision's structure and the CIFAR stem, a timm-style ViT, lightly's
# SimCLR/BYOL heads and NT-Xent, DINO's head and loss (main_dino.py), MAE's
# decoder and loss (models_mae.py), and the four methods as
# `training_step(views) -> loss` plus `after_step()` (EMA teachers).
# Everything here is capturable in a CUDA graph: no host synchronisation.
import contextlib

import torch
import torch.nn as nn
import torch.nn.functional as F


# --- encoders -----------------------------------------------------------------

class BasicBlock(nn.Module):
    """torchvision.models.resnet.BasicBlock."""

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18(nn.Module):
    """torchvision's resnet18 with the CIFAR stem (3x3 stride-1 conv1, no max-pool) and no fc: (B, 512) features."""

    def __init__(self, in_chans=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_chans, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        layers, inplanes = [], 64
        for planes, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            layers.append(nn.Sequential(BasicBlock(inplanes, planes, stride), BasicBlock(planes, planes)))
            inplanes = planes
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.feature_dim = 512
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


HAS_SDPA = hasattr(F, 'scaled_dot_product_attention')


class Attention(nn.Module):
    """timm's Attention (qkv_bias=True); the fused SDPA kernel where torch has one, as timm."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        q, k, v = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4).unbind(0)
        if HAS_SDPA:
            x = F.scaled_dot_product_attention(q, k, v)
        else:
            x = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1) @ v
        return self.proj(x.transpose(1, 2).reshape(B, N, C))


class Block(nn.Module):
    """timm's pre-norm Block (LayerNorm eps 1e-6, mlp_ratio 4, exact GELU)."""

    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """timm's VisionTransformer (class token, learned position embedding resampled for other sizes), no head."""

    def __init__(self, img_size, patch, in_chans, dim, depth, heads):
        super().__init__()
        self.patch = patch
        self.grid = img_size // patch
        self.patch_embed = nn.Conv2d(in_chans, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, self.grid ** 2 + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.feature_dim = dim
        # timm's default initialisation, as lib/models/vit.ts. NOTE: it matters on the CPU beyond taste: other
        # scales drive DINO's sharpened softmax into denormal floats, which CPUs compute many times slower.
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.normal_(self.cls_token, std=1e-6)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def pos(self, h, w):
        if h == self.grid and w == self.grid:
            return self.pos_embed
        # timm's resample_abs_pos_embed (bicubic, antialiased), as lib/models/pos-embed.ts
        prefix, grid = self.pos_embed[:, :1], self.pos_embed[:, 1:]
        grid = grid.reshape(1, self.grid, self.grid, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(h, w), mode='bicubic', antialias=True, align_corners=False)
        return torch.cat([prefix, grid.permute(0, 2, 3, 1).reshape(1, h * w, -1)], dim=1)

    def embed(self, x):
        pos = self.pos(x.shape[2] // self.patch, x.shape[3] // self.patch)
        return self.patch_embed(x).flatten(2).transpose(1, 2), pos

    def forward(self, x):
        x, pos = self.embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + pos
        return self.norm(self.blocks(x))[:, 0]

    def forward_masked(self, x, ids_keep):
        """models_mae.py forward_encoder on the kept patches (B, K)."""
        x, pos = self.embed(x)
        x = x + pos[:, 1:]
        x = torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        cls = (self.cls_token + pos[:, :1]).expand(x.shape[0], -1, -1)
        return self.norm(self.blocks(torch.cat([cls, x], dim=1)))


def make_encoder(spec):
    if spec['kind'] == 'resnet18':
        return ResNet18(spec['inChannels'])
    return ViT(spec['imgSize'], spec['patchSize'], spec['inChannels'], spec['embedDim'], spec['depth'], spec['numHeads'])


# --- heads and losses -----------------------------------------------------------

def two_layer(d_in, d_hidden, d_out):
    """lightly's SimCLR/BYOL projection and prediction heads: Linear-BN-ReLU-Linear."""
    return nn.Sequential(nn.Linear(d_in, d_hidden), nn.BatchNorm1d(d_hidden), nn.ReLU(), nn.Linear(d_hidden, d_out))


def nt_xent(z1, z2, temperature):
    """lightly's NTXentLoss (mean over the 2N anchors). The self-similarities are masked with a large negative
    number instead of lightly's boolean indexing, which synchronises with the host (and cannot be captured);
    the loss is the same."""
    n = z1.shape[0]
    z = torch.cat([F.normalize(z1.float(), dim=1), F.normalize(z2.float(), dim=1)])
    # The similarities in float32 outside autocast, as lib/ssl/losses/nt-xent.ts.
    with (torch.autocast('cuda', enabled=False) if z.is_cuda else contextlib.nullcontext()):
        sim = z @ z.t()
    logits = sim.div(temperature).masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), -1e9)
    return F.cross_entropy(logits, torch.arange(2 * n, device=z.device).roll(n))


def byol_loss(p, z):
    return (2 - 2 * F.cosine_similarity(p.float(), z.detach().float(), dim=-1)).mean()


class DINOHead(nn.Module):
    """DINO's head: 3-layer MLP (GELU), L2 normalisation, weight-normed last layer with weight_g frozen."""

    def __init__(self, in_dim, out_dim, hidden_dim, bottleneck_dim):
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.GELU(), nn.Linear(hidden_dim, hidden_dim), nn.GELU(),
                                 nn.Linear(hidden_dim, bottleneck_dim))
        for m in self.mlp:
            if isinstance(m, nn.Linear):  # DINO's _init_weights
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)
        self.last_layer = nn.Linear(bottleneck_dim, out_dim, bias=False)
        if hasattr(nn.utils, 'weight_norm'):  # main_dino.py's API (deprecated in 2.x, still present)
            self.last_layer = nn.utils.weight_norm(self.last_layer)
            g = self.last_layer.weight_g
        else:
            self.last_layer = nn.utils.parametrizations.weight_norm(self.last_layer)
            g = self.last_layer.parametrizations.weight.original0
        g.data.fill_(1)
        g.requires_grad = False

    def forward(self, x):
        return self.last_layer(F.normalize(self.mlp(x), dim=-1, p=2))


class DINOLoss(nn.Module):
    """main_dino.py's DINOLoss (one process); the centre is updated in place so a captured step keeps it."""

    def __init__(self, out_dim, ncrops, teacher_temp, student_temp, center_momentum):
        super().__init__()
        self.ncrops, self.teacher_temp, self.student_temp, self.m = ncrops, teacher_temp, student_temp, center_momentum
        self.register_buffer('center', torch.zeros(1, out_dim))

    def forward(self, student_output, teacher_output):
        student_out = (student_output.float() / self.student_temp).chunk(self.ncrops)
        teacher_out = F.softmax((teacher_output.float() - self.center) / self.teacher_temp, dim=-1).detach().chunk(2)
        total, terms = 0, 0
        for iq, q in enumerate(teacher_out):
            for v in range(len(student_out)):
                if v == iq:
                    continue
                total = total + torch.sum(-q * F.log_softmax(student_out[v], dim=-1), dim=-1).mean()
                terms += 1
        with torch.no_grad():
            batch_center = teacher_output.float().sum(dim=0, keepdim=True) / len(teacher_output)
            self.center.mul_(self.m).add_(batch_center, alpha=1 - self.m)
        return total / terms


class MaeDecoder(nn.Module):
    """The decoder half of models_mae.py's MaskedAutoencoderViT."""

    def __init__(self, embed_dim, num_patches, patch, in_chans, dim, depth, heads):
        super().__init__()
        self.decoder_embed = nn.Linear(embed_dim, dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, dim), requires_grad=False)
        self.decoder_blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)])
        self.decoder_norm = nn.LayerNorm(dim, eps=1e-6)
        self.decoder_pred = nn.Linear(dim, patch ** 2 * in_chans)

    def forward(self, x, ids_restore):
        x = self.decoder_embed(x)
        mask_tokens = self.mask_token.repeat(x.shape[0], ids_restore.shape[1] + 1 - x.shape[1], 1)
        x_ = torch.cat([x[:, 1:, :], mask_tokens.to(x.dtype)], dim=1)
        x_ = torch.gather(x_, 1, ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))
        x = torch.cat([x[:, :1, :], x_], dim=1) + self.decoder_pos_embed
        for blk in self.decoder_blocks:
            x = blk(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:, :]


def mae_loss(imgs, pred, mask, p):
    """models_mae.py's forward_loss with norm_pix_loss."""
    n, c, h, w = imgs.shape
    target = imgs.reshape(n, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1).reshape(n, (h // p) * (w // p), p * p * c)
    mean, var = target.mean(dim=-1, keepdim=True), target.var(dim=-1, keepdim=True)
    target = (target - mean) / (var + 1.e-6) ** .5
    loss = ((pred.float() - target) ** 2).mean(dim=-1)
    return (loss * mask).sum() / mask.sum()


# --- methods: training_step(views) -> loss; after_step() ------------------------------------

def ema_(teacher, student, m):
    """The teacher update, multi-tensor (as lib/ssl/ema.ts)."""
    t = [p for p in teacher.parameters()]
    s = [p.detach() for p in student.parameters()]
    torch._foreach_mul_(t, m)
    torch._foreach_add_(t, s, alpha=1 - m)


def frozen_copy(module, build):
    copy = build()
    copy.load_state_dict(module.state_dict())
    for p in copy.parameters():
        p.requires_grad = False
    return copy


class SimCLR(nn.Module):
    def __init__(self, w):
        super().__init__()
        m = w['method']
        self.encoder = make_encoder(w['encoder'])
        self.projection_head = two_layer(self.encoder.feature_dim, m['hiddenDim'], m['outDim'])
        self.temperature = m['temperature']

    def training_step(self, views):
        z1, z2 = self.projection_head(self.encoder(torch.cat(views[:2]))).chunk(2)  # one pass: BN over 2N
        return nt_xent(z1, z2, self.temperature)

    def after_step(self):
        pass


class BYOL(nn.Module):
    def __init__(self, w):
        super().__init__()
        m = w['method']
        self.encoder = make_encoder(w['encoder'])
        d = self.encoder.feature_dim
        self.projection_head = two_layer(d, m['hiddenDim'], m['outDim'])
        self.prediction_head = two_layer(m['outDim'], m['hiddenDim'], m['outDim'])
        self.target_encoder = frozen_copy(self.encoder, lambda: make_encoder(w['encoder']))
        self.target_projection_head = frozen_copy(self.projection_head, lambda: two_layer(d, m['hiddenDim'], m['outDim']))
        self.momentum = m['momentumBase']

    def training_step(self, views):
        x1, x2 = views
        p1 = self.prediction_head(self.projection_head(self.encoder(x1)))
        p2 = self.prediction_head(self.projection_head(self.encoder(x2)))
        with torch.no_grad():
            t1 = self.target_projection_head(self.target_encoder(x1))
            t2 = self.target_projection_head(self.target_encoder(x2))
        return byol_loss(p1, t2) + byol_loss(p2, t1)

    def after_step(self):
        ema_(self.target_encoder, self.encoder, self.momentum)
        ema_(self.target_projection_head, self.projection_head, self.momentum)


def multi_crop(backbone, head, crops):
    """main_dino.py's MultiCropWrapper: the backbone once per run of same-size crops, then the head once."""
    feats, start = [], 0
    while start < len(crops):
        end = start + 1
        while end < len(crops) and crops[end].shape[-1] == crops[start].shape[-1]:
            end += 1
        feats.append(backbone(torch.cat(crops[start:end])))
        start = end
    return head(torch.cat(feats))


class DINO(nn.Module):
    def __init__(self, w):
        super().__init__()
        m = w['method']
        head = lambda d: DINOHead(d, m['outDim'], m['hiddenDim'], m['bottleneckDim'])  # noqa: E731
        self.encoder = make_encoder(w['encoder'])
        self.head = head(self.encoder.feature_dim)
        self.teacher_encoder = frozen_copy(self.encoder, lambda: make_encoder(w['encoder']))
        self.teacher_head = frozen_copy(self.head, lambda: head(self.encoder.feature_dim))
        self.dino_loss = DINOLoss(m['outDim'], 2 + m['localCrops'], m['teacherTemp'], m['studentTemp'],
                                  m['centerMomentum'])
        self.momentum = m['momentumTeacher']

    def training_step(self, views):
        with torch.no_grad():
            teacher_output = multi_crop(self.teacher_encoder, self.teacher_head, views[:2])
        return self.dino_loss(multi_crop(self.encoder, self.head, views), teacher_output)

    def after_step(self):
        ema_(self.teacher_encoder, self.encoder, self.momentum)
        ema_(self.teacher_head, self.head, self.momentum)


class MAE(nn.Module):
    def __init__(self, w):
        super().__init__()
        m, e = w['method'], w['encoder']
        self.encoder = make_encoder(e)
        self.encoder.pos_embed.requires_grad_(False)  # MAE's fixed sin-cos embedding
        num_patches = (e['imgSize'] // e['patchSize']) ** 2
        self.decoder = MaeDecoder(e['embedDim'], num_patches, e['patchSize'], e['inChannels'], m['decoderDim'],
                                  m['decoderDepth'], m['decoderHeads'])
        self.mask_ratio, self.patch = m['maskRatio'], e['patchSize']
        # models_mae.py's initialize_weights (as lib/ssl/mae.ts): xavier-uniform linears and patch projection.
        for mod in self.modules():
            if isinstance(mod, nn.Linear):
                nn.init.xavier_uniform_(mod.weight)
                nn.init.zeros_(mod.bias)
        w = self.encoder.patch_embed.weight.data
        nn.init.xavier_uniform_(w.view(w.shape[0], -1))
        nn.init.normal_(self.encoder.cls_token, std=0.02)
        nn.init.normal_(self.decoder.mask_token, std=0.02)

    def training_step(self, views):
        x = views[0]
        n, length = x.shape[0], (x.shape[2] // self.patch) * (x.shape[3] // self.patch)
        keep = int(length * (1 - self.mask_ratio))
        ids_shuffle = torch.argsort(torch.rand(n, length, device=x.device), dim=1)  # small is keep, large is remove
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        mask = torch.ones(n, length, device=x.device)
        mask[:, :keep] = 0  # 0 is keep, 1 is remove
        mask = torch.gather(mask, 1, ids_restore)
        latent = self.encoder.forward_masked(x, ids_shuffle[:, :keep])
        return mae_loss(x, self.decoder(latent, ids_restore), mask, self.patch)

    def after_step(self):
        pass


METHODS = {'simclr': SimCLR, 'byol': BYOL, 'dino': DINO, 'mae': MAE}
