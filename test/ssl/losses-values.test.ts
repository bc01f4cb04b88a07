// The losses of lib/ssl/losses by value, without Python: each against the
// paper's formula written as plain loops over numbers (float64) on a tiny
// fixed input, at its default options and at other values of each option;
// which inputs receive gradient; the dtype rules (float64 stays float64,
// half precision computes in float32, autocast off for the products); and
// every refusal by its exact message.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { mulberry32 } from '../helpers/parity';
import { refuses } from '../helpers/refuses';
import { ntXent } from '../../lib/ssl/losses/nt-xent';
import { byolLoss } from '../../lib/ssl/losses/byol-loss';
import { simsiamLoss } from '../../lib/ssl/losses/simsiam-loss';
import { vicregLoss, vicregTerms } from '../../lib/ssl/losses/vicreg-loss';
import { barlowTwinsLoss, batchStandardize } from '../../lib/ssl/losses/barlow-twins-loss';
import { infoNceWithQueue, mocoV3Loss } from '../../lib/ssl/losses/moco-loss';
import { clipLoss } from '../../lib/ssl/losses/clip-loss';
import { mlmLoss, pairLoss } from '../../lib/ssl/losses/mlm-loss';
import { sinkhornKnopp, swavLoss } from '../../lib/ssl/losses/swav-loss';
import { deepClusterV2Loss, sphericalKMeans } from '../../lib/ssl/losses/deepcluster-v2';
import { DINOLoss } from '../../lib/ssl/losses/dino-loss';
import { maeLoss, patchify, unpatchify } from '../../lib/ssl/losses/mae-loss';
import { atLeastFloat32, withoutAutocast } from '../../lib/ssl/losses/precision';
import { gatherFromRanks, rankAndWorld, sumOverRanks } from '../../lib/ssl/losses/gather';
import { near, nearAll } from '../helpers/assert-close';

type M = number[][];

const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
const num = (t: Tensor): number => Number(t.item());
const rows = (t: Tensor): M => t.detach().to('float64').toArray() as M;

/** A (r, c) matrix of fixed values in [low, high). */
function mat(r: number, c: number, seed: number, low = -1, high = 1): M {
  const rng = mulberry32(seed);
  return Array.from({ length: r }, () => Array.from({ length: c }, () => Math.fround(low + (high - low) * rng())));
}
const t32 = (m: M, requiresGrad = false): Tensor => {
  const t = torch.tensor(m, { dtype: 'float32' });
  return requiresGrad ? t.requiresGrad_() : t;
};

const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i], 0);
const unit = (a: number[], eps = 1e-12): number[] => {
  const n = Math.max(Math.hypot(...a), eps);
  return a.map((v) => v / n);
};
const logSumExp = (xs: number[]): number => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, v) => s + Math.exp(v - m), 0));
};
const logSoftmax = (xs: number[]): number[] => {
  const l = logSumExp(xs);
  return xs.map((v) => v - l);
};
const softmax = (xs: number[]): number[] => logSoftmax(xs).map(Math.exp);
const meanOf = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const col = (m: M, j: number): number[] => m.map((r) => r[j]);
/** Cross-entropy of logits rows to target classes, averaged. */
const ce = (logits: M, targets: number[]): number => meanOf(logits.map((r, i) => -logSoftmax(r)[targets[i]]));

function ntXentRef(z1: M, z2: M, t: number): number {
  const z = [...z1, ...z2].map((r) => unit(r));
  const n = z1.length;
  const losses = z.map((a, i) => {
    const others = z.map((b, k) => (k === i ? -Infinity : dot(a, b) / t)).filter((v) => v !== -Infinity);
    return logSumExp(others) - dot(a, z[(i + n) % (2 * n)]) / t;
  });
  return meanOf(losses);
}

describe('ssl losses by value (formulas as loops, options, refusals)', function () {
  this.timeout(60000);

  it('ntXent: SimCLR\'s l(i, j) averaged over the 2N anchors; temperature 0.5 by default; N = 1 gives 0', () => {
    const a = mat(3, 4, 1);
    const b = mat(3, 4, 2);
    near(num(ntXent(t32(a), t32(b))), ntXentRef(a, b, 0.5), 'default 0.5');
    near(num(ntXent(t32(a), t32(b), { temperature: 0.2 })), ntXentRef(a, b, 0.2), 'temperature 0.2');
    near(num(ntXent(t32(a), t32(b), { temperature: 0.2, gatherDistributed: true })), ntXentRef(a, b, 0.2), 'one process: no gather');
    assert.equal(num(ntXent(t32([[1, 2]]), t32([[3, -1]]))), 0);
    const far = [[30, -4, 2, 9], [0.1, 0.2, -0.3, 0.05]];
    near(num(ntXent(t32(far), t32(b.slice(0, 2)))), ntXentRef(far, b.slice(0, 2), 0.5), 'rows far from unit norm');
    const d = ntXent(torch.tensor(a, { dtype: 'float64' }), torch.tensor(b, { dtype: 'float64' }));
    assert.equal(d.dtype, 'float64');
    near(num(d), ntXentRef(a, b, 0.5), 'float64', 1e-12);
    assert.equal(ntXent(t32(a).to('bfloat16'), t32(b).to('bfloat16')).dtype, 'float32');
    refuses(() => ntXent(t32([[1, 2, 3]]).view([3]), t32(b)), 'Expected z1 of shape (N, D) with N >= 1 but received shape [3]');
    refuses(() => ntXent(torch.zeros([0, 4]), torch.zeros([0, 4])), 'Expected z1 of shape (N, D) with N >= 1 but received shape [0, 4]');
    refuses(() => ntXent(torch.zeros([2, 0]), torch.zeros([2, 0])), 'Expected z1 of shape (N, D) with N >= 1 but received shape [2, 0]');
    refuses(() => ntXent(t32(a), t32(b.slice(0, 2))),
      'Expected z2 of the shape of z1 [3, 4] (row i of both are views of image i) but received shape [2, 4]');
    refuses(() => ntXent(5 as unknown as Tensor, t32(b)), 'Expected a Tensor for z1 but received 5');
    refuses(() => ntXent(t32(a), 'x' as unknown as Tensor), "Expected a Tensor for z2 but received 'x'");
    refuses(() => ntXent(t32(a), t32(b), { temperature: 0 }), 'Expected a positive number for options.temperature but received 0');
  });

  it('byolLoss: 2 - 2 cos(p, z) averaged, z detached; simsiamLoss: -cos(p, z) averaged, z detached', () => {
    const p = mat(3, 4, 3);
    const z = mat(3, 4, 4);
    const cos = p.map((r, i) => dot(unit(r), unit(z[i])));
    const P = t32(p, true);
    const Z = t32(z, true);
    const byol = byolLoss(P, Z);
    near(num(byol), meanOf(cos.map((c) => 2 - 2 * c)), 'byol');
    byol.backward();
    assert.equal(Z.grad, undefined, 'z receives no gradient');
    assert.ok(P.grad !== null);
    near(num(byolLoss(t32([[0, 0]]), t32([[1, 2]]))), 2, 'a zero row gives 2');
    const P2 = t32(p, true);
    const Z2 = t32(z, true);
    const sim = simsiamLoss(P2, Z2);
    near(num(sim), -meanOf(cos), 'simsiam');
    sim.backward();
    assert.equal(Z2.grad, undefined);
    assert.ok(P2.grad !== null);
    assert.equal(simsiamLoss(t32(p).to('float16'), t32(z).to('float16')).dtype, 'float32');
    assert.equal(byolLoss(torch.tensor(p, { dtype: 'float64' }), torch.tensor(z, { dtype: 'float64' })).dtype, 'float64');
    refuses(() => byolLoss(torch.zeros([0, 4]), torch.zeros([0, 4])), 'Expected p of shape (B, D) with B >= 1 but received shape [0, 4]');
    refuses(() => byolLoss(torch.zeros([4]), torch.zeros([4])), 'Expected p of shape (B, D) with B >= 1 but received shape [4]');
    refuses(() => simsiamLoss(t32(p), t32(z.slice(0, 2))), 'Expected z of the shape of p [3, 4] but received shape [2, 4]');
    refuses(() => byolLoss(null as unknown as Tensor, t32(z)), 'Expected a Tensor for p but received null');
    refuses(() => byolLoss(t32(p), null as unknown as Tensor), 'Expected a Tensor for z but received null');
  });

  it('vicregTerms and vicregLoss: invariance, variance hinge, covariance; coefficients 25, 25, 1 by default', () => {
    const x = mat(4, 3, 5, -2, 2);
    const y = mat(4, 3, 6, -0.3, 0.3); // small spread: the variance hinge is active
    const n = 4;
    const d = 3;
    const invariance = meanOf(x.flatMap((r, i) => r.map((v, j) => (v - y[i][j]) ** 2)));
    const centre = (m: M): M => {
      const mu = [0, 1, 2].map((j) => meanOf(col(m, j)));
      return m.map((r) => r.map((v, j) => v - mu[j]));
    };
    const hinge = (m: M): number => meanOf([0, 1, 2].map((j) => {
      const c = col(m, j);
      const mu = meanOf(c);
      const variance = c.reduce((s, v) => s + (v - mu) ** 2, 0) / (n - 1);
      return Math.max(0, 1 - Math.sqrt(variance + 1e-4));
    }));
    const offCov = (m: M): number => {
      const c = centre(m);
      let s = 0;
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) if (i !== j) s += (dot(col(c, i), col(c, j)) / (n - 1)) ** 2;
      return s / d;
    };
    const variance = hinge(x) / 2 + hinge(y) / 2;
    const covariance = offCov(x) + offCov(y);
    assert.ok(hinge(y) > 0.5 && hinge(x) < hinge(y));
    const t = vicregTerms(t32(x), t32(y));
    near(num(t.invariance), invariance, 'invariance');
    near(num(t.variance), variance, 'variance');
    near(num(t.covariance), covariance, 'covariance');
    near(num(vicregLoss(t32(x), t32(y))), 25 * invariance + 25 * variance + covariance, 'default coefficients');
    near(num(vicregLoss(t32(x), t32(y), { simCoeff: 2, stdCoeff: 3, covCoeff: 5 })), 2 * invariance + 3 * variance + 5 * covariance,
      'coefficients 2, 3, 5');
    refuses(() => vicregTerms(torch.zeros([1, 3]), torch.zeros([1, 3])),
      'Expected x of shape (B, D) with B >= 2 (variance over the batch) but received shape [1, 3]');
    refuses(() => vicregTerms(torch.zeros([6]), torch.zeros([6])),
      'Expected x of shape (B, D) with B >= 2 (variance over the batch) but received shape [6]');
    refuses(() => vicregTerms(t32(x), torch.zeros([4, 2])), 'Expected y of the shape of x [4, 3] but received shape [4, 2]');
    refuses(() => vicregTerms(t32(x), 1 as unknown as Tensor), 'Expected a Tensor for y but received 1');
    refuses(() => vicregTerms(1 as unknown as Tensor, t32(y)), 'Expected a Tensor for x but received 1');
  });

  it('barlowTwinsLoss: sum (1 - C_ii)^2 + lambda sum C_ij^2 of the batch-standardised cross-correlation; lambda 5e-3', () => {
    const a = mat(5, 3, 7, -1, 3);
    const b = mat(5, 3, 8);
    const n = 5;
    const standard = (m: M): M => {
      const cols = [0, 1, 2].map((j) => {
        const c = col(m, j);
        const mu = meanOf(c);
        const sd = Math.sqrt(c.reduce((s, v) => s + (v - mu) ** 2, 0) / n + 1e-5);
        return c.map((v) => (v - mu) / sd);
      });
      return m.map((_, i) => cols.map((c) => c[i]));
    };
    const sa = standard(a);
    const sb = standard(b);
    nearAll(values(batchStandardize(t32(a))), sa.flat(), 'batchStandardize');
    let on = 0;
    let off = 0;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const c = dot(col(sa, i), col(sb, j)) / n;
        if (i === j) on += (1 - c) ** 2;
        else off += c ** 2;
      }
    }
    near(num(barlowTwinsLoss(t32(a), t32(b))), on + 5e-3 * off, 'default lambda');
    near(num(barlowTwinsLoss(t32(a), t32(b), { lambda: 0.5 })), on + 0.5 * off, 'lambda 0.5');
    assert.equal(barlowTwinsLoss(t32(a).to('bfloat16'), t32(b).to('bfloat16')).dtype, 'float32');
    refuses(() => barlowTwinsLoss(torch.zeros([1, 3]), torch.zeros([1, 3])),
      'Expected z1 of shape (B, D) with B >= 2 (the loss standardises over the batch) but received shape [1, 3]');
    refuses(() => barlowTwinsLoss(torch.zeros([2, 3, 1]), torch.zeros([2, 3, 1])),
      'Expected z1 of shape (B, D) with B >= 2 (the loss standardises over the batch) but received shape [2, 3, 1]');
    refuses(() => barlowTwinsLoss(t32(a), t32(b.slice(0, 4))), 'Expected z2 of the shape of z1 [5, 3] but received shape [4, 3]');
    refuses(() => barlowTwinsLoss(t32(a), undefined as unknown as Tensor), 'Expected a Tensor for z2 but received undefined');
    refuses(() => barlowTwinsLoss(undefined as unknown as Tensor, t32(b)), 'Expected a Tensor for z1 but received undefined');
  });

  it('infoNceWithQueue: -log of the positive against the queue, column 0 positive, tau 0.2 by default; k gets no gradient', () => {
    const q = mat(3, 4, 9);
    const k = mat(3, 4, 10);
    const queue = mat(5, 4, 11).map((r) => unit(r));
    const ref = (t: number): number => meanOf(q.map((r, i) => {
      const qn = unit(r);
      const logits = [dot(qn, unit(k[i])), ...queue.map((e) => dot(qn, e))].map((v) => v / t);
      return logSumExp(logits) - logits[0];
    }));
    const K = t32(k, true);
    const loss = infoNceWithQueue(t32(q, true), K, t32(queue));
    near(num(loss), ref(0.2), 'default 0.2');
    loss.backward();
    assert.equal(K.grad, undefined);
    near(num(infoNceWithQueue(t32(q), t32(k), t32(queue), { temperature: 0.07 })), ref(0.07), 'temperature 0.07');
    assert.equal(infoNceWithQueue(torch.tensor(q, { dtype: 'float64' }), torch.tensor(k, { dtype: 'float64' }), t32(queue)).dtype,
      'float64', 'the float32 queue is read in the queries\' float64');
    refuses(() => infoNceWithQueue(t32(q), t32(k), torch.zeros([5, 3])),
      'Expected queue of shape (K, 4) (normalised keys) but received shape [5, 3]');
    refuses(() => infoNceWithQueue(t32(q), t32(k), torch.zeros([20])), 'Expected queue of shape (K, 4) (normalised keys) but received shape [20]');
    refuses(() => infoNceWithQueue(t32(q), t32(k), 'queue' as unknown as Tensor), "Expected a Tensor for queue but received 'queue'");
    refuses(() => infoNceWithQueue(torch.zeros([3, 0]), torch.zeros([3, 0]), t32(queue)),
      'Expected q of shape (B, D) with B >= 1 but received shape [3, 0]');
    refuses(() => infoNceWithQueue(torch.zeros([0, 4]), torch.zeros([0, 4]), t32(queue)),
      'Expected q of shape (B, D) with B >= 1 but received shape [0, 4]');
    refuses(() => infoNceWithQueue(torch.zeros([4]), torch.zeros([4]), t32(queue)), 'Expected q of shape (B, D) with B >= 1 but received shape [4]');
    refuses(() => mocoV3Loss(t32(q), t32(k.slice(0, 1))),
      'Expected k of the shape of q [3, 4] (row i of both are views of image i) but received shape [1, 4]');
    refuses(() => mocoV3Loss(0 as unknown as Tensor, t32(k)), 'Expected a Tensor for q but received 0');
    refuses(() => mocoV3Loss(t32(q), 0 as unknown as Tensor), 'Expected a Tensor for k but received 0');
  });

  it('mocoV3Loss: in-batch InfoNCE times 2 tau, tau 1 by default; k gets no gradient', () => {
    const q = mat(3, 4, 12);
    const k = mat(3, 4, 13);
    const ref = (t: number): number => 2 * t * meanOf(q.map((r, i) => {
      const logits = k.map((e) => dot(unit(r), unit(e)) / t);
      return logSumExp(logits) - logits[i];
    }));
    const K = t32(k, true);
    const loss = mocoV3Loss(t32(q, true), K);
    near(num(loss), ref(1), 'default 1');
    loss.backward();
    assert.equal(K.grad, undefined);
    near(num(mocoV3Loss(t32(q), t32(k), { temperature: 0.2 })), ref(0.2), 'temperature 0.2');
    near(num(mocoV3Loss(t32(q), t32(k), { temperature: 0.2, gatherDistributed: true })), ref(0.2), 'one process: no gather');
  });

  it('clipLoss: exp(logitScale) * cosines, cross-entropy both ways, averaged; refusal', () => {
    const img = mat(3, 4, 14);
    const txt = mat(3, 4, 15);
    const scale = Math.log(1 / 0.07);
    const logits = img.map((a) => txt.map((b) => Math.exp(scale) * dot(unit(a), unit(b))));
    const transposed = logits.map((_, i) => logits.map((r) => r[i]));
    const expected = (ce(logits, [0, 1, 2]) + ce(transposed, [0, 1, 2])) / 2;
    near(num(clipLoss(t32(img), t32(txt), torch.tensor(scale, { dtype: 'float32' }))), expected, 'clip');
    refuses(() => clipLoss(t32(img), t32(txt.slice(0, 2)), torch.tensor(1)),
      'Expected image and text embeddings of the same shape (B, D) but received [3, 4] and [2, 4]');
    refuses(() => clipLoss(torch.zeros([4]), torch.zeros([4]), torch.tensor(1)),
      'Expected image and text embeddings of the same shape (B, D) but received [4] and [4]');
  });

  it('mlmLoss: cross-entropy and accuracy over the chosen positions only; none chosen gives 0 with gradient; pairLoss', () => {
    const hidden = torch.tensor([mat(3, 2, 16), mat(3, 2, 17)], { dtype: 'float32' }).requiresGrad_(); // (2, 3, 2)
    const w = mat(4, 2, 18); // vocabulary 4
    const W = t32(w);
    const head = (h: Tensor): Tensor => h.matmul(W.t());
    const labels = torch.tensor([[-100, 2, -100], [1, -100, 3]], { dtype: 'int64' });
    const out = mlmLoss(hidden, labels, head);
    const hs = (hidden.detach().toArray() as number[][][]).flat();
    const chosen = [[1, 2], [3, 1], [5, 3]]; // flat position, label
    const logits = chosen.map(([p]) => w.map((r) => dot(r, hs[p])));
    near(num(out.loss), ce(logits, chosen.map(([, l]) => l)), 'loss');
    const right = chosen.filter(([, l], i) => logits[i].indexOf(Math.max(...logits[i])) === l).length;
    near(num(out.accuracy), right / 3, 'accuracy');
    assert.equal(out.count, 3);
    const none = mlmLoss(hidden, torch.full([2, 3], -100, { dtype: 'int64' }), head);
    assert.deepEqual([num(none.loss) + 0, num(none.accuracy), none.count], [0, 0, 0]);
    assert.equal(none.loss.requiresGrad, true);
    refuses(() => mlmLoss(hidden, labels.to('int32'), head), 'Expected int64 labels of shape [2, 3] but received int32 [2, 3]');
    refuses(() => mlmLoss(hidden, torch.zeros([2, 2], { dtype: 'int64' }), head),
      'Expected int64 labels of shape [2, 3] but received int64 [2, 2]');
    const pl = [[0.5, -1], [2, 3], [0.1, 0.2]];
    const pair = pairLoss(t32(pl), torch.tensor([0, 0, 1], { dtype: 'int64' }));
    near(num(pair.loss), ce(pl, [0, 0, 1]), 'pair loss');
    near(num(pair.accuracy), 2 / 3, 'pair accuracy');
    refuses(() => pairLoss(torch.zeros([3, 3]), torch.zeros([3], { dtype: 'int64' })),
      'Expected pair logits (B, 2) and labels (B) but received [3, 3] and [3]');
    refuses(() => pairLoss(torch.zeros([6]), torch.zeros([3], { dtype: 'int64' })),
      'Expected pair logits (B, 2) and labels (B) but received [6] and [3]');
    refuses(() => pairLoss(torch.zeros([3, 2]), torch.zeros([2], { dtype: 'int64' })),
      'Expected pair logits (B, 2) and labels (B) but received [3, 2] and [2]');
  });

  /** SwAV's Sinkhorn-Knopp written out (appendix A.1). */
  function sinkhornRef(s: M, eps: number, iterations: number): M {
    const B = s.length;
    const K = s[0].length;
    let q = Array.from({ length: K }, (_, k) => s.map((r) => Math.exp(r[k] / eps))); // (K, B)
    const total = q.flat().reduce((a, b) => a + b, 0);
    q = q.map((r) => r.map((v) => v / total));
    for (let i = 0; i < iterations; i++) {
      q = q.map((r) => {
        const rs = r.reduce((a, b) => a + b, 0);
        return r.map((v) => v / rs / K);
      });
      const cs = Array.from({ length: B }, (_, b) => q.reduce((a, r) => a + r[b], 0));
      q = q.map((r) => r.map((v, b) => v / cs[b] / B));
    }
    return Array.from({ length: B }, (_, b) => q.map((r) => r[b] * B));
  }

  it('sinkhornKnopp: equipartition by alternate normalisations; epsilon 0.05 and 3 iterations by default', () => {
    const s = mat(4, 3, 19, -0.5, 0.5);
    nearAll(values(sinkhornKnopp(t32(s))), sinkhornRef(s, 0.05, 3).flat(), 'defaults', 1e-4);
    nearAll(values(sinkhornKnopp(t32(s), { epsilon: 0.5, iterations: 1 })), sinkhornRef(s, 0.5, 1).flat(), 'epsilon 0.5, 1 iteration', 1e-4);
    nearAll(values(sinkhornKnopp(t32(s), { epsilon: 0.5, iterations: 0 })), sinkhornRef(s, 0.5, 0).flat(), '0 iterations', 1e-4);
    nearAll(values(sinkhornKnopp(t32(s), { epsilon: 0.3, iterations: 5, gatherDistributed: true })), sinkhornRef(s, 0.3, 5).flat(),
      'one process: no gather', 1e-4);
    const g = sinkhornKnopp(t32(s, true));
    assert.equal(g.requiresGrad, false);
    assert.equal(sinkhornKnopp(torch.tensor(s, { dtype: 'float64' })).dtype, 'float64');
    refuses(() => sinkhornKnopp(torch.zeros([4])), 'Expected scores of shape (B, K) but received shape [4]');
    refuses(() => sinkhornKnopp(torch.zeros([0, 3])), 'Expected scores of shape (B, K) but received shape [0, 3]');
    refuses(() => sinkhornKnopp(torch.zeros([3, 0])), 'Expected scores of shape (B, K) but received shape [3, 0]');
    refuses(() => sinkhornKnopp(3 as unknown as Tensor), 'Expected a Tensor for scores but received 3');
  });

  it('swavLoss: each code against the other crops\' log-softmax(s / tau), averaged; tau 0.1 by default', () => {
    const B = 2;
    const K = 3;
    const s = mat(3 * B, K, 20); // 3 crops
    const c0 = sinkhornRef(mat(B, K, 21), 0.05, 3);
    const c1 = sinkhornRef(mat(B, K, 22), 0.05, 3);
    const ref = (codes: M[], t: number): number => {
      const logP = [0, 1, 2].map((v) => s.slice(v * B, v * B + B).map((r) => logSoftmax(r.map((x) => x / t))));
      return meanOf(codes.map((c, i) => meanOf([0, 1, 2].filter((v) => v !== i).map((v) =>
        -meanOf(c.map((row, b) => dot(row, logP[v][b])))))));
    };
    near(num(swavLoss(t32(s), [t32(c0), t32(c1)])), ref([c0, c1], 0.1), 'two codes, default tau');
    near(num(swavLoss(t32(s), [t32(c0)], { temperature: 0.5 })), ref([c0], 0.5), 'one code, tau 0.5');
    const C = t32(c0, true);
    const S = t32(s, true);
    swavLoss(S, [C]).backward();
    assert.equal(C.grad, undefined);
    refuses(() => swavLoss(t32(s), []), 'Expected a non-empty array of codes (B, K) for swavLoss but received ');
    refuses(() => swavLoss(t32(s), t32(c0) as unknown as Tensor[]), 'Expected a non-empty array of codes (B, K) for swavLoss but received ' +
      String(t32(c0)));
    refuses(() => swavLoss(t32(s), [t32(c0), 1 as unknown as Tensor]), 'Expected a Tensor for codes[1] but received 1');
    refuses(() => swavLoss(t32(s.slice(0, 2)), [t32(c0)]),
      'Expected scores of shape (nCrops * 2, 3) with nCrops >= 2 (codes[0] is [2, 3]) but received shape [2, 3]');
    refuses(() => swavLoss(t32(mat(5, 3, 1)), [t32(c0)]),
      'Expected scores of shape (nCrops * 2, 3) with nCrops >= 2 (codes[0] is [2, 3]) but received shape [5, 3]');
    refuses(() => swavLoss(t32(mat(6, 4, 1)), [t32(c0)]),
      'Expected scores of shape (nCrops * 2, 3) with nCrops >= 2 (codes[0] is [2, 3]) but received shape [6, 4]');
    refuses(() => swavLoss(t32(s).view([3, 2, 3]), [t32(c0)]),
      'Expected scores of shape (nCrops * 2, 3) with nCrops >= 2 (codes[0] is [2, 3]) but received shape [3, 2, 3]');
    refuses(() => swavLoss(t32(s), [t32(c0), t32(c0), t32(c0), t32(c0)]),
      'Expected at most 3 codes, each of shape [2, 3], but received [2, 3], [2, 3], [2, 3], [2, 3]');
    refuses(() => swavLoss(t32(s), [t32(c0), torch.zeros([2, 4])]),
      'Expected at most 3 codes, each of shape [2, 3], but received [2, 3], [2, 4]');
    refuses(() => swavLoss(t32(s), [t32(c0), torch.zeros([1, 3])]),
      'Expected at most 3 codes, each of shape [2, 3], but received [2, 3], [1, 3]');
    refuses(() => swavLoss(t32(s), [t32(c0), torch.zeros([6])]),
      'Expected at most 3 codes, each of shape [2, 3], but received [2, 3], [6]');
    refuses(() => swavLoss(1 as unknown as Tensor, [t32(c0)]), 'Expected a Tensor for scores but received 1');
  });

  it('sphericalKMeans: Lloyd iterations on the sphere from the given rows, centroids or a seeded permutation; 10 by default', () => {
    const x = mat(7, 3, 23).map((r) => unit(r));
    const X = t32(x);
    const init = [0, 3, 5];
    const start = init.map((i) => x[i]);
    for (const it of [0, 1, 10]) {
      const got = sphericalKMeans(X, 3, { iterations: it, init: torch.tensor(init, { dtype: 'int64' }) });
      const ref = kmeansRef(x, start, it);
      nearAll(values(got.centroids), ref.centroids.flat(), `centroids after ${it}`);
      assert.deepEqual(values(got.assignments), ref.assignments, `assignments after ${it}`);
      assert.equal(got.assignments.dtype, 'int64');
    }
    const def = sphericalKMeans(X, 3, { init: torch.tensor(init, { dtype: 'int64' }) });
    nearAll(values(def.centroids), kmeansRef(x, start, 10).centroids.flat(), 'default 10 iterations');
    // An empty cluster keeps its (normalised) centroid: a centroid no row is nearest to.
    const far = [[-1, 0, 0], [0.6, 0.8, 0], [0, 0.6, 0.8]];
    const pos = [[1, 0.1, 0], [0.9, 0.3, 0], [0.2, 0.9, 0.3], [0.1, 0.5, 0.9]].map((r) => unit(r));
    const e = sphericalKMeans(t32(pos), 3, { iterations: 2, centroids: t32(far) });
    const eref = kmeansRef(pos, far, 2);
    assert.ok(!eref.assignments.includes(0), 'cluster 0 is empty');
    nearAll(values(e.centroids), eref.centroids.flat(), 'with an empty cluster');
    // The default start: the first k of a permutation drawn from the generator.
    const perm = values(torch.randperm(7, { generator: new torch.Generator().manualSeed(5) })).slice(0, 3);
    const seeded = sphericalKMeans(X, 3, { iterations: 1, generator: new torch.Generator().manualSeed(5) });
    nearAll(values(seeded.centroids), kmeansRef(x, perm.map((i) => x[i]), 1).centroids.flat(), 'seeded start');
    const grad = sphericalKMeans(t32(x, true), 2, { iterations: 1, init: torch.tensor([0, 1], { dtype: 'int64' }) });
    assert.equal(grad.centroids.requiresGrad, false);
    assert.equal(sphericalKMeans(X, 2, { init: torch.tensor([1, 2], { dtype: 'int32' }), iterations: 0 }).centroids.dtype, 'float32');
    nearAll(values(sphericalKMeans(X, 7, { iterations: 0, gatherDistributed: true, init: torch.arange(7) }).centroids), x.flat(),
      'k = N, one process');
    refuses(() => sphericalKMeans(X, 8), 'k-means needs k <= the memory bank\'s size: k = 8 clusters but the bank holds 7 ' +
      'embeddings; lower k or enlarge the bank');
    refuses(() => sphericalKMeans(X, 0), 'Expected positive integer for k but received 0');
    refuses(() => sphericalKMeans(torch.zeros([7]), 2), 'Expected bank of shape (N, D) but received shape [7]');
    refuses(() => sphericalKMeans([] as unknown as Tensor, 2), 'Expected a Tensor for bank but received []');
    refuses(() => sphericalKMeans(X, 2, { centroids: torch.zeros([3, 3]) }), 'Expected options.centroids of shape [2, 3] but received shape [3, 3]');
    refuses(() => sphericalKMeans(X, 2, { centroids: torch.zeros([2, 4]) }), 'Expected options.centroids of shape [2, 3] but received shape [2, 4]');
    refuses(() => sphericalKMeans(X, 2, { centroids: torch.zeros([6]) }), 'Expected options.centroids of shape [2, 3] but received shape [6]');
    refuses(() => sphericalKMeans(X, 2, { centroids: 1 as unknown as Tensor }), 'Expected a Tensor for options.centroids but received 1');
    refuses(() => sphericalKMeans(X, 2, { init: torch.tensor([1, 2, 3], { dtype: 'int64' }) }),
      'Expected options.init of shape [2] (bank rows) but received shape [3]');
    refuses(() => sphericalKMeans(X, 2, { init: torch.tensor([[1, 2]], { dtype: 'int64' }) }),
      'Expected options.init of shape [2] (bank rows) but received shape [1, 2]');
    refuses(() => sphericalKMeans(X, 2, { iterations: -1 }), 'Expected non-negative integer for options.iterations but received -1');
  });

  it('deepClusterV2Loss: cross-entropy of every crop\'s scores / tau to its image\'s cluster, averaged over the sets; tau 0.1', () => {
    const s1 = mat(4, 3, 24); // 2 crops of B = 2
    const s2 = mat(4, 2, 25);
    const t1 = [2, 0];
    const t2 = [1, 1];
    const term = (s: M, t: number[], tau: number): number => ce(s.map((r) => r.map((v) => v / tau)), [...t, ...t]);
    const T1 = torch.tensor(t1, { dtype: 'int64' });
    const T2 = torch.tensor(t2, { dtype: 'int32' });
    near(num(deepClusterV2Loss([t32(s1), t32(s2)], [T1, T2])), (term(s1, t1, 0.1) + term(s2, t2, 0.1)) / 2, 'default tau');
    near(num(deepClusterV2Loss([t32(s1)], [T1], { temperature: 0.5 })), term(s1, t1, 0.5), 'tau 0.5');
    refuses(() => deepClusterV2Loss([t32(s1)], [T1, T2]), 'Expected as many targets as score sets (at least one) but received 1 score set(s) ' +
      'and 2 target set(s)');
    refuses(() => deepClusterV2Loss([], []), 'Expected as many targets as score sets (at least one) but received 0 score set(s) and 0 target set(s)');
    refuses(() => deepClusterV2Loss(t32(s1) as unknown as Tensor[], [T1]),
      'Expected as many targets as score sets (at least one) but received undefined score set(s) and 1 target set(s)');
    refuses(() => deepClusterV2Loss([t32(s1)], T1 as unknown as Tensor[]),
      'Expected as many targets as score sets (at least one) but received 1 score set(s) and undefined target set(s)');
    refuses(() => deepClusterV2Loss([t32(s1)], [torch.tensor([[1, 2]], { dtype: 'int64' })]),
      'Expected scores[0] of shape (nCrops * 1, k) for targets[0] of shape [1, 2] but received shape [4, 3]');
    refuses(() => deepClusterV2Loss([t32(s1)], [torch.tensor([1, 2, 0], { dtype: 'int64' })]),
      'Expected scores[0] of shape (nCrops * 3, k) for targets[0] of shape [3] but received shape [4, 3]');
    refuses(() => deepClusterV2Loss([t32(s1).view([12])], [T1]),
      'Expected scores[0] of shape (nCrops * 2, k) for targets[0] of shape [2] but received shape [12]');
    refuses(() => deepClusterV2Loss([1 as unknown as Tensor], [T1]), 'Expected a Tensor for scores[0] but received 1');
    refuses(() => deepClusterV2Loss([t32(s1)], [1 as unknown as Tensor]), 'Expected a Tensor for targets[0] but received 1');
  });

  it('DINOLoss: every (teacher global, other student crop) pair, the centre after the loss; the temperature schedule', () => {
    const B = 2;
    const K = 3;
    const s = mat(4 * B, K, 26, -2, 2); // 2 global + 2 local crops
    const t = mat(2 * B, K, 27, -2, 2);
    const o = { outDim: K, epochs: 5, studentTemp: 0.2, centerMomentum: 0.6, warmupTeacherTemp: 0.04, teacherTemp: 0.07,
      warmupTeacherTempEpochs: 3 };
    const loss = new DINOLoss(o);
    nearAll([0, 1, 2, 3, 4, 9].map((e) => loss.teacherTempAt(e)), [0.04, 0.055, 0.07, 0.07, 0.07, 0.07], 'schedule', 1e-12);
    const ref = (center: number[], temp: number, tauS: number, crops: number): number => {
      const logS = Array.from({ length: crops }, (_, v) => s.slice(v * B, v * B + B).map((r) => logSoftmax(r.map((x) => x / tauS))));
      const q = [0, 1].map((i) => t.slice(i * B, i * B + B).map((r) => softmax(r.map((x, k) => (x - center[k]) / temp))));
      let sum = 0;
      for (let iq = 0; iq < 2; iq++) {
        for (let v = 0; v < crops; v++) {
          if (v === iq) continue;
          for (let b = 0; b < B; b++) sum += dot(q[iq][b], logS[v][b]);
        }
      }
      return -sum / (B * (2 * crops - 2));
    };
    const mean = [0, 1, 2].map((k) => meanOf(col(t, k)));
    near(num(loss.forward(t32(s), t32(t), 1)), ref([0, 0, 0], 0.055, 0.2, 4), 'step 1 at epoch 1');
    const c1 = mean.map((m) => 0.4 * m);
    nearAll(values(loss.center), c1, 'centre after one step');
    near(num(loss.forward(t32(s), t32(t), 3, torch.tensor(0.5, { dtype: 'float32' }))), ref(c1, 0.5, 0.2, 4),
      'step 2: the previous centre, the temperature tensor');
    nearAll(values(loss.center), c1.map((c, k) => 0.6 * c + 0.4 * mean[k]), 'centre after two steps');
    // Defaults: student 0.1, teacher 0.04 from epoch 0, centre momentum 0.9, two crops.
    const d = new DINOLoss({ outDim: K, epochs: 2 });
    assert.deepEqual([d.teacherTempAt(0), d.teacherTempAt(1), d.studentTemp, d.centerMomentum], [0.04, 0.04, 0.1, 0.9]);
    near(num(d.forward(t32(s.slice(0, 2 * B)), t32(t), 0)), ref([0, 0, 0], 0.04, 0.1, 2), 'defaults, two crops');
    nearAll(values(d.center), mean.map((m) => 0.1 * m), 'default momentum 0.9');
    assert.deepEqual(new DINOLoss({ outDim: K, epochs: 3, warmupTeacherTemp: 0.01, teacherTemp: 0.05, warmupTeacherTempEpochs: 1 })
      .teacherTempAt(0), 0.01);
    nearAll([0, 1, 2].map((e) => new DINOLoss({ outDim: K, epochs: 3, warmupTeacherTempEpochs: 3, warmupTeacherTemp: 0.02,
      teacherTemp: 0.06 }).teacherTempAt(e)), [0.02, 0.04, 0.06], 'warm-up over every epoch', 1e-12);
    const S = t32(s, true);
    const T = t32(t, true);
    new DINOLoss(o).forward(S, T, 0).backward();
    assert.equal(T.grad, undefined);
    assert.ok(S.grad !== null);
    assert.deepEqual([...new DINOLoss(o).stateDict().keys()], ['center']);
    refuses(() => new DINOLoss({ ...o, warmupTeacherTempEpochs: 6 }), 'Expected warmupTeacherTempEpochs <= epochs (5) but received 6');
    refuses(() => loss.teacherTempAt(-1), 'Expected non-negative integer for epoch but received -1');
    refuses(() => loss.forward(t32(s), t32(t.slice(0, 3)), 0),
      'Expected teacherOutput of shape (2 * B, 3) (the 2 global crops) but received shape [3, 3]');
    refuses(() => loss.forward(t32(s), torch.zeros([4, 2]), 0),
      'Expected teacherOutput of shape (2 * B, 3) (the 2 global crops) but received shape [4, 2]');
    refuses(() => loss.forward(t32(s), torch.zeros([12]), 0),
      'Expected teacherOutput of shape (2 * B, 3) (the 2 global crops) but received shape [12]');
    refuses(() => loss.forward(t32(s), torch.zeros([0, 3]), 0),
      'Expected teacherOutput of shape (2 * B, 3) (the 2 global crops) but received shape [0, 3]');
    refuses(() => loss.forward(t32(s.slice(0, 2)), t32(t), 0),
      'Expected studentOutput of shape (nCrops * 2, 3) with nCrops >= 2 (teacherOutput has B = 2) but received shape [2, 3]');
    refuses(() => loss.forward(t32(s.slice(0, 5)), t32(t), 0),
      'Expected studentOutput of shape (nCrops * 2, 3) with nCrops >= 2 (teacherOutput has B = 2) but received shape [5, 3]');
    refuses(() => loss.forward(torch.zeros([8, 2]), t32(t), 0),
      'Expected studentOutput of shape (nCrops * 2, 3) with nCrops >= 2 (teacherOutput has B = 2) but received shape [8, 2]');
    refuses(() => loss.forward(torch.zeros([24]), t32(t), 0),
      'Expected studentOutput of shape (nCrops * 2, 3) with nCrops >= 2 (teacherOutput has B = 2) but received shape [24]');
    const fixed = new DINOLoss({ ...o, nCrops: 3 });
    assert.equal(fixed.nCrops, 3);
    refuses(() => fixed.forward(t32(s), t32(t), 0),
      'Expected studentOutput with nCrops = 3 crops of B = 2 rows (6 rows) but received shape [8, 3]');
    near(num(fixed.forward(t32(s.slice(0, 6)), t32(t), 0)), ref([0, 0, 0], 0.04, 0.2, 3), 'nCrops 3');
    refuses(() => loss.forward(1 as unknown as Tensor, t32(t), 0), 'Expected a Tensor for studentOutput but received 1');
    refuses(() => loss.forward(t32(s), 1 as unknown as Tensor, 0), 'Expected a Tensor for teacherOutput but received 1');
    refuses(() => new DINOLoss({ epochs: 1 } as never), 'Expected positive integer for outDim but received undefined');
  });

  it('patchify and unpatchify: (p, p, C) per patch, row-major over the grid; gridSize and the refusals', () => {
    const [B, C, H, W, p] = [2, 2, 4, 6, 2];
    const img = torch.arange(B * C * H * W, { dtype: 'float32' }).view([B, C, H, W]);
    const x = img.toArray() as number[][][][];
    const expected: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < H / p; i++) {
        for (let j = 0; j < W / p; j++) {
          for (let u = 0; u < p; u++) for (let v = 0; v < p; v++) for (let c = 0; c < C; c++) expected.push(x[b][c][i * p + u][j * p + v]);
        }
      }
    }
    const patches = patchify(img, p);
    assert.deepEqual(patches.shape, [2, 6, 8]);
    assert.deepEqual(values(patches), expected);
    assert.deepEqual(values(unpatchify(patches, p, C, [2, 3])), values(img));
    const square = patchify(img.narrow(3, 0, 4), 2); // (2, 4, 8)
    assert.deepEqual(values(unpatchify(square, 2, 2)), values(img.narrow(3, 0, 4)));
    refuses(() => patchify(torch.zeros([1, 1, 5, 4]), 2),
      'Expected imgs of shape (B, C, H, W) with H and W multiples of patchSize 2 but received shape [1, 1, 5, 4]');
    refuses(() => patchify(torch.zeros([1, 1, 4, 5]), 2),
      'Expected imgs of shape (B, C, H, W) with H and W multiples of patchSize 2 but received shape [1, 1, 4, 5]');
    refuses(() => patchify(torch.zeros([1, 4, 4]), 2),
      'Expected imgs of shape (B, C, H, W) with H and W multiples of patchSize 2 but received shape [1, 4, 4]');
    refuses(() => patchify(torch.zeros([1, 1, 4, 4]), 0), 'Expected positive integer for patchSize but received 0');
    refuses(() => patchify('img' as unknown as Tensor, 2), "Expected a Tensor for imgs but received 'img'");
    refuses(() => unpatchify(patches, 2, 2), 'Expected a square number of patches L for unpatchify without gridSize but received shape [2, 6, 8]');
    refuses(() => unpatchify(patches, 2, 2, [2, 2]), 'Expected gridSize [2, 2] to hold L = 6 patches but it holds 4');
    refuses(() => unpatchify(patches, 2, 3), 'Expected x of shape (B, L, 12) (patchSize 2, 3 channels) but received shape [2, 6, 8]');
    refuses(() => unpatchify(patches.view([12, 8]), 2, 2), 'Expected x of shape (B, L, 8) (patchSize 2, 2 channels) but received shape [12, 8]');
    refuses(() => unpatchify(patches, 0, 2), 'Expected positive integer for patchSize but received 0');
    refuses(() => unpatchify(patches, 2, 0), 'Expected positive integer for channels but received 0');
    refuses(() => unpatchify(patches, 2, 2, [0, 3]), 'Expected positive integer for gridSize[0] but received 0');
    refuses(() => unpatchify(patches, 2, 2, [2, 1.5]), 'Expected positive integer for gridSize[1] but received 1.5');
    refuses(() => unpatchify(null as unknown as Tensor, 2, 2), 'Expected a Tensor for x but received null');
  });

  it('maeLoss: per-patch mean squared error over the removed patches; normalised targets (unbiased var, eps 1e-6) by default', () => {
    const img = torch.tensor(mat(2, 16, 28, 0, 4), { dtype: 'float32' }).view([2, 1, 4, 4]); // 4 patches of 2x2
    const pred = torch.tensor(mat(2, 16, 29), { dtype: 'float32' }).view([2, 4, 4]);
    const maskRows = [[1, 0, 1, 0], [0, 0, 1, 1]];
    const target = rows(patchify(img, 2).view([8, 4]));
    const predRows = rows(pred.view([8, 4]));
    const ref = (norm: boolean, weights: number[]): number => {
      let num_ = 0;
      let den = 0;
      target.forEach((tr, r) => {
        const mu = meanOf(tr);
        const variance = tr.reduce((s, v) => s + (v - mu) ** 2, 0) / (tr.length - 1);
        const tt = norm ? tr.map((v) => (v - mu) / Math.sqrt(variance + 1e-6)) : tr;
        num_ += weights[r] * meanOf(tt.map((v, i) => (predRows[r][i] - v) ** 2));
        den += weights[r];
      });
      return num_ / den;
    };
    const mask = torch.tensor(maskRows, { dtype: 'float32' });
    near(num(maeLoss(img, pred, mask, { patchSize: 2 })), ref(true, maskRows.flat()), 'normalised (default)');
    near(num(maeLoss(img, pred, mask, { patchSize: 2, normPixLoss: false })), ref(false, maskRows.flat()), 'raw pixels');
    near(num(maeLoss(img, pred, mask.to('bool'), { patchSize: 2 })), ref(true, maskRows.flat()), 'bool mask');
    const soft = [[0.5, 0, 1, 0.25], [0, 0.1, 1, 1]];
    near(num(maeLoss(img, pred, torch.tensor(soft, { dtype: 'float64' }), { patchSize: 2, normPixLoss: false })), ref(false, soft.flat()),
      'weights');
    assert.equal(maeLoss(img.to('float64'), pred.to('float64'), mask, { patchSize: 2 }).dtype, 'float64');
    assert.equal(maeLoss(img, pred.to('bfloat16'), mask.to('bfloat16'), { patchSize: 2 }).dtype, 'float32');
    refuses(() => maeLoss(img, pred.narrow(1, 0, 3), mask, { patchSize: 2 }),
      'Expected pred of shape [2, 4, 4] (the patchified imgs with patchSize 2) but received shape [2, 3, 4]');
    refuses(() => maeLoss(img, pred.view([2, 16]), mask, { patchSize: 2 }),
      'Expected pred of shape [2, 4, 4] (the patchified imgs with patchSize 2) but received shape [2, 16]');
    refuses(() => maeLoss(img, pred, mask.view([8]), { patchSize: 2 }), 'Expected mask of shape [2, 4] (B, L) but received shape [8]');
    refuses(() => maeLoss(img, pred, mask.narrow(0, 0, 1), { patchSize: 2 }), 'Expected mask of shape [2, 4] (B, L) but received shape [1, 4]');
    refuses(() => maeLoss(img, pred, mask.narrow(1, 0, 3), { patchSize: 2 }), 'Expected mask of shape [2, 4] (B, L) but received shape [2, 3]');
    refuses(() => maeLoss(img, 1 as unknown as Tensor, mask, { patchSize: 2 }), 'Expected a Tensor for pred but received 1');
    refuses(() => maeLoss(img, pred, 1 as unknown as Tensor, { patchSize: 2 }), 'Expected a Tensor for mask but received 1');
    refuses(() => maeLoss(img, pred, mask, { patchSize: 2, normPixLoss: 1 as unknown as boolean }),
      'Expected true or false for options.normPixLoss but received 1');
  });

  it('precision: half precision computes in float32, float64 stays; products under autocast run in float32', () => {
    const x = t32([[1.5, 2]]);
    assert.equal(atLeastFloat32(x), x);
    const d = x.to('float64');
    assert.equal(atLeastFloat32(d), d);
    assert.equal(atLeastFloat32(x.to('bfloat16')).dtype, 'float32');
    assert.equal(atLeastFloat32(x.to('float16')).dtype, 'float32');
    const a = t32(mat(3, 3, 30));
    const dtypes = torch.autocast('cpu', 'bfloat16', () => [a.matmul(a).dtype, withoutAutocast(a, () => a.matmul(a)).dtype]);
    assert.deepEqual(dtypes, ['bfloat16', 'float32']);
    assert.equal(withoutAutocast(a, () => 7), 7);
  });

  it('gather: one process is rank 0 of 1, nothing gathered (make not called), sums unchanged', () => {
    assert.deepEqual(rankAndWorld(), { rank: 0, world: 1 });
    let called = false;
    assert.equal(gatherFromRanks(() => {
      called = true;
      return torch.zeros([1]);
    }), undefined);
    assert.equal(called, false);
    const t = t32([[1, 2]]);
    assert.equal(sumOverRanks(t), t);
  });
  it('the boundaries each check lets through, the option names in value refusals, and higher-rank inputs refused', () => {
    // The smallest accepted inputs.
    near(num(ntXent(t32([[1], [2]]), t32([[3], [-1]]))), ntXentRef([[1], [2]], [[3], [-1]], 0.5), 'D = 1');
    const one = mat(1, 1, 31);
    near(num(infoNceWithQueue(t32(one), t32(mat(1, 1, 32)), t32([[1], [-1]]))), (() => {
      const qn = unit(one[0]);
      const logits = [dot(qn, unit(mat(1, 1, 32)[0])), qn[0], -qn[0]].map((v) => v / 0.2);
      return logSumExp(logits) - logits[0];
    })(), 'B = 1, D = 1');
    near(num(mocoV3Loss(t32(one), t32(mat(1, 1, 32)))), 0, 'one pair: log 1 = 0');
    const two = mat(2, 3, 33);
    const two2 = mat(2, 3, 34);
    assert.ok(Number.isFinite(num(barlowTwinsLoss(t32(two), t32(two2)))), 'B = 2');
    assert.ok(Number.isFinite(num(vicregTerms(t32(two), t32(two2)).covariance)), 'B = 2');
    nearAll(values(sinkhornKnopp(t32([[0.3]]))), [1], 'B = 1, K = 1');
    const s2 = mat(4, 3, 35);
    const s36 = mat(2, 3, 36);
    const c = [sinkhornRef(s36, 0.05, 3), sinkhornRef(s36.map((r) => r.map((v) => -v)), 0.05, 3)];
    near(num(swavLoss(t32(s2), [t32(c[0]), t32(c[1])])), (() => {
      const logP = [0, 1].map((v) => s2.slice(v * 2, v * 2 + 2).map((r) => logSoftmax(r.map((x) => x / 0.1))));
      return meanOf([0, 1].map((i) => -meanOf(c[i].map((row, b) => dot(row, logP[1 - i][b])))));
    })(), 'two crops, two codes');
    const d = new DINOLoss({ outDim: 3, epochs: 1 });
    assert.ok(Number.isFinite(num(d.forward(t32(mat(2, 3, 37)), t32(mat(2, 3, 38)), 0))), 'B = 1');
    // The last epoch of a warm-up is teacherTemp itself (linspace's last value, not start + (n - 1) * step).
    assert.equal(new DINOLoss({ outDim: 3, epochs: 4, warmupTeacherTemp: 0.01, teacherTemp: 0.07, warmupTeacherTempEpochs: 4 }).teacherTempAt(3), 0.07);
    // Option names in the refusals of bad values.
    refuses(() => barlowTwinsLoss(t32(two), t32(two2), { lambda: -1 }), 'Expected a non-negative number for options.lambda but received -1');
    refuses(() => vicregLoss(t32(two), t32(two2), { covCoeff: -1 }), 'Expected a non-negative number for options.covCoeff but received -1');
    refuses(() => infoNceWithQueue(t32(one), t32(one), t32([[1]]), { temperature: 0 }), 'Expected a positive number for options.temperature but received 0');
    refuses(() => mocoV3Loss(t32(one), t32(one), { temperature: -2 }), 'Expected a positive number for options.temperature but received -2');
    refuses(() => sinkhornKnopp(t32([[1]]), { epsilon: 0 }), 'Expected a positive number for options.epsilon but received 0');
    refuses(() => swavLoss(t32(s2), [t32(c[0])], { temperature: 0 }), 'Expected a positive number for options.temperature but received 0');
    refuses(() => deepClusterV2Loss([t32(s2)], [torch.tensor([0, 1], { dtype: 'int64' })], { temperature: 0 }),
      'Expected a positive number for options.temperature but received 0');
    refuses(() => deepClusterV2Loss(undefined as never, [torch.tensor([0, 1], { dtype: 'int64' })]),
      'Expected as many targets as score sets (at least one) but received undefined score set(s) and 1 target set(s)');
    refuses(() => deepClusterV2Loss([t32(s2)], undefined as never),
      'Expected as many targets as score sets (at least one) but received 1 score set(s) and undefined target set(s)');
    // Higher-rank tensors whose first dimensions would fit.
    const t3 = (r: number, c2: number): Tensor => torch.zeros([r, c2, 1]);
    refuses(() => new DINOLoss({ outDim: 3, epochs: 1 }).forward(t32(mat(4, 3, 1)), t3(4, 3), 0),
      'Expected teacherOutput of shape (2 * B, 3) (the 2 global crops) but received shape [4, 3, 1]');
    refuses(() => new DINOLoss({ outDim: 3, epochs: 1 }).forward(t3(4, 3), t32(mat(4, 3, 1)), 0),
      'Expected studentOutput of shape (nCrops * 2, 3) with nCrops >= 2 (teacherOutput has B = 2) but received shape [4, 3, 1]');
    refuses(() => swavLoss(t3(4, 3), [t32(c[0])]),
      'Expected scores of shape (nCrops * 2, 3) with nCrops >= 2 (codes[0] is [2, 3]) but received shape [4, 3, 1]');
    refuses(() => swavLoss(t32(s2), [t32(c[0]), t3(2, 3)]), 'Expected at most 2 codes, each of shape [2, 3], but received [2, 3], [2, 3, 1]');
    refuses(() => infoNceWithQueue(t32(mat(2, 4, 1)), t32(mat(2, 4, 2)), t3(5, 4)),
      'Expected queue of shape (K, 4) (normalised keys) but received shape [5, 4, 1]');
    refuses(() => pairLoss(t3(3, 2), torch.zeros([3], { dtype: 'int64' })), 'Expected pair logits (B, 2) and labels (B) but received [3, 2, 1] and [3]');
    refuses(() => pairLoss(torch.zeros([3, 2]), torch.zeros([3, 1], { dtype: 'int64' })),
      'Expected pair logits (B, 2) and labels (B) but received [3, 2] and [3, 1]');
    const img = torch.zeros([2, 1, 4, 4]);
    refuses(() => maeLoss(img, torch.zeros([2, 4, 4]), t3(2, 4), { patchSize: 2 }), 'Expected mask of shape [2, 4] (B, L) but received shape [2, 4, 1]');
    refuses(() => patchify(torch.zeros([1, 1, 4, 4, 1]), 2),
      'Expected imgs of shape (B, C, H, W) with H and W multiples of patchSize 2 but received shape [1, 1, 4, 4, 1]');
    refuses(() => unpatchify(torch.zeros([2, 4, 4, 1]), 2, 1), 'Expected x of shape (B, L, 4) (patchSize 2, 1 channels) but received shape [2, 4, 4, 1]');
    const bank = t32(mat(4, 3, 39).map((r) => unit(r)));
    refuses(() => sphericalKMeans(bank, 2, { centroids: t3(2, 3) }), 'Expected options.centroids of shape [2, 3] but received shape [2, 3, 1]');
    refuses(() => sphericalKMeans(bank, 2, { init: torch.tensor([[0], [1]], { dtype: 'int64' }) }),
      'Expected options.init of shape [2] (bank rows) but received shape [2, 1]');
    refuses(() => sphericalKMeans(t3(4, 3), 2), 'Expected bank of shape (N, D) but received shape [4, 3, 1]');
    // A float64 bank stays float64, given centroids included.
    const b64 = bank.to('float64');
    const k64 = sphericalKMeans(b64, 2, { iterations: 2, centroids: bank.narrow(0, 0, 2) });
    assert.equal(k64.centroids.dtype, 'float64');
    nearAll(values(k64.centroids), kmeansRef(rowsOf(b64), rowsOf(bank.narrow(0, 0, 2)), 2).centroids.flat(), 'float64 bank');
    assert.equal(sphericalKMeans(b64, 2, { iterations: 0, centroids: bank.narrow(0, 0, 2) }).centroids.dtype, 'float64');
  });
});

const rowsOf = (t: Tensor): M => t.detach().to('float64').toArray() as M;

/** Spherical k-means written out: assign by largest dot product, mean, normalise; empty clusters stay. */
function kmeansRef(x: M, start: M, iterations: number): { centroids: M; assignments: number[] } {
  let c = start.map((r) => r.slice());
  const assign = (): number[] => x.map((r) => {
    const sc = c.map((e) => dot(r, e));
    return sc.indexOf(Math.max(...sc));
  });
  let a = assign();
  for (let it = 0; it < iterations; it++) {
    c = c.map((old, k) => {
      const members = x.filter((_, i) => a[i] === k);
      if (members.length === 0) return unit(old);
      return unit(old.map((_, j) => meanOf(members.map((r) => r[j]))));
    });
    a = assign();
  }
  return { centroids: c, assignments: a };
}
