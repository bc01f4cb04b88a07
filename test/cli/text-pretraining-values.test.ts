// bert/albert runs of `selfsup train` and `selfsup eval` by value (issue 21, lib/cli's mutation score):
// the method a run config builds (its configuration, seed and recipe; the masking keys of
// --method-options kept out of the model), the held-out evaluation on a small hand-made corpus next to
// a reference computed here (MLM accuracy, perplexity, pair accuracy over the same fixed batches, the
// category probes), the report's exact text, and one small BERT run (eval off) through runTextTrain.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as torch from '../../lib/torch';
import { PretrainingBatches, TextCorpus, WordPieceTokenizer } from '../../lib/data/text';
import { TextPretraining } from '../../lib/ssl/text-pretraining';
import {
  evaluatePretrainingRun, formatPretrainingReport, fortunesSplit, maskingOptions, MAX_LENGTH, PretrainingEvaluation, pretrainingMethod, PretrainingScores,
} from '../../lib/cli/text-pretraining-run';
import { runTextTrain, textRunConfig } from '../../lib/cli/text-train';
import { runTextEval } from '../../lib/cli/text-eval';
import { textProbe } from '../../lib/eval/text-probe';
import { trainSteps } from '../../lib/train/text-trainer';
import { bagOfWordsProbe } from '../../lib/eval/bag-of-words';
import { TextRunConfig } from '../../lib/cli/text-run-config';

const TINY = { hiddenSize: 16, numAttentionHeads: 2, intermediateSize: 32 };

/** A labelled corpus of `n` documents of three sentences, two categories with their own words. */
function corpus(name: string, n: number, offset: number): TextCorpus {
  const words = [['cats', 'purr', 'softly', 'milk', 'naps'], ['ships', 'sail', 'north', 'storms', 'ports']];
  const documents = Array.from({ length: n }, (_, i) => {
    const k = (i + offset) % 2;
    const w = (j: number) => words[k][(i + offset + j) % 5];
    return { source: `${name}#${i}`, label: k === 0 ? 'animals' : 'sea',
      sentences: [`The ${w(0)} ${w(1)} today.`, `Then ${w(2)} and ${w(3)} again.`, `All ${w(4)} ${w(0)} ${i}.`] };
  });
  return { name, documents, labels: ['animals', 'sea'] };
}

/** The reference: MLM accuracy, perplexity and pair accuracy of `method` in eval mode over `batches` batches of `data`. */
function reference(method: TextPretraining, data: PretrainingBatches, batches: number): PretrainingScores {
  let nll = 0;
  let correct = 0;
  let count = 0;
  let pairs = 0;
  method.eval();
  for (let b = 0; b < batches; b++) {
    torch.noGrad(() => torch.scope(() => {
      const batch = data.next();
      const { logs } = method.trainingStep(batch);
      const n = Number(batch.labels.ne(-100).sum().item());
      nll += Number(logs.mlmLoss.item()) * n;
      correct += Number(logs.mlmAccuracy.item()) * n;
      count += n;
      pairs += Number(logs.pairAccuracy.item());
    }));
  }
  method.train(true);
  return { mlmAccuracy: correct / count, perplexity: Math.exp(nll / count), pairAccuracy: pairs / batches };
}

describe('cli: bert/albert runs by value', function () {
  this.timeout(120000);

  it('pretrainingMethod: the configuration by method, --method-options over it without the masking keys, the seed and the lr', () => {
    const c = (method: 'bert' | 'albert', methodOptions: Record<string, unknown>): TextRunConfig =>
      ({ ...textRunConfig(method, { eval: true, lr: 0.002, seed: 3 }), methodOptions });
    const bert = pretrainingMethod(c('bert', { masking: 'ngram', maxNgram: 2, intermediateSize: 96 }), 200);
    assert.deepEqual(bert.config(), { config: { ...bert.encoder.config }, recipe: { lr: 0.002 } });
    const cfg = bert.encoder.config as unknown as Record<string, unknown>;
    assert.deepEqual([cfg.vocabSize, cfg.hiddenSize, cfg.numAttentionHeads, cfg.intermediateSize, cfg.maxPositionEmbeddings,
      cfg.numHiddenLayers, 'masking' in cfg, 'maxNgram' in cfg], [200, 128, 2, 96, MAX_LENGTH, 2, false, false]);
    assert.equal(bert.name, 'bert');
    const albert = pretrainingMethod(c('albert', { hiddenSize: 32 }), 150);
    const a = albert.encoder.config as unknown as Record<string, unknown>;
    assert.deepEqual([albert.name, a.vocabSize, a.hiddenSize, a.embeddingSize, a.numHiddenLayers, a.intermediateSize],
      ['albert', 150, 32, 64, 4, 512]);
    // Seeded with the run's seed: the same weights again, other weights with another seed.
    const again = pretrainingMethod(c('bert', { masking: 'ngram', maxNgram: 2, intermediateSize: 96 }), 200);
    const other = pretrainingMethod({ ...c('bert', { intermediateSize: 96 }), seed: 4 }, 200);
    const first = (m: TextPretraining) => m.stateDict().get('bert.embeddings.word_embeddings.weight')!.toArray();
    assert.deepEqual(first(again), first(bert));
    assert.notDeepEqual(first(other), first(bert));
    for (const m of [bert, albert, again, other]) m.dispose();
    assert.deepEqual(maskingOptions({ ...c('bert', { masking: 'ngram', maxNgram: 3, hiddenSize: 8 }) }), { masking: 'ngram', maxNgram: 3 });
    assert.deepEqual(maskingOptions(c('bert', {})), { masking: undefined, maxNgram: undefined });
  });

  it('evaluatePretrainingRun: scores over fixed held-out batches equal the reference, untrained and trained; probes; RNG put back', () => {
    const split = { train: corpus('train', 24, 0), test: corpus('test', 70, 1) };
    const tok = WordPieceTokenizer.train(split.train.documents.flatMap((d) => d.sentences), { vocabSize: 120, minFrequency: 1 });
    const c: TextRunConfig = { ...textRunConfig('bert', { eval: true, seed: 5 }), methodOptions: { ...TINY, masking: 'ngram', maxNgram: 2 } };
    // Trained a little on the training documents (their words repeat), so that its held-out MLM accuracy is not 0.
    const trained = pretrainingMethod({ ...c, seed: 6 }, tok.vocabSize);
    const batches0 = new PretrainingBatches(tok, split.train, { task: 'nsp', maxLength: MAX_LENGTH, batchSize: 8, seed: 1 });
    trainSteps(trained, () => batches0.next(), { steps: 40, lr: 3e-3, optimizer: 'adamw' });
    const lines: string[] = [];
    torch.manualSeed(11);
    const e: PretrainingEvaluation = evaluatePretrainingRun(c, tok, split, trained, (l) => lines.push(l));
    const after = torch.rand([4]).toArray();
    torch.manualSeed(11);
    assert.deepEqual(torch.rand([4]).toArray(), after, 'the global generator is where it was');
    assert.equal(trained.training, true, 'the trained model is back in training mode');
    const heldOut = () => new PretrainingBatches(tok, split.test,
      { task: 'nsp', maxLength: MAX_LENGTH, batchSize: 32, seed: 12345, masking: 'ngram', maxNgram: 2 });
    const batches = Math.max(1, Math.floor(heldOut().pairsPerEpoch / 32));
    assert.equal(e.heldOutPairs, batches * 32);
    assert.ok(batches >= 2, `the corpus gives ${batches} held-out batches`);
    const untrainedModel = pretrainingMethod(c, tok.vocabSize);
    assert.deepEqual(e.untrained, reference(untrainedModel, heldOut(), batches));
    assert.deepEqual(e.trained, reference(trained, heldOut(), batches));
    assert.notDeepEqual(e.trained, e.untrained);
    assert.ok(e.trained.mlmAccuracy > 0.05, `MLM accuracy ${e.trained.mlmAccuracy}: the reference would not tell a sum from a difference`);
    assert.deepEqual(e.probe.trained, textProbe(trained.encoder, tok, split.train, split.test, { maxLength: MAX_LENGTH }));
    assert.deepEqual(e.probe.randomInit, textProbe(untrainedModel.encoder, tok, split.train, split.test, { maxLength: MAX_LENGTH }));
    assert.equal(e.probe.bagOfWords, bagOfWordsProbe(tok, split.train, split.test, { maxLength: MAX_LENGTH }));
    assert.deepEqual(lines, ['Text probe: linear classifiers of the fortune category on frozen [CLS] and mean-pooled features ' +
      '(trained, random init) and on bag-of-words counts']);
    untrainedModel.dispose();
    trained.dispose();
  });

  it('formatPretrainingReport: the exact table, NSP or SOP, with the note and the probe', () => {
    const probe = (cls: number, mean: number) => ({ cls, mean, majority: 0.25, classes: 7, trainDocuments: 900, testDocuments: 100 });
    const e: PretrainingEvaluation = {
      untrained: { mlmAccuracy: 0.01234, perplexity: 4100.4, pairAccuracy: 0.5 },
      trained: { mlmAccuracy: 0.3456, perplexity: 55.6, pairAccuracy: 0.8125 },
      heldOutPairs: 320, probe: { trained: probe(0.41, 0.456), randomInit: probe(0.3, 0.31), bagOfWords: 0.5 },
    };
    assert.equal(formatPretrainingReport(e, 'sop', 4096, 'albert, 9 steps', '; trained in 3 s'), [
      '',
      '                   MLM acc  perplexity   SOP acc',
      'chance                0.02        4096      50.0',
      'untrained              1.2        4100      50.0',
      'albert, 9 steps       34.6          56      81.3',
      '(held-out fortunes, 320 pairs; trained in 3 s)',
      '',
      'fortune category probe (7 categories; 900 training, 100 held-out fortunes)',
      '                         [CLS]    mean',
      'majority class            25.0    25.0',
      'bag of words              50.0    50.0',
      'random init               30.0    31.0',
      'albert, 9 steps           41.0    45.6',
      '',
    ].join('\n'));
    assert.match(formatPretrainingReport(e, 'nsp', 100, 'bert'), /^\n {19}MLM acc  perplexity   NSP acc\nchance {16}1\.00 {9}100 {6}50\.0\n/);
    assert.match(formatPretrainingReport(e, 'nsp', 100, 'bert'), /\n\(held-out fortunes, 320 pairs\)\n/);
  });

  it('a small BERT run (no evaluation): the tokenizer, the log lines and the files by value; eval of a run without weights is refused', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-bert-values-'));
    try {
      const out = path.join(dir, 'bert');
      const c = { ...textRunConfig('bert', { steps: 1, batchSize: 4, out, eval: false, checkpointEvery: 0 }), methodOptions: TINY };
      const lines: string[] = [];
      let printed = '';
      const report = await runTextTrain(c, { log: (l) => lines.push(l), print: (t) => { printed += t; } });
      const tok = WordPieceTokenizer.load(path.join(out, 'tokenizer.json'));
      assert.equal(tok.vocabSize, 4096);
      const fortunes = fortunesSplit().train.documents.length;
      assert.match(lines[0], new RegExp(`^WordPiece vocabulary of 4096 from ${fortunes} fortunes in \\d+\\.\\d s$`));
      const method = pretrainingMethod(c, tok.vocabSize);
      const parameters = method.encoder.numParameters().toLocaleString('en-US');
      method.dispose();
      assert.match(lines[1], new RegExp(`^Training bert \\(${parameters} parameters in the encoder\\) on \\d+ NSP pairs per epoch ` +
        `for 1 steps of 4; run folder ${out.replace(/[/.]/g, '\\$&')}$`));
      assert.equal(lines.length, 3);
      assert.match(lines[2], /^step 1\/1 /);
      assert.equal(printed, '');
      assert.deepEqual([report.method, report.steps, report.optimizer, report.eval], ['bert', 1, 'adamw', undefined]);
      assert.deepEqual(fs.readdirSync(out).sort(), ['config.json', 'eval.json', 'model.safetensors', 'tokenizer.json']);
      fs.rmSync(path.join(out, 'model.safetensors'));
      await assert.rejects(runTextEval(out, { log: () => undefined, print: () => undefined }),
        (err: Error) => err.message === `${out} has no model.safetensors: the run did not finish`);
      fs.rmSync(path.join(out, 'tokenizer.json'));
      await assert.rejects(runTextEval(out), (err: Error) => err.message === `${out} has no tokenizer.json: the run did not finish`);
      await assert.rejects(runTextEval(dir), (err: Error) => err.message === `'${dir}' is not a run folder of selfsup train bert|albert|clip`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
