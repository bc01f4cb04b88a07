# Reference side of test/ssl/pretext/context-encoder.test.ts and
# damaged-jigsaw.test.ts: the context encoder (Pathak et al. 2016) and the
# damaged jigsaw (Kim et al. 2018) re-implemented with plain PyTorch from the
# papers and the context encoder's public train.lua, written independently of
# lib/ (loops per image and per channel where lib/ gathers in one batch).
# Protocol as pretext_ref.py: a JSON list of {op, inputs, args} on stdin, a
# JSON list of {outputs} or {error} on stdout.
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from pretext_ref import pack, run_cases, unpack  # test/helpers is the script's folder, so on sys.path

OPS = {}


def op(fn):
    OPS[fn.__name__] = fn
    return fn


def state_of(inputs):
    state = {k[len('w.'):]: unpack(v, torch.float32) for k, v in inputs.items() if k.startswith('w.')}
    return {k: (v.long() if k.endswith('num_batches_tracked') else v) for k, v in state.items()}


def sub_state(state, prefix):
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def loss_weights(hole, overlap, overlap_weight):
    """1 in the hole, overlap_weight on pixels within `overlap` (Chebyshev distance) of it, else 0; by loops."""
    h = hole.numpy()[:, 0] > 0.5
    B, H, W = h.shape
    out = np.zeros((B, 1, H, W))
    for b in range(B):
        ys, xs = np.nonzero(h[b])
        for y in range(H):
            for x in range(W):
                if h[b, y, x]:
                    out[b, 0, y, x] = 1.0
                elif len(ys) and np.min(np.maximum(np.abs(ys - y), np.abs(xs - x))) <= overlap:
                    out[b, 0, y, x] = overlap_weight
    return torch.tensor(out, dtype=torch.float32)


@op
def inpainting_weights(inputs, args):
    return {'weights': loss_weights(unpack(inputs['hole']), args['overlap'], args['overlapWeight'])}


class SmallCnnMaps(nn.Module):
    """lib/models/small-cnn.ts up to its last feature map (what forwardFeatures returns)."""

    def __init__(self, c, w):
        super().__init__()
        chans, strides = [c, w, 2 * w, 2 * w, 4 * w, 4 * w], [1, 2, 1, 2, 1]
        for i in range(5):
            setattr(self, f'conv{i + 1}', nn.Conv2d(chans[i], chans[i + 1], 3, strides[i], 1, bias=False))
            setattr(self, f'bn{i + 1}', nn.BatchNorm2d(chans[i + 1]))

    def forward(self, x):
        for i in range(5):
            x = F.relu(getattr(self, f'bn{i + 1}')(getattr(self, f'conv{i + 1}')(x)))
        return x


def discriminator_logits(x, weights, frozen=False):
    """DCGAN discriminator: 4x4 stride-2 convs with LeakyReLU(0.2), a last valid conv to one logit."""
    n = len(weights)
    for i, (w, b) in enumerate(weights):
        if frozen:
            w, b = w.detach(), b.detach()
        last = i == n - 1
        x = F.conv2d(x, w, b, stride=1 if last else 2, padding=0 if last else 1)
        if not last:
            x = F.leaky_relu(x, 0.2)
    return x.flatten()


@op
def context_encoder_step(inputs, args):
    """Pathak et al. 2016: context = image with the hole at 0; encoder maps; channel-wise FC (each channel its
    own hw x hw matrix) + ReLU, 1x1 conv + ReLU; up-convolutions; L2 over the hole grown by `overlap`, the band
    weighted x10, normalised by the predicted elements; joint loss (1 - l) L_rec + l L_adv with the discriminator
    trained on its own loss. Gradients of the two players taken separately (autograd.grad), then summed."""
    c, w, size = args['channels'], args['width'], args['imageSize']
    state = state_of(inputs)
    x = unpack(inputs['x'], torch.float32)
    hole = unpack(inputs['hole'], torch.float32)
    enc = SmallCnnMaps(c, w)
    enc.load_state_dict(sub_state(state, 'encoder.'), strict=True)
    enc.train()
    W = state['bottleneck.weight'].clone().requires_grad_()
    Bb = state['bottleneck.bias'].clone().requires_grad_()
    conv1 = nn.Conv2d(4 * w, 4 * w, 1)
    conv1.load_state_dict(sub_state(state, 'bottleneck_conv.'))
    dec_state = sub_state(state, 'decoder.')
    layers, i = [], 0
    while f'{i}.weight' in dec_state:
        wt = dec_state[f'{i}.weight']
        if wt.dim() == 4:
            layers.append(nn.ConvTranspose2d(wt.shape[0], wt.shape[1], 4, 2, 1, bias=f'{i}.bias' in dec_state))
            i += 1
        else:
            layers += [nn.BatchNorm2d(wt.shape[0]), nn.ReLU()]
            i += 2
    decoder = nn.Sequential(*layers)
    decoder.load_state_dict(dec_state, strict=True)
    decoder.train()
    d_weights = []
    j = 0
    while f'discriminator.convs.{j}.weight' in state:
        d_weights.append((state[f'discriminator.convs.{j}.weight'].clone().requires_grad_(),
                          state[f'discriminator.convs.{j}.bias'].clone().requires_grad_()))
        j += 1

    context = x * (1 - hole)
    maps = enc(context)
    B, D, h, wd = maps.shape
    per_channel = [maps[:, k].reshape(B, h * wd) @ W[k] + Bb[k] for k in range(D)]
    z = F.relu(torch.stack(per_channel, 1).reshape(B, D, h, wd))
    z = F.relu(conv1(z))
    pred = decoder(z)
    if pred.shape[-1] != size:
        pred = F.interpolate(pred, size=(size, size), mode='bilinear', align_corners=False)
    weights = loss_weights(hole, args['overlap'], args['overlapWeight'])
    region = (weights > 0).float()
    rec = ((pred - x) ** 2 * weights).sum() / (region.sum() * c)
    gen_params = list(enc.parameters()) + [W, Bb] + list(conv1.parameters()) + list(decoder.parameters())
    names = ([f'encoder.{k}' for k, _ in enc.named_parameters()] + ['bottleneck.weight', 'bottleneck.bias']
             + [f'bottleneck_conv.{k}' for k, _ in conv1.named_parameters()]
             + [f'decoder.{k}' for k, _ in decoder.named_parameters()])
    out = {}
    if not d_weights:
        grads = torch.autograd.grad(rec, gen_params)
        out['loss'] = rec.detach().reshape(1)
    else:
        lam = args['adversarialWeight']
        completed = x * (1 - region) + pred * region
        ones, zeros = torch.ones(B), torch.zeros(B)
        d_params = [p for pair in d_weights for p in pair]
        d_loss = (F.binary_cross_entropy_with_logits(discriminator_logits(x, d_weights), ones)
                  + F.binary_cross_entropy_with_logits(discriminator_logits(completed.detach(), d_weights), zeros))
        g_adv = F.binary_cross_entropy_with_logits(discriminator_logits(completed, d_weights), ones)
        g_loss = (1 - lam) * rec + lam * g_adv
        grads = torch.autograd.grad(g_loss, gen_params, retain_graph=True)
        d_grads = torch.autograd.grad(d_loss, d_params)
        for k, g in enumerate(d_grads):
            out[f'grad.discriminator.convs.{k // 2}.{"weight" if k % 2 == 0 else "bias"}'] = g
        out['loss'] = (g_loss + d_loss).detach().reshape(1)
        out['adversarial'] = g_adv.detach().reshape(1)
        out['discriminator'] = d_loss.detach().reshape(1)
    for n, g in zip(names, grads):
        out[f'grad.{n}'] = g
    out['reconstruction'] = rec.detach().reshape(1)
    out['prediction'] = pred.detach()
    return out


@op
def damaged_jigsaw_step(inputs, args):
    """Kim et al. 2018: shuffled tiles lose their colour (luma of the unnormalised pixels) and one position is
    emptied; one encoder on the 9 tiles; permutation CE on the concatenated features, the missing tile in colour
    from the same concatenation, each present tile's Lab ab / 110 (skimage's rgb2lab) from each pixel's gray value
    and its tile's feature; weighted sum."""
    from skimage import color
    from models_ref import SmallCnn
    c, w, hd, P = args['channels'], args['width'], args['hiddenDim'], args['tileSize']
    perms, std = args['perms'], args['std']
    pixel_std, pixel_mean = torch.tensor(std).view(3, 1, 1), torch.tensor(args['mean']).view(3, 1, 1)
    state = state_of(inputs)
    m = nn.Module()
    m.encoder = SmallCnn(c, 0, w=w)
    D = 4 * w
    mlp = lambda i, o: nn.Sequential(nn.Linear(i, hd), nn.ReLU(), nn.Linear(hd, o))
    m.jigsaw_head = mlp(9 * D, len(perms))
    m.inpainting_head = mlp(9 * D, c * P * P)
    m.colorization_head = mlp(c + D, 2)
    m.load_state_dict(state, strict=True)
    m.train()
    x = unpack(inputs['x'], torch.float32)
    origins = unpack(inputs['origins']).long()
    labels = unpack(inputs['labels']).long()
    missing = unpack(inputs['missing']).long()
    luma = [0.2989, 0.587, 0.114]
    B = x.shape[0]
    colour, damaged = [], []
    for b in range(B):
        for i in range(9):
            y0, x0 = origins[b, perms[labels[b]][i]].tolist()
            t = x[b, :, y0:y0 + P, x0:x0 + P]
            colour.append(t)
            g = sum(luma[k] * std[k] * t[k] for k in range(3)).expand(c, P, P)
            mean = g.mean(dim=(1, 2), keepdim=True)
            sd = g.std(dim=(1, 2), keepdim=True)
            g = (g - mean) / torch.where(sd == 0, torch.ones_like(sd), sd)
            damaged.append(torch.zeros_like(g) if i == missing[b].item() else g)
    feats = m.encoder(torch.stack(damaged))  # (9B, D)
    joined = feats.reshape(B, -1)
    colour = torch.stack(colour).reshape(B, 9, c, P, P)
    jig = F.cross_entropy(m.jigsaw_head(joined), labels)
    inpainted = m.inpainting_head(joined).reshape(B, c, P, P)
    target = torch.stack([colour[b, missing[b]] for b in range(B)])
    inp = ((inpainted - target) ** 2).mean()
    stack = torch.stack(damaged)  # (9B, c, P, P)
    per_pixel = [torch.cat([stack[k].reshape(c, P * P).t(), feats[k].expand(P * P, D)], 1) for k in range(9 * B)]
    ab = torch.stack([m.colorization_head(p).t().reshape(2, P, P) for p in per_pixel]).reshape(B, 9, 2, P, P)
    sq = []
    for b in range(B):
        for i in range(9):
            if i == missing[b].item():
                continue
            rgb = (colour[b, i].detach() * pixel_std + pixel_mean).clamp(0, 1)
            lab = color.rgb2lab(rgb.numpy().astype(np.float64).transpose(1, 2, 0)).transpose(2, 0, 1)
            target = torch.from_numpy(lab[1:3] / 110).float()
            sq.append(((ab[b, i] - target) ** 2).mean())
    col = torch.stack(sq).mean()
    loss = args['jigsawWeight'] * jig + args['inpaintingWeight'] * inp + args['colorizationWeight'] * col
    loss.backward()
    out = {'loss': loss.detach().reshape(1), 'jigsaw': jig.detach().reshape(1), 'inpainting': inp.detach().reshape(1),
           'colorization': col.detach().reshape(1)}
    out.update({f'grad.{k}': p.grad for k, p in m.named_parameters()})
    return out


if __name__ == '__main__':
    run_cases(OPS)
