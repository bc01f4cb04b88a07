// What BERT and ALBERT pre-training share: a batch of masked pairs in, MLM +
// sentence-pair loss out, with the optimisation recipe and the config that
// rebuilds the method. Text methods are not image `Method`s (no
// augmentation, no image encoder): `trainText` (lib/train/text-trainer.ts) runs them.
import { Tensor } from '../torch';
import { Module } from '../nn/module';
import { AlbertModel } from '../models/albert';
import { BertModel, MlmHead } from '../models/bert';
import { Linear } from '../nn/layers/linear';
import { ParamGroup } from '../optim/optimizer';
import { paramGroupsWeightDecay } from '../optim/param-groups';
import { OptimizerRecipe } from './method';
import { mlmLoss, pairLoss } from './losses/mlm-loss';

/** One pre-training batch, int64 tensors on the method's device. */
export interface TextBatch {
  /** (B, T) after masking. */
  inputIds: Tensor;
  /** (B, T): 0 for [CLS] A [SEP], 1 for B [SEP]. */
  tokenTypeIds: Tensor;
  /** (B, T): 1 on tokens, 0 on padding. */
  attentionMask: Tensor;
  /** (B, T): the original id at chosen positions, -100 elsewhere. */
  labels: Tensor;
  /** (B): 0 = B follows A, 1 = random next (NSP) or swapped (SOP). */
  pairLabels: Tensor;
}

/** What a text method's step returns: the loss and its parts (scalar tensors). */
export interface TextStepOutput {
  loss: Tensor;
  logs: { mlmLoss: Tensor; pairLoss: Tensor; mlmAccuracy: Tensor; pairAccuracy: Tensor };
}

/** The base of `BertPretraining` and `AlbertPretraining`. */
export abstract class TextPretraining extends Module {
  abstract readonly name: 'bert' | 'albert';
  /** The sentence-pair task: 'nsp' (BERT) or 'sop' (ALBERT). */
  abstract readonly pairTask: 'nsp' | 'sop';
  /** The encoder that is kept after pre-training (HF's BertModel / AlbertModel). */
  abstract readonly encoder: BertModel | AlbertModel;
  abstract readonly recipe: OptimizerRecipe;
  protected abstract readonly mlmHead: MlmHead;
  protected abstract readonly pairHead: Linear;
  /** The options given, for config(). */
  protected abstract readonly options: { recipe?: Partial<OptimizerRecipe> };

  /**
   * MLM loss on the chosen positions plus the pair loss on the pooled [CLS], unweighted, as both papers.
   * @example const { loss, logs } = method.trainingStep(batch); loss.backward();
   */
  trainingStep(batch: TextBatch): TextStepOutput {
    const out = this.encoder.forward(batch);
    const mlm = mlmLoss(out.lastHiddenState, batch.labels, (rows) => this.mlmHead.forward(rows));
    const pair = pairLoss(this.pairHead.forward(out.pooledOutput), batch.pairLabels);
    return {
      loss: mlm.loss.add(pair.loss),
      logs: { mlmLoss: mlm.loss.detach(), pairLoss: pair.loss.detach(), mlmAccuracy: mlm.accuracy, pairAccuracy: pair.accuracy },
    };
  }

  /**
   * Decay and no-decay groups: biases and LayerNorm weights are not decayed (HF's `no_decay`, BERT's
   * AdamWeightDecayOptimizer `exclude_from_weight_decay`).
   * @example new optim.AdamW(method.parameterGroups(0.01), { lr: 1e-4 });
   */
  parameterGroups(weightDecay: number): ParamGroup[] {
    return paramGroupsWeightDecay(this.namedParameters(), { weightDecay });
  }

  /**
   * The options, JSON-able: the model's whole configuration and the recipe overrides.
   * @example ssl.createText(method.name, method.config()); // the same architecture
   */
  config(): Record<string, unknown> {
    return { config: { ...this.encoder.config }, ...(this.options.recipe ? { recipe: { ...this.options.recipe } } : {}) };
  }
}
