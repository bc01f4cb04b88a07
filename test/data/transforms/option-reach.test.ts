// Each option of the flip, rotation, solarize, noise, grayscale, Sobel, Compose
// and normalisation transforms reaching where it acts, by value (issue 21): the
// expected images are written from the transform's formula on small inputs and
// from a replay of the generator's draws in the transform's order. The
// formulas themselves are checked against torchvision in pixel, geometry and
// color.test.ts; these tests are fast and need no Python.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import {
  Compose, GaussianNoise, Normalize, RandomGrayscale, RandomHorizontalFlip, RandomSolarize, Sobel, Transform, bernoulli,
  normalize, randomRotation90, rgbToGrayscale, rotate90, sobel, solarize, toFloatImages,
} from '../../../lib/data/transforms';
import { assertAllClose, gen, images } from './reference';

/** Rows of `a` where `mask[b]`, else rows of `b`: the per-sample choice, written out. */
function pick(mask: boolean[], a: torch.Tensor, b: torch.Tensor): torch.Tensor {
  return torch.stack(mask.map((m, i) => (m ? a : b).select(0, i)), 0);
}

describe('data/transforms: options reach where they act (values)', () => {
  const x = images([8, 3, 4, 4], 3);

  it('Compose applies its transforms in order, on a copy of the list', () => {
    const addOne: Transform = { forward: (t) => t.add(1) };
    const double: Transform = { forward: (t) => t.mul(2) };
    const list = [addOne, double];
    const c = new Compose(list);
    list.pop();
    assert.equal(c.transforms.length, 2);
    const v = torch.tensor([0.25]).view([1, 1, 1, 1]);
    assert.deepEqual(c.forward(v).toArray(), [[[[2.5]]]]); // (0.25 + 1) * 2, not 0.25 * 2 + 1
  });

  it('RandomHorizontalFlip: p = 1 mirrors every image, p = 0.5 exactly the drawn ones', () => {
    const v = torch.tensor([1, 2, 3, 4], { dtype: 'float32' }).view([1, 1, 1, 4]);
    assert.deepEqual(new RandomHorizontalFlip({ p: 1 }).forward(v, gen()).toArray(), [[[[4, 3, 2, 1]]]]);
    const mask = bernoulli(8, 0.5, gen(7)).toArray() as boolean[];
    assert.ok(mask.some((m) => m) && mask.some((m) => !m), 'the seed draws both');
    assert.ok(new RandomHorizontalFlip({ p: 0.5 }).forward(x, gen(7)).equal(pick(mask, x.flip([3]), x)));
  });

  it('rotate90 takes any integer dtype and k modulo 4; randomRotation90 draws from the generator', () => {
    const v = torch.tensor([[1, 2], [3, 4]], { dtype: 'float32' }).view([1, 1, 2, 2]);
    // torch.rot90(v, 1, [2, 3]) = [[2, 4], [1, 3]].
    assert.deepEqual(rotate90(v, torch.tensor([1], { dtype: 'int64' })).toArray(), [[[[2, 4], [1, 3]]]]);
    assert.deepEqual(rotate90(v, torch.tensor([1], { dtype: 'int32' })).toArray(), [[[[2, 4], [1, 3]]]]);
    assert.deepEqual(rotate90(v, torch.tensor([5], { dtype: 'int64' })).toArray(), [[[[2, 4], [1, 3]]]]);
    assert.deepEqual(rotate90(v, torch.tensor([-1], { dtype: 'int64' })).toArray(), [[[[3, 1], [4, 2]]]]);
    const four = v.expand([4, 1, 2, 2]);
    assert.deepEqual(rotate90(four, torch.tensor([0, 1, 2, 3], { dtype: 'int64' })).toArray(),
      [[[[1, 2], [3, 4]]], [[[2, 4], [1, 3]]], [[[4, 3], [2, 1]]], [[[3, 1], [4, 2]]]]);
    const { images: out, labels } = randomRotation90(x, gen(5));
    const k = torch.randint(0, 4, [8], { dtype: 'int64', generator: gen(5) });
    assert.deepEqual(labels.toArray(), k.toArray());
    assert.equal(labels.dtype, 'int64');
    assert.ok(out.equal(rotate90(x, k)));
  });

  it('solarize and RandomSolarize: the threshold (ends included) and p', () => {
    const v = torch.tensor([0, 0.25, 0.5, 1], { dtype: 'float32' }).view([1, 1, 1, 4]);
    const at = (threshold: number): number[] => new RandomSolarize({ threshold, p: 1 }).forward(v, gen()).flatten().toArray() as number[];
    assert.deepEqual(at(0.25), [0, 0.75, 0.5, 0]);
    assert.deepEqual(at(0), [1, 0.75, 0.5, 0]);
    assert.deepEqual(at(1), [0, 0.25, 0.5, 0]);
    assert.deepEqual(solarize(v).flatten().toArray(), [0, 0.25, 0.5, 0]); // default 0.5, inclusive
    const mask = bernoulli(8, 0.5, gen(2)).toArray() as boolean[];
    assert.ok(new RandomSolarize({ p: 0.5, threshold: 0.3 }).forward(x, gen(2)).equal(pick(mask, solarize(x, 0.3), x)));
  });

  it('GaussianNoise: std, clip and p, against the replayed noise', () => {
    const mid = images([8, 1, 4, 4], 6);
    const g = gen(4);
    const mask = bernoulli(8, 0.5, g).toArray() as boolean[];
    const noise = torch.randn([8, 1, 4, 4], { generator: g });
    const raw = mid.add(noise.mul(0.75));
    assert.ok(raw.lt(0).any().item() && raw.gt(1).any().item(), 'the noise leaves [0, 1]');
    assertAllClose(new GaussianNoise({ std: 0.75, clip: false, p: 0.5 }).forward(mid, gen(4)), pick(mask, raw, mid), 0);
    assertAllClose(new GaussianNoise({ std: 0.75, p: 0.5 }).forward(mid, gen(4)), pick(mask, raw.clamp(0, 1), mid), 0);
    assertAllClose(new GaussianNoise({ std: 0.75 }).forward(mid, gen(4)), raw.clamp(0, 1), 0); // p = 1: all
    assert.ok(new GaussianNoise({ std: 0 }).forward(mid, gen(4)).equal(mid));
  });

  it('rgbToGrayscale: luma weights, 1 or 3 channels out, single-channel images as they are', () => {
    const v = torch.tensor([1, 0, 0, 0, 1, 0, 0, 0, 1], { dtype: 'float32' }).view([1, 3, 1, 3]);
    const gray = rgbToGrayscale(v);
    assert.deepEqual(gray.shape, [1, 1, 1, 3]);
    assertAllClose(gray, torch.tensor([0.2989, 0.587, 0.114]).view([1, 1, 1, 3]), 1e-7);
    const one = images([2, 1, 3, 3], 2);
    assert.ok(rgbToGrayscale(one).equal(one));
    const three = rgbToGrayscale(one, 3);
    assert.deepEqual(three.shape, [2, 3, 3, 3]);
    for (let c = 0; c < 3; c++) assert.ok(three.select(1, c).equal(one.select(1, 0)));
    const mask = bernoulli(8, 0.5, gen(9)).toArray() as boolean[];
    assert.ok(new RandomGrayscale({ p: 0.5 }).forward(x, gen(9)).equal(pick(mask, rgbToGrayscale(x, 3), x)));
  });

  it('sobel: the channel mean, both kernels, zero padding; keeps the dtype; Sobel is sobel as a step', () => {
    // A 3x3 image of one 1 in the middle: each output pixel is the kernel entry that sees it (zero padding keeps
    // the 3x3 size); channel x of DeepCluster's kernel [[1, 0, -1], [2, 0, -2], [1, 0, -1]], flipped by the correlation.
    const dot = torch.zeros([1, 3, 3, 3]);
    dot.select(1, 0).select(1, 1).select(1, 1).fill_(3); // the mean over 3 channels is 1
    assert.deepEqual(sobel(dot).toArray(), [[
      [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
      [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    ]]);
    const x64 = x.to('float64');
    const s64 = sobel(x64);
    assert.equal(s64.dtype, 'float64');
    assertAllClose(s64, sobel(x), 1e-5);
    assert.ok(new Sobel().forward(x).equal(sobel(x)));
  });

  it('normalize: one value broadcast to every channel; Normalize keeps copies; toFloatImages dtype and device', () => {
    const v = torch.tensor([0.5, 0.5, 0.5], { dtype: 'float32' }).view([1, 3, 1, 1]);
    assert.deepEqual(normalize(v, [0.25], [0.5]).flatten().toArray(), [0.5, 0.5, 0.5]);
    assert.deepEqual(normalize(v, [0, 0.25, 0.5], [1, 0.5, 0.25]).flatten().toArray(), [0.5, 0.5, 0]);
    // mean and std in the images' dtype: float64 images see 0.1 and 0.3 as float64, not float32's 0.10000000149.
    const x64 = x.to('float64');
    assert.ok(normalize(x64, [0.1], [0.3]).equal(x64.sub(0.1).div(0.3)));
    const mean = [0, 0.25, 0.5];
    const n = new Normalize({ mean, std: [1, 0.5, 0.25] });
    mean[0] = 9;
    assert.deepEqual(n.forward(v).flatten().toArray(), [0.5, 0.5, 0]);
    const u8 = torch.tensor(Uint8Array.from([0, 51, 255]), { shape: [1, 3, 1, 1] });
    const f64 = toFloatImages(u8, { dtype: 'float64', device: 'cpu' });
    assert.equal(f64.dtype, 'float64');
    assert.deepEqual(f64.flatten().toArray(), [0, 0.2, 1]);
    const f = torch.tensor([0.5, 2], { dtype: 'float64' }).view([1, 2, 1, 1]);
    const f32 = toFloatImages(f);
    assert.equal(f32.dtype, 'float32');
    assert.deepEqual(f32.flatten().toArray(), [0.5, 2]); // floats are not divided by 255
  });
});
