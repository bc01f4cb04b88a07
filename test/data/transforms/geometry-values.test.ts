// Random parameters, random resized crop, Gaussian blur and random erasing by
// value (issue 21): each option reaches where it acts. Expected values come
// from the documented formulas written out per sample in plain JS (the box
// selection of torchvision's get_params, the Gaussian kernel with reflect
// padding) on the replayed draws of the generator, or, for the resampling,
// from torchvision 0.14's F.resized_crop on a 4x4 checkerboard, computed once
// and written down. Fast, no Python (pixel, geometry, gaussian-blur and
// random-resized-crop.test.ts compare with torchvision on random inputs).
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import {
  GaussianBlur, RandomErasing, RandomResizedCrop, bernoulli, erase, gaussianBlur, permutation, randomErasingParams,
  randomResizedCropParams, resizedCrop, simclrKernelSize, uniform,
} from '../../../lib/data/transforms';
import { asPerSample, boxCandidates, boxOffsets, imageNoise, perSample, perSampleMask } from '../../../lib/data/transforms/random-params';
import { assertAllClose, gen, images } from './reference';

const arr = (t: torch.Tensor): number[] => t.flatten().toArray() as number[];
const rows = (t: torch.Tensor): number[][] => t.toArray() as number[][];

/** Image b of `a` where `mask[b]`, else of `b`. */
function pick(mask: boolean[], a: torch.Tensor, b: torch.Tensor): torch.Tensor {
  return torch.stack(mask.map((m, i) => (m ? a : b).select(0, i)), 0);
}

/** The first candidate (area, aspect) whose rounded sides pass `fits`, per sample, as get_params' loop. */
function firstFit(areas: number[][], aspects: number[][], sides: (a: number, r: number) => [number, number],
  fits: (h: number, w: number) => boolean): ([number, number] | null)[] {
  return areas.map((row, b) => {
    for (let i = 0; i < row.length; i++) {
      const [h, w] = sides(row[i], aspects[b][i]);
      if (fits(h, w)) return [h, w];
    }
    return null;
  });
}

const CHECKER = torch.tensor([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0]]).view([1, 1, 4, 4]);

describe('data/transforms: random parameters, crops, blur and erasing by value', () => {
  it('uniform, bernoulli, permutation, boxCandidates and boxOffsets: the formulas on the replayed draws', () => {
    const r = arr(torch.rand([5], { dtype: 'float64', generator: gen(1) }));
    const u = uniform(5, 0.25, 2.5, gen(1));
    assert.equal(u.dtype, 'float64');
    assert.deepEqual(arr(u), r.map((v) => v * 2.25 + 0.25));
    const r32 = arr(torch.rand([5], { generator: gen(1) }));
    assert.deepEqual(arr(bernoulli(5, 0.4, gen(1))), r32.map((v) => v < 0.4));
    assert.deepEqual(permutation(6, gen(2)), arr(torch.randperm(6, { generator: gen(2) })));
    const g = gen(3);
    const ra = rows(torch.rand([2, 3], { dtype: 'float64', generator: g }));
    const rr = rows(torch.rand([2, 3], { dtype: 'float64', generator: g }));
    const { areas, aspects } = boxCandidates(2, 3, 100, [0.2, 0.6], [0.5, 4], gen(3));
    assertAllClose(areas, torch.tensor(ra.map((row) => row.map((v) => v * 100 * 0.4 + 20)), { dtype: 'float64' }), 1e-12);
    assertAllClose(aspects, torch.tensor(rr.map((row) => row.map((v) => Math.exp(v * Math.log(8) + Math.log(0.5)))), { dtype: 'float64' }), 1e-12);
    const sizes = torch.tensor([0, 3, 10], { dtype: 'float64' });
    const ro = arr(torch.rand([3], { dtype: 'float64', generator: gen(4) }));
    assert.deepEqual(arr(boxOffsets(10, sizes, gen(4))), [Math.floor(ro[0] * 11), Math.floor(ro[1] * 8), Math.floor(ro[2] * 1)]);
  });

  it('imageNoise, perSample, perSampleMask, asPerSample: dtype, shape and the generator', () => {
    const x = images([2, 3, 2, 2], 1).to('float64');
    const noise = imageNoise(x, gen(5));
    assert.equal(noise.dtype, 'float64');
    assert.ok(noise.equal(torch.randn([2, 3, 2, 2], { dtype: 'float64', generator: gen(5) })));
    const ps = perSample(torch.tensor([1.5, 2.5]), x);
    assert.deepEqual([ps.shape, ps.dtype, arr(ps)], [[2, 1, 1, 1], 'float64', [1.5, 2.5]]);
    const m = perSampleMask(torch.tensor([true, false]), x);
    assert.deepEqual([m.shape, arr(m)], [[2, 1, 1, 1], [true, false]]);
    const n = asPerSample(0.5, x);
    assert.deepEqual([n.shape, n.dtype, arr(n)], [[1, 1, 1, 1], 'float64', [0.5]]);
    assert.deepEqual(arr(asPerSample(torch.tensor([3, 4]), x)), [3, 4]);
  });

  it('randomResizedCropParams: the first fitting try, scale and ratio, offsets; the centre-crop fallback', () => {
    const [B, H, W] = [16, 12, 10];
    const scale = [0.3, 0.9] as const;
    const ratio = [0.5, 1.5] as const;
    const g = gen(6);
    const { areas, aspects } = boxCandidates(B, 10, H * W, scale, ratio, g);
    const fit = firstFit(rows(areas), rows(aspects), (a, r) => [Math.round(Math.sqrt(a / r)), Math.round(Math.sqrt(a * r))],
      (h, w) => h > 0 && h <= H && w > 0 && w <= W);
    assert.ok(fit.every((f) => f !== null), 'every sample fits within 10 tries here');
    const hh = torch.tensor(fit.map((f) => f![0]), { dtype: 'float64' });
    const ww = torch.tensor(fit.map((f) => f![1]), { dtype: 'float64' });
    const top = arr(boxOffsets(H, hh, g));
    const left = arr(boxOffsets(W, ww, g));
    const boxes = randomResizedCropParams(B, H, W, { scale, ratio }, gen(6));
    assert.equal(boxes.dtype, 'int64');
    assert.deepEqual(rows(boxes), fit.map((f, b) => [top[b], left[b], f![0], f![1]]));
    // Defaults: scale [0.08, 1], ratio [3/4, 4/3].
    const d = boxCandidates(B, 10, H * W, [0.08, 1], [3 / 4, 4 / 3], gen(7));
    const dfit = firstFit(rows(d.areas), rows(d.aspects), (a, r) => [Math.round(Math.sqrt(a / r)), Math.round(Math.sqrt(a * r))],
      (h, w) => h > 0 && h <= H && w > 0 && w <= W);
    assert.deepEqual(rows(randomResizedCropParams(B, H, W, {}, gen(7))).map((b) => [b[2], b[3]]), dfit.map((f) => f ?? [H, W]));
    // Nothing fits (areas above the image's): a centre crop at the nearest allowed ratio.
    assert.deepEqual(rows(randomResizedCropParams(2, 8, 8, { scale: [2, 3] }, gen(0))), [[0, 0, 8, 8], [0, 0, 8, 8]]);
    assert.deepEqual(rows(randomResizedCropParams(1, 9, 4, { scale: [2, 3], ratio: [1, 2] }, gen(0))), [[2, 0, 4, 4]]);
    assert.deepEqual(rows(randomResizedCropParams(1, 4, 9, { scale: [2, 3], ratio: [0.5, 1] }, gen(0))), [[0, 2, 4, 4]]);
    assert.deepEqual(rows(randomResizedCropParams(1, 10, 4, { scale: [2, 3], ratio: [0.5, 2] }, gen(0))), [[1, 0, 8, 4]]);
    assert.deepEqual(rows(randomResizedCropParams(1, 4, 10, { scale: [2, 3], ratio: [0.5, 2] }, gen(0))), [[0, 1, 4, 8]]);
  });

  it('resizedCrop: bilinear and bicubic as torchvision, box and size (number or [h, w]) in their places', () => {
    const whole = torch.tensor([[0, 0, 4, 4]], { dtype: 'int64' });
    const bil = [[0.0, 0.25, 0.75, 0.75, 0.25, 0.25, 0.75, 1.0], [0.25, 0.375, 0.625, 0.625, 0.375, 0.375, 0.625, 0.75],
      [0.75, 0.625, 0.375, 0.375, 0.625, 0.625, 0.375, 0.25], [0.75, 0.625, 0.375, 0.4375, 0.8125, 0.75, 0.25, 0.0],
      [0.25, 0.375, 0.625, 0.8125, 0.9375, 0.75, 0.25, 0.0], [0.25, 0.4375, 0.8125, 0.9375, 0.8125, 0.5625, 0.1875, 0.0],
      [0.75, 0.8125, 0.9375, 0.8125, 0.4375, 0.1875, 0.0625, 0.0], [1.0, 1.0, 1.0, 0.75, 0.25, 0.0, 0.0, 0.0]];
    assertAllClose(resizedCrop(CHECKER, whole, 8), torch.tensor(bil).view([1, 1, 8, 8]), 1e-6);
    assertAllClose(resizedCrop(CHECKER, whole, 8, { interpolation: 'bilinear' }), torch.tensor(bil).view([1, 1, 8, 8]), 1e-6);
    // Bicubic: torchvision's interior (the outermost rows and columns may differ, see resizedCrop).
    const bic = [[0.38768, 0.68428, 0.653381, 0.301575, 0.296494, 0.631546], [0.68428, 0.223984, 0.208191, 0.656677, 0.718338, 0.373398],
      [0.64418, 0.177292, 0.319672, 1.015656, 0.965836, 0.212692], [0.273972, 0.56398, 0.932159, 1.193939, 0.916672, 0.245377],
      [0.355789, 0.917465, 1.161255, 0.964844, 0.563187, 0.163559], [0.833969, 1.053177, 0.891235, 0.444092, 0.089951, 0.022903]];
    const cubic = resizedCrop(CHECKER, whole, [8, 8], { interpolation: 'bicubic' });
    assertAllClose(cubic.narrow(2, 1, 6).narrow(3, 1, 6), torch.tensor(bic).view([1, 1, 6, 6]), 1e-5);
    // Box [top 1, left 0, height 3, width 2] to [2, 3]: rows and columns each in their place.
    const box = resizedCrop(CHECKER, torch.tensor([[1, 0, 3, 2]], { dtype: 'int64' }), [2, 3]);
    assertAllClose(box, torch.tensor([[0.75, 0.5, 0.25], [0.75, 0.875, 1.0]]).view([1, 1, 2, 3]), 1e-6);
    // Same-size boxes copy the pixels (float boxes accepted); two images, two boxes.
    const two = torch.cat([CHECKER, CHECKER.flip([3])], 0);
    const cut = resizedCrop(two, torch.tensor([[1, 1, 2, 2], [0, 2, 2, 2]]), 2);
    assert.deepEqual(cut.toArray(), [[[[0, 1], [1, 1]]], [[[1, 0], [0, 1]]]]);
    // float64 boxes on float32 images (the boxes follow the images' dtype).
    assert.ok(resizedCrop(two, torch.tensor([[1, 1, 2, 2], [0, 2, 2, 2]], { dtype: 'float64' }), 2).equal(cut));
  });

  it('RandomResizedCrop: size, scale, ratio and interpolation reach the crop; bicubic clamped to [0, 1]', () => {
    const x = torch.cat([CHECKER, CHECKER.flip([2]), CHECKER.flip([3]), CHECKER.flip([2, 3])], 0);
    const o = { scale: [0.5, 1] as const, ratio: [0.6, 1.6] as const };
    const boxes = randomResizedCropParams(4, 4, 4, o, gen(9));
    const crop = new RandomResizedCrop({ size: [6, 5], ...o });
    assert.deepEqual([crop.size, crop.scale, crop.ratio, crop.interpolation], [[6, 5], [0.5, 1], [0.6, 1.6], 'bilinear']);
    assert.ok(crop.forward(x, gen(9)).equal(resizedCrop(x, boxes, [6, 5])));
    const raw = resizedCrop(x, boxes, 7, { interpolation: 'bicubic' });
    assert.ok(raw.gt(1).any().item() && raw.lt(0).any().item(), 'bicubic overshoots here');
    const cubic = new RandomResizedCrop({ size: 7, interpolation: 'bicubic', ...o });
    assert.deepEqual(cubic.size, [7, 7]);
    assert.ok(cubic.forward(x, gen(9)).equal(raw.clamp(0, 1)));
    // Bilinear output is not clamped: images outside [0, 1] (normalised) keep their range.
    const wide = x.mul(4).sub(2);
    const bil = crop.forward(wide, gen(9));
    assert.ok(bil.equal(resizedCrop(wide, boxes, [6, 5])) && bil.lt(0).any().item());
    const dflt = new RandomResizedCrop({ size: 3 });
    assert.deepEqual([dflt.scale, dflt.ratio], [[0.08, 1], [3 / 4, 4 / 3]]);
    assert.ok(dflt.forward(x, gen(2)).equal(resizedCrop(x, randomResizedCropParams(4, 4, 4, {}, gen(2)), 3)));
  });

  it('simclrKernelSize: 10% of the side, made odd, at least 1', () => {
    assert.deepEqual([224, 32, 20, 19, 10, 5, 1, 96, 65].map(simclrKernelSize), [23, 3, 3, 1, 1, 1, 1, 9, 7]);
  });

  it('gaussianBlur: the normalised kernel per image and channel, reflect padding, kernel sizes 3 and 5', () => {
    // Plain JS: sum over the k x k window of w[a] w[b] x[reflect(i + a)][reflect(j + b)].
    const blur = (img: number[][], k: number, sigma: number): number[][] => {
      const half = (k - 1) / 2;
      const w = Array.from({ length: k }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)));
      const sum = w.reduce((a, b) => a + b, 0);
      const ref = (i: number, n: number): number => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
      return img.map((row, i) => row.map((_, j) => {
        let acc = 0;
        for (let a = 0; a < k; a++) {
          for (let b = 0; b < k; b++) acc += (w[a] / sum) * (w[b] / sum) * img[ref(i + a - half, img.length)][ref(j + b - half, row.length)];
        }
        return acc;
      }));
    };
    const x = images([2, 2, 5, 6], 3);
    const planes = x.toArray() as number[][][][];
    for (const k of [3, 5]) {
      const out = gaussianBlur(x, k, torch.tensor([0.7, 1.9]));
      const expected = torch.tensor(planes.map((im, b) => im.map((c) => blur(c, k, [0.7, 1.9][b]))));
      assertAllClose(out, expected, 1e-6, `k ${k}`);
      assertAllClose(gaussianBlur(x, k, 1.3), torch.tensor(planes.map((im) => im.map((c) => blur(c, k, 1.3)))), 1e-6, `k ${k}, one sigma`);
    }
    assert.ok(gaussianBlur(x, 1, 5).equal(x)); // k = 1: the identity
    // float64 images: the sigma (a number or a tensor) and the kernel in float64 too, to 1e-12.
    const x64 = x.to('float64');
    const planes64 = x64.toArray() as number[][][][];
    const expected64 = torch.tensor(planes64.map((im) => im.map((c) => blur(c, 3, 0.7))), { dtype: 'float64' });
    assertAllClose(gaussianBlur(x64, 3, 0.7), expected64, 1e-12);
    assertAllClose(gaussianBlur(x64, 3, torch.tensor([0.7, 0.7], { dtype: 'float64' })), expected64, 1e-12);
  });

  it('GaussianBlur: kernelSize (default from the height), sigma and p reach the blur', () => {
    const x = images([6, 1, 40, 20], 4);
    const replay = (seed: number, p: number, s: [number, number]): { mask: boolean[]; sigmas: torch.Tensor } => {
      const g = gen(seed);
      const mask = arr(bernoulli(6, p, g)) as unknown as boolean[];
      return { mask, sigmas: uniform(6, s[0], s[1], g) };
    };
    const d = new GaussianBlur();
    assert.deepEqual([d.kernelSize, d.sigma, d.p], [null, [0.1, 2], 0.5]);
    const r = replay(1, 0.5, [0.1, 2]);
    assert.ok(r.mask.some((m) => m) && r.mask.some((m) => !m), 'the seed draws both');
    // 40 px high: kernel 5 (not 3, from the 20 px width).
    assert.ok(d.forward(x, gen(1)).equal(pick(r.mask, gaussianBlur(x, 5, r.sigmas), x)));
    const b = new GaussianBlur({ kernelSize: 7, sigma: [0.5, 1.5], p: 0.3 });
    const r2 = replay(2, 0.3, [0.5, 1.5]);
    assert.ok(b.forward(x, gen(2)).equal(pick(r2.mask, gaussianBlur(x, 7, r2.sigmas), x)));
    const all = new GaussianBlur({ kernelSize: 3, sigma: [1, 1], p: 1 }).forward(x, gen(3));
    assert.ok(all.equal(gaussianBlur(x, 3, 1)));
    assert.equal(new GaussianBlur({ p: 0 }).forward(x, gen(3)), x);
  });

  it('randomErasingParams: the first try strictly inside the image, p, scale and ratio; empty boxes', () => {
    const [B, H, W] = [16, 10, 12];
    const o = { p: 0.7, scale: [0.1, 0.5] as const, ratio: [0.4, 2.5] as const };
    const g = gen(10);
    const apply = arr(bernoulli(B, 0.7, g)) as unknown as boolean[];
    const { areas, aspects } = boxCandidates(B, 10, H * W, o.scale, o.ratio, g);
    // torchvision's RandomErasing: h from area * ratio, w from area / ratio; h < H and w < W.
    const fit = firstFit(rows(areas), rows(aspects), (a, r) => [Math.round(Math.sqrt(a * r)), Math.round(Math.sqrt(a / r))],
      (h, w) => h < H && w < W);
    const hw = fit.map((f, b) => (f !== null && apply[b] ? f : [0, 0]));
    const top = arr(boxOffsets(H, torch.tensor(hw.map((v) => v[0]), { dtype: 'float64' }), g));
    const left = arr(boxOffsets(W, torch.tensor(hw.map((v) => v[1]), { dtype: 'float64' }), g));
    const boxes = randomErasingParams(B, H, W, o, gen(10));
    assert.equal(boxes.dtype, 'int64');
    assert.deepEqual(rows(boxes), hw.map((v, b) => [top[b], left[b], v[0], v[1]]));
    assert.ok(hw.some((v) => v[0] === 0) && hw.some((v) => v[0] > 0), 'some boxes empty, some not');
    // Defaults p 0.5, scale [0.02, 0.33], ratio [0.3, 3.3].
    const g2 = gen(11);
    const apply2 = arr(bernoulli(B, 0.5, g2)) as unknown as boolean[];
    const c2 = boxCandidates(B, 10, H * W, [0.02, 0.33], [0.3, 3.3], g2);
    const fit2 = firstFit(rows(c2.areas), rows(c2.aspects), (a, r) => [Math.round(Math.sqrt(a * r)), Math.round(Math.sqrt(a / r))],
      (h, w) => h < H && w < W);
    assert.deepEqual(rows(randomErasingParams(B, H, W, {}, gen(11))).map((v) => [v[2], v[3]]),
      fit2.map((f, b) => (f !== null && apply2[b] ? f : [0, 0])));
    // A box as large as the image never fits: nothing is erased.
    assert.deepEqual(rows(randomErasingParams(2, 4, 4, { p: 1, scale: [1, 1], ratio: [1, 1] }, gen(0))).map((v) => [v[2], v[3]]), [[0, 0], [0, 0]]);
    assert.deepEqual(rows(randomErasingParams(2, 4, 5, { p: 1, scale: [0.45, 0.45], ratio: [1, 1] }, gen(0))).map((v) => [v[2], v[3]]), [[3, 3], [3, 3]]);
  });

  it('erase: each box in its image, rows and columns in their places, a value or image-shaped values', () => {
    const x = torch.ones([2, 1, 4, 5]);
    const boxes = torch.tensor([[1, 2, 2, 3], [0, 0, 0, 0]], { dtype: 'int64' });
    const out = erase(x, boxes, 0.25);
    assert.deepEqual(out.toArray(), [[[[1, 1, 1, 1, 1], [1, 1, 0.25, 0.25, 0.25], [1, 1, 0.25, 0.25, 0.25], [1, 1, 1, 1, 1]]],
      [[[1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1]]]]);
    assert.ok(erase(x, boxes).equal(out.eq(0.25).logicalNot().to('float32'))); // default value 0
    const fill = torch.arange(40).view([2, 1, 4, 5]).to('float32');
    const f = erase(x, torch.tensor([[0, 3, 4, 1], [2, 0, 1, 2]]), fill).toArray() as number[][][][];
    assert.deepEqual(f[0][0].map((r) => r[3]), [3, 8, 13, 18]);
    assert.deepEqual(f[1][0][2], [30, 31, 1, 1, 1]);
    assert.equal(arr(erase(x, torch.tensor([[0, 3, 4, 1], [2, 0, 1, 2]]), fill)).filter((v) => v !== 1).length, 6);
  });

  it('RandomErasing: p, scale, ratio and value reach the boxes and the fill', () => {
    const x = images([8, 2, 6, 7], 5);
    const o = { p: 0.8, scale: [0.1, 0.4] as const, ratio: [0.5, 2] as const };
    const boxes = randomErasingParams(8, 6, 7, o, gen(12));
    const e = new RandomErasing({ ...o, value: 0.5 });
    assert.deepEqual([e.p, e.scale, e.ratio, e.value], [0.8, [0.1, 0.4], [0.5, 2], 0.5]);
    assert.ok(e.forward(x, gen(12)).equal(erase(x, boxes, 0.5)));
    const g = gen(12);
    const b2 = randomErasingParams(8, 6, 7, o, g);
    const noise = imageNoise(x, g);
    assert.ok(new RandomErasing({ ...o, value: 'random' }).forward(x, gen(12)).equal(erase(x, b2, noise)));
    const d = new RandomErasing();
    assert.deepEqual([d.p, d.scale, d.ratio, d.value], [0.5, [0.02, 0.33], [0.3, 3.3], 0]);
    assert.ok(d.forward(x, gen(13)).equal(erase(x, randomErasingParams(8, 6, 7, {}, gen(13)), 0)));
  });
});
