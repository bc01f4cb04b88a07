// Building a text model and disposing it leaves no tensor: the padding row's
// zeroing view in initTextWeights and CLIP's logit scale before its reshape
// were left to the garbage collector (CLIP 2 tensors a build, BERT and
// ALBERT 1, before the fix of 2026-12-06).
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { BertModel } from '../../lib/models/bert';
import { bertConfig } from '../../lib/models/bert-config';
import { CLIP } from '../../lib/ssl/clip';
import { BertPretraining } from '../../lib/ssl/bert-pretraining';
import { AlbertPretraining } from '../../lib/ssl/albert-pretraining';
import { tensorsLeftBy } from '../helpers/tensors-left';

const small = { hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 16, vocabSize: 30 };

describe('ssl: text models built and disposed leave no tensor', () => {
  it('BertModel, BertPretraining, AlbertPretraining, CLIP (its padding row still zero, its logit scale log(1/0.07))', () => {
    const bert = new BertModel(bertConfig(small));
    try {
      assert.deepEqual(Array.from(bert.embeddings.wordEmbeddings.weight.select(0, 0).toTypedArray() as Float32Array), new Array(16).fill(0));
    } finally {
      bert.dispose();
    }
    const clip = new CLIP({ imageEncoder: 'small_cnn', textConfig: small });
    try {
      assert.ok(Math.abs(Number(clip.logitScale.item()) - Math.log(1 / 0.07)) < 1e-6);
      assert.deepEqual([clip.logitScale.shape, clip.logitScale.requiresGrad], [[], true]);
    } finally {
      clip.dispose();
    }
    assert.deepEqual([
      tensorsLeftBy(() => new BertModel(bertConfig(small)).dispose()),
      tensorsLeftBy(() => new BertPretraining({ config: small }).dispose()),
      tensorsLeftBy(() => new AlbertPretraining({ config: { ...small, embeddingSize: 8 } }).dispose()),
      tensorsLeftBy(() => new CLIP({ imageEncoder: 'small_cnn', textConfig: small }).dispose()),
    ], [0, 0, 0, 0]);
  });
});
