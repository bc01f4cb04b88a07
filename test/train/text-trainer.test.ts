// The text loop's optimiser option reaches the step: with LAMB every decayed
// weight tensor moves by exactly lr * ||w|| on a step (the trust ratio), which
// AdamW does not do; ALBERT's recipe selects LAMB and BERT's AdamW by
// default; `selfsup train ... --optimizer` reaches the text run's config and
// the recipe of an image run.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { fortunesCorpus, PretrainingBatches, WordPieceTokenizer } from '../../lib/data/text';
import { BertPretraining } from '../../lib/ssl/bert-pretraining';
import { AlbertPretraining, ALBERT_RECIPE } from '../../lib/ssl/albert-pretraining';
import { TextPretraining } from '../../lib/ssl/text-pretraining';
import { trainSteps, TrainStepsOptions } from '../../lib/train/text-trainer';
import { textRunConfig } from '../../lib/cli/text-train';
import { resolveRunConfig } from '../../lib/cli/train';
import { program } from '../../lib/cli/main';
import { makeOptimizer } from '../../lib/train/optimizer-setup';
import { LAMB } from '../../lib/optim/lamb';

const small = { hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 64, maxPositionEmbeddings: 32 };

describe('train: the text loop\'s optimiser', function () {
  this.timeout(60000);
  let tok: WordPieceTokenizer;
  const corpus = () => fortunesCorpus({ categories: ['science'] });
  before(() => { tok = WordPieceTokenizer.train(corpus().documents.flatMap((d) => d.sentences), { vocabSize: 300 }); });

  /** After one step: ||dw|| / (lr ||w||) of each decayed (2-d) weight, and the optimiser's name. */
  function relativeSteps(method: TextPretraining, options: Partial<TrainStepsOptions>): { ratios: number[]; optimizer: string } {
    const data = new PretrainingBatches(tok, corpus(), { task: method.pairTask, maxLength: 32, batchSize: 4, seed: 1 });
    const batch = data.next();
    const lr = 0.01;
    const decayed = [...method.namedParameters()].filter(([n, p]) => p.dim() > 1 && !n.endsWith('.bias'));
    const before = decayed.map(([, p]) => torch.keep(p.detach().clone()));
    const result = trainSteps(method, () => batch, { steps: 1, lr, warmupSteps: 0, clipGrad: 0, ...options });
    const ratios = decayed.map(([, p], i) => torch.scope(() => {
      const d = Number(p.detach().sub(before[i]).norm().item());
      return d / (lr * Number(before[i].norm().item()));
    }));
    before.forEach((t) => t.dispose());
    method.dispose();
    return { ratios, optimizer: result.optimizer };
  }

  it('optimizer: \'lamb\' moves every decayed tensor by lr * ||w||; AdamW does not', () => {
    torch.manualSeed(0);
    const lamb = relativeSteps(new BertPretraining({ config: { ...small, vocabSize: tok.vocabSize } }), { optimizer: 'lamb' });
    assert.equal(lamb.optimizer, 'lamb');
    assert.ok(lamb.ratios.length >= 8);
    for (const r of lamb.ratios) assert.ok(Math.abs(r - 1) < 1e-4, `||dw|| / (lr ||w||) = ${r}`);
    torch.manualSeed(0);
    const adamw = relativeSteps(new BertPretraining({ config: { ...small, vocabSize: tok.vocabSize } }), {});
    assert.equal(adamw.optimizer, 'adamw');
    assert.ok(adamw.ratios.some((r) => Math.abs(r - 1) > 0.1), adamw.ratios.join(' '));
  });

  it('ALBERT\'s recipe is LAMB (lr 0.00176, as section 4.1) and reaches the loop by default; BERT\'s is AdamW', () => {
    assert.equal(ALBERT_RECIPE.optimizer, 'lamb');
    assert.equal(ALBERT_RECIPE.lr, 0.00176);
    torch.manualSeed(0);
    const albert = relativeSteps(new AlbertPretraining({ config: { ...small, vocabSize: tok.vocabSize, embeddingSize: 16 } }), {});
    assert.equal(albert.optimizer, 'lamb');
    for (const r of albert.ratios) assert.ok(Math.abs(r - 1) < 1e-4, `||dw|| / (lr ||w||) = ${r}`);
    const overridden = new AlbertPretraining({ config: { ...small, vocabSize: tok.vocabSize, embeddingSize: 16 }, recipe: { optimizer: 'adamw' } });
    assert.equal(relativeSteps(overridden, {}).optimizer, 'adamw');
    assert.equal(new BertPretraining({ config: { ...small, vocabSize: tok.vocabSize } }).recipe.optimizer, 'adamw');
  });

  it('selfsup train --optimizer reaches a text run\'s config and an image run\'s recipe; other names are refused', async () => {
    assert.equal(textRunConfig('albert', { eval: true }).optimizer, 'adamw');
    assert.equal(textRunConfig('albert', { eval: true, optimizer: 'lamb' }).optimizer, 'lamb');
    assert.throws(() => textRunConfig('bert', { eval: true, optimizer: 'lars' }), /--optimizer \(bert\)/);
    assert.equal(resolveRunConfig('simclr', { eval: true, optimizer: 'lamb' }).optimizer.optimizer, 'lamb');
    await assert.rejects(program().exitOverride().parseAsync(['node', 'selfsup', 'train', 'albert', '--optimizer', 'sgd']),
      /--optimizer \(albert\)/);
  });

  it('a recipe naming lamb builds LAMB for the image Trainer too (with the recipe\'s betas), not capturable', () => {
    const p = torch.zeros([3, 2]).requiresGrad_();
    const recipe = { optimizer: 'lamb' as const, weightDecay: 0.02, betas: [0.8, 0.9] as [number, number] };
    const opt = makeOptimizer(recipe, [{ params: [p] }], { lr: 0.1 });
    assert.ok(opt instanceof LAMB);
    assert.deepEqual([opt.paramGroups[0].lr, opt.paramGroups[0].weightDecay, (opt as unknown as LAMB).paramGroups[0].betas], [0.1, 0.02, [0.8, 0.9]]);
    assert.throws(() => makeOptimizer(recipe, [{ params: [p] }], { lr: 0.1, capturable: true }), /LAMB does not support capturable/);
    p.dispose();
  });

  it('an unknown optimiser name is refused by the loop', () => {
    const method = new BertPretraining({ config: { ...small, vocabSize: tok.vocabSize } });
    assert.throws(() => trainSteps(method, () => { throw new Error('not reached'); }, { steps: 1, optimizer: 'sgd' as 'lamb' }),
      /optimizer \(text methods\)/);
    method.dispose();
  });
});
