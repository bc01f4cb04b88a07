# Reference side of the colour pretext-method tests (test/ssl/pretext/colour-methods.test.ts):
# Colorization (Zhang, Isola & Efros 2016) and the split-brain autoencoder (Zhang, Isola & Efros 2017)
# re-implemented from the papers with PyTorch, scikit-image's Lab conversion and the authors'
# NNEncode / PriorFactor rules written out in numpy. Same JSON protocol as pretext_ref.py.

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from models_ref import SmallCnn  # test/helpers is on sys.path (the script's folder)
from pretext_ref import pack, run_cases, unpack

OPS = {}


def op(fn):
    OPS[fn.__name__] = fn
    return fn


def lab_of(x, mean, std):
    """Normalised RGB (B, 3, H, W) -> CIE Lab by skimage.color.rgb2lab, as float32."""
    from skimage import color
    rgb = (x.double() * std.double() + mean.double()).clamp(0, 1).numpy()
    lab = np.stack([color.rgb2lab(im.transpose(1, 2, 0)).transpose(2, 0, 1) for im in rgb])
    return torch.from_numpy(lab).float()


def soft_encode(ab, cc, k=5, sigma=5.0):
    """NNEncode: the k nearest bins of each pixel, Gaussian weights (sigma), normalised. (B, 2, h, w) -> (B, Q, h, w)."""
    B, _, H, W = ab.shape
    pts = ab.double().permute(0, 2, 3, 1).reshape(-1, 2).numpy()
    d = np.sqrt(((pts[:, None, :] - cc[None, :, :]) ** 2).sum(-1))
    inds = np.argsort(d, axis=1, kind='stable')[:, :k]
    wts = np.exp(-np.take_along_axis(d, inds, 1) ** 2 / (2 * sigma ** 2))
    wts = wts / wts.sum(1, keepdims=True)
    out = np.zeros((pts.shape[0], cc.shape[0]))
    out[np.arange(pts.shape[0])[:, None], inds] = wts
    return torch.from_numpy(out.reshape(B, H, W, -1).transpose(0, 3, 1, 2).copy()).float(), d.argmin(1)


def prior_factor(nearest, cc, lam, sigma=5.0):
    """Equation 4: the empirical prior (nearest-bin counts, smoothed with G_sigma), w = ((1 - l) p + l / Q)^-1, E_p[w] = 1."""
    p = np.bincount(nearest, minlength=cc.shape[0]).astype(np.float64)
    p /= p.sum()
    g = np.exp(-((cc[:, None, :] - cc[None, :, :]) ** 2).sum(-1) / (2 * sigma * sigma))
    p = g @ p
    p /= p.sum()
    w = 1 / ((1 - lam) * p + lam / cc.shape[0])
    return w / np.sum(p * w)


def _load(m, inputs):
    state = {k[len('w.'):]: unpack(v, torch.float32) for k, v in inputs.items() if k.startswith('w.')}
    state = {k: (v.long() if k.endswith('num_batches_tracked') else v) for k, v in state.items()}
    m.load_state_dict(state, strict=True)
    m.train()


def _head(d, hidden, out):
    return nn.Sequential(nn.Conv2d(d, hidden, 3, padding=1), nn.ReLU(), nn.Conv2d(hidden, out, 1))


def _finish(m, loss, extra=None):
    loss.backward()
    out = {'loss': loss.detach().reshape(1)}
    out.update({f'grad.{k}': p.grad for k, p in m.named_parameters()})
    out.update(extra or {})
    return out


def _encoder(branches, w):
    enc = nn.Module()
    for name, chans in branches:
        setattr(enc, name, SmallCnn(chans, 0, w=w))
    enc.register_buffer('rgb_mean', torch.zeros(1, 3, 1, 1))
    enc.register_buffer('rgb_std', torch.ones(1, 3, 1, 1))
    return enc


def features(net, x):
    """small_cnn's last feature map (before pooling)."""
    for i in range(5):
        x = net.relu(getattr(net, f'bn{i + 1}')(getattr(net, f'conv{i + 1}')(x)))
    return x


@op
def colorization_step(inputs, args):
    """Section 2.1-2.2: L in, 313-way soft-encoded targets at the output resolution, rebalanced cross entropy (eq. 2)."""
    w, hidden, lam = args['width'], args['hiddenDim'], args['lambda']
    m = nn.Module()
    m.encoder = _encoder([('net', 1)], w)
    m.colorization_head = _head(4 * w, hidden, 313)
    m.register_buffer('ab_counts', torch.zeros(313))
    _load(m, inputs)
    cc = unpack(inputs['bins']).numpy()
    lab = lab_of(unpack(inputs['x']), m.encoder.rgb_mean, m.encoder.rgb_std)
    logits = m.colorization_head(features(m.encoder.net, (lab[:, :1] - 50) / 50))
    h, wd = logits.shape[2:]
    z, nearest = soft_encode(F.adaptive_avg_pool2d(lab[:, 1:], (h, wd)), cc)
    weights = prior_factor(nearest, cc, lam)
    v = torch.from_numpy(weights[nearest]).float().reshape(z.shape[0], h, wd)
    loss = (v * -(z * F.log_softmax(logits, 1)).sum(1)).mean()
    return _finish(m, loss, {'weights': weights})


@op
def split_brain_step(inputs, args):
    """Section 3: L -> ab over the 313 bins (soft-encoded, no rebalancing) plus ab -> L over equal L bins, summed."""
    w, hidden, nb = args['width'], args['hiddenDim'], args['lightnessBins']
    m = nn.Module()
    m.encoder = _encoder([('l_to_ab', 1), ('ab_to_l', 2)], w)
    m.ab_head = _head(4 * w, hidden, 313)
    m.l_head = _head(4 * w, hidden, nb)
    _load(m, inputs)
    cc = unpack(inputs['bins']).numpy()
    lab = lab_of(unpack(inputs['x']), m.encoder.rgb_mean, m.encoder.rgb_std)
    ab_logits = m.ab_head(features(m.encoder.l_to_ab, (lab[:, :1] - 50) / 50))
    l_logits = m.l_head(features(m.encoder.ab_to_l, lab[:, 1:] / 110))
    small = F.adaptive_avg_pool2d(lab, ab_logits.shape[2:])
    z, _ = soft_encode(small[:, 1:], cc)
    ab_loss = -(z * F.log_softmax(ab_logits, 1)).sum(1).mean()
    l_target = torch.clamp(torch.floor(small[:, 0] / (100 / nb)), 0, nb - 1).long()
    l_loss = F.cross_entropy(l_logits, l_target)
    return _finish(m, ab_loss + l_loss, {'abLoss': ab_loss.detach().reshape(1), 'lLoss': l_loss.detach().reshape(1)})


# --- DeOldify-style colorizer (U-Net on small_cnn's stages, FeatureLoss, patch critic) ---

def stages(net, x):
    """small_cnn's maps after conv1, conv3 and conv5."""
    out = []
    for i in range(5):
        x = net.relu(getattr(net, f'bn{i + 1}')(getattr(net, f'conv{i + 1}')(x)))
        if i % 2 == 0:
            out.append(x)
    return out


class UnetBlock(nn.Module):
    def __init__(self, cin, cskip, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin + cskip, cout, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()

    def forward(self, x, skip):
        up = F.interpolate(x, size=skip.shape[2:], mode='nearest')
        h = self.relu(self.bn1(self.conv1(torch.cat([up, skip], 1))))
        return self.relu(self.bn2(self.conv2(h)))


class Decoder(nn.Module):
    """Skip joins from the deepest stage up, then the input concatenated ("last cross"), 3 channels in (-3, 3)."""

    def __init__(self, ch, cin):
        super().__init__()
        self.blocks = nn.ModuleList([UnetBlock(ch[i + 1], ch[i], ch[i]) for i in reversed(range(len(ch) - 1))])
        self.head = nn.Sequential(nn.Conv2d(ch[0] + cin, ch[0], 3, padding=1), nn.ReLU(), nn.Conv2d(ch[0], 3, 1))

    def forward(self, maps, inp):
        y = maps[-1]
        for k, b in enumerate(self.blocks):
            y = b(y, maps[-2 - k])
        up = F.interpolate(y, size=inp.shape[2:], mode='nearest')
        return torch.sigmoid(self.head(torch.cat([up, inp], 1))) * 6 - 3


class Critic(nn.Module):
    def __init__(self, nf):
        super().__init__()
        self.conv1 = nn.Conv2d(3, nf, 4, 2, 1)
        self.conv2 = nn.Conv2d(nf, 2 * nf, 4, 2, 1)
        self.conv3 = nn.Conv2d(2 * nf, 1, 3, padding=1)

    def forward(self, x):
        return self.conv3(F.leaky_relu(self.conv2(F.leaky_relu(self.conv1(x), 0.2)), 0.2))


@op
def deoldify_step(inputs, args):
    """NoGAN phases: FeatureLoss (pixel L1 + 20/70/10 x L1 of the frozen net's last 3 stages); critic
    (BCE(real, 1) + BCE(fake, 0)) / 2 with the generator detached; GAN generator 1.0 BCE(fake, 1) + 1.5 FeatureLoss."""
    w, nf, phase = args['width'], args['criticWidth'], args['phase']
    m = nn.Module()
    m.encoder = SmallCnn(3, 0, w=w)
    m.decoder = Decoder([w, 2 * w, 4 * w], 3)
    m.critic = Critic(nf)
    m.feature_net = SmallCnn(3, 0, w=w)
    m.register_buffer('image_mean', torch.zeros(1, 3, 1, 1))
    m.register_buffer('image_std', torch.ones(1, 3, 1, 1))
    _load(m, inputs)
    m.feature_net.eval()
    m.feature_net.requires_grad_(False)
    x = unpack(inputs['x'], torch.float32)
    mean, std = m.image_mean, m.image_std
    y = ((x * std + mean) * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    gray = (y.expand(-1, 3, -1, -1) - mean) / std

    def generate():
        return m.decoder(stages(m.encoder, gray), gray)

    def feature_loss(pred):
        fp = stages(m.feature_net, pred)
        with torch.no_grad():
            ft = stages(m.feature_net, x)
        return F.l1_loss(pred, x) + sum(wt * F.l1_loss(a, b) for a, b, wt in zip(fp, ft, [20, 70, 10]))

    bce = F.binary_cross_entropy_with_logits
    if phase == 'generator':
        loss = feature_loss(generate())
    elif phase in ('critic', 'gan-critic'):
        with torch.no_grad():
            fake = generate()
        r, f = m.critic(x), m.critic(fake)
        loss = (bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))) / 2
    else:
        pred = generate()
        logits = m.critic(pred)
        loss = 1.0 * bce(logits, torch.ones_like(logits)) + 1.5 * feature_loss(pred)
    loss.backward()
    out = {'loss': loss.detach().reshape(1)}
    out.update({f'grad.{k}': p.grad for k, p in m.named_parameters() if p.grad is not None})
    return out


if __name__ == '__main__':
    run_cases(OPS)
