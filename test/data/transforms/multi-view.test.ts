import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Compose, RandomHorizontalFlip, RandomResizedCrop, multiCrop, recipes, views } from '../../../lib/data/transforms';
import { gen, images } from './reference';

describe('data/transforms: views, multi-crop and recipes', () => {
  const x = images([4, 3, 32, 32], 12);

  it('draws n independent views of one pipeline', () => {
    const v = views(new Compose([new RandomResizedCrop({ size: 16 }), new RandomHorizontalFlip()]), 3);
    const out = v.forward(x, gen(0));
    assert.equal(out.length, 3);
    for (const t of out) assert.deepEqual(t.shape, [4, 3, 16, 16]);
    assert.ok(!out[0].equal(out[1]));
    assert.deepEqual(v.groups, [{ size: null, views: [0, 1, 2] }]);
  });

  it('groups multi-crop views by size, globals first', () => {
    const mc = multiCrop({ global: { size: 24, scale: [0.4, 1], n: 2 }, local: { size: 12, scale: [0.05, 0.4], n: 3 } });
    const out = mc.forward(x, gen(1));
    assert.deepEqual(out.map((t) => t.shape), [[4, 3, 24, 24], [4, 3, 24, 24], [4, 3, 12, 12], [4, 3, 12, 12], [4, 3, 12, 12]]);
    assert.deepEqual(mc.groups, [{ size: [24, 24], views: [0, 1] }, { size: [12, 12], views: [2, 3, 4] }]);
    assert.equal(mc.numViews, 5);
    assert.throws(() => multiCrop({ global: { size: 8, scale: [0.4, 1], n: 2, pipeline: [new RandomHorizontalFlip()] } }),
      /Expected 2 pipelines \(one per crop\) for options.global.pipeline but received 1/);
  });

  it('builds every recipe for 32 px RGB and 28 px single-channel data, within [0, 1]', () => {
    const gray = images([4, 1, 28, 28], 13);
    const cases: [string, recipes.RecipeName, number][] = [['simclr', 'simclr', 2], ['byol', 'byol', 2], ['dino', 'dino', 10],
      ['mae', 'mae', 1]];
    for (const [label, name, n] of cases) {
      for (const [input, channels] of [[x, 3], [gray, 1]] as [torch.Tensor, number][]) {
        const size = input.shape[2];
        const out = recipes.RECIPES[name]({ size, channels }).forward(input, gen(2));
        assert.equal(out.length, n, `${label}: views`);
        assert.deepEqual(out[0].shape, [4, channels, size, size], `${label}: shape`);
        // Blur sums weights that add up to 1 in float32: 1 ulp above 1 can happen.
        for (const v of out) assert.ok(v.ge(-1e-6).all().item() && v.le(1 + 1e-6).all().item(), `${label}: range`);
      }
    }
    const dino = recipes.dino({ globalSize: 224, localCrops: 6 });
    assert.deepEqual(dino.groups, [{ size: [224, 224], views: [0, 1] }, { size: [96, 96], views: [2, 3, 4, 5, 6, 7] }]);
  });

  it('normalizes when mean and std are given, and repeats exactly from a seed', () => {
    const r = recipes.simclr({ size: 32, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    const a = r.forward(x, gen(5));
    const b = r.forward(x, gen(5));
    assert.ok(a[0].equal(b[0]) && a[1].equal(b[1]));
    assert.ok(a[0].lt(0).any().item(), 'normalised values go below 0');
    const byol = recipes.byol({ size: 32 });
    const [v1, v2] = byol.forward(x, gen(6));
    assert.ok(v1.equal(byol.forward(x, gen(6))[0]) && !v1.equal(v2));
    assert.throws(() => recipes.simclr({ channels: 2 }), /Expected 1 or 3 for options.channels but received 2/);
    assert.deepEqual(r.groups, [{ size: [32, 32], views: [0, 1] }]);
  });

  it('leaves no tensors behind when run in a scope', () => {
    const r = recipes.dino({ size: 32, localCrops: 2 });
    const g = gen(0);
    torch.scope(() => r.forward(x, g));
    const before = torch.memory().tensors;
    for (let i = 0; i < 5; i++) torch.scope(() => { r.forward(x, g); });
    assert.equal(torch.memory().tensors, before);
  });
});
