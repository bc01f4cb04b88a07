// ALBERT pre-training (Lan et al. 2020, "ALBERT: A Lite BERT for
// Self-supervised Learning of Language Representations"): factorised
// embeddings and cross-layer sharing in the model, MLM plus sentence-order
// prediction ("uses as positive examples ... two consecutive segments from the
// same document, and as negative examples the same two consecutive segments
// but with their order swapped"), on HF's AlbertForPreTraining (keys albert.*,
// predictions.*, sop_classifier.classifier.*).
import { AlbertConfig } from '../models/bert-config';
import { AlbertForPreTraining, AlbertModel } from '../models/albert';
import { MlmHead } from '../models/bert';
import { Linear } from '../nn/layers/linear';
import { OptimizerRecipe } from './method';
import { checkOptionKeys, resolveRecipe } from './method-options';
import { TextPretraining } from './text-pretraining';

/** Options of `AlbertPretraining`. */
export interface AlbertPretrainingOptions {
  /** The model's configuration over albert-base-v2's (vocabSize must match the tokenizer). */
  config?: Partial<AlbertConfig>;
  /** Overrides of `ALBERT_RECIPE`. */
  recipe?: Partial<OptimizerRecipe>;
}

/**
 * ALBERT's optimisation (section 4.1): "a batch size of 4096 and a LAMB
 * optimizer with learning rate 0.00176" (You et al. 2020), with the weight
 * decay 0.01, betas (0.9, 0.999) and gradient clipping at 1.0 of the authors'
 * code (google-research/albert). Tuned for batch 4096: a small batch on a CPU
 * wants another rate (`selfsup train albert` uses AdamW unless `--optimizer lamb`).
 * Override with `recipe`.
 */
export const ALBERT_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'lamb', lr: 0.00176, lrScaling: 'none', weightDecay: 0.01, betas: [0.9, 0.999] as [number, number],
  warmupEpochs: 0.1, clipGrad: 1.0,
});

/**
 * MLM + SOP pre-training of an `AlbertModel`.
 * @example
 * const method = new ssl.AlbertPretraining({ config: { vocabSize: tok.vocabSize, embeddingSize: 64, hiddenSize: 256, numHiddenLayers: 4, numAttentionHeads: 4, intermediateSize: 1024 } });
 */
export class AlbertPretraining extends TextPretraining {
  readonly name = 'albert' as const;
  readonly pairTask = 'sop' as const;
  readonly model: AlbertForPreTraining;
  readonly encoder: AlbertModel;
  readonly recipe: OptimizerRecipe;
  protected readonly mlmHead: MlmHead;
  protected readonly pairHead: Linear;

  constructor(protected readonly options: AlbertPretrainingOptions = {}) {
    super();
    checkOptionKeys(options, ['config', 'recipe'], 'AlbertPretraining');
    this.recipe = resolveRecipe(ALBERT_RECIPE, options.recipe, 'AlbertPretraining');
    this.model = new AlbertForPreTraining(options.config);
    // The model's children are registered here, so the method's state dict has HF's AlbertForPreTraining keys.
    for (const [name, child] of this.model.namedChildren()) this.registerModule(name, child);
    this.encoder = this.model.albert;
    this.mlmHead = this.model.predictions;
    this.pairHead = this.model.sopClassifier;
  }
}
