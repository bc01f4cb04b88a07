import * as assert from 'node:assert/strict';
import { torch } from '../../../lib';
import { functional as F } from '../../../lib/nn';
import { assertClose, f, flat } from '../../helpers/assert-close';

type Matrix = number[][];

/** softmax(q k^T * scale + bias) v for one head, in JS; bias entries may be -Infinity. */
function attention(q: Matrix, k: Matrix, v: Matrix, scale: number, bias?: Matrix): Matrix {
  return q.map((qi, i) => {
    const scores = k.map((kj, j) => qi.reduce((a, x, e) => a + x * kj[e], 0) * scale + (bias ? bias[i][j] : 0));
    const m = Math.max(...scores);
    const w = scores.map((s) => Math.exp(s - m));
    const z = w.reduce((a, b) => a + b, 0);
    return v[0].map((_, c) => w.reduce((a, wj, j) => a + (wj / z) * v[j][c], 0));
  });
}

const Q: Matrix = [[1, 0, 0.5, -1], [0, 1, 1, 0], [0.3, -0.2, 0.1, 0.9]];
const K: Matrix = [[1, 1, 0, 0], [0, -1, 2, 1], [0.5, 0.5, 0.5, 0.5], [-1, 0, 0, 1], [0, 0, 1, 0]];
const V: Matrix = [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]];

describe('nn/functional/attention', () => {
  it('on libtorch 1.x composes the computation; on 2.1+ it uses the fused operator', () => {
    const [major, minor] = torch.config().torchVersion.split('.').map(Number);
    assert.equal(F.usesFusedAttention(), major > 2 || (major === 2 && minor >= 1));
  });

  it('matches softmax(q k^T / sqrt(E)) v', () => {
    const y = F.scaledDotProductAttention(f([Q]), f([K]), f([V])); // (1, L, Ev)
    assert.deepEqual(y.shape, [1, 3, 2]);
    assertClose(y, [attention(Q, K, V, 1 / 2)]);
  });

  it('takes an explicit scale', () => {
    assertClose(F.scaledDotProductAttention(f(Q), f(K), f(V), { scale: 3 }), attention(Q, K, V, 3));
  });

  it('a bool mask keeps the positions where it is true', () => {
    const keep = [[true, false, true, false, false], [false, true, true, true, true], [true, true, true, true, false]];
    const bias = keep.map((row) => row.map((b) => (b ? 0 : -Infinity)));
    const mask = torch.tensor(keep);
    assertClose(F.scaledDotProductAttention(f(Q), f(K), f(V), { attnMask: mask }), attention(Q, K, V, 0.5, bias));
  });

  it('a float mask is added to the scores and broadcasts over batch and heads', () => {
    const bias = [[0, 1, -2, 0, 0.5], [3, 0, 0, -1, 0], [0, 0, 0, 0, -5]];
    const q = f([[Q, Q], [Q, Q]]); // (2, 2, 3, 4)
    const k = f([[K, K], [K, K]]);
    const v = f([[V, V], [V, V]]);
    const y = F.scaledDotProductAttention(q, k, v, { attnMask: f(bias) });
    const one = attention(Q, K, V, 0.5, bias);
    assertClose(y, [[one, one], [one, one]]);
  });

  it('isCausal lets position i see keys 0..i only', () => {
    const x = f(Q);
    const vv = f(V.slice(0, 3));
    const y = F.scaledDotProductAttention(x, f(K.slice(0, 3)), vv, { isCausal: true });
    const causal = [[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]];
    assertClose(y, attention(Q, K.slice(0, 3), V.slice(0, 3), 0.5, causal));
    assert.deepEqual((y.toArray() as number[][])[0], V[0]);
  });

  it('with isCausal, changing the future leaves the past unchanged', () => {
    const q = torch.randn([2, 6, 8]);
    const k = torch.randn([2, 6, 8]);
    const v1 = torch.randn([2, 6, 8]);
    const data = flat(v1);
    for (let i = 0; i < 8; i++) data[5 * 8 + i] += 100; // batch 0, last position
    const v2 = torch.tensor(Float32Array.from(data), { shape: [2, 6, 8] });
    const y1 = flat(F.scaledDotProductAttention(q, k, v1, { isCausal: true }));
    const y2 = flat(F.scaledDotProductAttention(q, k, v2, { isCausal: true }));
    for (let t = 0; t < 5; t++) {
      for (let c = 0; c < 8; c++) assert.equal(y2[t * 8 + c], y1[t * 8 + c], `position ${t} changed`);
    }
    assert.ok(Math.abs(y2[5 * 8] - y1[5 * 8]) > 1e-3, 'the last position must see its own value');
    // The first position of each sequence attends only to itself: its output is its value.
    const v = flat(v1);
    for (const start of [0, 6 * 8]) {
      for (let c = 0; c < 8; c++) assert.ok(Math.abs(y1[start + c] - v[start + c]) < 1e-6);
    }
  });

  it('dropoutP 1 drops every weight; 0 changes nothing', () => {
    const y = F.scaledDotProductAttention(f(Q), f(K), f(V), { dropoutP: 1 });
    assertClose(y, [[0, 0], [0, 0], [0, 0]]);
    assertClose(F.scaledDotProductAttention(f(Q), f(K), f(V), { dropoutP: 0 }), attention(Q, K, V, 0.5));
  });

  it('gradients reach query, key and value', () => {
    const q = torch.randn([1, 2, 3, 4], { requiresGrad: true });
    const k = torch.randn([1, 2, 5, 4], { requiresGrad: true });
    const v = torch.randn([1, 2, 5, 6], { requiresGrad: true });
    const y = F.scaledDotProductAttention(q, k, v);
    assert.deepEqual(y.shape, [1, 2, 3, 6]);
    y.backward(torch.onesLike(y));
    assert.deepEqual(q.grad!.shape, [1, 2, 3, 4]);
    assert.deepEqual(k.grad!.shape, [1, 2, 5, 4]);
    // With an all-ones output gradient, dL/dv[j][c] = sum_i w[i][j], and each query's weights sum to 1:
    // the total is heads * L * Ev.
    const total = flat(v.grad!).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 2 * 3 * 6) < 1e-3, `sum of dL/dv ${total}`);
  });

  it('reports bad arguments', () => {
    const x = f(Q);
    assert.throws(() => F.scaledDotProductAttention(x, f(K), f(V), { isCausal: true, attnMask: f([[0]]) }),
      /Expected no attnMask with isCausal: true \(the causal mask is built in\)/);
    assert.throws(() => F.scaledDotProductAttention(x, f(K), f(V), { dropoutP: 2 }),
      /Expected dropout probability dropoutP in \[0, 1\] but received 2/);
    assert.throws(() => F.scaledDotProductAttention(f([1, 2]), f(K), f(V)),
      /Expected query with at least 2 dimensions \(..., length, features\) but received shape \[2\]/);
    assert.throws(() => F.scaledDotProductAttention(x, f(K), f(V), { scale: 'big' as unknown as number }),
      /Expected a number for options.scale but received 'big'/);
    assert.throws(() => F.scaledDotProductAttention(x, f([[1, 2]]), f(V)), /aten::(matmul|scaled_dot_product_attention): /);
  });
});
