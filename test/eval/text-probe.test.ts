// The text probe: [CLS] and mean-pooled features equal those of each
// document encoded alone (padding masked out of the mean); a probe separates
// categories that differ in their words; the majority-class floor is counted
// from the labels; a corpus without labels is refused by name.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { TextCorpus, WordPieceTokenizer } from '../../lib/data/text';
import { BertModel } from '../../lib/models/bert';
import { textFeatures, textProbe } from '../../lib/eval/text-probe';

const config = { hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 32 };

/** Two categories that differ in their words: 'sea' fortunes speak of water, 'sky' ones of birds. */
function corpus(n: number, offset: number): TextCorpus {
  const sea = ['the waves are cold.', 'a boat on the water.', 'fish swim in the sea.', 'the tide comes in.'];
  const sky = ['a bird in the clouds.', 'the wind is high.', 'stars above the hills.', 'the sun goes down.'];
  const documents = Array.from({ length: n }, (_, i) => {
    const k = i + offset;
    const label = k % 3 === 0 ? 'sky' : 'sea'; // 1/3 sky, 2/3 sea: the majority class is sea
    const words = label === 'sea' ? sea : sky;
    return { sentences: [words[k % 4], words[(k + 1) % 4]], source: `doc${k}`, label };
  });
  return { name: 'toy', documents, labels: ['sea', 'sky'] };
}

describe('eval: text probe on frozen features', function () {
  this.timeout(60000);
  const train = corpus(60, 0);
  const test = corpus(30, 1000);
  const tok = WordPieceTokenizer.train(train.documents.flatMap((d) => d.sentences), { vocabSize: 120, minFrequency: 1 });

  it('[CLS] and mean-pooled features equal each document encoded alone (padding masked out of the mean)', () => torch.scope(() => {
    torch.manualSeed(1);
    const bert = new BertModel({ ...config, vocabSize: tok.vocabSize });
    const small: TextCorpus = { ...train, documents: [train.documents[0], { ...train.documents[1], sentences: ['a boat.'] }, train.documents[2]] };
    const { cls, mean } = textFeatures(bert, tok, small, { batchSize: 2 });
    bert.eval();
    small.documents.forEach((d, i) => torch.noGrad(() => {
      const h = bert.forward(tok.encodeBatch([d.sentences.join(' ')], { maxLength: 64 })).lastHiddenState.select(0, 0); // (T, H), no padding
      assert.ok(torch.allclose(cls.features.select(0, i), h.select(0, 0), { atol: 1e-5 }), `cls ${i}`);
      assert.ok(torch.allclose(mean.features.select(0, i), h.mean(0), { atol: 1e-5 }), `mean ${i}`);
    }));
    assert.deepEqual(cls.labels.toArray(), [1, 0, 0]);
    bert.dispose();
  }));

  it('a probe separates categories that differ in their words; the majority floor is the most frequent training class', () => {
    torch.manualSeed(2);
    const bert = new BertModel({ ...config, vocabSize: tok.vocabSize });
    const r = textProbe(bert, tok, train, test);
    assert.equal(r.classes, 2);
    assert.equal(r.trainDocuments, 60);
    assert.equal(r.testDocuments, 30);
    const testSea = test.documents.filter((d) => d.label === 'sea').length / 30;
    assert.equal(r.majority, testSea);
    assert.ok(r.mean > 0.95 && r.cls > 0.9, `probe top-1: mean ${r.mean}, cls ${r.cls}`);
    bert.dispose();
  });

  it('frees each batch\'s intermediates before the next batch (the live-tensor count does not grow with the batches)', () => {
    torch.manualSeed(3);
    const bert = new BertModel({ ...config, vocabSize: tok.vocabSize });
    const live: number[] = [];
    const counting = { forward: (x: Parameters<BertModel['forward']>[0]) => { live.push(torch.memory().tensors); return bert.forward(x); },
      eval: () => bert.eval(), train: (mode?: boolean) => bert.train(mode) };
    const { cls, mean } = textFeatures(counting, tok, train, { batchSize: 6 }); // 10 batches
    assert.equal(live.length, 10);
    assert.ok(live[9] - live[1] <= 2 * 8, `live tensors at each batch: ${live.join(' ')}`); // the kept features only: 2 per batch
    for (const t of [cls.features, cls.labels, mean.features, mean.labels]) t.dispose();
    bert.dispose();
  });

  it('refuses a corpus without labels', () => {
    const bert = new BertModel({ ...config, vocabSize: tok.vocabSize });
    assert.throws(() => textFeatures(bert, tok, { name: 'plain', documents: train.documents }), /document labels .* 'plain'/);
    bert.dispose();
  });
});
