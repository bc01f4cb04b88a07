// Every refusal of lib/data/transforms by its exact message (issue 21: a check
// whose condition, message or named argument changes fails here), each branch of
// a compound check on its own, with the accepted edge beside it where there is
// one. No Python: these are the glue's checks, fast.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import {
  ColorJitter, Compose, GaussianBlur, GaussianNoise, Normalize, RandomErasing, RandomGrayscale, RandomHorizontalFlip,
  RandomResizedCrop, RandomSolarize, Transform, adjustBrightness, adjustHue, erase, gaussianBlur, hflip, normalize, randomRotation90,
  rgbToGrayscale, rotate90, sobel, solarize, toFloatImages,
} from '../../../lib/data/transforms';
import { checkImages } from '../../../lib/data/transforms/transform';
import { gen, images } from './reference';
import { refuses } from '../../helpers/refuses';

const x = images([2, 3, 4, 4], 1);
const flat = torch.rand([3, 4, 4]);
const bad = <T>(v: unknown): T => v as T;

describe('data/transforms: refusals by exact message', () => {
  it('checkImages names the transform: not a tensor, not 4-D, not floating point', () => {
    refuses(() => checkImages(5, 'X'), 'Expected a Tensor of images (B, C, H, W) for X but received 5');
    refuses(() => checkImages(flat, 'X'), 'Expected images of shape (B, C, H, W) for X but received shape [3, 4, 4]');
    refuses(() => checkImages(torch.zeros([1, 1, 2, 2], { dtype: 'uint8' }), 'X'),
      'Expected floating point images in [0, 1] for X but received dtype uint8; convert uint8 images with toFloatImages(images)');
    assert.deepEqual(checkImages(x, 'X'), [2, 3, 4, 4]);
    // Each entry point passes its own name.
    const named: [string, () => unknown][] = [
      ['hflip', () => hflip(flat, torch.tensor([true]))],
      ['RandomHorizontalFlip', () => new RandomHorizontalFlip().forward(flat, gen())],
      ['rotate90', () => rotate90(flat, torch.tensor([1], { dtype: 'int64' }))],
      ['randomRotation90', () => randomRotation90(flat, gen())],
      ['solarize', () => solarize(flat)],
      ['RandomSolarize', () => new RandomSolarize().forward(flat, gen())],
      ['GaussianNoise', () => new GaussianNoise().forward(flat, gen())],
      ['rgbToGrayscale', () => rgbToGrayscale(flat)],
      ['RandomGrayscale', () => new RandomGrayscale().forward(flat, gen())],
      ['sobel', () => sobel(flat)],
      ['normalize', () => normalize(flat, [0], [1])],
      ['gaussianBlur', () => gaussianBlur(flat, 3, 1)],
      ['adjustHue', () => adjustHue(flat, 0.1)],
    ];
    for (const [name, fn] of named) refuses(fn, `Expected images of shape (B, C, H, W) for ${name} but received shape [3, 4, 4]`);
  });

  it('each transform class refuses option keys it does not know, naming them and its own', () => {
    const cases: [string, () => unknown, string][] = [
      ['RandomHorizontalFlip', () => new RandomHorizontalFlip({ q: 2 } as never), 'p'],
      ['RandomGrayscale', () => new RandomGrayscale({ q: 2 } as never), 'p'],
      ['RandomSolarize', () => new RandomSolarize({ q: 2 } as never), 'threshold, p'],
      ['GaussianNoise', () => new GaussianNoise({ q: 2 } as never), 'std, p, clip'],
      ['GaussianBlur', () => new GaussianBlur({ q: 2 } as never), 'kernelSize, sigma, p'],
      ['RandomErasing', () => new RandomErasing({ q: 2 } as never), 'p, scale, ratio, value'],
      ['ColorJitter', () => new ColorJitter({ q: 2 } as never), 'p, order, brightness, contrast, saturation, hue'],
      ['RandomResizedCrop', () => new RandomResizedCrop({ size: 8, q: 2 } as never), 'scale, ratio, interpolation, size'],
    ];
    for (const [name, make, allowed] of cases) refuses(make, `Unknown option(s) 'q' for ${name}; expected some of ${allowed}`);
    // The known keys still pass, including those outside the option table (size, the jitter strengths).
    assert.ok(new RandomResizedCrop({ size: 8, scale: [0.5, 1] }));
    assert.ok(new ColorJitter({ brightness: 0.4, p: 0.8 }));
    refuses(() => new RandomHorizontalFlip(null as never), 'Expected an options object for RandomHorizontalFlip but received null');
  });

  it('Compose: an array of objects with forward, each condition on its own', () => {
    const msg = 'Expected an array of transforms (objects with forward(images, generator)) for Compose';
    const ok: Transform = { forward: (t) => t };
    const callable = Object.assign(() => 0, { forward: (t: torch.Tensor) => t }); // a function, not an object
    for (const v of ['x', 5, undefined, [{}], [null], [5], [ok, {}], [callable], [{ forward: 1 }]]) {
      refuses(() => new Compose(bad(v)), msg);
    }
    assert.deepEqual(new Compose([]).transforms, []);
    assert.ok(new Compose([]).forward(x).equal(x), 'an empty pipeline is the identity');
  });

  it('hflip: a bool mask of shape [B], each condition on its own', () => {
    const msg = (got: string): string => `Expected a bool mask of shape [2] for hflip but received ${got}`;
    refuses(() => hflip(x, bad([true, false])), msg('true,false'));
    refuses(() => hflip(x, torch.tensor([[true], [false]])), msg('bool shape [2, 1]'));
    refuses(() => hflip(x, torch.tensor([true, false, true])), msg('bool shape [3]'));
    refuses(() => hflip(x, torch.tensor([1, 0])), msg('float32 shape [2]'));
    refuses(() => new RandomHorizontalFlip({ p: 2 }), 'Expected a probability in [0, 1] for RandomHorizontalFlip options.p but received 2');
  });

  it('rotate90: square images and one rotation per image', () => {
    refuses(() => rotate90(images([1, 1, 4, 5]), torch.tensor([1], { dtype: 'int64' })),
      'Expected square images for rotate90 but received 4x5');
    const msg = (got: string): string => `Expected one rotation per image, shape [2], for rotate90 but received ${got}`;
    refuses(() => rotate90(x, bad([1, 2])), msg('1,2'));
    refuses(() => rotate90(x, torch.tensor([[1], [2]], { dtype: 'int64' })), msg('shape [2, 1]'));
    refuses(() => rotate90(x, torch.tensor([1], { dtype: 'int64' })), msg('shape [1]'));
  });

  it('RandomSolarize: threshold in [0, 1] (both ends accepted), p a probability', () => {
    const msg = (got: string): string => `Expected a threshold in [0, 1] for RandomSolarize but received ${got}`;
    refuses(() => new RandomSolarize({ threshold: 1.5 }), msg('1.5'));
    refuses(() => new RandomSolarize({ threshold: -0.25 }), msg('-0.25'));
    refuses(() => new RandomSolarize({ threshold: NaN }), msg('NaN'));
    refuses(() => new RandomSolarize({ threshold: bad('0.5') }), msg('0.5'));
    assert.equal(new RandomSolarize({ threshold: 0 }).threshold, 0);
    assert.equal(new RandomSolarize({ threshold: 1 }).threshold, 1);
    refuses(() => new RandomSolarize({ p: bad('x') }), "Expected a probability in [0, 1] for RandomSolarize options.p but received 'x'");
  });

  it('GaussianNoise: std a non-negative number (0 accepted), p, clip', () => {
    const msg = (got: string): string => `Expected a non-negative std for GaussianNoise but received ${got}`;
    refuses(() => new GaussianNoise({ std: -1 }), msg('-1'));
    refuses(() => new GaussianNoise({ std: NaN }), msg('NaN'));
    refuses(() => new GaussianNoise({ std: bad('0.1') }), msg('0.1'));
    assert.equal(new GaussianNoise({ std: 0 }).std, 0);
    refuses(() => new GaussianNoise({ p: 1.5 }), 'Expected a probability in [0, 1] for GaussianNoise options.p but received 1.5');
    refuses(() => new GaussianNoise({ clip: bad(1) }), 'Expected true or false for GaussianNoise options.clip but received 1');
  });

  it('grayscale: 1 or 3 channels in, 1 or 3 out, p', () => {
    refuses(() => rgbToGrayscale(images([1, 2, 3, 3])), 'Expected 1 or 3 channels for rgbToGrayscale but received 2');
    refuses(() => rgbToGrayscale(images([1, 4, 3, 3])), 'Expected 1 or 3 channels for rgbToGrayscale but received 4');
    refuses(() => rgbToGrayscale(x, bad(2)), 'Expected 1 or 3 for numOutputChannels but received 2');
    refuses(() => new RandomGrayscale({ p: -1 }), 'Expected a probability in [0, 1] for RandomGrayscale options.p but received -1');
  });

  it('normalize, Normalize and toFloatImages: one value per channel (or one for all), std positive', () => {
    refuses(() => normalize(x, [0.5, 0.5], [1, 1, 1]), 'Expected 3 numbers (one per channel) for mean but received [0.5,0.5]');
    refuses(() => normalize(x, bad([0.5, '0.5', 0.5]), [1, 1, 1]),
      'Expected 3 numbers (one per channel) for mean but received [0.5,"0.5",0.5]');
    refuses(() => normalize(x, bad(0.5), [1]), 'Expected 3 numbers (one per channel) for mean but received 0.5');
    refuses(() => normalize(x, [0.5], [1, 0, 1]), 'Expected 3 positive numbers (one per channel) for std but received [1,0,1]');
    refuses(() => normalize(x, [0.5], [1, 1]), 'Expected 3 positive numbers (one per channel) for std but received [1,1]');
    // A negative mean is fine (only std must be positive).
    assert.ok(normalize(x, [-1], [1]).equal(x.add(1)));
    refuses(() => new Normalize({ mean: [0.5], std: [1, 1] }), 'Expected mean and std of the same length for Normalize but received [0.5] and [1,1]');
    refuses(() => new Normalize({ mean: bad(0.5), std: [1] }), 'Expected mean and std of the same length for Normalize but received 0.5 and [1]');
    refuses(() => new Normalize({ mean: [0.5], std: bad(1) }), 'Expected mean and std of the same length for Normalize but received [0.5] and 1');
    // Strings have a length too: each must be an array even when the lengths agree.
    refuses(() => new Normalize({ mean: bad('ab'), std: [1, 1] }), 'Expected mean and std of the same length for Normalize but received "ab" and [1,1]');
    refuses(() => new Normalize({ mean: [0.5], std: bad('a') }), 'Expected mean and std of the same length for Normalize but received [0.5] and "a"');
    refuses(() => toFloatImages(flat), 'Expected images of shape (B, C, H, W) for toFloatImages but received shape [3, 4, 4]');
    refuses(() => toFloatImages(bad('img')), 'Expected images of shape (B, C, H, W) for toFloatImages but received img');
    refuses(() => toFloatImages(x, { dtype: bad('float') }),
      'Expected one of float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool for toFloatImages options.dtype but received float');
  });

  it('per-image values: one per image, or a number', () => {
    refuses(() => adjustBrightness(x, torch.tensor([1, 1, 1])), 'Expected one value per image, shape [2], but received shape [3]');
    refuses(() => adjustBrightness(x, torch.tensor([[1, 1]])), 'Expected one value per image, shape [2], but received shape [1, 2]');
    refuses(() => adjustBrightness(x, NaN), 'Expected a number or a Tensor of per-image values but received NaN');
    refuses(() => adjustBrightness(x, bad('1')), 'Expected a number or a Tensor of per-image values but received 1');
    refuses(() => adjustHue(images([1, 2, 4, 4]), 0.1), 'Expected 1 or 3 channels for adjustHue but received 2');
  });

  it('blur, jitter and erasing: kernel sizes, sigmas, ranges, fill', () => {
    refuses(() => gaussianBlur(x, 4, 1), 'Expected an odd kernelSize for gaussianBlur but received 4');
    refuses(() => gaussianBlur(x, 9, 1), 'Expected kernelSize below twice the image size for reflect padding, [4, 4], but received 9');
    refuses(() => gaussianBlur(x, 3, torch.tensor([1, 1, 1])), 'Expected one sigma per image, shape [2], but received shape [3]');
    refuses(() => new GaussianBlur({ kernelSize: 4 }), 'Expected an odd GaussianBlur options.kernelSize but received 4');
    refuses(() => new ColorJitter({ brightness: -0.1 }), 'Expected a non-negative number for ColorJitter options.brightness but received -0.1');
    refuses(() => new ColorJitter({ contrast: bad([2, 1]) }), 'Expected a number or [low, high] for ColorJitter options.contrast but received [2,1]');
    refuses(() => new ColorJitter({ saturation: [-1, 1] }), 'Expected ColorJitter options.saturation within [0, inf) but received [-1,1]');
    refuses(() => new ColorJitter({ hue: 0.6 }), 'Expected ColorJitter options.hue within [-0.5, 0.5] but received [-0.6,0.6]');
    refuses(() => new ColorJitter({ order: bad('image') }), "Expected 'batch' or 'sample' for ColorJitter options.order but received image");
    refuses(() => new RandomErasing({ value: bad('zero') }), "Expected a number or 'random' for RandomErasing options.value but received zero");
    refuses(() => erase(x, torch.zeros([2, 3], { dtype: 'int64' }), 0),
      'Expected boxes of shape [2, 4] (top, left, height, width) for erase but received shape [2, 3]');
  });
});
