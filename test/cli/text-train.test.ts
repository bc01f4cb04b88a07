// `selfsup train bert|albert|clip`: a few steps into a temporary run folder,
// whose tokenizer.json and model.safetensors (Hugging Face's keys) load back;
// flags that do not apply are refused by name.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSafetensors } from '../../lib/torch/safetensors';
import { WordPieceTokenizer } from '../../lib/data/text';
import { BertPretraining } from '../../lib/ssl/bert-pretraining';
import { isTextMethod, runTextTrain, textRunConfig } from '../../lib/cli/text-train';
import { program } from '../../lib/cli/main';
import { runTextEval } from '../../lib/cli/text-eval';
import { ClipScores } from '../../lib/cli/clip-run';

describe('cli: selfsup train bert|albert|clip', function () {
  this.timeout(180000);
  let dir = '';
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-text-cli-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('bert: trains a few steps and writes a run folder that loads back by Hugging Face key', async () => {
    const out = path.join(dir, 'bert');
    const lines: string[] = [];
    const c = { ...textRunConfig('bert', { steps: 2, batchSize: 4, out, eval: false }),
      methodOptions: { hiddenSize: 32, numAttentionHeads: 2, intermediateSize: 64 } };
    const report = await runTextTrain(c, { log: (l) => lines.push(l), print: () => undefined });
    assert.equal(report.steps, 2);
    for (const f of ['config.json', 'tokenizer.json', 'model.safetensors', 'eval.json']) assert.ok(fs.existsSync(path.join(out, f)), f);
    const tok = WordPieceTokenizer.load(path.join(out, 'tokenizer.json'));
    const weights = loadSafetensors(path.join(out, 'model.safetensors'));
    assert.ok(weights.has('cls.predictions.decoder.weight') && weights.has('bert.encoder.layer.1.output.LayerNorm.bias'));
    const method = new BertPretraining({ config: { vocabSize: tok.vocabSize, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 2,
      intermediateSize: 64, maxPositionEmbeddings: 64 } });
    assert.deepEqual(method.loadStateDict(weights), { missingKeys: [], unexpectedKeys: [] });
    method.dispose();
    assert.ok(lines.some((l) => l.startsWith('step 2/2')), lines.join('\n'));
    assert.ok(!lines.some((l) => l.startsWith('step 1/2')), 'the default logEvery (25) logs only the last of 2 steps');
  });

  it('clip: trains a few steps on Fashion-MNIST with generated captions', async () => {
    const out = path.join(dir, 'clip');
    const lines: string[] = [];
    const report = await runTextTrain(textRunConfig('clip', { steps: 2, batchSize: 8, out, eval: false }),
      { log: (l) => lines.push(l), print: () => undefined, logEvery: 1 });
    assert.equal(report.method, 'clip');
    assert.ok(loadSafetensors(path.join(out, 'model.safetensors')).has('logit_scale'));
    // logEvery reaches the loop (the bert test above, at the default 25, logs only the last step)
    assert.deepEqual(lines.filter((l) => /^step \d/.test(l)).map((l) => l.split(' ')[1]), ['1/2', '2/2']);
    await assert.rejects(runTextTrain(textRunConfig('clip', { steps: 2, batchSize: 8, out: `${out}-0`, eval: false }),
      { log: () => undefined, print: () => undefined, logEvery: 0 }), /options\.logEvery/);
  });

  it('clip --data scenes:<n>: retrieval among new scenes of seen and of held-out combinations, next to chance; eval reproduces it', async () => {
    const out = path.join(dir, 'scenes');
    const c = textRunConfig('clip', { data: 'scenes:256', steps: 2, batchSize: 32, out, eval: true });
    assert.equal(c.data, 'scenes:256');
    const printed: string[] = [];
    const report = await runTextTrain(c, { log: () => undefined, print: (t) => printed.push(t) });
    const e = report.eval as { data: string; chance: ClipScores; untrained: ClipScores; trained: ClipScores };
    assert.match(e.data, /^generated scenes: 256 training scenes, 1,000 held-out scenes of seen and 1,000 of held-out combinations$/);
    assert.equal(e.chance.retrieval!.pairs, 1000);
    assert.equal(e.chance.retrievalHeldOut!.pairs, 1000);
    assert.deepEqual(e.chance.retrievalHeldOut!.imageToText, { 1: 0.001, 5: 0.005, 10: 0.01 });
    for (const row of [e.untrained, e.trained]) {
      assert.ok(row.retrieval!.imageToText[10] >= 0 && row.retrievalHeldOut!.textToImage[10] >= 0);
      assert.equal(row.zeroShotTop1, undefined, 'scenes have no class labels');
    }
    assert.match(printed.join(''), /seen combinations +held-out combinations\n.*I>T@1.*I>T@1.*\nchance +0\.1 +0\.5 +1\.0/);
    // Scenes pool small_cnn's last map to 2 x 2 (the relations need where a shape is): 16 x width 16 features.
    assert.deepEqual(loadSafetensors(path.join(out, 'model.safetensors')).get('visual_projection.weight')!.shape, [64, 256]);
    const again = await runTextEval(out, { log: () => undefined, print: () => undefined });
    assert.deepEqual(again.eval, report.eval);
    for (const bad of ['scenes:0', 'scenes:x', 'scenes:1.5']) {
      assert.throws(() => textRunConfig('clip', { data: bad, eval: true }), /Expected --data scenes or scenes:<n> .* but received/);
    }
    assert.throws(() => textRunConfig('bert', { data: 'scenes', eval: true }), /--data does not apply to bert/);
  });

  it('refuses flags that do not apply, by name', async () => {
    assert.ok(isTextMethod('albert') && !isTextMethod('simclr'));
    assert.throws(() => textRunConfig('bert', { epochs: 2, eval: true }), /--epochs does not apply to bert/);
    assert.throws(() => textRunConfig('clip', { device: 'cuda', eval: true }), /runs on the CPU/);
    await assert.rejects(program().exitOverride().parseAsync(['node', 'selfsup', 'train', 'albert', '--data', 'cifar10:x']),
      /--data does not apply to albert/);
    // Every flag of `selfsup train` that a text method does not take is refused by name, none silently ignored.
    const refused: string[][] = [['--epochs', '2'], ['--data', 'synthetic'], ['--encoder', 'small_cnn'], ['--encoder-options', '{}'],
      ['--precision', 'float32'], ['--clip-grad', '1'], ['--cuda-graph', 'off'], ['--channels-last', 'off'],
      ['--knn-every', '1'], ['--image-size', '32'], ['--eval-train-subset', '10'],
      ['--config', 'x.json'], ['--tensorboard'], ['--nnodes', '2'], ['--node-rank', '1'], ['--master-addr', 'h'], ['--master-port', '1234']];
    // Refused by the train action itself, with their own messages.
    const own: [string[], RegExp][] = [[['--nproc-per-node', '2'], /--nproc-per-node: the text methods \(bert\) train on one process only/],
      [['--dashboard'], /--dashboard shows image runs; drop it for bert/],
      [['--resume', 'x'], /Cannot resume from 'x': it is not a run folder of selfsup train bert\|albert/]];
    const taken = ['--steps', '--batch-size', '--lr', '--optimizer', '--seed', '--out', '--no-eval', '--method-options', '--device',
      '--progress', '--threads', '--checkpoint-every'];
    const train = program().commands.find((c) => c.name() === 'train')!;
    assert.deepEqual(train.options.map((o) => o.long!).filter((f) => !taken.includes(f)).sort(),
      [...refused.map((r) => r[0]), ...own.map(([args]) => args[0])].sort());
    for (const [args, message] of own) {
      await assert.rejects(program().exitOverride().parseAsync(['node', 'selfsup', 'train', 'bert', ...args]), message);
    }
    for (const args of refused) {
      await assert.rejects(program().exitOverride().parseAsync(['node', 'selfsup', 'train', 'bert', ...args]),
        new RegExp(`${args[0]} does not apply to bert .*it takes --steps, --batch-size, --lr, --optimizer, --seed, --out, --no-eval, ` +
          '--method-options, --checkpoint-every and --resume$'));
    }
    // --checkpoint-every reaches every text run's config (test/cli/text-resume.test.ts checks where it acts).
    assert.equal(textRunConfig('albert', { checkpointEvery: 5, eval: true }).checkpointEvery, 5);
    assert.equal(textRunConfig('bert', { eval: true }).checkpointEvery, 100);
    assert.equal(textRunConfig('clip', { checkpointEvery: 5, eval: true }).checkpointEvery, 5);
    assert.equal(textRunConfig('clip', { eval: true }).checkpointEvery, 100);
  });
});
