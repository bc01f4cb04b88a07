# Python side of test/parity/models.test.ts: builds each encoder in PyTorch
# (torchvision's ResNets; a ViT written with plain torch ops after timm's
# vision_transformer.py, since timm is not installed), runs one forward and
# backward on seeded inputs, and writes two safetensors files per case:
#   <dir>/<name>.weights.safetensors  the state dict the test loads
#   <dir>/<name>.io.safetensors       x, w (loss = sum(out * w)), keep_idx,
#                                     out, grad.x, grad.<param>, after.<buffer>
# Usage: /usr/bin/python3 models_ref.py spec.json   (spec: {"dir", "cases": [...]})
import json
import math
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

DTYPES = {torch.float32: 'F32', torch.int64: 'I64', torch.float64: 'F64'}


def save_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {'dtype': DTYPES[t.dtype], 'shape': list(t.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)


# --- ViT after timm (vit_*_patch*_224 structure and key names) ---------------

class PatchEmbed(nn.Module):
    def __init__(self, patch, in_chans, dim):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, dim, patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        B, N, C = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, dim * 4)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def resample_abs_pos_embed(posemb, new_size, num_prefix_tokens=1):
    # timm.layers.pos_embed.resample_abs_pos_embed (bicubic, antialias=True)
    if posemb.shape[1] == new_size[0] * new_size[1] + num_prefix_tokens and new_size[0] == new_size[1]:
        return posemb
    hw = int(math.sqrt(posemb.shape[1] - num_prefix_tokens))
    prefix, posemb = posemb[:, :num_prefix_tokens], posemb[:, num_prefix_tokens:]
    dim = posemb.shape[-1]
    posemb = posemb.reshape(1, hw, hw, -1).permute(0, 3, 1, 2)
    posemb = F.interpolate(posemb, size=new_size, mode='bicubic', antialias=True)
    posemb = posemb.permute(0, 2, 3, 1).reshape(1, -1, dim)
    return torch.cat([prefix, posemb], dim=1)


class VisionTransformer(nn.Module):
    def __init__(self, img_size, patch, in_chans, num_classes, dim, depth, heads):
        super().__init__()
        self.patch = patch
        self.patch_embed = PatchEmbed(patch, in_chans, dim)
        n = (img_size // patch) ** 2
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        self.blocks = nn.Sequential(*[Block(dim, heads) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes) if num_classes > 0 else nn.Identity()
        for m in self.modules():
            if isinstance(m, nn.LayerNorm):
                # Non-trivial affine parameters so that a swapped weight/bias shows.
                nn.init.uniform_(m.weight, 0.5, 1.5)
                nn.init.uniform_(m.bias, -0.2, 0.2)

    def pos(self, x):
        H, W = x.shape[2] // self.patch, x.shape[3] // self.patch
        return resample_abs_pos_embed(self.pos_embed, (H, W))

    def forward_features(self, x):
        pos = self.pos(x)
        x = self.patch_embed(x)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], dim=1) + pos
        return self.norm(self.blocks(x))

    def forward(self, x):
        return self.head(self.forward_features(x)[:, 0])

    def forward_encoder_masked(self, x, keep_idx):
        # keep_idx: (B, K) indices of the visible patches
        pos = self.pos(x)
        x = self.patch_embed(x) + pos[:, 1:]
        x = torch.gather(x, 1, keep_idx.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
        cls = (self.cls_token + pos[:, :1]).expand(x.shape[0], -1, -1)
        return self.norm(self.blocks(torch.cat([cls, x], dim=1)))


class SmallCnn(nn.Module):
    """lib/models/small-cnn.ts: five 3x3 conv-BN-ReLU (w, 2w, 2w, 4w, 4w; stride 2 at 2 and 4), pool, fc."""

    def __init__(self, in_chans, num_classes, w=32, pool=1):
        super().__init__()
        self.pool = pool
        chans, strides = [in_chans, w, 2 * w, 2 * w, 4 * w, 4 * w], [1, 2, 1, 2, 1]
        for i in range(5):
            setattr(self, f'conv{i + 1}', nn.Conv2d(chans[i], chans[i + 1], 3, strides[i], 1, bias=False))
            setattr(self, f'bn{i + 1}', nn.BatchNorm2d(chans[i + 1]))
        self.relu = nn.ReLU(inplace=True)
        self.fc = nn.Linear(chans[5] * pool * pool, num_classes) if num_classes > 0 else nn.Identity()

    def forward(self, x):
        for i in range(5):
            x = self.relu(getattr(self, f'bn{i + 1}')(getattr(self, f'conv{i + 1}')(x)))
        return self.fc(F.adaptive_avg_pool2d(x, self.pool).flatten(1))


# --- ResNet from torchvision --------------------------------------------------

def build_resnet(case):
    model = getattr(torchvision.models, case['arch'])(num_classes=case.get('numClasses', 1000) or 1,
                                                      zero_init_residual=case.get('zeroInitResidual', False))
    in_chans = case.get('inChannels', 3)
    if case.get('smallImages', False):
        model.conv1 = nn.Conv2d(in_chans, 64, 3, stride=1, padding=1, bias=False)
        model.maxpool = nn.Identity()
    elif in_chans != 3:
        model.conv1 = nn.Conv2d(in_chans, 64, 7, stride=2, padding=3, bias=False)
    nn.init.kaiming_normal_(model.conv1.weight, mode='fan_out', nonlinearity='relu')
    pool = case.get('pool', 1)
    if pool != 1:
        model.avgpool = nn.AdaptiveAvgPool2d(pool)
        model.fc = nn.Linear(model.fc.in_features * pool * pool, model.fc.out_features)
    if case.get('numClasses', 1000) == 0:
        model.fc = nn.Identity()
    if case.get('perturbNorm', True):
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                # Non-trivial affine parameters and running statistics, so that
                # eval mode does not reduce to an identity.
                nn.init.uniform_(m.weight, 0.5, 1.5)
                nn.init.uniform_(m.bias, -0.2, 0.2)
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    return model


def run_case(case, out_dir):
    torch.manual_seed(case.get('seed', 0))
    if case['kind'] == 'resnet':
        model = build_resnet(case)
    elif case['kind'] == 'small_cnn':
        model = SmallCnn(case.get('inChannels', 3), case.get('numClasses', 0), case.get('width', 32), case.get('pool', 1))
    else:
        model = VisionTransformer(case['imgSize'], case['patchSize'], case.get('inChannels', 3),
                                  case.get('numClasses', 1000), case['embedDim'], case['depth'], case['numHeads'])
    dtype = torch.float64 if case.get('dtype') == 'float64' else torch.float32
    model.to(dtype)
    save_safetensors(f"{out_dir}/{case['name']}.weights.safetensors", model.state_dict())
    model.train(case.get('train', False))
    size = case['inputSize']
    x = torch.randn(case['batch'], case.get('inChannels', 3), size, size, dtype=dtype).requires_grad_()
    io = {'x': x.detach().clone()}
    if case.get('masked'):
        n = (size // case['patchSize']) ** 2
        keep = torch.rand(case['batch'], n).argsort(dim=1)[:, : case['masked']]
        io['keep_idx'] = keep
        out = model.forward_encoder_masked(x, keep)
    elif case.get('features'):
        out = model.forward_features(x)
    else:
        out = model(x)
    w = torch.randn(out.shape, dtype=dtype)
    (out * w).sum().backward()
    io['w'] = w
    io['out'] = out
    io['grad.x'] = x.grad
    params = dict(model.named_parameters())
    for name in case.get('grads', []):
        io['grad.' + name] = params[name].grad
    buffers = dict(model.named_buffers())
    for name in case.get('buffers', []):
        io['after.' + name] = buffers[name]
    save_safetensors(f"{out_dir}/{case['name']}.io.safetensors", io)


def main():
    torch.set_num_threads(1)
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    for case in spec['cases']:
        run_case(case, spec['dir'])
    print(json.dumps({'torch': torch.__version__, 'torchvision': torchvision.__version__}))


if __name__ == '__main__':
    main()
