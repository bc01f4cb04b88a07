// BERT, ALBERT and CLIP as trainable methods: a few steps on a fixed batch
// lower the loss, CLIP's loss and the gradient of its logit scale match
// PyTorch, the temperature is clamped, zero-shot classification picks the
// class whose prompts match.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { fortunesCorpus, PretrainingBatches, WordPieceTokenizer } from '../../lib/data/text';
import { BertPretraining } from '../../lib/ssl/bert-pretraining';
import { AlbertPretraining } from '../../lib/ssl/albert-pretraining';
import { CLIP, MAX_LOGIT_SCALE } from '../../lib/ssl/clip';
import { clipLoss } from '../../lib/ssl/losses/clip-loss';
import { trainSteps } from '../../lib/train/text-trainer';
import { zeroShotAccuracy, zeroShotWeights } from '../../lib/eval/zero-shot';
import { TextInputs } from '../../lib/models/bert';
import { makeDataset } from '../../lib/data/dataset';
import { createText, listText } from '../../lib/ssl/text-registry';
import { TEXT_METHODS } from '../../lib/cli/text-train';
import { input, parity } from '../helpers/parity';

const small = { hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 32 };

parity('CLIP loss', [
  {
    name: 'symmetric InfoNCE with a learned logit scale',
    inputs: [input('a', [6, 8]), input('b', [6, 8]), input('s', [], { values: [Math.log(1 / 0.07)] })],
    js: (a, b, s) => clipLoss(a, b, s),
    py: '(lambda l: (F.cross_entropy(l, torch.arange(6)) + F.cross_entropy(l.t(), torch.arange(6))) / 2)(' +
      'F.normalize(a, dim=1) @ F.normalize(b, dim=1).t() * s.exp())',
  },
]);

describe('ssl: text and image-text methods', function () {
  this.timeout(120000);
  let tok: WordPieceTokenizer;
  const corpus = () => fortunesCorpus({ categories: ['science'] });
  before(() => {
    tok = WordPieceTokenizer.train(corpus().documents.flatMap((d) => d.sentences), { vocabSize: 300 });
  });

  // BERT's recipe is AdamW; ALBERT's is LAMB, whose step moves each tensor by lr * ||w||: a larger lr.
  for (const [name, build, lr] of [
    ['BERT (MLM + NSP)', () => new BertPretraining({ config: { ...small, vocabSize: tok.vocabSize } }), 3e-3],
    ['ALBERT (MLM + SOP)', () => new AlbertPretraining({ config: { ...small, vocabSize: tok.vocabSize, embeddingSize: 16 } }), 5e-2],
  ] as const) {
    it(`${name}: training steps on a fixed batch lower the loss`, () => {
      torch.manualSeed(0);
      const method = build();
      const data = new PretrainingBatches(tok, corpus(), { task: method.pairTask, maxLength: 32, batchSize: 8, seed: 1 });
      const batch = data.next();
      const before = torch.memory().tensors;
      const { losses, history } = trainSteps(method, () => batch, { steps: 8, lr, warmupSteps: 0, logEvery: 4 });
      assert.ok(losses[7] < losses[0] - 0.3, `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
      assert.ok(history[1].mlmAccuracy >= 0 && history[1].pairAccuracy <= 1);
      assert.equal(torch.memory().tensors, before, 'no tensor outlives a step');
      method.dispose();
    });
  }

  it('CLIP: training steps on a fixed batch lower the loss; the logit scale is clamped at ln 100', () => {
    torch.manualSeed(0);
    const captions = ['a photo of a cat.', 'a photo of a dog.', 'a red car.', 'a blue boat.', 'the sun.', 'a tree.'];
    const ctok = WordPieceTokenizer.train(captions, { vocabSize: 60, minFrequency: 1 });
    const clip = new CLIP({ imageEncoder: 'small_cnn', imageEncoderOptions: { inChannels: 1, width: 4 },
      textConfig: { ...small, vocabSize: ctok.vocabSize }, embedDim: 16 });
    const enc = ctok.encodeBatch(captions, { maxLength: 16 });
    const batch = { images: torch.randn([6, 1, 16, 16]), ...enc };
    const { losses } = trainSteps(clip, () => batch, { steps: 8, lr: 3e-3, warmupSteps: 0 });
    assert.ok(losses[7] < losses[0] - 0.2, `losses ${losses.map((l) => l.toFixed(3)).join(' ')}`);
    assert.deepEqual([...clip.stateDict().keys()].filter((k) => !k.includes('.')), ['logit_scale']);
    assert.ok(clip.stateDict().has('text_projection.weight') && clip.stateDict().has('text_model.encoder.layer.0.attention.self.query.weight'));
    torch.noGrad(() => clip.logitScale.fill_(7));
    clip.afterOptimizerStep();
    assert.ok(Math.abs(Number(clip.logitScale.item()) - MAX_LOGIT_SCALE) < 1e-6);
    assert.throws(() => clipLoss(torch.zeros([4, 8]), torch.zeros([3, 8]), clip.logitScale), /same shape/);
    clip.dispose();
  });

  it('zero-shot: each image takes the class whose prompts embed closest', () => {
    const ztok = WordPieceTokenizer.train(['a photo of a red.', 'a photo of a blue.'], { vocabSize: 40, minFrequency: 1 });
    const red = ztok.tokenToId('red')!;
    const blue = ztok.tokenToId('blue')!;
    // A fixed model: text -> (has "red", has "blue"); image (1 x 1 x 2 pixels) -> its two pixels.
    const model = {
      encodeText: (t: TextInputs) => torch.stack([t.inputIds.eq(red).any(1), t.inputIds.eq(blue).any(1)], 1).float(),
      encodeImage: (x: torch.Tensor) => x.flatten(1),
      eval: () => undefined, train: () => undefined,
    };
    const images = torch.tensor(new Uint8Array([255, 0, 0, 255, 200, 10]), { shape: [3, 1, 1, 2] });
    const labels = torch.tensor(BigInt64Array.from([0n, 1n, 0n]), { shape: [3] });
    const ds = makeDataset({ name: 'toy', images, labels, classes: ['red', 'blue'] });
    const w = zeroShotWeights(model, ztok, ['red', 'blue'], ['a photo of a {}.']);
    assert.ok(w.allclose(torch.eye(2)));
    assert.equal(zeroShotAccuracy(model, { ...ds, mean: [0], std: [1] }, w), 1);
    assert.equal(zeroShotAccuracy(model, { ...ds, mean: [0], std: [1] }, zeroShotWeights(model, ztok, ['blue', 'red'], ['a photo of a {}.'])), 0);
    assert.throws(() => zeroShotWeights(model, ztok, ['red'], ['no placeholder']), /Expected '\{\}'/);
  });

  it('the text registry builds each method by name and rebuilds it from its config', () => {
    assert.deepEqual(listText(), [...TEXT_METHODS]);
    const bert = createText('bert', { config: { ...small, vocabSize: 50 } });
    const again = createText('bert', bert.config() as never);
    assert.equal(again.numParameters(), bert.numParameters());
    assert.deepEqual([...again.stateDict().keys()], [...bert.stateDict().keys()]);
    const albert = createText('albert', { config: { ...small, vocabSize: 50, embeddingSize: 8, shareMode: 'none' } });
    assert.equal(createText('albert', albert.config() as never).numParameters(), albert.numParameters());
    assert.throws(() => createText('gpt' as never, {} as never), /Unknown text method 'gpt'; expected one of 'bert', 'albert', 'clip'/);
    assert.throws(() => createText('bert', { confg: {} } as never), /confg/);
    for (const m of [bert, again, albert]) m.dispose();
  });
});
