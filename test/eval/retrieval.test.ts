// Image <-> text recall@k against a direct computation (cosine similarities
// and ranks counted one query at a time in plain JS), with repeated captions
// (ties); chunked embedding of pairs gives the same recall as one pass; CLIP's
// evaluation report carries the same numbers as a direct call.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { pairRetrieval, retrievalRecall } from '../../lib/eval/retrieval';
import { ImageTextModel } from '../../lib/eval/zero-shot';
import { TextInputs } from '../../lib/models/bert';

/** Recall@k computed the slow way: for each query, count candidates with a strictly higher cosine than its partner. */
function direct(img: number[][], txt: number[][], ks: number[]): { i2t: number[]; t2i: number[] } {
  const unit = (v: number[]) => { const n = Math.hypot(...v); return v.map((x) => x / n); };
  const a = img.map(unit);
  const b = txt.map(unit);
  const cos = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i], 0);
  const n = a.length;
  const rank = (q: number, score: (j: number) => number) => {
    const own = score(q);
    let r = 0;
    for (let j = 0; j < n; j++) if (score(j) > own + 1e-6) r++;
    return r;
  };
  const i2t = a.map((_, i) => rank(i, (j) => cos(a[i], b[j])));
  const t2i = b.map((_, j) => rank(j, (i) => cos(a[i], b[j])));
  return { i2t: ks.map((k) => i2t.filter((r) => r < k).length / n), t2i: ks.map((k) => t2i.filter((r) => r < k).length / n) };
}

describe('eval: image-text retrieval recall@k', () => {
  it('equals a direct computation on noisy pairs, with repeated captions (ties in the partner\'s favour)', () => torch.scope(() => {
    torch.manualSeed(4);
    const n = 60;
    const img = torch.randn([n, 6]);
    // Captions near their images, every 10th caption a copy of the previous one (a repeated text).
    let txt = img.add(torch.randn([n, 6]).mul(0.9));
    const rows = Array.from({ length: n }, (_, i) => (i % 10 === 9 ? i - 1 : i));
    txt = txt.indexSelect(0, torch.tensor(rows, { dtype: 'int64' }));
    const ks = [1, 5, 10];
    const got = retrievalRecall(img, txt, ks);
    const want = direct(img.toArray() as number[][], txt.toArray() as number[][], ks);
    ks.forEach((k, i) => {
      assert.equal(got.imageToText[k], want.i2t[i], `image -> text @${k}`);
      assert.equal(got.textToImage[k], want.t2i[i], `text -> image @${k}`);
    });
    assert.equal(got.pairs, n);
    assert.ok(got.imageToText[1] > 0.1 && got.imageToText[1] < 0.9, `a non-trivial case: ${got.imageToText[1]}`);
    assert.ok(got.imageToText[1] <= got.imageToText[5] && got.imageToText[5] <= got.imageToText[10]);
  }));

  it('identical embeddings: recall 1; shuffled partners: about k / N', () => torch.scope(() => {
    torch.manualSeed(5);
    const img = torch.randn([200, 16]);
    assert.deepEqual(retrievalRecall(img, img.mul(3)).imageToText, { 1: 1, 5: 1, 10: 1 });
    const shuffled = retrievalRecall(img, img.indexSelect(0, torch.randperm(200)));
    assert.ok(shuffled.textToImage[10] < 0.15, `${shuffled.textToImage[10]}`);
  }));

  it('pairRetrieval embeds in chunks (eval mode, no autograd) and equals retrievalRecall of the whole embeddings', () => torch.scope(() => {
    torch.manualSeed(6);
    const w = torch.randn([12, 5]);
    const emb = torch.randn([50, 5]);
    const modes: boolean[] = [];
    const model: ImageTextModel = {
      encodeImage: (x: Tensor) => x.flatten(1).matmul(w),
      encodeText: (t: TextInputs) => emb.index([t.inputIds.select(1, 0)]),
      eval: () => modes.push(false),
      train: () => modes.push(true),
    };
    const images = torch.randn([23, 3, 2, 2]);
    const inputIds = torch.randint(0, 50, [23, 4]);
    const whole = retrievalRecall(images.flatten(1).matmul(w), emb.index([inputIds.select(1, 0)]));
    const chunked = pairRetrieval(model, { images, inputIds }, { batchSize: 7 });
    assert.deepEqual(chunked, whole);
    assert.deepEqual(modes, [false, true], 'eval mode during, train mode after');
    assert.throws(() => retrievalRecall(torch.randn([3, 4]), torch.randn([4, 4])), /same \(N, D\) shape/);
    assert.throws(() => retrievalRecall(torch.randn([3, 4]), torch.randn([3, 4]), [0]), /ks\[0\]/);
  }));
});
