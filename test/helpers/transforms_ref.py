# Reference results for the batched augmentations (test/data/transforms):
# torchvision 0.14's functional ops applied image by image with the parameters
# the JS side chose. Reads a JSON list of cases on stdin, writes a JSON list of
# {shape, data} (or {error}) on stdout.
import math

import torch
import torch.nn.functional as F
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from torchvision.transforms import InterpolationMode

from parity import serve


def per_image(x, fn):
    return torch.stack([fn(x[b], b) for b in range(x.shape[0])])


def sobel_deepcluster(x):
    # DeepCluster models/alexnet.py: grayscale conv weights 1/3, then Sobel, padding 1.
    c = x.shape[1]
    gray = F.conv2d(x, torch.full((1, c, 1, 1), 1.0 / c)) if c > 1 else x
    w = torch.tensor([[[[1, 0, -1], [2, 0, -2], [1, 0, -1]]], [[[1, 2, 1], [0, 0, 0], [-1, -2, -1]]]],
                     dtype=torch.float32)
    return F.conv2d(gray, w, padding=1)


def run(c):
    op = c['op']
    a = c.get('args', {})
    if op == 'rrc_params':
        torch.manual_seed(a.get('seed', 0))
        img = torch.zeros(1, a['height'], a['width'])
        boxes = [T.RandomResizedCrop.get_params(img, a['scale'], a['ratio']) for _ in range(a['n'])]
        return torch.tensor(boxes, dtype=torch.float64)
    if op == 'erasing_params':
        torch.manual_seed(a.get('seed', 0))
        img = torch.zeros(1, a['height'], a['width'])
        boxes = [T.RandomErasing.get_params(img, a['scale'], a['ratio'], value=[0])[:4] for _ in range(a['n'])]
        return torch.tensor(boxes, dtype=torch.float64)
    x = torch.tensor(c['images'], dtype=torch.float32).reshape(c['shape'])
    if op == 'brightness':
        return per_image(x, lambda im, b: TF.adjust_brightness(im, a['factors'][b]))
    if op == 'contrast':
        return per_image(x, lambda im, b: TF.adjust_contrast(im, a['factors'][b]))
    if op == 'saturation':
        return per_image(x, lambda im, b: TF.adjust_saturation(im, a['factors'][b]))
    if op == 'hue':
        return per_image(x, lambda im, b: TF.adjust_hue(im, a['factors'][b]))
    if op == 'jitter':
        fns = [TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation, TF.adjust_hue]

        def jitter(im, b):
            if not a['apply'][b]:
                return im
            order = a['order'][b] if isinstance(a['order'][0], list) else a['order']
            for k in order:
                im = fns[k](im, a['factors'][k][b])
            return im
        return per_image(x, jitter)
    if op == 'grayscale':
        return per_image(x, lambda im, b: TF.rgb_to_grayscale(im, a['channels']))
    if op == 'resized_crop':
        mode = InterpolationMode.BICUBIC if a.get('interpolation') == 'bicubic' else InterpolationMode.BILINEAR
        return per_image(x, lambda im, b: TF.resized_crop(im, *a['boxes'][b], a['size'], mode, antialias=False))
    if op == 'gaussian_blur':
        return per_image(x, lambda im, b: TF.gaussian_blur(im, [a['kernel'], a['kernel']],
                                                           [a['sigmas'][b], a['sigmas'][b]]))
    if op == 'solarize':
        return per_image(x, lambda im, b: TF.solarize(im, a['threshold']))
    if op == 'hflip':
        return per_image(x, lambda im, b: TF.hflip(im) if a['mask'][b] else im)
    if op == 'erase':
        return per_image(x, lambda im, b: TF.erase(im, *a['boxes'][b], torch.tensor(a['value'])))
    if op == 'rot90':
        return per_image(x, lambda im, b: torch.rot90(im, a['k'][b], [1, 2]))
    if op == 'normalize':
        return TF.normalize(x, a['mean'], a['std'])
    if op == 'sobel':
        return sobel_deepcluster(x)
    raise ValueError('unknown op ' + op)


def answer(c):
    y = run(c)
    return {'shape': list(y.shape), 'data': y.flatten().tolist()}


if __name__ == '__main__':
    serve(answer)
