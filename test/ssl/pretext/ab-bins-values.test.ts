// The ab bins' functions by value on a few bins written out here (the `bins`
// option of each function), each result against arithmetic done by hand:
// soft encoding, nearest bins and counts, the smoothed prior, the rebalancing
// weights, the annealed mean; the default bins' layout and device; and every
// refusal by its exact message.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import {
  AB_GRID, NUM_AB_BINS, abBinCentres, abBins, abPrior, annealedMean, binCounts, nearestBin, rebalanceWeights, smoothPrior,
  softEncode,
} from '../../../lib/ssl/pretext/ab-bins';

const values = (t: Tensor): number[] => Array.from(t.flatten().to('float64').toTypedArray() as Float64Array);
const close = (got: number[], want: number[], tol: number, what: string): void => {
  assert.equal(got.length, want.length, `${what}: length`);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= tol, `${what}[${i}]: ${v} vs ${want[i]}`));
};
const ab = (points: number[][], H = 1, W = points.length): Tensor => // (1, 2, H, W) from [a, b] pixels in row-major order
  torch.tensor(Float32Array.from([...points.map((p) => p[0]), ...points.map((p) => p[1])]), { shape: [1, 2, H, W] });

// Three bins: (0, 0), (10, 0), (0, 10).
const BINS = torch.tensor(Float32Array.from([0, 0, 10, 0, 0, 10]), { shape: [3, 2] });
const d2 = ([a, b]: number[]): number[] => [a * a + b * b, (a - 10) ** 2 + b * b, a * a + (b - 10) ** 2];

describe('ssl/pretext: ab bins by value', () => {
  it('the 313 centres: 20 columns of a from -90 to 100, b ascending in steps of 10 within each, as a float32 tensor', () => {
    const c = abBinCentres();
    assert.equal(NUM_AB_BINS, 313);
    assert.equal(AB_GRID, 10);
    assert.deepEqual(c.slice(0, 5), [[-90, 50], [-90, 60], [-90, 70], [-90, 80], [-90, 90]]);
    assert.deepEqual(c[5], [-80, 20]);
    assert.deepEqual(c[312], [100, 0]);
    const perA = new Map<number, number>();
    for (const [a] of c) perA.set(a, (perA.get(a) ?? 0) + 1);
    assert.deepEqual([...perA.keys()], Array.from({ length: 20 }, (_, i) => -90 + 10 * i));
    assert.equal(perA.get(100), 10);
    const t = abBins();
    assert.equal(t.dtype, 'float32');
    assert.equal(t.device, 'cpu');
    assert.deepEqual(values(t), c.flat());
    assert.equal(abBins('cpu').device, 'cpu');
  });

  it('softEncode: the k nearest bins weighted by exp(-d^2 / 2 sigma^2), normalised; the rest 0', () => {
    const pts = [[3, 1], [8, 2], [1, 9], [-4, -4]];
    const z = softEncode(ab(pts, 2, 2), { bins: BINS, neighbours: 2, sigma: 4 });
    assert.deepEqual(z.shape, [1, 3, 2, 2]);
    assert.equal(z.dtype, 'float32');
    const want: number[][] = [[], [], []]; // [bin][pixel]
    for (const p of pts) {
      const d = d2(p);
      const order = [0, 1, 2].sort((i, j) => d[i] - d[j]).slice(0, 2);
      const e = order.map((q) => Math.exp(-d[q] / (2 * 16)));
      const s = e[0] + e[1];
      for (let q = 0; q < 3; q++) want[q].push(order.includes(q) ? e[order.indexOf(q)] / s : 0);
    }
    close(values(z), want.flat(), 1e-6, 'neighbours 2, sigma 4');
    // All three bins (k = Q is allowed), sigma 10.
    const all = softEncode(ab([[3, 1]]), { bins: BINS, neighbours: 3, sigma: 10 });
    const e = d2([3, 1]).map((v) => Math.exp(-v / 200));
    close(values(all), e.map((v) => v / (e[0] + e[1] + e[2])), 1e-6, 'neighbours 3, sigma 10');
    // Defaults: 5 neighbours, sigma 5, on the 313 bins: a bin centre keeps exp(0) against its 4 neighbours at 10.
    const z0 = values(softEncode(ab([[0, 0]])));
    const at = abBinCentres().findIndex(([a, b]) => a === 0 && b === 0);
    const far = Math.exp(-100 / 50);
    close([z0[at]], [1 / (1 + 4 * far)], 1e-6, 'the centre bin');
    assert.equal(z0.filter((v) => v > 0).length, 5);
  });

  it('nearestBin and binCounts: the index of the nearest of the given bins, and how many pixels fall at each', () => {
    const pts = [[3, 1], [8, 2], [1, 9], [-4, -4], [6, 1]];
    const q = nearestBin(ab(pts), BINS);
    assert.deepEqual(q.shape, [1, 1, 5]);
    assert.deepEqual(values(q), [0, 1, 2, 0, 1]);
    assert.deepEqual(values(binCounts(ab(pts), BINS)), [2, 2, 1]);
    // Default bins: (12, -37) is nearest to (10, -40), 11 bins into the a = 10 column (b from -80).
    const idx = abBinCentres().findIndex(([a, b]) => a === 10 && b === -40);
    assert.deepEqual(values(nearestBin(ab([[12, -37]]))), [idx]);
    const counts = values(binCounts(ab([[12, -37], [11, -41], [0, 0]])));
    assert.equal(counts.length, 313);
    assert.equal(counts[idx], 2);
    assert.equal(counts.reduce((s, v) => s + v, 0), 3);
  });

  it('smoothPrior: counts normalised, smoothed by the Gaussian kernel over the bins, normalised again; sigma 0 leaves them', () => {
    const counts = torch.tensor(Float32Array.from([2, 1, 1]), { shape: [3] });
    const p = [0.5, 0.25, 0.25];
    close(values(smoothPrior(counts, { bins: BINS, sigma: 0 })), p, 1e-7, 'sigma 0');
    const sigma = 8;
    const c = [[0, 0], [10, 0], [0, 10]];
    const k = c.map((a) => c.map((b) => Math.exp(-((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) / (2 * sigma * sigma))));
    const sm = k.map((row) => row.reduce((s, v, j) => s + v * p[j], 0));
    const total = sm.reduce((s, v) => s + v, 0);
    close(values(smoothPrior(counts, { bins: BINS, sigma })), sm.map((v) => v / total), 1e-6, 'sigma 8');
    // abPrior: the same on the counts of the pixels' nearest of the given bins.
    const pts = [[3, 1], [8, 2], [1, 9], [-4, -4]];
    close(values(abPrior(ab(pts), { bins: BINS, sigma })), values(smoothPrior(binCounts(ab(pts), BINS), { bins: BINS, sigma })),
      1e-7, 'abPrior');
    close(values(abPrior(ab(pts), { bins: BINS, sigma: 0 })), p, 1e-7, 'abPrior, sigma 0');
    // The default sigma is 5, on the 313 bins.
    const prior = values(abPrior(ab([[0, 0]])));
    const at = abBinCentres().findIndex(([a, b]) => a === 0 && b === 0);
    const ring = Math.exp(-100 / 50);
    const norm = abBinCentres().reduce((s, [a, b]) => s + Math.exp(-(a * a + b * b) / 50), 0);
    close([prior[at]], [1 / norm], 1e-6, 'default sigma 5 at the centre');
    close([prior[at + 1]], [ring / norm], 1e-6, 'default sigma 5 one bin away');
  });

  it('rebalanceWeights: 1 / ((1 - lambda) p + lambda / Q), scaled so that sum p w = 1', () => {
    const prior = torch.tensor(Float32Array.from([0.5, 0.3, 0.2, 0]), { shape: [4] });
    for (const lambda of [0.5, 0.2, 1]) {
      const raw = [0.5, 0.3, 0.2, 0].map((p) => 1 / ((1 - lambda) * p + lambda / 4));
      const s = [0.5, 0.3, 0.2, 0].reduce((t, p, i) => t + p * raw[i], 0);
      const got = values(lambda === 0.5 ? rebalanceWeights(prior) : rebalanceWeights(prior, { lambda }));
      close(got, raw.map((w) => w / s), 1e-5, `lambda ${lambda}`);
    }
  });

  it('annealedMean: softmax(logits / T) over the bins, times their centres; T 0.38 by default; the logits\' dtype', () => {
    const logits = torch.tensor(Float64Array.from([1, 0.5, -1, 0, 2, 0.3]), { shape: [2, 3, 1, 1] });
    const l = [[1, 0.5, -1], [0, 2, 0.3]];
    const expected = (T: number): number[] => {
      const out: number[][] = [];
      for (const row of l) {
        const e = row.map((v) => Math.exp(v / T));
        const s = e[0] + e[1] + e[2];
        out.push([10 * e[1] / s, 10 * e[2] / s]); // a from bin 1, b from bin 2
      }
      return [out[0][0], out[0][1], out[1][0], out[1][1]];
    };
    const got = annealedMean(logits, { bins: BINS, temperature: 0.7 });
    assert.deepEqual(got.shape, [2, 2, 1, 1]);
    assert.equal(got.dtype, 'float64');
    close(values(got), expected(0.7), 1e-9, 'T 0.7');
    close(values(annealedMean(logits, { bins: BINS })), expected(0.38), 1e-9, 'T 0.38 by default');
  });

  it('refuses bad tensors and options, with the exact messages', () => {
    const four = torch.zeros([1, 3, 2, 2]);
    for (const [name, f] of [['softEncode', (t: Tensor) => softEncode(t)], ['nearestBin', (t: Tensor) => nearestBin(t)],
      ['binCounts', (t: Tensor) => binCounts(t)], ['abPrior', (t: Tensor) => abPrior(t)]] as const) {
      assert.throws(() => f(four), { message: `Expected ab channels of shape (B, 2, H, W) for ${name} but received shape [1, 3, 2, 2]` });
      assert.throws(() => f(torch.zeros([2, 2, 2])),
        { message: `Expected ab channels of shape (B, 2, H, W) for ${name} but received shape [2, 2, 2]` });
      assert.throws(() => f('ab' as unknown as Tensor), { message: `Expected ab channels of shape (B, 2, H, W) for ${name} but received ab` });
    }
    const x = ab([[1, 1]]);
    assert.throws(() => softEncode(x, { bins: BINS, neighbours: 4 }), { message: 'Expected at most 3 neighbours for softEncode but received 4' });
    assert.throws(() => softEncode(x, { neighbours: 314 }), { message: 'Expected at most 313 neighbours for softEncode but received 314' });
    assert.throws(() => softEncode(x, { neighbours: 0 }), { message: 'Expected positive integer for softEncode options.neighbours but received 0' });
    assert.throws(() => softEncode(x, { sigma: 0 }), { message: 'Expected a positive number for softEncode options.sigma but received 0' });
    assert.throws(() => smoothPrior(torch.ones([3]), { sigma: -1 }),
      { message: 'Expected a non-negative number for smoothPrior options.sigma but received -1' });
    assert.throws(() => abPrior(x, { sigma: -1 }), { message: 'Expected a non-negative number for smoothPrior options.sigma but received -1' });
    const two = torch.ones([3, 1]);
    assert.throws(() => smoothPrior(two), { message: `Expected bin counts of shape (Q) for smoothPrior but received ${String(two)}` });
    assert.throws(() => smoothPrior(5 as unknown as Tensor), { message: 'Expected bin counts of shape (Q) for smoothPrior but received 5' });
    assert.throws(() => rebalanceWeights(two), { message: `Expected a prior of shape (Q) for rebalanceWeights but received ${String(two)}` });
    assert.throws(() => rebalanceWeights([1] as unknown as Tensor), { message: 'Expected a prior of shape (Q) for rebalanceWeights but received 1' });
    assert.throws(() => rebalanceWeights(torch.ones([3]), { lambda: 2 }),
      { message: 'Expected a number in [0, 1] for rebalanceWeights options.lambda but received 2' });
    assert.throws(() => annealedMean(two), { message: `Expected logits of shape (B, Q, H, W) for annealedMean but received ${String(two)}` });
    assert.throws(() => annealedMean('z' as unknown as Tensor), { message: 'Expected logits of shape (B, Q, H, W) for annealedMean but received z' });
    assert.throws(() => annealedMean(torch.ones([1, 3, 1, 1]), { temperature: 0 }),
      { message: 'Expected a positive number for annealedMean options.temperature but received 0' });
  });
});
