# Reference side of the pretext-task tests (test/ssl/pretext/*, test/data/lab.test.ts):
# Lab conversion by scikit-image (Debian's python3-skimage), and the pretext
# losses and training steps re-implemented in PyTorch from the papers and the
# authors' public code. Reads a JSON list of cases on stdin
# ({op, inputs: {name: {shape, data}}, args}), writes a JSON list of
# {outputs: {name: {shape, data}}} or {error}.
import json
import math
import sys
import traceback

import numpy as np
import torch
import torch.nn.functional as F

OPS = {}


def op(fn):
    OPS[fn.__name__] = fn
    return fn


def pack(x):
    a = x.detach().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float64)
    return {'shape': list(a.shape), 'data': a.reshape(-1).tolist()}


def unpack(p, dtype=torch.float64):
    return torch.tensor(p['data'], dtype=dtype).reshape(p['shape'])


@op
def rgb2lab(inputs, args):
    from skimage import color
    x = unpack(inputs['rgb']).numpy()  # (B, 3, H, W)
    return {'lab': np.stack([color.rgb2lab(im.transpose(1, 2, 0)).transpose(2, 0, 1) for im in x])}


@op
def lab2rgb(inputs, args):
    import warnings
    from skimage import color
    x = unpack(inputs['lab']).numpy()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # skimage warns about negative Z values it clips
        return {'rgb': np.stack([color.lab2rgb(im.transpose(1, 2, 0)).transpose(2, 0, 1) for im in x])}


@op
def soft_encode(inputs, args):
    """Zhang et al.'s NNEncode (caffe/util.py) with a brute-force nearest-neighbour search instead of sklearn's."""
    ab = unpack(inputs['ab']).numpy()  # (B, 2, H, W)
    cc = unpack(inputs['bins']).numpy()  # (Q, 2)
    k, sigma = args['neighbours'], args['sigma']
    pts = ab.transpose(0, 2, 3, 1).reshape(-1, 2)
    d = np.sqrt(((pts[:, None, :] - cc[None, :, :]) ** 2).sum(-1))
    inds = np.argsort(d, axis=1, kind='stable')[:, :k]
    dists = np.take_along_axis(d, inds, 1)
    wts = np.exp(-dists ** 2 / (2 * sigma ** 2))
    wts = wts / np.sum(wts, axis=1)[:, None]
    out = np.zeros((pts.shape[0], cc.shape[0]))
    out[np.arange(pts.shape[0])[:, None], inds] = wts
    B, _, H, W = ab.shape
    return {'z': out.reshape(B, H, W, -1).transpose(0, 3, 1, 2)}


@op
def prior_weights(inputs, args):
    """The empirical bin distribution (nearest bin), Gaussian-smoothed over the ab plane, and the
    PriorFactor weights of the authors' caffe code: ((1 - l) p + l / Q)^-1 normalised to E_p[w] = 1."""
    ab = unpack(inputs['ab']).numpy()
    cc = unpack(inputs['bins']).numpy()
    pts = ab.transpose(0, 2, 3, 1).reshape(-1, 2)
    nearest = ((pts[:, None, :] - cc[None, :, :]) ** 2).sum(-1).argmin(1)
    p = np.bincount(nearest, minlength=cc.shape[0]).astype(np.float64)
    p /= p.sum()
    s = args['sigma']
    if s > 0:
        g = np.exp(-((cc[:, None, :] - cc[None, :, :]) ** 2).sum(-1) / (2 * s * s))
        p = g @ p
        p /= p.sum()
    lam = args['lambda']
    mix = (1 - lam) * p + lam / cc.shape[0]
    w = 1 / mix
    w = w / np.sum(p * w)
    return {'prior': p, 'weights': w}


@op
def annealed_mean(inputs, args):
    """Equation 5: f_T(z) = exp(log z / T) / sum exp(log z / T), mean over the bin centres."""
    logits = unpack(inputs['logits'])
    cc = unpack(inputs['bins'])
    z = torch.softmax(logits, 1)
    f = torch.exp(torch.log(z) / args['T'])
    f = f / f.sum(1, keepdim=True)
    return {'ab': torch.einsum('bqhw,qc->bchw', f, cc)}


@op
def stl10_torchvision(inputs, args):
    """torchvision.datasets.STL10's own file reader (its private __loadfile) on a folder of test files."""
    from torchvision.datasets import STL10
    ds = object.__new__(STL10)  # skip __init__: it checks the official files' md5 sums
    ds.root = args['root']
    images, labels = ds._STL10__loadfile(args['images'], args.get('labels'))
    out = {'images': torch.from_numpy(images.astype(np.float64))}
    if labels is not None:
        out['labels'] = torch.from_numpy(labels.astype(np.float64))
    return out


# --- The pretext methods' steps, written from the papers with plain PyTorch ---

def _model(inputs, args, head_out, head_in_mult):
    from models_ref import SmallCnn  # test/helpers is on sys.path (the script's folder)
    w, h, c = args['width'], args['hiddenDim'], args['channels']
    m = torch.nn.Module()
    m.encoder = SmallCnn(c, 0, w=w)
    head = torch.nn.Sequential(torch.nn.Linear(head_in_mult * 4 * w, h), torch.nn.ReLU(), torch.nn.Linear(h, head_out))
    setattr(m, args['headName'], head)
    state = {k[len('w.'):]: unpack(v, torch.float32) for k, v in inputs.items() if k.startswith('w.')}
    state = {k: (v.long() if k.endswith('num_batches_tracked') else v) for k, v in state.items()}
    m.load_state_dict(state, strict=True)
    m.train()
    return m, head


def _finish(m, loss):
    loss.backward()
    out = {'loss': loss.detach().reshape(1)}
    out.update({f'grad.{k}': p.grad for k, p in m.named_parameters()})
    return out


@op
def rotation_step(inputs, args):
    """RotNet (Gidaris et al. 2018, section 3.2): all four rotations of every image, 4-way cross entropy."""
    m, head = _model(inputs, args, 4, 1)
    x = unpack(inputs['x'], torch.float32)
    rotated = torch.cat([torch.rot90(x, k, [2, 3]) for k in range(4)])  # counter-clockwise, blocks of B
    labels = torch.arange(4).repeat_interleave(x.shape[0])
    return _finish(m, F.cross_entropy(head(m.encoder(rotated)), labels))


@op
def jigsaw_step(inputs, args):
    """Noroozi & Favaro 2016: tiles cut one by one at the given origins, shuffled by the labelled permutation,
    each tile standardised per channel, one shared encoder, features concatenated, N-way cross entropy."""
    m, head = _model(inputs, args, len(args['perms']), 9)
    x = unpack(inputs['x'], torch.float32)
    origins = unpack(inputs['origins']).long()
    labels = unpack(inputs['labels']).long()
    P = args['tileSize']
    tiles = []
    for b in range(x.shape[0]):
        perm = args['perms'][labels[b]]
        for i in range(9):
            y0, x0 = origins[b, perm[i]].tolist()
            t = x[b, :, y0:y0 + P, x0:x0 + P]
            mean = t.mean(dim=(1, 2), keepdim=True)
            std = t.std(dim=(1, 2), keepdim=True)
            std = torch.where(std == 0, torch.ones_like(std), std)
            tiles.append((t - mean) / std)
    feats = m.encoder(torch.stack(tiles)).reshape(x.shape[0], -1)
    return _finish(m, F.cross_entropy(head(feats), labels))


@op
def relative_position_step(inputs, args):
    """Doersch et al. 2015: centre patch and one of its 8 neighbours, chromatic guard, shared encoder, late fusion."""
    m, head = _model(inputs, args, 8, 2)
    x = unpack(inputs['x'], torch.float32)
    origins = unpack(inputs['origins']).long()
    labels = unpack(inputs['labels']).long()
    keep = unpack(inputs['keep']).long()
    P = args['patchSize']
    cells = [0, 1, 2, 3, 5, 6, 7, 8]

    def cut(b, cell):
        y0, x0 = origins[b, cell].tolist()
        return x[b, :, y0:y0 + P, x0:x0 + P]

    def guard(p, b):
        if p.shape[0] != 3 or args['chromatic'] == 'none':
            return p
        if args['chromatic'] == 'projection':
            g = torch.tensor([-1.0, 2.0, -1.0]) / math.sqrt(6)
            return p - g[:, None, None] * (p * g[:, None, None]).sum(0, keepdim=True)
        noise = unpack(inputs['noise'], torch.float32)[b]
        k = keep[b].item()
        out = noise * (p[k].std() / 100)
        out[k] = p[k]
        return out

    B = x.shape[0]
    centres = [guard(cut(b, 4), b) for b in range(B)]
    neighbours = [guard(cut(b, cells[labels[b]]), b) for b in range(B)]
    feats = m.encoder(torch.stack(centres + neighbours))
    fc, fn = feats[:B], feats[B:]
    return _finish(m, F.cross_entropy(head(torch.cat([fc, fn], 1)), labels))


def run_cases(ops):
    """Reads JSON cases from stdin, runs ops[case['op']] on each (seed 0) and writes the packed outputs or the error.

    The case driver of every *_ref.py script of the pretext tests (colour_ref.py and inpainting_ref.py import it).
    """
    cases = json.load(sys.stdin)
    out = []
    for case in cases:
        try:
            torch.manual_seed(0)
            res = ops[case['op']](case.get('inputs', {}), case.get('args', {}))
            out.append({'outputs': {k: pack(v) for k, v in res.items()}})
        except Exception:
            out.append({'error': traceback.format_exc()})
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    run_cases(OPS)
