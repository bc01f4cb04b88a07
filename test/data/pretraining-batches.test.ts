// PretrainingBatches' state (what a bert/albert checkpoint stores): fresh
// batches loaded with the state of others continue with the same batches,
// across an epoch boundary and with n-gram masking; a state from other data is
// refused by name.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { fortunesCorpus, MaskedPairBatch, PretrainingBatches, PretrainingBatchesOptions, WordPieceTokenizer } from '../../lib/data/text';

describe('data: PretrainingBatches state and loadState', function () {
  this.timeout(60000);
  const corpus = fortunesCorpus({ categories: ['science'] });
  const tok = WordPieceTokenizer.train(corpus.documents.flatMap((d) => d.sentences), { vocabSize: 300 });
  const options: PretrainingBatchesOptions = { task: 'sop', maxLength: 48, batchSize: 16, seed: 3, masking: 'ngram' };

  const same = (a: MaskedPairBatch, b: MaskedPairBatch, where: string): void => {
    for (const k of ['inputIds', 'tokenTypeIds', 'attentionMask', 'labels', 'pairLabels'] as const) {
      assert.ok(torch.equal(a[k], b[k]), `${k} differs ${where}`);
    }
  };

  it('continues with the same batches, across an epoch boundary', () => torch.scope(() => {
    const a = new PretrainingBatches(tok, corpus, options);
    const perEpoch = Math.floor(a.pairsPerEpoch / 16);
    for (let i = 0; i < perEpoch - 1; i++) a.next();
    const saved = JSON.parse(JSON.stringify(a.state())) as ReturnType<PretrainingBatches['state']>; // as a checkpoint's JSON holds it
    assert.equal(saved.epoch, 0);
    const want = [a.next(), a.next(), a.next()]; // the last batch of epoch 0, then epoch 1
    assert.equal(a.state().epoch, 1);
    const b = new PretrainingBatches(tok, corpus, options);
    b.next(); // b's own position and generator must not matter
    b.loadState(saved);
    want.forEach((w, i) => same(w, b.next(), `at batch ${i} after the state`));
  }));

  it('refuses a state whose position does not fit the data', () => {
    const a = new PretrainingBatches(tok, corpus, options);
    assert.throws(() => a.loadState({ ...a.state(), cursor: 1e6 }), /Expected state.cursor in \[0, \d+\] .* the state comes from other data or options/);
  });
});
