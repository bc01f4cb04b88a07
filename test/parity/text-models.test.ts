// Parity of BERT and ALBERT pre-training with PyTorch: the same weights (a
// state dict written by test/helpers/text_models_ref.py, HF's key names, tied
// decoder included) and the same padded, masked batch give the same hidden
// states, logits, MLM and NSP/SOP losses and gradients of every parameter.
import { execFileSync } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { loadSafetensors } from '../../lib/torch/safetensors';
import { BertPretraining } from '../../lib/ssl/bert-pretraining';
import { AlbertPretraining } from '../../lib/ssl/albert-pretraining';
import { TextPretraining } from '../../lib/ssl/text-pretraining';
import { PYTHON, repoRoot } from '../helpers/python-reference';

type Tensor = torch.Tensor;

const base = {
  vocabSize: 50, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 64, maxPositionEmbeddings: 16,
  typeVocabSize: 2, layerNormEps: 1e-12, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, initializerRange: 0.02,
};
const CASES = [
  { name: 'bert_tiny', kind: 'bert', seed: 1, batch: 3, length: 12, config: { ...base, hiddenAct: 'gelu' } },
  { name: 'albert_shared', kind: 'albert', seed: 2, batch: 3, length: 12,
    config: { ...base, numHiddenLayers: 3, hiddenAct: 'gelu_new', embeddingSize: 16, numHiddenGroups: 1, innerGroupNum: 1 } },
  { name: 'albert_groups', kind: 'albert', seed: 3, batch: 2, length: 10,
    config: { ...base, numHiddenLayers: 4, hiddenAct: 'gelu_new', embeddingSize: 16, numHiddenGroups: 2, innerGroupNum: 2 } },
] as const;

/** |a - e| <= atol * max|e| + rtol * |e| element-wise. */
function assertClose(actual: Tensor, expected: Tensor, what: string, rtol = 1e-4, atol = 1e-5): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  const a = actual.detach().to('float64').toTypedArray() as Float64Array;
  const e = expected.to('float64').toTypedArray() as Float64Array;
  let scale = 0;
  for (const v of e) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < e.length; i++) {
    const tol = atol * scale + rtol * Math.abs(e[i]) + 1e-9;
    if (!(Math.abs(a[i] - e[i]) <= tol)) assert.fail(`${what}[${i}]: ${a[i]} vs ${e[i]} (tolerance ${tol})`);
  }
}

describe('parity: BERT and ALBERT pre-training against a PyTorch re-implementation', function () {
  this.timeout(120000);
  let dir = '';
  let threads = 1;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-text-models-'));
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify({ dir, cases: CASES }));
    execFileSync(PYTHON, [path.join(repoRoot(), 'test', 'helpers', 'text_models_ref.py'), path.join(dir, 'spec.json')],
      { encoding: 'utf8' });
    threads = torch.getNumThreads();
    torch.setNumThreads(1);
  });
  after(() => {
    torch.setNumThreads(threads);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.name}: values, losses and every gradient`, () => {
      const weights = loadSafetensors(path.join(dir, `${c.name}.weights.safetensors`));
      const io = loadSafetensors(path.join(dir, `${c.name}.io.safetensors`));
      const method: TextPretraining = c.kind === 'bert' ? new BertPretraining({ config: c.config })
        : new AlbertPretraining({ config: c.config });
      try {
        torch.scope(() => {
          // Strict: every HF key (cls.predictions.decoder.weight included) is present, none is extra.
          assert.deepEqual(method.loadStateDict(weights), { missingKeys: [], unexpectedKeys: [] });
          method.train();
          const batch = {
            inputIds: io.get('input_ids')!, tokenTypeIds: io.get('token_type_ids')!, attentionMask: io.get('attention_mask')!,
            labels: io.get('labels')!, pairLabels: io.get('pair_labels')!,
          };
          const { loss, logs } = method.trainingStep(batch);
          loss.backward();
          assertClose(loss.reshape([1]), io.get('loss')!, 'loss');
          assertClose(logs.mlmLoss.reshape([1]), io.get('mlm_loss')!, 'MLM loss');
          assertClose(logs.pairLoss.reshape([1]), io.get('pair_loss')!, 'pair loss');
          let grads = 0;
          for (const [name, p] of method.namedParameters()) {
            const expected = io.get(`grad.${name}`);
            assert.ok(expected, `PyTorch has no parameter ${name}`);
            assert.ok(p.grad, `no gradient for ${name}`);
            assertClose(p.grad, expected, `grad of ${name}`, 1e-3, 1e-4);
            grads++;
          }
          assert.equal(grads, [...io.keys()].filter((k) => k.startsWith('grad.')).length, 'the same parameters');
          torch.noGrad(() => {
            const model = c.kind === 'bert' ? (method as BertPretraining).model : (method as AlbertPretraining).model;
            const out = model.forward(batch);
            const pair = 'seqRelationshipLogits' in out ? out.seqRelationshipLogits : out.sopLogits;
            assertClose(out.hidden.lastHiddenState, io.get('last_hidden')!, 'last hidden state');
            assertClose(out.predictionLogits, io.get('prediction_logits')!, 'prediction logits');
            assertClose(pair, io.get('pair_logits')!, 'pair logits');
          });
        });
      } finally {
        method.dispose();
        for (const t of [...weights.values(), ...io.values()]) t.dispose();
      }
    });
  }
});
