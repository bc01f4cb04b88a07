// BERT (Devlin et al. 2019) with Hugging Face's module structure and
// state-dict keys (embeddings.word_embeddings, encoder.layer.N.attention.self.query,
// ..., pooler.dense; cls.predictions.*, cls.seq_relationship for pre-training),
// so HF checkpoints load unchanged: post-LN layers, learned absolute
// positions, token types, padding masks, exact GELU.
import * as torch from '../torch';
import { Tensor } from '../torch';
import * as F from '../nn/functional';
import { normal_, ones_, zeros_ } from '../nn/init';
import { Embedding } from '../nn/layers/embedding';
import { LayerNorm } from '../nn/layers/layer-norm';
import { Linear } from '../nn/layers/linear';
import { ModuleList } from '../nn/layers/container';
import { Module } from '../nn/module';
import { BertConfig, bertConfig } from './bert-config';
import { BertSelfAttention, keyMask } from './text-attention';

/** The inputs of a text encoder: int64 (B, T) each; token types and mask default to zeros and ones. */
export interface TextInputs {
  inputIds: Tensor;
  tokenTypeIds?: Tensor;
  attentionMask?: Tensor;
}

/** What a text encoder returns. */
export interface TextEncoderOutput {
  /** (B, T, H): every token after the last layer. */
  lastHiddenState: Tensor;
  /** (B, H): tanh(dense([CLS])), the pooler's output. */
  pooledOutput: Tensor;
}

/** The activation of a config's hiddenAct. */
export function activation(x: Tensor, act: 'gelu' | 'gelu_new'): Tensor {
  return F.gelu(x, { approximate: act === 'gelu_new' ? 'tanh' : 'none' });
}

/**
 * HF's initialisation (`_init_weights`): Linear and Embedding weights from
 * N(0, initializerRange^2), biases zero, the padding row zero, LayerNorm 1 and 0.
 */
export function initTextWeights(model: Module, initializerRange: number): void {
  for (const m of model.modules()) {
    if (m instanceof Linear) {
      normal_(m.weight, 0, initializerRange);
      if (m.bias) zeros_(m.bias);
    } else if (m instanceof Embedding) {
      normal_(m.weight, 0, initializerRange);
      if (m.paddingIdx !== null) torch.noGrad(() => torch.scope(() => { m.weight.select(0, m.paddingIdx!).zero_(); }));
    } else if (m instanceof LayerNorm) {
      if (m.weight) ones_(m.weight);
      if (m.bias) zeros_(m.bias);
    }
  }
}

/** Checks the shapes and dtypes of `inputs` against a model's position table. */
export function checkTextInputs(inputs: TextInputs, maxPositions: number, what: string): [number, number] {
  const ids = inputs.inputIds;
  if (!(ids instanceof torch.Tensor) || ids.dtype !== 'int64' || ids.dim() !== 2) {
    throw new TypeError(`Expected inputIds int64 (B, T) for ${what} but received ` +
      (ids instanceof torch.Tensor ? `${ids.dtype} [${ids.shape.join(', ')}]` : String(ids)));
  }
  const [B, T] = ids.shape;
  if (T > maxPositions) {
    throw new RangeError(`Expected sequences of at most maxPositionEmbeddings = ${maxPositions} tokens for ${what} ` +
      `but received ${T}; truncate them (tokenizer maxLength) or build the model with a larger maxPositionEmbeddings`);
  }
  for (const k of ['tokenTypeIds', 'attentionMask'] as const) {
    const t = inputs[k];
    if (t !== undefined && t.shape.join() !== ids.shape.join()) {
      throw new RangeError(`Expected ${k} of shape [${B}, ${T}] for ${what} but received [${t.shape.join(', ')}]`);
    }
  }
  return [B, T];
}

/**
 * Word + position + token-type embeddings, LayerNorm, dropout (keys
 * word_embeddings, position_embeddings, token_type_embeddings, LayerNorm);
 * `dim` is H for BERT and E for ALBERT.
 */
export class TextEmbeddings extends Module {
  readonly wordEmbeddings: Embedding;
  readonly positionEmbeddings: Embedding;
  readonly tokenTypeEmbeddings: Embedding;
  readonly layerNorm: LayerNorm;

  constructor(readonly config: BertConfig, dim: number) {
    super();
    this.wordEmbeddings = this.registerModule('word_embeddings', new Embedding(config.vocabSize, dim, { paddingIdx: 0 }));
    this.positionEmbeddings = this.registerModule('position_embeddings', new Embedding(config.maxPositionEmbeddings, dim));
    this.tokenTypeEmbeddings = this.registerModule('token_type_embeddings', new Embedding(config.typeVocabSize, dim));
    this.layerNorm = this.registerModule('LayerNorm', new LayerNorm(dim, { eps: config.layerNormEps }));
  }

  /** (B, T) ids -> (B, T, dim). @example emb.forward(ids, types); */
  forward(inputIds: Tensor, tokenTypeIds?: Tensor): Tensor {
    const T = inputIds.shape[1];
    const positions = torch.arange(T, { dtype: 'int64', device: inputIds.device }).unsqueeze(0); // (1, T)
    const types = tokenTypeIds ?? torch.zerosLike(inputIds);
    const x = this.wordEmbeddings.forward(inputIds).add(this.tokenTypeEmbeddings.forward(types))
      .add(this.positionEmbeddings.forward(positions)); // (B, T, dim)
    return F.dropout(this.layerNorm.forward(x), { p: this.config.hiddenDropoutProb, training: this.training });
  }
}

/** dense -> dropout -> LayerNorm(x + residual): HF's BertSelfOutput and BertOutput (keys dense, LayerNorm). */
export class BertResidualOutput extends Module {
  readonly dense: Linear;
  readonly layerNorm: LayerNorm;

  constructor(readonly config: BertConfig, inFeatures: number) {
    super();
    this.dense = this.registerModule('dense', new Linear(inFeatures, config.hiddenSize));
    this.layerNorm = this.registerModule('LayerNorm', new LayerNorm(config.hiddenSize, { eps: config.layerNormEps }));
  }

  /** @example out.forward(h, residual); // (B, T, H) */
  forward(x: Tensor, residual: Tensor): Tensor {
    const y = F.dropout(this.dense.forward(x), { p: this.config.hiddenDropoutProb, training: this.training });
    return this.layerNorm.forward(y.add(residual));
  }
}

/** HF's BertAttention: keys `self` (query, key, value) and `output` (dense, LayerNorm). */
export class BertAttention extends Module {
  readonly self: BertSelfAttention;
  readonly output: BertResidualOutput;

  constructor(config: BertConfig) {
    super();
    this.self = this.registerModule('self', new BertSelfAttention(config.hiddenSize, config.numAttentionHeads,
      config.attentionProbsDropoutProb));
    this.output = this.registerModule('output', new BertResidualOutput(config, config.hiddenSize));
  }

  /** @example att.forward(h, mask); */
  forward(hidden: Tensor, mask: Tensor | null): Tensor {
    return this.output.forward(this.self.forward(hidden, mask), hidden);
  }
}

/** One post-LN BERT layer: keys attention.*, intermediate.dense, output.{dense, LayerNorm}. */
export class BertLayer extends Module {
  readonly attention: BertAttention;
  readonly intermediate: Module & { dense: Linear };
  readonly output: BertResidualOutput;

  constructor(readonly config: BertConfig) {
    super();
    this.attention = this.registerModule('attention', new BertAttention(config));
    const intermediate = new Module() as Module & { dense: Linear };
    intermediate.dense = intermediate.registerModule('dense', new Linear(config.hiddenSize, config.intermediateSize));
    this.intermediate = this.registerModule('intermediate', intermediate);
    this.output = this.registerModule('output', new BertResidualOutput(config, config.intermediateSize));
  }

  /** (B, T, H) -> (B, T, H). @example layer.forward(h, keyMask(attentionMask)); */
  forward(hidden: Tensor, mask: Tensor | null): Tensor {
    const a = this.attention.forward(hidden, mask);
    return this.output.forward(activation(this.intermediate.dense.forward(a), this.config.hiddenAct), a);
  }
}

/** The pooler: tanh(dense(hidden[:, 0])) (key dense). */
export class BertPooler extends Module {
  readonly dense: Linear;

  constructor(hiddenSize: number) {
    super();
    this.dense = this.registerModule('dense', new Linear(hiddenSize, hiddenSize));
  }

  /** (B, T, H) -> (B, H). @example pooler.forward(h); */
  forward(hidden: Tensor): Tensor {
    return this.dense.forward(hidden.select(1, 0)).tanh();
  }
}

/**
 * HF's BertModel: embeddings, `encoder.layer.N`, `pooler`.
 *
 * @example
 * const bert = new BertModel({ vocabSize: tok.vocabSize, hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 512 });
 * const { lastHiddenState, pooledOutput } = bert.forward({ inputIds, tokenTypeIds, attentionMask }); // (B, T, 128), (B, 128)
 * bert.numParameters(); // bertParameterCount(bert.config)
 */
export class BertModel extends Module {
  readonly config: BertConfig;
  readonly embeddings: TextEmbeddings;
  readonly layers: ModuleList<BertLayer>;
  readonly pooler: BertPooler;
  /** The width of pooledOutput. */
  readonly featureDim: number;

  constructor(config: Partial<BertConfig> = {}) {
    super();
    this.config = bertConfig(config);
    const c = this.config;
    this.featureDim = c.hiddenSize;
    this.embeddings = this.registerModule('embeddings', new TextEmbeddings(c, c.hiddenSize));
    const encoder = this.registerModule('encoder', new Module());
    this.layers = encoder.registerModule('layer', new ModuleList(Array.from({ length: c.numHiddenLayers }, () => new BertLayer(c))));
    this.pooler = this.registerModule('pooler', new BertPooler(c.hiddenSize));
    initTextWeights(this, c.initializerRange);
  }

  /** Token states and the pooled [CLS]. @example bert.forward({ inputIds, attentionMask }).pooledOutput; // (B, H) */
  forward(inputs: TextInputs): TextEncoderOutput {
    checkTextInputs(inputs, this.config.maxPositionEmbeddings, 'BertModel');
    const mask = inputs.attentionMask === undefined ? null : keyMask(inputs.attentionMask);
    let h = this.embeddings.forward(inputs.inputIds, inputs.tokenTypeIds); // (B, T, H)
    for (const layer of this.layers) h = layer.forward(h, mask);
    return { lastHiddenState: h, pooledOutput: this.pooler.forward(h) };
  }
}

/**
 * The MLM head, HF's BertLMPredictionHead / AlbertMLMHead: dense -> act ->
 * LayerNorm (keys transform.dense, transform.LayerNorm for BERT), then the
 * decoder whose weight IS the word-embedding table (tied) plus `bias`.
 */
export class MlmHead extends Module {
  readonly dense: Linear;
  readonly layerNorm: LayerNorm;
  /** Holds the tied `weight` (the word embeddings) and `bias` under HF's keys. */
  readonly decoder: Module;
  readonly bias: Tensor;
  private readonly tiedWeight: Tensor;

  constructor(readonly config: BertConfig, wordEmbeddings: Embedding, options: { transformPrefix: boolean }) {
    super();
    const E = wordEmbeddings.embeddingDim;
    const transform = options.transformPrefix ? this.registerModule('transform', new Module()) : this;
    this.dense = transform.registerModule('dense', new Linear(config.hiddenSize, E));
    this.layerNorm = transform.registerModule('LayerNorm', new LayerNorm(E, { eps: config.layerNormEps }));
    this.bias = this.registerParameter('bias', torch.zeros([config.vocabSize]));
    // NOTE: HF ties decoder.weight to the word embeddings and decoder.bias to `bias`: the same tensors under
    // both keys, so the state dict has all four keys while parameters() lists each tensor once.
    this.tiedWeight = wordEmbeddings.weight;
    this.decoder = this.registerModule('decoder', new Module());
    this.decoder.registerParameter('weight', this.tiedWeight);
    this.decoder.registerParameter('bias', this.bias);
  }

  /** (..., H) -> vocabulary logits (..., V). @example head.forward(hidden.indexSelect(0, rows)); */
  forward(hidden: Tensor): Tensor {
    const h = this.layerNorm.forward(activation(this.dense.forward(hidden), this.config.hiddenAct));
    return F.linear(h, this.tiedWeight, this.bias);
  }
}

/**
 * HF's BertForPreTraining: `bert.*`, `cls.predictions.*` (the MLM head, tied to
 * the word embeddings), `cls.seq_relationship` (the NSP classifier on the pooled [CLS]).
 * @example const { predictionLogits, seqRelationshipLogits } = model.forward({ inputIds, tokenTypeIds, attentionMask });
 */
export class BertForPreTraining extends Module {
  readonly bert: BertModel;
  readonly predictions: MlmHead;
  readonly seqRelationship: Linear;

  constructor(config: Partial<BertConfig> = {}) {
    super();
    this.bert = this.registerModule('bert', new BertModel(config));
    const c = this.bert.config;
    const cls = this.registerModule('cls', new Module());
    this.predictions = cls.registerModule('predictions', new MlmHead(c, this.bert.embeddings.wordEmbeddings, { transformPrefix: true }));
    this.seqRelationship = cls.registerModule('seq_relationship', new Linear(c.hiddenSize, 2));
    initTextWeights(this.predictions, c.initializerRange);
    initTextWeights(this.seqRelationship, c.initializerRange);
  }

  /** Logits over the vocabulary for every token (B, T, V) and NSP logits (B, 2). */
  forward(inputs: TextInputs): { predictionLogits: Tensor; seqRelationshipLogits: Tensor; hidden: TextEncoderOutput } {
    const hidden = this.bert.forward(inputs);
    return {
      predictionLogits: this.predictions.forward(hidden.lastHiddenState),
      seqRelationshipLogits: this.seqRelationship.forward(hidden.pooledOutput), hidden,
    };
  }
}
