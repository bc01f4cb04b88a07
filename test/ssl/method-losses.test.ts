// The losses of MoCo v2/v3, Barlow Twins, VICReg, SimSiam, SwAV and
// DeepCluster v2 against references written from the papers and the authors'
// code (test/helpers/ssl_method_losses_ref.py), run by Debian's python3-torch
// on the same inputs: values and gradients. Then their bad-input errors.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { normalize } from '../../lib/nn/functional';
import { parity, input, constant } from '../helpers/parity';
import {
  infoNceWithQueue, mocoV3Loss, barlowTwinsLoss, vicregLoss, vicregTerms, simsiamLoss, sinkhornKnopp, swavLoss,
  sphericalKMeans, deepClusterV2Loss,
} from '../../lib/ssl/losses';

const ref = (call: string): string => `__import__('ssl_method_losses_ref').${call}`;

parity('infoNceWithQueue (MoCo v2) and mocoV3Loss', [
  ...[0.2, 0.07].map((t) => ({
    name: `MoCo v2 B=8 D=16 queue 32, T=${t}: grads reach q only`,
    inputs: [input('q', [8, 16]), input('k', [8, 16]), constant('queue', [32, 16])],
    js: (q: Tensor, k: Tensor, queue: Tensor) => infoNceWithQueue(q, k, queue, { temperature: t }),
    py: ref(`moco_v2_loss(q, k, queue, ${t})`),
  })),
  {
    name: 'MoCo v2 default T (0.2), inputs far from unit norm, B=1',
    inputs: [input('q', [1, 8], { low: -9, high: 9 }), input('k', [1, 8], { low: 0, high: 4 }), constant('queue', [16, 8])],
    js: (q, k, queue) => infoNceWithQueue(q, k, queue),
    py: ref('moco_v2_loss(q, k, queue)'),
  },
  ...[1.0, 0.2].map((t) => ({
    name: `MoCo v3 symmetric B=8 D=16, T=${t}`,
    inputs: [input('q1', [8, 16]), input('q2', [8, 16]), input('k1', [8, 16]), input('k2', [8, 16])],
    js: (q1: Tensor, q2: Tensor, k1: Tensor, k2: Tensor) =>
      mocoV3Loss(q1, k2, { temperature: t }).add(mocoV3Loss(q2, k1, { temperature: t })),
    py: `${ref(`moco_v3_loss(q1, k2, ${t})`)} + ${ref(`moco_v3_loss(q2, k1, ${t})`)}`,
  })),
]);

parity('barlowTwinsLoss (cross-correlation of batch-normalised embeddings)', [
  {
    name: 'B=8 D=16, lambda 5e-3',
    inputs: [input('z1', [8, 16]), input('z2', [8, 16])],
    js: (z1, z2) => barlowTwinsLoss(z1, z2),
    py: ref('barlow_twins_loss(z1, z2)'),
  },
  {
    name: 'B=32 D=64, lambda 0.1, inputs far from standardised',
    inputs: [input('z1', [32, 64], { low: -5, high: 20 }), input('z2', [32, 64], { low: 0, high: 0.1 })],
    js: (z1, z2) => barlowTwinsLoss(z1, z2, { lambda: 0.1 }),
    py: ref('barlow_twins_loss(z1, z2, 0.1)'),
    rtol: 2e-4,
  },
  {
    name: 'B=2 D=4',
    inputs: [input('z1', [2, 4]), input('z2', [2, 4])],
    js: (z1, z2) => barlowTwinsLoss(z1, z2),
    py: ref('barlow_twins_loss(z1, z2)'),
  },
]);

parity('vicregLoss (25, 25, 1) and its terms', [
  {
    name: 'B=8 D=16: loss and the three terms',
    inputs: [input('x', [8, 16]), input('y', [8, 16])],
    js: (x, y) => {
      const t = vicregTerms(x, y);
      return [vicregLoss(x, y), t.invariance, t.variance, t.covariance];
    },
    py: `[${ref('vicreg_loss(x, y)')}, *${ref('vicreg_terms(x, y)')}]`,
  },
  {
    name: 'B=4 D=32 (D > B), large spread (variance hinge inactive on some dims), weights 10, 5, 2',
    inputs: [input('x', [4, 32], { low: -2, high: 2 }), input('y', [4, 32], { low: -0.2, high: 0.2 })],
    js: (x, y) => vicregLoss(x, y, { simCoeff: 10, stdCoeff: 5, covCoeff: 2 }),
    py: ref('vicreg_loss(x, y, 10.0, 5.0, 2.0)'),
  },
]);

parity('simsiamLoss (negative cosine, stop-gradient)', [
  {
    name: 'symmetrised, B=6 D=12: grads reach p1 and p2 only',
    inputs: [input('p1', [6, 12]), input('p2', [6, 12]), input('z1', [6, 12]), input('z2', [6, 12])],
    js: (p1, p2, z1, z2) => simsiamLoss(p1, z2).div(2).add(simsiamLoss(p2, z1).div(2)),
    py: ref('simsiam_loss(p1, p2, z1, z2)'),
  },
]);

/** SwAV on crop-major scores: codes of crops 0 and 1 (with the queue's scores in front when given), then the loss. */
function swav(scores: Tensor, nCrops: number, queue?: Tensor, options: { epsilon?: number; iterations?: number } = {}): Tensor[] {
  const b = scores.shape[0] / nCrops;
  const codes = [0, 1].map((i) => {
    const own = scores.narrow(0, i * b, b).detach();
    if (queue === undefined) return sinkhornKnopp(own, options);
    const q = queue.select(0, i);
    return sinkhornKnopp(torch.cat([q, own], 0), options).narrow(0, q.shape[0], b);
  });
  return [swavLoss(scores, codes), ...codes];
}

parity('sinkhornKnopp and swavLoss (SwAV)', [
  {
    name: 'Sinkhorn-Knopp B=8 K=20, epsilon 0.05, 3 iterations',
    inputs: [constant('s', [8, 20])],
    js: (s) => sinkhornKnopp(s),
    py: ref('sinkhorn(s)'),
  },
  {
    name: 'Sinkhorn-Knopp B=16 K=4, epsilon 0.1, 5 iterations',
    inputs: [constant('s', [16, 4])],
    js: (s) => sinkhornKnopp(s, { epsilon: 0.1, iterations: 5 }),
    py: ref('sinkhorn(s, 0.1, 5)'),
  },
  {
    name: 'swapped prediction, 2 crops of B=6, K=10: loss, codes, grads',
    inputs: [input('s', [12, 10])],
    js: (s) => swav(s, 2),
    py: ref('swav_loss(s, 2)'),
  },
  {
    name: 'multi-crop 2 + 4 crops of B=5, K=8',
    inputs: [input('s', [30, 8])],
    js: (s) => swav(s, 6),
    py: ref('swav_loss(s, 6)'),
  },
  {
    name: 'with a queue of 12 scores per assigned crop, 2 + 2 crops of B=4, K=16',
    inputs: [input('s', [16, 16]), constant('queue', [2, 12, 16])],
    js: (s, queue) => swav(s, 4, queue),
    py: ref('swav_loss(s, 4, queue=queue)'),
  },
]);

const int64 = (name: string, values: number[]) => constant(name, [values.length], { dtype: 'int64', values });

parity('sphericalKMeans and deepClusterV2Loss (DeepCluster v2)', [
  {
    name: 'k-means N=40 D=8 k=5, 10 iterations: centroids and assignments',
    inputs: [constant('x', [40, 8]), int64('init', [3, 17, 22, 5, 39])],
    js: (x, init) => {
      const r = sphericalKMeans(normalize(x, { dim: 1 }), 5, { init, iterations: 10 });
      return [r.centroids, r.assignments];
    },
    py: ref('kmeans(F.normalize(x, dim=1), init, 10)'),
  },
  {
    name: 'k-means with a duplicate initial row (an empty cluster keeps its centroid), 3 iterations',
    inputs: [constant('x', [30, 6]), int64('init', [4, 4, 11, 20])],
    js: (x, init) => {
      const r = sphericalKMeans(normalize(x, { dim: 1 }), 4, { init, iterations: 3 });
      return [r.centroids, r.assignments];
    },
    py: ref('kmeans(F.normalize(x, dim=1), init, 3)'),
  },
  {
    name: 'k-means with 0 iterations: the initial rows',
    inputs: [constant('x', [10, 4]), int64('init', [9, 0, 3])],
    js: (x, init) => {
      const r = sphericalKMeans(normalize(x, { dim: 1 }), 3, { init, iterations: 0 });
      return [r.centroids, r.assignments];
    },
    py: ref('kmeans(F.normalize(x, dim=1), init, 0)'),
  },
  {
    name: 'loss over 2 prototype sets (k 5 and 7), 2 crops of B=6, tau 0.1',
    inputs: [input('s1', [12, 5]), input('s2', [12, 7]), constant('t1', [6], { dtype: 'int64', low: 0, high: 5 }),
      constant('t2', [6], { dtype: 'int64', low: 0, high: 7 })],
    js: (s1, s2, t1, t2) => deepClusterV2Loss([s1, s2], [t1, t2]),
    py: ref('deepcluster_v2_loss([s1, s2], [t1, t2], 2)'),
  },
]);

describe('ssl method losses: behaviour and errors', () => {
  it('Sinkhorn codes: rows sum to 1 and every prototype gets B/K of the batch', () => {
    torch.scope(() => {
      torch.manualSeed(0);
      const q = sinkhornKnopp(normalize(torch.randn([64, 16]), { dim: 1 }).matmul(normalize(torch.randn([8, 16]), { dim: 1 }).t()),
        { iterations: 50 });
      const rows = Array.from(q.sum(1).toTypedArray() as Float32Array);
      const cols = Array.from(q.sum(0).toTypedArray() as Float32Array);
      rows.forEach((r) => assert.ok(Math.abs(r - 1) < 1e-4, `row sum ${r}`));
      cols.forEach((c) => assert.ok(Math.abs(c - 8) < 1e-2, `column sum ${c} (expected 64 / 8)`));
    });
  });

  it('Barlow Twins and VICReg are lower for identical views than for unrelated ones', () => {
    torch.scope(() => {
      torch.manualSeed(1);
      const z = torch.randn([64, 8]);
      const other = torch.randn([64, 8]);
      assert.ok((barlowTwinsLoss(z, z).item() as number) < (barlowTwinsLoss(z, other).item() as number));
      assert.ok((vicregLoss(z, z).item() as number) < (vicregLoss(z, other).item() as number));
      assert.equal(vicregTerms(z, z).invariance.item(), 0);
    });
  });

  it('rejects bad input with messages naming the value and the constraint', () => {
    const z = torch.randn([4, 8]);
    assert.throws(() => infoNceWithQueue(z, z, torch.randn([16, 7])),
      /Expected queue of shape \(K, 8\) \(normalised keys\) but received shape \[16, 7\]/);
    assert.throws(() => infoNceWithQueue(z, torch.randn([3, 8]), torch.randn([16, 8])),
      /Expected k of the shape of q \[4, 8\]/);
    assert.throws(() => mocoV3Loss(z, z, { temperature: 0 }), /Expected a positive number for options.temperature but received 0/);
    assert.throws(() => barlowTwinsLoss(torch.randn([1, 8]), torch.randn([1, 8])), /with B >= 2 \(the loss standardises over the batch\)/);
    assert.throws(() => barlowTwinsLoss(z, z, { lambda: -1 }), /Expected a number >= 0 for options.lambda but received -1|options.lambda/);
    assert.throws(() => vicregLoss(z, torch.randn([4, 9])), /Expected y of the shape of x \[4, 8\] but received shape \[4, 9\]/);
    assert.throws(() => simsiamLoss(torch.randn([8]), torch.randn([8])), /Expected p of shape \(B, D\)/);
    assert.throws(() => sinkhornKnopp(z, { epsilon: 0 }), /Expected a positive number for options.epsilon but received 0/);
    assert.throws(() => swavLoss(torch.randn([6, 8]), [torch.randn([4, 8])]), /Expected scores of shape \(nCrops \* 4, 8\) with nCrops >= 2/);
    assert.throws(() => sphericalKMeans(normalize(torch.randn([10, 4]), { dim: 1 }), 11),
      /k-means needs k <= the memory bank's size: k = 11 clusters but the bank holds 10 embeddings/);
    assert.throws(() => deepClusterV2Loss([z], []), /Expected as many targets as score sets/);
  });
});
