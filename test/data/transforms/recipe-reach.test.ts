// views, multiCrop and the recipes by value (issue 21): each recipe equals the
// pipeline its doc comment describes, built here by hand from the transforms
// with the papers' values, on the same seed (every view equal), so an option
// or a constant that stops landing in its transform changes the views. The
// group labels (sizes, view positions) are checked without running anything.
// Fast, no Python.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import {
  ColorJitter, Compose, GaussianBlur, MultiView, Normalize, RandomGrayscale, RandomHorizontalFlip, RandomResizedCrop,
  RandomSolarize, Transform, multiCrop, recipes, simclrKernelSize, views,
} from '../../../lib/data/transforms';
import { gen, images } from './reference';
import { refuses } from '../../helpers/refuses';

/** Adds uniform noise from the generator: a pipeline whose output depends on the draws and their order. */
const noisy: Transform = { forward: (t, g) => t.add(torch.rand(t.shape, { generator: g })) };
const times = (k: number): Transform => ({ forward: (t) => t.mul(k) });

function sameViews(actual: MultiView, expected: MultiView, x: torch.Tensor, seed: number, what: string): void {
  const a = actual.forward(x, gen(seed));
  const e = expected.forward(x, gen(seed));
  assert.equal(a.length, e.length, `${what}: views`);
  for (let i = 0; i < a.length; i++) {
    assert.deepEqual(a[i].shape, e[i].shape, `${what}: view ${i} shape`);
    assert.ok(a[i].equal(e[i]), `${what}: view ${i}`);
  }
  assert.deepEqual(actual.groups, expected.groups, `${what}: groups`);
  assert.equal(actual.numViews, expected.numViews, `${what}: numViews`);
}

const MEAN = [0.4, 0.5, 0.6];
const STD = [0.2, 0.25, 0.3];

describe('data/transforms: views, multi-crop and recipes by value', () => {
  const x = images([3, 3, 12, 12], 30);

  it('views: n draws of the pipeline as one batch, in order; one view without the repeat; size labels the group', () => {
    const g = gen(1);
    const expected = x.repeat([3, 1, 1, 1]).add(torch.rand([9, 3, 12, 12], { generator: g })).chunk(3, 0);
    const v = views(noisy, 3);
    const out = v.forward(x, gen(1));
    for (let i = 0; i < 3; i++) assert.ok(out[i].equal(expected[i]), `view ${i}`);
    assert.deepEqual([v.numViews, v.groups], [3, [{ size: null, views: [0, 1, 2] }]]);
    const one = views(noisy, 1, { size: 12 });
    const [only] = one.forward(x, gen(1));
    assert.ok(only.equal(x.add(torch.rand([3, 3, 12, 12], { generator: gen(1) }))));
    assert.deepEqual([one.numViews, one.groups], [1, [{ size: [12, 12], views: [0] }]]);
    refuses(() => views(noisy, 0), 'Expected positive integer for n but received 0');
    refuses(() => views(noisy, 2, { size: 0 }), 'Expected positive integer for options.size but received 0');
    const callable = Object.assign(() => 0, { forward: (im: torch.Tensor) => im }); // a function, not an object
    for (const bad of [null, 5, {}, { forward: 1 }, callable]) {
      refuses(() => views(bad as never, 2), 'Expected a transform (an object with forward(images, generator)) for views');
    }
    refuses(() => v.forward(torch.rand([3, 4, 4]), gen()), 'Expected images of shape (B, C, H, W) for views but received shape [3, 4, 4]');
  });

  it('multiCrop: crop options, a shared pipeline, one pipeline per crop, globals first; n = 1 and n = 0', () => {
    const glob = { size: 6, scale: [0.3, 0.9] as const, ratio: [0.5, 2] as const, interpolation: 'bicubic' as const };
    const mc = multiCrop({ global: { ...glob, n: 2, pipeline: noisy },
      local: { size: 4, scale: [0.1, 0.3], n: 3, pipeline: [times(1), times(2), times(3)] } });
    const g = gen(2);
    const gCrop = new RandomResizedCrop(glob);
    const globals = noisy.forward(gCrop.forward(x.repeat([2, 1, 1, 1]), g), g).chunk(2, 0);
    const lCrop = new RandomResizedCrop({ size: 4, scale: [0.1, 0.3] });
    const locals = [1, 2, 3].map((k) => lCrop.forward(x, g).mul(k));
    const out = mc.forward(x, gen(2));
    assert.equal(out.length, 5);
    [...globals, ...locals].forEach((e, i) => assert.ok(out[i].equal(e), `view ${i}`));
    assert.deepEqual([mc.numViews, mc.groups], [5, [{ size: [6, 6], views: [0, 1] }, { size: [4, 4], views: [2, 3, 4] }]]);
    // One global crop, no pipeline, no local group.
    const single = multiCrop({ global: { size: 5, scale: [0.5, 1], n: 1 } });
    const [s] = single.forward(x, gen(3));
    assert.ok(s.equal(new RandomResizedCrop({ size: 5, scale: [0.5, 1] }).forward(x, gen(3))));
    assert.deepEqual([single.numViews, single.groups], [1, [{ size: [5, 5], views: [0] }]]);
    // Two crops without a pipeline: the crops themselves.
    const pair = multiCrop({ global: { size: 5, scale: [0.5, 1], n: 2 }, local: { size: 3, scale: [0.1, 0.2], n: 0 } });
    const p = pair.forward(x, gen(4));
    const crops = new RandomResizedCrop({ size: 5, scale: [0.5, 1] }).forward(x.repeat([2, 1, 1, 1]), gen(4)).chunk(2, 0);
    assert.ok(p.length === 2 && p[0].equal(crops[0]) && p[1].equal(crops[1]));
    assert.deepEqual([pair.numViews, pair.groups], [2, [{ size: [5, 5], views: [0, 1] }]]);
    // One pipeline per crop in a list of one, n = 1: that pipeline.
    const listed = multiCrop({ global: { size: 5, scale: [0.5, 1], n: 1, pipeline: [times(2)] } });
    assert.ok(listed.forward(x, gen(3))[0].equal(s.mul(2)));
    refuses(() => multiCrop({ global: { size: 5, scale: [0.5, 1], n: -1 } }), 'Expected non-negative integer for options.global.n but received -1');
    refuses(() => multiCrop({ global: { size: 5, scale: [0.5, 1], n: 1 }, local: { size: 3, scale: [0.1, 0.2], n: 1.5 } }),
      'Expected non-negative integer for options.local.n but received 1.5');
    refuses(() => multiCrop({ global: { size: 5, scale: [0.5, 1], n: 2 }, local: { size: 3, scale: [0.1, 0.2], n: 2, pipeline: [noisy] } }),
      'Expected 2 pipelines (one per crop) for options.local.pipeline but received 1');
    refuses(() => mc.forward(torch.rand([3, 4, 4]), gen()), 'Expected images of shape (B, C, H, W) for multiCrop but received shape [3, 4, 4]');
  });

  it('simclr: crop, flip, jitter of strength s, grayscale, blur on imagenet, normalisation; the variant by size', () => {
    const manual = (size: number, s: number, blur: boolean, scale: readonly [number, number] = [0.08, 1], norm = false): MultiView => {
      const steps: Transform[] = [
        new RandomResizedCrop({ size, scale }),
        new RandomHorizontalFlip({ p: 0.5 }),
        new ColorJitter({ brightness: 0.8 * s, contrast: 0.8 * s, saturation: 0.8 * s, hue: 0.2 * s, p: 0.8 }),
        new RandomGrayscale({ p: 0.2 }),
      ];
      if (blur) steps.push(new GaussianBlur({ kernelSize: simclrKernelSize(size), sigma: [0.1, 2.0], p: 0.5 }));
      if (norm) steps.push(new Normalize({ mean: MEAN, std: STD }));
      return views(new Compose(steps), 2, { size });
    };
    sameViews(recipes.simclr(), manual(32, 0.5, false), x, 5, 'defaults: 32 px, cifar, s = 0.5');
    sameViews(recipes.simclr({ size: 64 }), manual(64, 0.5, false), x, 6, '64 px: cifar');
    sameViews(recipes.simclr({ size: 65 }), manual(65, 1, true), x, 7, '65 px: imagenet, s = 1');
    sameViews(recipes.simclr({ size: 20, variant: 'imagenet' }), manual(20, 1, true), x, 8, 'imagenet at 20 px');
    sameViews(recipes.simclr({ size: 80, variant: 'cifar', strength: 0.25 }), manual(80, 0.25, false), x, 9, 'cifar at 80 px, s = 0.25');
    sameViews(recipes.simclr({ size: 20, variant: 'imagenet', strength: 0.5, scale: [0.3, 0.7] }), manual(20, 0.5, true, [0.3, 0.7]), x, 10,
      'imagenet, s = 0.5, scale');
    sameViews(recipes.simclr({ size: 16, mean: MEAN, std: STD }), manual(16, 0.5, false, [0.08, 1], true), x, 11, 'normalised');
    refuses(() => recipes.simclr({ variant: 'x' as never }), "Expected 'cifar' or 'imagenet' for options.variant but received x");
    refuses(() => recipes.simclr({ strength: -1 }), 'Expected a non-negative number for options.strength but received -1');
  });

  it('byol: bicubic crops, colour, view 1 blurred always and never solarized, view 2 blurred at 0.1 and solarized at 0.2', () => {
    const view = (size: number, blur: number, solarize: number, norm: boolean): Transform => new Compose([
      new RandomHorizontalFlip({ p: 0.5 }),
      new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1, p: 0.8 }),
      new RandomGrayscale({ p: 0.2 }),
      new GaussianBlur({ kernelSize: simclrKernelSize(size), sigma: [0.1, 2.0], p: blur }),
      new RandomSolarize({ threshold: 0.5, p: solarize }),
      ...(norm ? [new Normalize({ mean: MEAN, std: STD })] : []),
    ]);
    const manual = (size: number, norm = false): MultiView => multiCrop({ global: { size, scale: [0.08, 1], n: 2, interpolation: 'bicubic',
      pipeline: [view(size, 1.0, 0, norm), view(size, 0.1, 0.2, norm)] } });
    sameViews(recipes.byol({ size: 40 }), manual(40), x, 12, 'byol 40 px');
    sameViews(recipes.byol({ size: 30, mean: MEAN, std: STD }), manual(30, true), x, 13, 'byol normalised');
    assert.deepEqual(recipes.byol().groups, [{ size: [224, 224], views: [0, 1] }]);
  });

  it('dino: global and local crops, their sizes, scales, counts, blur and solarization', () => {
    const pipeline = (kernelSize: number, blur: number, solarize: number, norm: boolean): Transform => new Compose([
      new RandomHorizontalFlip({ p: 0.5 }),
      new ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1, p: 0.8 }),
      new RandomGrayscale({ p: 0.2 }),
      new GaussianBlur({ kernelSize, sigma: [0.1, 2.0], p: blur }),
      ...(solarize > 0 ? [new RandomSolarize({ threshold: 0.5, p: solarize })] : []),
      ...(norm ? [new Normalize({ mean: MEAN, std: STD })] : []),
    ]);
    const manual = (g: number, l: number, n: number, gs: readonly [number, number], ls: readonly [number, number], norm = false): MultiView => multiCrop({
      global: { size: g, scale: gs, n: 2, interpolation: 'bicubic',
        pipeline: [pipeline(simclrKernelSize(g), 1.0, 0, norm), pipeline(simclrKernelSize(g), 0.1, 0.2, norm)] },
      local: { size: l, scale: ls, n, interpolation: 'bicubic', pipeline: pipeline(simclrKernelSize(l), 0.5, 0, norm) },
    });
    sameViews(recipes.dino({ globalSize: 40, localSize: 30, localCrops: 3 }), manual(40, 30, 3, [0.4, 1], [0.05, 0.4]), x, 14, 'dino');
    sameViews(recipes.dino({ size: 40, localSize: 20, localCrops: 2, globalScale: [0.5, 0.9], localScale: [0.1, 0.3], mean: MEAN, std: STD }),
      manual(40, 20, 2, [0.5, 0.9], [0.1, 0.3], true), x, 15, 'dino: size, scales, normalised');
    sameViews(recipes.dino({ size: 30, localCrops: 1 }), manual(30, 13, 1, [0.4, 1], [0.05, 0.4]), x, 16, 'dino: local side 96/224 of 30');
    // Sizes and counts by default: 224 and 96, 8 local crops; the local side follows the global one, at least 1.
    const groups = (o: recipes.DinoOptions): [number, number][] => recipes.dino(o).groups.map((gr) => gr.size as [number, number]);
    assert.deepEqual(recipes.dino().groups, [{ size: [224, 224], views: [0, 1] }, { size: [96, 96], views: [2, 3, 4, 5, 6, 7, 8, 9] }]);
    assert.equal(recipes.dino().numViews, 10);
    assert.deepEqual(groups({ size: 112 }), [[112, 112], [48, 48]]);
    assert.deepEqual(groups({ size: 100, globalSize: 448 }), [[448, 448], [192, 192]]);
    assert.deepEqual(groups({ globalSize: 1 }), [[1, 1], [1, 1]]);
    assert.deepEqual(groups({ globalSize: 3 }), [[3, 3], [1, 1]]);
    assert.deepEqual(groups({ localCrops: 0 }), [[224, 224]]);
  });

  it('mae: one bicubic crop (scale [0.2, 1]) and a flip, normalised when asked', () => {
    const manual = (size: number, norm: boolean): MultiView => multiCrop({ global: { size, scale: [0.2, 1], n: 1, interpolation: 'bicubic',
      pipeline: new Compose([new RandomHorizontalFlip({ p: 0.5 }), ...(norm ? [new Normalize({ mean: MEAN, std: STD })] : [])]) } });
    sameViews(recipes.mae({ size: 10 }), manual(10, false), x, 17, 'mae');
    sameViews(recipes.mae({ size: 10, mean: MEAN, std: STD }), manual(10, true), x, 18, 'mae normalised');
    assert.deepEqual(recipes.mae().groups, [{ size: [224, 224], views: [0] }]);
  });

  it('every recipe: mean and std together, channels 1 or 3, size a positive integer; the table by name', () => {
    for (const name of ['simclr', 'byol', 'dino', 'mae'] as const) {
      const make = recipes.RECIPES[name];
      refuses(() => make({ mean: MEAN }), 'Expected both mean and std, or neither');
      refuses(() => make({ std: STD }), 'Expected both mean and std, or neither');
      refuses(() => make({ channels: 2 }), 'Expected 1 or 3 for options.channels but received 2');
      refuses(() => make({ channels: '3' as never }), 'Expected 1 or 3 for options.channels but received 3');
      refuses(() => make({ size: 0 }), 'Expected positive integer for options.size but received 0');
      assert.ok(make({ channels: 1 }) && make({ channels: 3 }));
    }
    assert.deepEqual(Object.keys(recipes.RECIPES), ['simclr', 'byol', 'dino', 'mae']);
    assert.equal(recipes.RECIPES.dino, recipes.dino);
  });
});
