# Reference numerics for test/ssl/dino.test.ts and test/ssl/mae.test.ts:
# DINO's DINOHead (facebookresearch/dino vision_transformer.py), MAE's
# get_2d_sincos_pos_embed (facebookresearch/mae util/pos_embed.py, with only
# np.float -> np.float64, removed from numpy) and MAE's forward_decoder
# (models_mae.py) over models_ref.py's copy of timm's Block (timm is not packaged).
# Usage: /usr/bin/python3 dino_mae_ref.py < job.json > result.json
import json
import sys

import numpy as np
import torch
import torch.nn as nn

# timm's Block (qkv_bias=True, mlp_ratio 4, LayerNorm eps 1e-6), as MAE's decoder builds it. models_ref.py
# sits next to this script, whose folder python puts first on sys.path.
from models_ref import Block


def get_2d_sincos_pos_embed(embed_dim, grid_size, cls_token=False):
    grid_h = np.arange(grid_size, dtype=np.float32)
    grid_w = np.arange(grid_size, dtype=np.float32)
    grid = np.meshgrid(grid_w, grid_h)  # here w goes first
    grid = np.stack(grid, axis=0)
    grid = grid.reshape([2, 1, grid_size, grid_size])
    pos_embed = get_2d_sincos_pos_embed_from_grid(embed_dim, grid)
    if cls_token:
        pos_embed = np.concatenate([np.zeros([1, embed_dim]), pos_embed], axis=0)
    return pos_embed


def get_2d_sincos_pos_embed_from_grid(embed_dim, grid):
    assert embed_dim % 2 == 0
    emb_h = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[0])  # (H*W, D/2)
    emb_w = get_1d_sincos_pos_embed_from_grid(embed_dim // 2, grid[1])  # (H*W, D/2)
    return np.concatenate([emb_h, emb_w], axis=1)  # (H*W, D)


def get_1d_sincos_pos_embed_from_grid(embed_dim, pos):
    assert embed_dim % 2 == 0
    omega = np.arange(embed_dim // 2, dtype=np.float64)
    omega /= embed_dim / 2.
    omega = 1. / 10000**omega  # (D/2,)
    pos = pos.reshape(-1)  # (M,)
    out = np.einsum('m,d->md', pos, omega)  # (M, D/2), outer product
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)  # (M, D)


class DINOHead(nn.Module):
    def __init__(self, in_dim, out_dim, use_bn=False, norm_last_layer=True, nlayers=3, hidden_dim=2048,
                 bottleneck_dim=256):
        super().__init__()
        nlayers = max(nlayers, 1)
        if nlayers == 1:
            self.mlp = nn.Linear(in_dim, bottleneck_dim)
        else:
            layers = [nn.Linear(in_dim, hidden_dim)]
            if use_bn:
                layers.append(nn.BatchNorm1d(hidden_dim))
            layers.append(nn.GELU())
            for _ in range(nlayers - 2):
                layers.append(nn.Linear(hidden_dim, hidden_dim))
                if use_bn:
                    layers.append(nn.BatchNorm1d(hidden_dim))
                layers.append(nn.GELU())
            layers.append(nn.Linear(hidden_dim, bottleneck_dim))
            self.mlp = nn.Sequential(*layers)
        self.apply(self._init_weights)
        self.last_layer = nn.utils.weight_norm(nn.Linear(bottleneck_dim, out_dim, bias=False))
        self.last_layer.weight_g.data.fill_(1)
        if norm_last_layer:
            self.last_layer.weight_g.requires_grad = False

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.mlp(x)
        x = nn.functional.normalize(x, dim=-1, p=2)
        return self.last_layer(x)


def dino_head(job):
    torch.manual_seed(job['seed'])
    head = DINOHead(job['inDim'], job['outDim'], hidden_dim=job['hiddenDim'], bottleneck_dim=job['bottleneckDim'],
                    nlayers=job['nlayers'], norm_last_layer=job['normLastLayer'])
    x = torch.tensor(job['x'], dtype=torch.float32)
    r = torch.tensor(job['r'], dtype=torch.float32)
    out = head(x)
    (out * r).sum().backward()
    return {
        'keys': list(head.state_dict().keys()),
        'state': {k: v.flatten().tolist() for k, v in head.state_dict().items()},
        'requiresGrad': {k: p.requires_grad for k, p in head.named_parameters()},
        'out': out.detach().flatten().tolist(),
        'grads': {k: p.grad.flatten().tolist() for k, p in head.named_parameters() if p.grad is not None},
    }


class MaeDecoder(nn.Module):
    # The decoder half of models_mae.py MaskedAutoencoderViT, same attribute names.
    def __init__(self, embed_dim, num_patches, patch_size, in_chans, decoder_embed_dim, decoder_depth,
                 decoder_num_heads):
        super().__init__()
        self.decoder_embed = nn.Linear(embed_dim, decoder_embed_dim, bias=True)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_embed_dim))
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, num_patches + 1, decoder_embed_dim), requires_grad=False)
        self.decoder_blocks = nn.ModuleList([Block(decoder_embed_dim, decoder_num_heads) for _ in range(decoder_depth)])
        self.decoder_norm = nn.LayerNorm(decoder_embed_dim, eps=1e-6)
        self.decoder_pred = nn.Linear(decoder_embed_dim, patch_size**2 * in_chans, bias=True)

    def forward_decoder(self, x, ids_restore):
        x = self.decoder_embed(x)
        mask_tokens = self.mask_token.repeat(x.shape[0], ids_restore.shape[1] + 1 - x.shape[1], 1)
        x_ = torch.cat([x[:, 1:, :], mask_tokens], dim=1)  # no cls token
        x_ = torch.gather(x_, dim=1, index=ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))  # unshuffle
        x = torch.cat([x[:, :1, :], x_], dim=1)  # append cls token
        x = x + self.decoder_pos_embed
        for blk in self.decoder_blocks:
            x = blk(x)
        x = self.decoder_norm(x)
        x = self.decoder_pred(x)
        return x[:, 1:, :]


def unpack(p, dtype=torch.float32):
    return torch.tensor(p['data'], dtype=dtype).reshape(p['shape'])


def mae_decoder(job):
    dec = MaeDecoder(job['embedDim'], job['gridSize'] ** 2, job['patchSize'], job['inChannels'], job['decoderDim'],
                     job['decoderDepth'], job['decoderHeads'])
    state = {k: unpack(v) for k, v in job['state'].items()}
    dec.load_state_dict(state, strict=True)
    latent = unpack(job['latent']).requires_grad_(True)
    pred = dec.forward_decoder(latent, unpack(job['idsRestore'], torch.int64))
    (pred * unpack(job['r'])).sum().backward()
    grads = {k: p.grad.flatten().tolist() for k, p in dec.named_parameters() if p.grad is not None}
    grads['latent'] = latent.grad.flatten().tolist()
    return {'keys': list(dec.state_dict().keys()), 'pred': pred.detach().flatten().tolist(), 'grads': grads}


def main():
    job = json.load(sys.stdin)
    result = {}
    if 'sincos' in job:
        result['sincos'] = [np.asarray(get_2d_sincos_pos_embed(c['dim'], c['grid'], cls_token=c['clsToken']),
                                       dtype=np.float32).flatten().tolist() for c in job['sincos']]
    if 'dinoHead' in job:
        result['dinoHead'] = dino_head(job['dinoHead'])
    if 'maeDecoder' in job:
        result['maeDecoder'] = mae_decoder(job['maeDecoder'])
    json.dump(result, sys.stdout)


if __name__ == '__main__':
    main()
