// Refusals of the colour, crop, blur, erasing, multi-crop and recipe options by
// exact message (issue 21), each branch of a compound check on its own, with the
// accepted edge beside it; the rest of the folder's refusals are in
// refusals.test.ts. Fast, no Python.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import {
  ColorJitter, GaussianBlur, RandomErasing, RandomResizedCrop, adjustBrightness, adjustContrast, adjustSaturation, erase,
  gaussianBlur, randomErasingParams, randomResizedCropParams, recipes, resizedCrop, simclrKernelSize,
} from '../../../lib/data/transforms';
import { checkBoxes } from '../../../lib/data/transforms/transform';
import { gen, images } from './reference';
import { refuses } from '../../helpers/refuses';

const x = images([2, 3, 4, 4], 1);
const flat = torch.rand([3, 4, 4]);
const bad = <T>(v: unknown): T => v as T;
const boxes = torch.tensor([[0, 0, 2, 2], [1, 1, 2, 2]], { dtype: 'int64' });

describe('data/transforms: option refusals by exact message (crop, blur, erasing, jitter, recipes)', () => {
  it('each entry point names itself in the image check', () => {
    const named: [string, () => unknown][] = [
      ['adjustBrightness', () => adjustBrightness(flat, 1)],
      ['adjustContrast', () => adjustContrast(flat, 1)],
      ['adjustSaturation', () => adjustSaturation(flat, 1)],
      ['ColorJitter', () => new ColorJitter().forward(flat, gen())],
      ['GaussianBlur', () => new GaussianBlur().forward(flat, gen())],
      ['erase', () => erase(flat, boxes)],
      ['RandomErasing', () => new RandomErasing().forward(flat, gen())],
      ['resizedCrop', () => resizedCrop(flat, boxes, 2)],
      ['RandomResizedCrop', () => new RandomResizedCrop({ size: 2 }).forward(flat, gen())],
    ];
    for (const [name, fn] of named) refuses(fn, `Expected images of shape (B, C, H, W) for ${name} but received shape [3, 4, 4]`);
  });

  it('checkBoxes: a (B, 4) tensor, each condition on its own, named by its caller', () => {
    const msg = (what: string, got: string): string => `Expected boxes of shape [2, 4] (top, left, height, width) for ${what} but received ${got}`;
    refuses(() => checkBoxes(5, 2, 'X'), msg('X', '5'));
    refuses(() => checkBoxes(torch.zeros([4]), 2, 'X'), msg('X', 'shape [4]'));
    refuses(() => checkBoxes(torch.zeros([2, 4, 1]), 2, 'X'), msg('X', 'shape [2, 4, 1]'));
    refuses(() => checkBoxes(torch.zeros([3, 4]), 2, 'X'), msg('X', 'shape [3, 4]'));
    refuses(() => checkBoxes(torch.zeros([2, 5]), 2, 'X'), msg('X', 'shape [2, 5]'));
    assert.equal(checkBoxes(boxes, 2, 'X'), boxes);
    refuses(() => resizedCrop(x, torch.zeros([3, 4]), 2), msg('resizedCrop', 'shape [3, 4]'));
    refuses(() => erase(x, bad([[0, 0, 1, 1]])), msg('erase', '0,0,1,1'));
  });

  it('resizedCrop and RandomResizedCrop: size, interpolation, scale and ratio, by their names', () => {
    refuses(() => resizedCrop(x, boxes, bad([2])), 'Expected a positive integer or [height, width] for size but received [2]');
    refuses(() => resizedCrop(x, boxes, bad('a')), 'Expected a positive integer or [height, width] for size but received "a"');
    refuses(() => resizedCrop(x, boxes, [2, 0]), 'Expected positive integer for size[1] but received 0');
    refuses(() => resizedCrop(x, boxes, [0, 2]), 'Expected positive integer for size[0] but received 0');
    refuses(() => resizedCrop(x, boxes, 0), 'Expected positive integer for size but received 0');
    refuses(() => resizedCrop(x, boxes, 2, { interpolation: bad('nearest') }), "Expected 'bilinear' or 'bicubic' for options.interpolation but received nearest");
    refuses(() => new RandomResizedCrop({ size: bad({ 0: 3, 1: 3, length: 2 }) }),
      'Expected a positive integer or [height, width] for RandomResizedCrop options.size but received {"0":3,"1":3,"length":2}');
    refuses(() => new RandomResizedCrop({ size: [0, 3] }), 'Expected positive integer for RandomResizedCrop options.size[0] but received 0');
    refuses(() => new RandomResizedCrop({ size: 4, interpolation: bad('nearest') }),
      "Expected 'bilinear' or 'bicubic' for RandomResizedCrop options.interpolation but received nearest");
    refuses(() => new RandomResizedCrop({ size: 4, scale: [-1, 1] }),
      'Expected [low, high] with low <= high with low >= 0 for RandomResizedCrop options.scale but received [-1,1]');
    refuses(() => new RandomResizedCrop({ size: 4, ratio: [0, 1] }),
      'Expected [low, high] with low <= high with low > 0 for RandomResizedCrop options.ratio but received [0,1]');
    refuses(() => randomResizedCropParams(2, 4, 4, { scale: [2, 1] }), 'Expected [low, high] with low <= high with low >= 0 for options.scale but received [2,1]');
    refuses(() => randomResizedCropParams(2, 4, 4, { ratio: [2, 1] }), 'Expected [low, high] with low <= high with low > 0 for options.ratio but received [2,1]');
    assert.equal(new RandomResizedCrop({ size: 4, interpolation: 'bicubic' }).interpolation, 'bicubic');
  });

  it('gaussianBlur, GaussianBlur and simclrKernelSize: sizes, the reflect-padding limit on each side, sigmas', () => {
    refuses(() => simclrKernelSize(0), 'Expected positive integer for imageSize but received 0');
    refuses(() => gaussianBlur(x, 0, 1), 'Expected positive integer for kernelSize but received 0');
    const msg = (h: number, w: number, k: number): string => `Expected kernelSize below twice the image size for reflect padding, [${h}, ${w}], but received ${k}`;
    refuses(() => gaussianBlur(images([1, 1, 3, 8]), 7, 1), msg(3, 8, 7));
    refuses(() => gaussianBlur(images([1, 1, 8, 3]), 7, 1), msg(8, 3, 7));
    assert.deepEqual(gaussianBlur(images([1, 1, 4, 4]), 7, 1).shape, [1, 1, 4, 4]); // half 3 < 4: accepted
    refuses(() => gaussianBlur(x, 3, torch.tensor([[1], [1]])), 'Expected one sigma per image, shape [2], but received shape [2, 1]');
    refuses(() => new GaussianBlur({ kernelSize: 0 }), 'Expected positive integer for GaussianBlur options.kernelSize but received 0');
    refuses(() => new GaussianBlur({ sigma: [0, 1] }), 'Expected [low, high] with low <= high with low > 0 for GaussianBlur options.sigma but received [0,1]');
    refuses(() => new GaussianBlur({ p: 2 }), 'Expected a probability in [0, 1] for GaussianBlur options.p but received 2');
    assert.equal(new GaussianBlur({ kernelSize: 1 }).kernelSize, 1);
  });

  it('randomErasingParams and RandomErasing: p, scale, ratio, value', () => {
    refuses(() => randomErasingParams(2, 4, 4, { scale: [2, 1] }), 'Expected [low, high] with low <= high with low >= 0 for RandomErasing options.scale but received [2,1]');
    refuses(() => randomErasingParams(2, 4, 4, { p: 3 }), 'Expected a probability in [0, 1] for RandomErasing options.p but received 3');
    refuses(() => new RandomErasing({ ratio: [0, 1] }), 'Expected [low, high] with low <= high with low > 0 for RandomErasing options.ratio but received [0,1]');
    refuses(() => new RandomErasing({ p: -1 }), 'Expected a probability in [0, 1] for RandomErasing options.p but received -1');
    refuses(() => new RandomErasing({ value: bad(null) }), "Expected a number or 'random' for RandomErasing options.value but received null");
    assert.deepEqual([new RandomErasing({ value: 'random' }).value, new RandomErasing({ value: -1 }).value], ['random', -1]);
  });

  it('ColorJitter: p, each end of the hue range, a pair of two, NaN, a string; per-image factors of rank 1', () => {
    refuses(() => new ColorJitter({ p: 1.5 }), 'Expected a probability in [0, 1] for ColorJitter options.p but received 1.5');
    refuses(() => new ColorJitter({ hue: [-0.6, 0] }), 'Expected ColorJitter options.hue within [-0.5, 0.5] but received [-0.6,0]');
    refuses(() => new ColorJitter({ hue: [0, 0.6] }), 'Expected ColorJitter options.hue within [-0.5, 0.5] but received [0,0.6]');
    refuses(() => new ColorJitter({ hue: -0.1 }), 'Expected a non-negative number for ColorJitter options.hue but received -0.1');
    refuses(() => new ColorJitter({ brightness: bad([1, 2, 3]) }), 'Expected a number or [low, high] for ColorJitter options.brightness but received [1,2,3]');
    refuses(() => new ColorJitter({ brightness: NaN }), 'Expected a non-negative number for ColorJitter options.brightness but received NaN');
    refuses(() => new ColorJitter({ saturation: bad('a') }), 'Expected a number or [low, high] for ColorJitter options.saturation but received "a"');
    refuses(() => new ColorJitter({ contrast: -1 }), 'Expected a non-negative number for ColorJitter options.contrast but received -1');
    refuses(() => new ColorJitter({ brightness: [-0.5, 1] }), 'Expected ColorJitter options.brightness within [0, inf) but received [-0.5,1]');
    refuses(() => new ColorJitter({ contrast: [-0.5, 1] }), 'Expected ColorJitter options.contrast within [0, inf) but received [-0.5,1]');
    refuses(() => new ColorJitter({ hue: bad({ 0: 0, 1: 0.1, length: 2 }) }),
      'Expected a number or [low, high] for ColorJitter options.hue but received {"0":0,"1":0.1,"length":2}');
    assert.deepEqual(new ColorJitter({ brightness: [2, 2], order: 'batch' }).brightness, [2, 2]);
    refuses(() => adjustBrightness(x, torch.tensor([[1], [1]])), 'Expected one value per image, shape [2], but received shape [2, 1]');
  });

  it('recipes: variant, strength, scales, sizes and crop counts by name', () => {
    refuses(() => recipes.simclr({ strength: bad('a') }), "Expected a non-negative number for options.strength but received 'a'");
    refuses(() => recipes.simclr({ scale: bad([0.5]) }), 'Expected [low, high] with low <= high with low >= 0 for options.scale but received [0.5]');
    refuses(() => recipes.simclr({ size: 1.5 }), 'Expected positive integer for options.size but received 1.5');
    refuses(() => recipes.dino({ globalSize: 0 }), 'Expected positive integer for options.globalSize but received 0');
    refuses(() => recipes.dino({ localSize: 1.5 }), 'Expected positive integer for options.localSize but received 1.5');
    refuses(() => recipes.dino({ localCrops: -1 }), 'Expected non-negative integer for options.localCrops but received -1');
    refuses(() => recipes.dino({ globalScale: [1, 0.5] }), 'Expected [low, high] with low <= high with low >= 0 for options.globalScale but received [1,0.5]');
    refuses(() => recipes.dino({ localScale: [-0.1, 0.5] }), 'Expected [low, high] with low <= high with low >= 0 for options.localScale but received [-0.1,0.5]');
    refuses(() => recipes.byol({ size: 0 }), 'Expected positive integer for options.size but received 0');
    assert.deepEqual(recipes.simclr({ variant: 'cifar', strength: 0 }).groups, [{ size: [32, 32], views: [0, 1] }]);
  });

  it('recipes: an unknown key is refused by name, with the keys each recipe takes (mean and std included)', () => {
    refuses(() => recipes.simclr(bad({ sise: 3 })),
      "Unknown option(s) 'sise' for recipes.simclr; expected some of size, channels, variant, strength, scale, mean, std");
    refuses(() => recipes.byol(bad({ size: 32, blur: 1 })), "Unknown option(s) 'blur' for recipes.byol; expected some of size, channels, mean, std");
    refuses(() => recipes.dino(bad({ localcrops: 2 })),
      "Unknown option(s) 'localcrops' for recipes.dino; expected some of size, channels, globalSize, localSize, localCrops, globalScale, localScale, mean, std");
    refuses(() => recipes.mae(bad({ scale: [0.5, 1] })), "Unknown option(s) 'scale' for recipes.mae; expected some of size, channels, mean, std");
    refuses(() => recipes.mae(bad(null)), 'Expected an options object for recipes.mae but received null');
    // Every documented key is accepted.
    assert.equal(recipes.mae({ size: 8, channels: 1, mean: [0.5], std: [0.25] }).groups.length, 1);
    assert.equal(recipes.dino({ size: 16, channels: 3, globalSize: 16, localSize: 8, localCrops: 2, globalScale: [0.4, 1],
      localScale: [0.05, 0.4], mean: [0, 0, 0], std: [1, 1, 1] }).groups.length, 2);
  });
});
