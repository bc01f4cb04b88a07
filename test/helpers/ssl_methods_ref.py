# Python side of test/parity/ssl-methods.test.ts: SimCLR and BYOL written
# after lightly's modules and the papers, with plain PyTorch. Loads the
# methods' state dicts and two views written by the test, runs one training
# step (loss, backward, plain SGD, BYOL's EMA update of the target) and writes
# the loss, every gradient and the updated weights and buffers.
# Usage: /usr/bin/python3 ssl_methods_ref.py <dir>   (reads and writes <dir>/*.safetensors)
import json
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

# models_ref.py sits next to this script, whose folder python puts first on sys.path.
from models_ref import SmallCnn, save_safetensors

DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'I64': torch.int64}


def load_safetensors(path):
    with open(path, 'rb') as f:
        buf = f.read()
    n = struct.unpack('<Q', buf[:8])[0]
    header = json.loads(buf[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        a, b = e['data_offsets']
        t = torch.frombuffer(bytearray(buf[8 + n + a:8 + n + b]), dtype=DTYPES[e['dtype']])
        out[name] = t.reshape(e['shape']).clone()
    return out


class Head(nn.Module):
    """lightly's SimCLRProjectionHead / BYOLProjectionHead / BYOLPredictionHead."""

    def __init__(self, d_in, d_hidden, d_out):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(d_in, d_hidden, bias=False), nn.BatchNorm1d(d_hidden), nn.ReLU(),
                                    nn.Linear(d_hidden, d_out))

    def forward(self, x):
        return self.layers(x)


def nt_xent(z1, z2, tau):
    n = z1.shape[0]
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = (z @ z.t()) / tau
    sim.fill_diagonal_(float('-inf'))
    labels = (torch.arange(2 * n) + n) % (2 * n)
    return F.cross_entropy(sim, labels)


def byol_loss(p, z):
    return (2 - 2 * F.cosine_similarity(p, z.detach(), dim=-1)).mean()


def sgd_(params, lr):
    with torch.no_grad():
        for p in params:
            p -= lr * p.grad


def run_simclr(d, cfg, x1, x2):
    m = nn.Module()
    m.encoder = SmallCnn(3, 0, w=cfg['width'])  # lib/models/small-cnn.ts, numClasses 0
    m.projection_head = Head(4 * cfg['width'], cfg['hiddenDim'], cfg['outDim'])
    m.load_state_dict(load_safetensors(f'{d}/simclr.weights.safetensors'), strict=True)
    m.train()
    z1, z2 = m.projection_head(m.encoder(torch.cat([x1, x2]))).chunk(2)  # BN over 2N
    loss = nt_xent(z1, z2, cfg['temperature'])
    loss.backward()
    out = {'loss': loss.detach().reshape(1)}
    out.update({f'grad.{k}': p.grad for k, p in m.named_parameters()})
    sgd_(m.parameters(), cfg['lr'])
    out.update({f'after.{k}': t for k, t in m.state_dict().items()})
    save_safetensors(f'{d}/simclr.ref.safetensors', out)


def run_byol(d, cfg, x1, x2):
    w, h, o = cfg['width'], cfg['hiddenDim'], cfg['outDim']
    m = nn.Module()
    m.encoder = SmallCnn(3, 0, w=w)
    m.projection_head = Head(4 * w, h, o)
    m.prediction_head = Head(o, h, o)
    m.target_encoder = SmallCnn(3, 0, w=w)
    m.target_projection_head = Head(4 * w, h, o)
    m.load_state_dict(load_safetensors(f'{d}/byol.weights.safetensors'), strict=True)
    for p in list(m.target_encoder.parameters()) + list(m.target_projection_head.parameters()):
        p.requires_grad_(False)
    m.train()
    online = lambda x: m.projection_head(m.encoder(x))
    target = lambda x: m.target_projection_head(m.target_encoder(x))
    z1, z2 = online(x1), online(x2)  # BN per view, as BYOL's reference
    p1, p2 = m.prediction_head(z1), m.prediction_head(z2)
    with torch.no_grad():
        t1, t2 = target(x1), target(x2)
    loss = byol_loss(p1, t2) + byol_loss(p2, t1)  # the symmetrised loss, summed
    loss.backward()
    out = {'loss': loss.detach().reshape(1)}
    out.update({f'grad.{k}': p.grad for k, p in m.named_parameters() if p.requires_grad})
    sgd_([p for p in m.parameters() if p.requires_grad], cfg['lr'])
    tau = cfg['momentum']
    with torch.no_grad():
        for t_mod, s_mod in [(m.target_encoder, m.encoder), (m.target_projection_head, m.projection_head)]:
            for pt, ps in zip(t_mod.parameters(), s_mod.parameters()):
                pt.mul_(tau).add_(ps, alpha=1 - tau)
    out.update({f'after.{k}': t for k, t in m.state_dict().items()})
    save_safetensors(f'{d}/byol.ref.safetensors', out)


def main():
    torch.set_num_threads(1)
    d = sys.argv[1]
    with open(f'{d}/config.json') as f:
        cfg = json.load(f)
    views = load_safetensors(f'{d}/views.safetensors')
    run_simclr(d, cfg, views['x1'], views['x2'])
    run_byol(d, cfg, views['x1'], views['x2'])
    print(json.dumps({'torch': torch.__version__}))


if __name__ == '__main__':
    main()
