// The 313 ab bins, soft-encoding, class rebalancing and the annealed mean of
// Zhang et al. 2016, against test/helpers/pretext_ref.py (the authors'
// NNEncode and PriorFactor, re-implemented in numpy) on the same inputs.
import * as assert from 'node:assert/strict';
import * as torch from '../../../lib/torch';
import { rgbToLab } from '../../../lib/data/transforms/lab';
import {
  AB_GRID, NUM_AB_BINS, abBinCentres, abBins, abPrior, annealedMean, nearestBin, rebalanceWeights, softEncode,
} from '../../../lib/ssl/pretext/ab-bins';
import { assertAllClose } from '../../data/transforms/reference';
import { pretextReference } from '../../helpers/pretext-ref';

/** ab values of random colours (B, 2, H, W), from rgbToLab. */
function randomAb(shape: number[], seed: number): torch.Tensor {
  const rgb = torch.rand(shape, { generator: new torch.Generator().manualSeed(seed) });
  return rgbToLab(rgb).narrow(1, 1, 2);
}

describe('ssl/pretext: the 313 ab bins (Zhang et al. 2016, section 2.1)', () => {
  it('has 313 distinct centres on the grid of 10', () => {
    const c = abBinCentres();
    assert.equal(c.length, NUM_AB_BINS);
    assert.equal(new Set(c.map(([a, b]) => `${a},${b}`)).size, 313);
    assert.ok(c.every(([a, b]) => a % AB_GRID === 0 && b % AB_GRID === 0));
    assert.deepEqual(abBins().shape, [313, 2]);
    assert.deepEqual(c[0], [-90, 50]);
  });

  it('holds every bin that an sRGB colour quantises to (a 64^3 colour grid through rgbToLab)', () => {
    const set = new Set(abBinCentres().map(([a, b]) => `${a},${b}`));
    const n = 64;
    const v = torch.linspace(0, 1, n);
    const rgb = torch.stack([
      v.view([n, 1, 1]).expand([n, n, n]), v.view([1, n, 1]).expand([n, n, n]), v.view([1, 1, n]).expand([n, n, n]),
    ], 0).reshape([1, 3, n * n, n]).to('float64');
    const ab = rgbToLab(rgb).narrow(1, 1, 2).div(AB_GRID).round().mul(AB_GRID).reshape([2, -1]).to('int64');
    const a = ab.select(0, 0).toTypedArray() as BigInt64Array;
    const b = ab.select(0, 1).toTypedArray() as BigInt64Array;
    const seen = new Set<string>();
    for (let i = 0; i < a.length; i++) seen.add(`${a[i]},${b[i]}`);
    const outside = [...seen].filter((k) => !set.has(k));
    assert.deepEqual(outside, [], 'sRGB colours whose nearest grid point is not one of the 313');
    assert.ok(seen.size > 240, `the sRGB gamut covers most bins (${seen.size})`);
  });

  const ab = randomAb([2, 3, 4, 5], 1);
  const logits = torch.randn([2, 313, 3, 2], { generator: new torch.Generator().manualSeed(2) }).mul(3);
  let ref: Record<string, torch.Tensor>[] = [];
  before(function () {
    this.timeout(120000);
    const bins = abBins();
    ref = pretextReference([
      { op: 'soft_encode', inputs: { ab, bins }, args: { neighbours: 5, sigma: 5 } },
      { op: 'soft_encode', inputs: { ab, bins }, args: { neighbours: 2, sigma: 9 } },
      { op: 'prior_weights', inputs: { ab, bins }, args: { sigma: 5, lambda: 0.5 } },
      { op: 'prior_weights', inputs: { ab, bins }, args: { sigma: 0, lambda: 0.2 } },
      { op: 'annealed_mean', inputs: { logits, bins }, args: { T: 0.38 } },
      { op: 'annealed_mean', inputs: { logits, bins }, args: { T: 1 } },
    ]);
  });

  it('soft-encodes to the 5 nearest bins with a Gaussian of sigma 5, as NNEncode', () => {
    const z = softEncode(ab);
    assert.deepEqual(z.shape, [2, 313, 4, 5]);
    assertAllClose(z, ref[0].z, 1e-6, 'defaults');
    assertAllClose(z.sum([1]), torch.ones([2, 4, 5]), 1e-6, 'sums to 1');
    assert.equal(z.gt(0).sum([1]).max().item(), 5);
    assertAllClose(softEncode(ab, { neighbours: 2, sigma: 9 }), ref[1].z, 1e-6, 'neighbours 2, sigma 9');
  });

  it('computes the smoothed empirical prior and the rebalancing weights (lambda 0.5) as PriorFactor', () => {
    const p = abPrior(ab);
    assertAllClose(p, ref[2].prior, 1e-6, 'prior');
    assertAllClose(rebalanceWeights(p), ref[2].weights, 1e-4, 'weights');
    assert.ok(Math.abs((p.mul(rebalanceWeights(p)).sum().item() as number) - 1) < 1e-5, 'E_p[w] = 1');
    const p0 = abPrior(ab, { sigma: 0 });
    assertAllClose(p0, ref[3].prior, 1e-6, 'unsmoothed prior');
    assertAllClose(rebalanceWeights(p0, { lambda: 0.2 }), ref[3].weights, 1e-4, 'lambda 0.2');
  });

  it('decodes with the annealed mean (T = 0.38), which lies between the mode and the mean', () => {
    assertAllClose(annealedMean(logits), ref[4].ab, 1e-4, 'T 0.38');
    assertAllClose(annealedMean(logits, { temperature: 1 }), ref[5].ab, 1e-4, 'T 1 is the mean');
  });

  it('quantises to the nearest bin within half a grid diagonal', () => {
    const q = nearestBin(ab);
    assert.deepEqual(q.shape, [2, 4, 5]);
    const centres = abBins().indexSelect(0, q.reshape([-1])); // (N, 2)
    const d = centres.sub(ab.permute([0, 2, 3, 1]).reshape([-1, 2])).square().sum([1]).sqrt();
    assert.ok((d.max().item() as number) <= 5 * Math.SQRT2 + 1e-4);
  });

  it('refuses tensors that are not (B, 2, H, W) ab channels', () => {
    assert.throws(() => softEncode(torch.zeros([1, 3, 2, 2])), /ab channels of shape \(B, 2, H, W\) for softEncode/);
    assert.throws(() => rebalanceWeights(abPrior(ab), { lambda: 2 }), /lambda/);
  });
});
