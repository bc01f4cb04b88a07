// BERT and ALBERT: Hugging Face's key names, exact parameter counts of the
// papers' configurations, the sharing modes, padding masks and bad input.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { AdamW } from '../../lib/optim/adamw';
import { BertModel, BertForPreTraining } from '../../lib/models/bert';
import { AlbertModel } from '../../lib/models/albert';
import {
  ALBERT_CONFIGS, AlbertConfig, albertParameterCount, BERT_CONFIGS, bertParameterCount,
} from '../../lib/models/bert-config';
import { AlbertPretraining } from '../../lib/ssl/albert-pretraining';

const tiny = { vocabSize: 40, hiddenSize: 16, numAttentionHeads: 2, intermediateSize: 24, maxPositionEmbeddings: 12 };

describe('models: BERT and ALBERT', function () {
  this.timeout(120000);

  it('bert-base-uncased has HF\'s 109,482,240 parameters and key names', () => {
    const bert = new BertModel(BERT_CONFIGS['bert-base-uncased']);
    try {
      assert.equal(bert.numParameters(), 109482240);
      const keys = [...bert.stateDict().keys()];
      assert.equal(keys.length, 199);
      for (const k of ['embeddings.word_embeddings.weight', 'embeddings.token_type_embeddings.weight', 'embeddings.LayerNorm.bias',
        'encoder.layer.11.attention.self.query.weight', 'encoder.layer.0.attention.output.LayerNorm.weight',
        'encoder.layer.3.intermediate.dense.bias', 'encoder.layer.5.output.dense.weight', 'pooler.dense.weight']) {
        assert.ok(keys.includes(k), k);
      }
    } finally {
      bert.dispose();
    }
  });

  it('albert-base-v2 has HF\'s 11,683,584 parameters and key names', () => {
    const albert = new AlbertModel(ALBERT_CONFIGS['albert-base-v2']);
    try {
      assert.equal(albert.numParameters(), 11683584);
      const keys = [...albert.stateDict().keys()];
      for (const k of ['encoder.embedding_hidden_mapping_in.weight', 'pooler.weight',
        'encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight',
        'encoder.albert_layer_groups.0.albert_layers.0.full_layer_layer_norm.bias',
        'encoder.albert_layer_groups.0.albert_layers.0.ffn_output.weight']) assert.ok(keys.includes(k), k);
      assert.ok(!keys.some((k) => k.includes('albert_layer_groups.1')), 'one shared group');
    } finally {
      albert.dispose();
    }
  });

  it('computes the papers\' configurations exactly (counted from the architecture, not built)', () => {
    assert.equal(bertParameterCount(BERT_CONFIGS['bert-large-uncased']), 335141888);
    assert.equal(bertParameterCount(BERT_CONFIGS['bert-base-uncased'], { pooler: false }), 108891648);
    assert.equal(albertParameterCount(ALBERT_CONFIGS['albert-base-v2'], { pooler: false }), 11683584 - (768 * 768 + 768));
    assert.throws(() => bertParameterCount(BERT_CONFIGS['bert-base-uncased'], { pooler: 0 as unknown as boolean }), /options\.pooler/);
    const counts = Object.fromEntries(Object.entries(ALBERT_CONFIGS).map(([n, c]) => [n, albertParameterCount(c)]));
    assert.deepEqual(counts, {
      'albert-base-v2': 11683584, 'albert-large-v2': 17683968, 'albert-xlarge-v2': 58724864, 'albert-xxlarge-v2': 222595584,
    });
    const b = ALBERT_CONFIGS['albert-base-v2'];
    assert.equal(albertParameterCount({ ...b, shareMode: 'none' }), 89650176); // ALBERT table 4: not-shared E=128, 89M
    assert.equal(albertParameterCount({ ...b, embeddingSize: 768 }), 31705344); // all-shared E=768, 31M
    assert.equal(albertParameterCount({ ...b, shareMode: 'attention' }), 63647232); // table 4: shared-attention, 64M
    assert.equal(albertParameterCount({ ...b, shareMode: 'ffn' }), 37686528); // table 4: shared-FFN, 38M
  });

  it('the computed count equals the built model for every sharing mode and for BERT with its heads', () => {
    for (const shareMode of ['all', 'none', 'attention', 'ffn'] as const) {
      const config: Partial<AlbertConfig> = { ...tiny, embeddingSize: 8, numHiddenLayers: 3, shareMode };
      const m = new AlbertModel(config);
      assert.equal(m.numParameters(), albertParameterCount(m.config), shareMode);
      m.dispose();
    }
    const grouped = new AlbertModel({ ...tiny, embeddingSize: 8, numHiddenLayers: 4, numHiddenGroups: 2, innerGroupNum: 2 });
    assert.equal(grouped.numParameters(), albertParameterCount(grouped.config));
    grouped.dispose();
    const pre = new BertForPreTraining({ ...tiny, numHiddenLayers: 2 });
    // The decoder is tied: the heads add transform (H*H + H + 2H), the vocabulary bias and the NSP classifier.
    const H = tiny.hiddenSize;
    assert.equal(pre.numParameters(), bertParameterCount(pre.bert.config) + H * H + 3 * H + tiny.vocabSize + 2 * H + 2);
    assert.ok(pre.stateDict().get('cls.predictions.decoder.weight') === pre.bert.embeddings.wordEmbeddings.weight);
    pre.dispose();
  });

  it('attention-only sharing keeps one attention for all layers, identical after training steps', () => {
    torch.manualSeed(0);
    const method = new AlbertPretraining({ config: { ...tiny, embeddingSize: 8, numHiddenLayers: 3, shareMode: 'attention' } });
    const opt = new AdamW(method.parameterGroups(0.01), { lr: 1e-2 });
    const layers = [0, 1, 2].map((g) => method.encoder.groups.at(g).albertLayers.at(0));
    assert.ok(layers[1].attention === layers[0].attention && layers[2].attention === layers[0].attention);
    for (let s = 0; s < 2; s++) {
      torch.scope(() => {
        const inputIds = torch.randint(5, 40, [2, 8]);
        const batch = { inputIds, tokenTypeIds: torch.zerosLike(inputIds), attentionMask: torch.onesLike(inputIds),
          labels: torch.where(torch.rand([2, 8]).lt(0.3), inputIds, -100), pairLabels: torch.tensor([0, 1], { dtype: 'int64' }) };
        opt.zeroGrad();
        method.trainingStep(batch).loss.backward();
        opt.step();
      });
    }
    assert.ok(!layers[0].ffn.weight.equal(layers[1].ffn.weight), 'feed-forward weights are per layer');
    method.dispose();
  });

  it('padding is masked: appending padding leaves the other positions unchanged', () => {
    torch.manualSeed(1);
    const bert = new BertModel({ ...tiny, numHiddenLayers: 2, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 });
    torch.scope(() => {
      const ids = torch.randint(5, 40, [2, 6]);
      const short = bert.forward({ inputIds: ids, attentionMask: torch.onesLike(ids) }).lastHiddenState;
      const padded = torch.cat([ids, torch.zeros([2, 3], { dtype: 'int64' })], 1);
      const mask = torch.cat([torch.onesLike(ids), torch.zeros([2, 3], { dtype: 'int64' })], 1);
      const long = bert.forward({ inputIds: padded, attentionMask: mask }).lastHiddenState.narrow(1, 0, 6);
      assert.ok(long.allclose(short, { atol: 1e-5 }));
      const unmasked = bert.forward({ inputIds: padded }).lastHiddenState.narrow(1, 0, 6);
      assert.ok(!unmasked.allclose(short, { atol: 1e-3 }), 'without the mask the padding changes the result');
    });
    bert.dispose();
  });

  it('names bad input: sequences beyond the position table, wrong dtypes, bad configs', () => {
    const bert = new BertModel({ ...tiny, numHiddenLayers: 1 });
    assert.throws(() => bert.forward({ inputIds: torch.zeros([1, 13], { dtype: 'int64' }) }),
      /at most maxPositionEmbeddings = 12 tokens for BertModel but received 13/);
    assert.throws(() => bert.forward({ inputIds: torch.zeros([1, 4]) }), /Expected inputIds int64 \(B, T\)/);
    assert.throws(() => bert.forward({ inputIds: torch.zeros([1, 4], { dtype: 'int64' }), attentionMask: torch.ones([1, 5]) }),
      /attentionMask of shape \[1, 4\]/);
    bert.dispose();
    assert.throws(() => new BertModel({ hiddenSize: 30, numAttentionHeads: 4 }), /hiddenSize \(30\) divisible by numAttentionHeads \(4\)/);
    assert.throws(() => new AlbertModel({ ...tiny, numHiddenLayers: 3, numHiddenGroups: 2 }), /numHiddenLayers \(3\) divisible by numHiddenGroups \(2\)/);
  });
});
