// linearProbe and bagOfWordsProbe by value: the standardisation uses the
// population variance (one SGD step from zero in closed form puts the
// decision boundary of a 1-D problem at x = 1.5; the unbiased variance would
// move it to 1.75), test sets longer than one 8,192-row chunk, AdamW's
// weight decay reaching the optimizer; bag-of-words joins a document's
// sentences with a space, passes epochs and the class count to the probe, and
// frees every tensor it makes.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { fitLinearClassifier, linearProbe } from '../../lib/eval/linear-probe';
import { bagOfWordsFeatures, bagOfWordsProbe } from '../../lib/eval/bag-of-words';
import { TextCorpus, WordPieceTokenizer } from '../../lib/data/text';

const lab = (v: number[]): torch.Tensor => torch.tensor(v, { dtype: 'int64' });
const col = (v: number[]): torch.Tensor => torch.tensor(v, { shape: [v.length, 1] });

describe('eval: probes by value', function () {
  this.timeout(60000);

  it('linearProbe standardises with the population variance: one step from zero puts the boundary at x = 1.5', () => {
    // x = 0, 0, 3 (labels 0, 0, 1): mean 1, population std sqrt(2); one full-batch SGD step at lr 1 gives
    // logit(1) - logit(0) = (2 sqrt(2) / 3) x_s - 1/3, zero at x_s = 1 / (2 sqrt(2)), x = 1 + sqrt(2) x_s = 1.5.
    const train = { features: col([0, 0, 3]), labels: lab([0, 0, 1]) };
    const o = { epochs: 1, batchSize: 3, lr: 1 };
    assert.equal(linearProbe(train, { features: col([1.6, 1.4]), labels: lab([1, 0]) }, o).top1, 1);
    assert.equal(linearProbe(train, { features: col([1.7]), labels: lab([1]) }, o).top1, 1);
    assert.equal(linearProbe(train, { features: col([1.45]), labels: lab([0]) }, o).top1, 1);
  });

  it('linearProbe scores a test set of more than one 8,192-row chunk', () => {
    const train = { features: col([-1, -0.5, 0.5, 1]), labels: lab([0, 0, 1, 1]) };
    const n = 8200;
    const x = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1 : 1));
    // Every tenth label is wrong: 820 of 8,200.
    const y = x.map((v, i) => (i % 10 === 0 ? Number(v < 0) : Number(v > 0)));
    const r = linearProbe(train, { features: col(x), labels: lab(y) }, { epochs: 5 });
    assert.equal(r.top1, (n - 820) / n);
    assert.equal(r.trainTop1, 1);
  });

  it('fitLinearClassifier passes AdamW its weight decay', () => {
    const x = torch.tensor([[1, 0], [0, 1], [-1, 2]]);
    const y = lab([0, 1, 1]);
    const o = { numClasses: 2, epochs: 3, batchSize: 3, lr: 0.3, optimizer: 'adamw' as const, seed: 0 };
    const decayed = fitLinearClassifier(x, y, { ...o, weightDecay: 0.5 });
    const plain = fitLinearClassifier(x, y, { ...o, weightDecay: 0 });
    // Decoupled decay: w <- w - lr wd w each step, before the Adam update; the first step's weights are zero.
    assert.ok(Number(decayed.weight.sub(plain.weight).abs().max().item()) > 1e-3);
    const little = fitLinearClassifier(x, y, { ...o, weightDecay: 0.01 });
    assert.ok(Number(little.weight.sub(plain.weight).abs().max().item()) > 1e-5);
    assert.ok(Number(decayed.weight.sub(little.weight).abs().max().item()) > 1e-3);
  });

  describe('bag-of-words', () => {
    const tok = WordPieceTokenizer.train(['the cat saw the dog.', 'a dog saw a cat.', 'the bird sang.', 'a cat sang to the bird.'],
      { vocabSize: 200, minFrequency: 1 });
    const corpus = (docs: [string[], string][], labels = ['a', 'b']): TextCorpus =>
      ({ name: 'toy', documents: docs.map(([sentences, label], i) => ({ sentences, source: `d${i}`, label })), labels });

    it('joins a document\'s sentences with a space', () => {
      const split = bagOfWordsFeatures(tok, corpus([[['the cat', 'saw the dog.'], 'a']])).features;
      const whole = bagOfWordsFeatures(tok, corpus([[['the cat saw the dog.'], 'a']])).features;
      assert.deepEqual(split.toArray(), whole.toArray());
    });

    it('passes epochs and the corpus\'s class count to the probe, and frees its tensors', () => {
      // Four kinds of document with mixed labels (a a a b, b b b a, a b, b): one epoch (one step from zero) and the
      // default 20 answer differently on the test documents.
      const words = ['the cat saw the dog.', 'a dog saw a cat.', 'the bird sang.', 'a cat sang to the bird.'];
      const train = corpus(['aaab', 'bbba', 'ab', 'b'].flatMap((ls, t) => [...ls].map((l): [string[], string] => [[words[t]], l])),
        ['a', 'b', 'c']);
      const test = corpus(words.map((w, t): [string[], string] => [[w], 'abab'[t]]), ['a', 'b', 'c']);
      const a = bagOfWordsFeatures(tok, train);
      const b = bagOfWordsFeatures(tok, test);
      const one = linearProbe(a, b, { numClasses: 3, epochs: 1 }).top1;
      const twenty = linearProbe(a, b, { numClasses: 3 }).top1;
      const live = torch.memory().tensors;
      assert.equal(bagOfWordsProbe(tok, train, test, { epochs: 1 }), one);
      assert.equal(bagOfWordsProbe(tok, train, test), twenty);
      assert.equal(torch.memory().tensors, live, 'every tensor freed');
      assert.notEqual(one, twenty, 'the case tells the epochs apart');
    });
  });
});
