// BERT and ALBERT pre-training and CLIP by value, one step each on a tiny
// fixed batch (no training, no tokenizer, no Python): the loss and every log
// rebuilt from the method's own encoder and heads, CLIP's options where they
// act (initTemperature in the logit scale, embedDim in the projections), the
// logit scale's clamp on both sides, configs, parameter groups and refusals.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import { BertPretraining } from '../../lib/ssl/bert-pretraining';
import { AlbertPretraining } from '../../lib/ssl/albert-pretraining';
import { TextPretraining } from '../../lib/ssl/text-pretraining';
import { CLIP, MAX_LOGIT_SCALE } from '../../lib/ssl/clip';
import { clipLoss } from '../../lib/ssl/losses/clip-loss';
import { mlmLoss, pairLoss } from '../../lib/ssl/losses/mlm-loss';
import { createText, listText } from '../../lib/ssl/text-registry';
import { refuses } from '../helpers/refuses';

const values = (t: Tensor): number[] => Array.from(t.detach().to('float64').toTypedArray() as Float64Array);
const num = (t: Tensor): number => Number(t.item());
const small = { hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 16, vocabSize: 30 };

function near(actual: number, expected: number, what: string, tol = 1e-5): void {
  assert.ok(Math.abs(actual - expected) <= tol * (1 + Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

/** A fixed text batch: 3 sequences of 6 tokens, two chosen MLM positions, pair labels. */
function textBatch(): { inputIds: Tensor; tokenTypeIds: Tensor; attentionMask: Tensor; labels: Tensor; pairLabels: Tensor } {
  const ids = [[2, 5, 9, 11, 3, 0], [2, 7, 7, 13, 3, 0], [2, 21, 4, 6, 8, 3]];
  return {
    inputIds: torch.tensor(ids, { dtype: 'int64' }),
    tokenTypeIds: torch.tensor([[0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1]], { dtype: 'int64' }),
    attentionMask: torch.tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]], { dtype: 'int64' }),
    labels: torch.tensor([[-100, 6, -100, -100, -100, -100], [-100, -100, -100, 12, -100, -100], [-100, -100, -100, -100, 9, -100]],
      { dtype: 'int64' }),
    pairLabels: torch.tensor([0, 1, 1], { dtype: 'int64' }),
  };
}

describe('ssl text methods by value (BERT, ALBERT, CLIP)', function () {
  this.timeout(60000);

  for (const [name, build, heads] of [
    ['bert', () => new BertPretraining({ config: small, recipe: { lr: 0.002 } }), ['predictions', 'seqRelationship']],
    ['albert', () => new AlbertPretraining({ config: { ...small, embeddingSize: 8 }, recipe: { lr: 0.002 } }), ['predictions', 'sopClassifier']],
  ] as const) {
    it(`${name}: the step is the MLM loss on the chosen positions plus the pair loss on the pooled output; logs; config`, () => {
      torch.manualSeed(1);
      const m: TextPretraining = build();
      m.eval(); // no dropout: the replay below sees the same network
      const batch = textBatch();
      const out = m.trainingStep(batch);
      const model = (m as unknown as { model: Record<string, { forward(x: Tensor): Tensor }> }).model;
      const ref = torch.noGrad(() => {
        const o = m.encoder.forward(batch);
        const mlm = mlmLoss(o.lastHiddenState, batch.labels, (rows) => model[heads[0]].forward(rows));
        const pair = pairLoss(model[heads[1]].forward(o.pooledOutput), batch.pairLabels);
        return { mlm: num(mlm.loss), pair: num(pair.loss), mlmAcc: num(mlm.accuracy), pairAcc: num(pair.accuracy) };
      });
      near(num(out.loss), ref.mlm + ref.pair, 'loss');
      near(num(out.logs.mlmLoss), ref.mlm, 'mlmLoss');
      near(num(out.logs.pairLoss), ref.pair, 'pairLoss');
      near(num(out.logs.mlmAccuracy), ref.mlmAcc, 'mlmAccuracy');
      near(num(out.logs.pairAccuracy), ref.pairAcc, 'pairAccuracy');
      assert.equal(out.loss.requiresGrad, true);
      assert.equal(out.logs.mlmLoss.requiresGrad, false);
      assert.equal(m.pairTask, name === 'bert' ? 'nsp' : 'sop');
      assert.equal(m.name, name);
      assert.equal(m.recipe.lr, 0.002);
      const config = m.config();
      assert.deepEqual(config.recipe, { lr: 0.002 });
      assert.deepEqual(config.config, { ...m.encoder.config });
      assert.deepEqual(Object.keys(createText(name, {}).config()), ['config'], 'no recipe key without overrides');
      const [decay, noDecay] = m.parameterGroups(0.01);
      assert.deepEqual([decay.weightDecay, noDecay.weightDecay], [0.01, 0]);
      assert.equal(decay.params.length + noDecay.params.length, m.parameters().filter((p) => p.requiresGrad).length);
      refuses(() => createText(name, { confg: {} } as never), `Unknown option(s) 'confg' for ${name === 'bert' ? 'BertPretraining' :
        'AlbertPretraining'}; expected some of config, recipe`);
      refuses(() => createText(name, { recipe: { lr2: 1 } } as never), `Unknown option(s) 'lr2' for ${name === 'bert' ? 'BertPretraining' :
        'AlbertPretraining'} option recipe; expected some of optimizer, lr, lrScaling, finalLrRatio, weightDecay, weightDecayEnd, momentum, ` +
        'betas, warmupEpochs, clipGrad');
      m.dispose();
    });
  }

  it('the text registry: bert, albert, clip; the recipes by default', () => {
    assert.deepEqual(listText(), ['bert', 'albert', 'clip']);
    assert.ok(createText('bert', { config: small }) instanceof BertPretraining);
    assert.ok(createText('albert', { config: small }) instanceof AlbertPretraining);
    assert.deepEqual([createText('bert', { config: small }).recipe.optimizer, createText('albert', { config: small }).recipe.optimizer],
      ['adamw', 'lamb']);
    refuses(() => createText('hasOwnProperty' as never, {} as never), "Unknown text method 'hasOwnProperty'; expected one of 'bert', 'albert', 'clip'");
  });

  it('CLIP: the step is clipLoss of the projected image and [CLS] text embeddings; accuracy and temperature logs', () => {
    torch.manualSeed(2);
    const clip = createText('clip', { imageEncoder: 'small_cnn', imageEncoderOptions: { inChannels: 1, width: 2 }, textConfig: small,
      embedDim: 6, initTemperature: 0.2 }) as CLIP;
    clip.eval();
    near(num(clip.logitScale), Math.log(5), 'log(1 / initTemperature)');
    assert.deepEqual(clip.logitScale.shape, []);
    assert.deepEqual([clip.visualProjection.weight.shape, clip.textProjection.weight.shape], [[6, 8], [6, 16]]);
    assert.equal(clip.visualProjection.bias, null);
    const t = textBatch();
    const batch = { images: torch.randn([3, 1, 8, 8], { generator: new torch.Generator().manualSeed(3) }), inputIds: t.inputIds,
      tokenTypeIds: t.tokenTypeIds, attentionMask: t.attentionMask };
    const out = clip.trainingStep(batch);
    const ref = torch.noGrad(() => {
      const img = clip.visualProjection.forward(clip.visionModel.forward(batch.images));
      const txt = clip.textProjection.forward(clip.textModel.forward(batch).lastHiddenState.select(1, 0));
      const a = values(img);
      const b = values(txt);
      let right = 0;
      for (let i = 0; i < 3; i++) {
        const cos = [0, 1, 2].map((j) => {
          let d = 0;
          let n = 0;
          for (let k = 0; k < 6; k++) {
            d += a[i * 6 + k] * b[j * 6 + k];
            n += b[j * 6 + k] ** 2;
          }
          return d / Math.sqrt(n);
        });
        if (cos.indexOf(Math.max(...cos)) === i) right++;
      }
      return { loss: num(clipLoss(img, txt, clip.logitScale)), acc: right / 3, img: values(img), txt: values(txt) };
    });
    near(num(out.loss), ref.loss, 'loss');
    near(num(out.logs.accuracy), ref.acc, 'accuracy');
    near(num(out.logs.temperature), 0.2, 'temperature');
    assert.deepEqual(values(clip.encodeImage(batch.images)), ref.img);
    assert.deepEqual(values(clip.encodeText(batch)), ref.txt);
    torch.noGrad(() => clip.logitScale.fill_(-1));
    clip.afterOptimizerStep();
    assert.equal(num(clip.logitScale), 0, 'clamped at 0 from below');
    torch.noGrad(() => clip.logitScale.fill_(2));
    clip.afterOptimizerStep();
    assert.equal(num(clip.logitScale), 2, 'inside the range: unchanged');
    near(MAX_LOGIT_SCALE, Math.log(100), 'ln 100', 1e-15);
    const [decay, noDecay] = clip.parameterGroups(0.2);
    assert.deepEqual([decay.weightDecay, noDecay.weightDecay], [0.2, 0]);
    assert.ok(noDecay.params.includes(clip.logitScale));
    assert.deepEqual(clip.config(), { imageEncoder: 'small_cnn', imageEncoderOptions: { inChannels: 1, width: 2 },
      textConfig: { ...clip.textModel.config }, embedDim: 6, initTemperature: 0.2 });
    const withRecipe = new CLIP({ imageEncoder: 'small_cnn', textConfig: small, recipe: { lr: 1e-3 } });
    assert.deepEqual(withRecipe.config().recipe, { lr: 1e-3 });
    assert.deepEqual([withRecipe.embedDim, withRecipe.initTemperature, withRecipe.recipe.lr], [512, 0.07, 1e-3]);
    near(num(withRecipe.logitScale), Math.log(1 / 0.07), 'default temperature');
    refuses(() => new CLIP({ imageEncoder: 'small_cnn', textConfig: small, embedDims: 4 } as never),
      "Unknown option(s) 'embedDims' for CLIP; expected some of imageEncoder, imageEncoderOptions, textConfig, embedDim, initTemperature, recipe");
    refuses(() => new CLIP({ imageEncoder: 'small_cnn', textConfig: small, initTemperature: 2 }),
      'Expected a number in [0.01, 1] for options.initTemperature but received 2');
    refuses(() => new CLIP({ imageEncoder: 'small_cnn', textConfig: small, recipe: { lrr: 1 } as never }),
      "Unknown option(s) 'lrr' for CLIP option recipe; expected some of optimizer, lr, lrScaling, finalLrRatio, weightDecay, weightDecayEnd, " +
      'momentum, betas, warmupEpochs, clipGrad');
    refuses(() => new CLIP({ imageEncoder: 5 as never, textConfig: small }),
      'Expected a registry name, a factory () => Encoder or an Encoder for CLIP option encoder but received 5');
  });
});
