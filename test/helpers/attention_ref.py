# Reference for test/train/pictures/attention-maps.test.ts: the last block's
# [CLS] attention per head, as DINO draws it (facebookresearch/dino
# vision_transformer.py get_last_selfattention, visualize_attention.py), on
# models_ref.py's timm-structured ViT (timm is not packaged), in Debian's
# python3-torch. The weights go back to the test as a safetensors file.
#
# Per case: builds the ViT from `seed`, multiplies every qkv weight by
# `qkvGain` (default PyTorch init gives nearly uniform attention, which
# would test little), saves <dir>/<name>.safetensors, runs the images `x`
# and answers
#   attn:    (B, heads, H/p, W/p) attentions[b, :, 0, 1:] reshaped to the patch grid
#   picture: (B, heads, H, W) the same upsampled by the patch size (nearest,
#            DINO's interpolate(scale_factor=patch_size)) and scaled to [0, 1]
#            per image and head (plt.imsave's default vmin/vmax)
# Usage: /usr/bin/python3 attention_ref.py < job.json > result.json
import json
import sys

import torch
import torch.nn as nn

# models_ref.py sits next to this script, whose folder python puts first on sys.path.
from models_ref import VisionTransformer, save_safetensors


def last_selfattention(model, x):
    # DINO's get_last_selfattention: the tokens (timm's position embedding, resampled for other grids), every
    # block but the last, then the last block's softmax(q k^T * scale) over all its queries and keys.
    t = model.patch_embed(x)
    t = torch.cat([model.cls_token.expand(t.shape[0], -1, -1), t], dim=1) + model.pos(x)
    for blk in model.blocks[:-1]:
        t = blk(t)
    last = model.blocks[-1]
    y = last.norm1(t)
    B, N, C = y.shape
    a = last.attn
    qkv = a.qkv(y).reshape(B, N, 3, a.heads, C // a.heads).permute(2, 0, 3, 1, 4)
    q, k = qkv[0], qkv[1]
    return ((q @ k.transpose(-2, -1)) * a.scale).softmax(dim=-1)  # (B, heads, N, N)


def run_case(case, out_dir):
    torch.manual_seed(case['seed'])
    p = case['patchSize']
    model = VisionTransformer(case['imgSize'], p, case['inChannels'], 0, case['embedDim'], case['depth'],
                              case['numHeads'])
    with torch.no_grad():
        for blk in model.blocks:
            blk.attn.qkv.weight.mul_(case['qkvGain'])
    model.eval()
    save_safetensors(f"{out_dir}/{case['name']}.safetensors", model.state_dict())
    x = torch.tensor(case['x']['data'], dtype=torch.float32).reshape(case['x']['shape'])
    h, w = x.shape[2] // p, x.shape[3] // p
    with torch.no_grad():
        attentions = last_selfattention(model, x)
    nh = attentions.shape[1]
    maps, pictures = [], []
    for b in range(x.shape[0]):
        # visualize_attention.py, per image: keep the [CLS] query's weights over the patches.
        a = attentions[b, :, 0, 1:].reshape(nh, h, w)
        up = nn.functional.interpolate(a.unsqueeze(0), scale_factor=p, mode='nearest')[0]  # (heads, H, W)
        lo = up.amin(dim=(1, 2), keepdim=True)
        hi = up.amax(dim=(1, 2), keepdim=True)
        maps.append(a)
        pictures.append((up - lo) / (hi - lo))
    return {'attn': torch.stack(maps).flatten().tolist(), 'attnShape': [x.shape[0], nh, h, w],
            'picture': torch.stack(pictures).flatten().tolist()}


def main():
    torch.set_num_threads(1)
    job = json.load(sys.stdin)
    print(json.dumps({c['name']: run_case(c, job['dir']) for c in job['cases']}))


if __name__ == '__main__':
    main()
