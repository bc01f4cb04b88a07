// BERT pre-training (Devlin et al. 2019, "BERT: Pre-training of Deep
// Bidirectional Transformers for Language Understanding"): masked language
// modelling plus next-sentence prediction, on HF's BertForPreTraining
// (keys bert.*, cls.predictions.*, cls.seq_relationship.*).
import { BertConfig } from '../models/bert-config';
import { BertForPreTraining, BertModel, MlmHead } from '../models/bert';
import { Linear } from '../nn/layers/linear';
import { OptimizerRecipe } from './method';
import { checkOptionKeys, resolveRecipe } from './method-options';
import { TextPretraining } from './text-pretraining';

/** Options of `BertPretraining`. */
export interface BertPretrainingOptions {
  /** The model's configuration over bert-base's (vocabSize must match the tokenizer). */
  config?: Partial<BertConfig>;
  /** Overrides of `BERT_RECIPE`. */
  recipe?: Partial<OptimizerRecipe>;
}

/**
 * BERT's optimisation (section A.2): "Adam with learning rate of 1e-4, beta1 =
 * 0.9, beta2 = 0.999, L2 weight decay of 0.01, learning rate warmup over the
 * first 10,000 steps, and linear decay". Here AdamW with a cosine decay (the
 * Trainer's schedule); warmup in epochs is set by the text trainer.
 */
export const BERT_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'adamw', lr: 1e-4, lrScaling: 'none', weightDecay: 0.01, betas: [0.9, 0.999] as [number, number],
  warmupEpochs: 0.1, clipGrad: 1.0,
});

/**
 * MLM + NSP pre-training of a `BertModel`.
 * @example
 * const method = new ssl.BertPretraining({ config: { vocabSize: tok.vocabSize, hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 512 } });
 * const { loss } = method.trainingStep(batch);
 */
export class BertPretraining extends TextPretraining {
  readonly name = 'bert' as const;
  readonly pairTask = 'nsp' as const;
  readonly model: BertForPreTraining;
  readonly encoder: BertModel;
  readonly recipe: OptimizerRecipe;
  protected readonly mlmHead: MlmHead;
  protected readonly pairHead: Linear;

  constructor(protected readonly options: BertPretrainingOptions = {}) {
    super();
    checkOptionKeys(options, ['config', 'recipe'], 'BertPretraining');
    this.recipe = resolveRecipe(BERT_RECIPE, options.recipe, 'BertPretraining');
    this.model = new BertForPreTraining(options.config);
    // The model's children are registered here, so the method's state dict has HF's BertForPreTraining keys.
    for (const [name, child] of this.model.namedChildren()) this.registerModule(name, child);
    this.encoder = this.model.bert;
    this.mlmHead = this.model.predictions;
    this.pairHead = this.model.seqRelationship;
  }
}
