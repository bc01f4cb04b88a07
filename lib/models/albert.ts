// ALBERT (Lan et al. 2020) with Hugging Face's module structure and
// state-dict keys: factorised embeddings (V x E, then
// encoder.embedding_hidden_mapping_in E -> H), layers in
// encoder.albert_layer_groups.G.albert_layers.I shared across depth, a pooler
// Linear, and for pre-training the MLM head `predictions.*` and
// `sop_classifier.classifier`.
import { Tensor } from '../torch';
import * as F from '../nn/functional';
import { LayerNorm } from '../nn/layers/layer-norm';
import { Linear } from '../nn/layers/linear';
import { ModuleList } from '../nn/layers/container';
import { Module } from '../nn/module';
import { AlbertConfig, albertConfig } from './bert-config';
import { activation, checkTextInputs, initTextWeights, MlmHead, TextEmbeddings, TextEncoderOutput, TextInputs } from './bert';
import { keyMask, selfAttention } from './text-attention';

/** HF's AlbertAttention: query, key, value, dense, LayerNorm(hidden + dense(context)). */
export class AlbertAttention extends Module {
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly dense: Linear;
  readonly layerNorm: LayerNorm;

  constructor(readonly config: AlbertConfig) {
    super();
    const H = config.hiddenSize;
    this.query = this.registerModule('query', new Linear(H, H));
    this.key = this.registerModule('key', new Linear(H, H));
    this.value = this.registerModule('value', new Linear(H, H));
    this.dense = this.registerModule('dense', new Linear(H, H));
    this.layerNorm = this.registerModule('LayerNorm', new LayerNorm(H, { eps: config.layerNormEps }));
  }

  /** (B, T, H) -> (B, T, H). @example att.forward(h, mask); */
  forward(hidden: Tensor, mask: Tensor | null): Tensor {
    const c = this.config;
    const context = selfAttention(hidden, this.query, this.key, this.value, c.numAttentionHeads, mask,
      this.training ? c.attentionProbsDropoutProb : 0);
    const projected = F.dropout(this.dense.forward(context), { p: c.hiddenDropoutProb, training: this.training });
    return this.layerNorm.forward(hidden.add(projected));
  }
}

/** The feed-forward half of an ALBERT layer, shareable on its own ('ffn' sharing). */
export interface AlbertFfn { ffn: Linear; ffnOutput: Linear; fullLayerLayerNorm: LayerNorm }

function newFfn(c: AlbertConfig): AlbertFfn {
  return {
    ffn: new Linear(c.hiddenSize, c.intermediateSize), ffnOutput: new Linear(c.intermediateSize, c.hiddenSize),
    fullLayerLayerNorm: new LayerNorm(c.hiddenSize, { eps: c.layerNormEps }),
  };
}

/** HF's AlbertLayer: keys full_layer_layer_norm, attention.*, ffn, ffn_output. */
export class AlbertLayer extends Module {
  readonly attention: AlbertAttention;
  readonly ffn: Linear;
  readonly ffnOutput: Linear;
  readonly fullLayerLayerNorm: LayerNorm;

  constructor(readonly config: AlbertConfig, shared: { attention?: AlbertAttention; ffn?: AlbertFfn } = {}) {
    super();
    const f = shared.ffn ?? newFfn(config);
    this.fullLayerLayerNorm = this.registerModule('full_layer_layer_norm', f.fullLayerLayerNorm);
    this.attention = this.registerModule('attention', shared.attention ?? new AlbertAttention(config));
    this.ffn = this.registerModule('ffn', f.ffn);
    this.ffnOutput = this.registerModule('ffn_output', f.ffnOutput);
  }

  /** (B, T, H) -> (B, T, H). @example layer.forward(h, mask); */
  forward(hidden: Tensor, mask: Tensor | null): Tensor {
    const a = this.attention.forward(hidden, mask);
    const f = this.ffnOutput.forward(activation(this.ffn.forward(a), this.config.hiddenAct));
    const dropped = F.dropout(f, { p: this.config.hiddenDropoutProb, training: this.training });
    return this.fullLayerLayerNorm.forward(dropped.add(a));
  }
}

/** The layers of one group (key albert_layers.I). */
export class AlbertLayerGroup extends Module {
  readonly albertLayers: ModuleList<AlbertLayer>;

  constructor(layers: AlbertLayer[]) {
    super();
    this.albertLayers = this.registerModule('albert_layers', new ModuleList(layers));
  }

  /** @example group.forward(h, mask); */
  forward(hidden: Tensor, mask: Tensor | null): Tensor {
    let h = hidden;
    for (const layer of this.albertLayers) h = layer.forward(h, mask);
    return h;
  }
}

/**
 * HF's AlbertModel. With shareMode 'all' (the paper's default) one group of
 * layers is applied numHiddenLayers times; 'none' gives every layer its own
 * weights; 'attention' / 'ffn' share only that half (ALBERT table 4; these two
 * layouts have no HF equivalent: the shared half is stored once, under group 0).
 *
 * @example
 * const albert = new AlbertModel({ vocabSize: 8192, embeddingSize: 64, hiddenSize: 256, numHiddenLayers: 4, numAttentionHeads: 4, intermediateSize: 1024 });
 * albert.forward({ inputIds, attentionMask }).pooledOutput; // (B, 256)
 */
export class AlbertModel extends Module {
  readonly config: AlbertConfig;
  readonly embeddings: TextEmbeddings;
  readonly embeddingHiddenMappingIn: Linear;
  readonly groups: ModuleList<AlbertLayerGroup>;
  readonly pooler: Linear;
  readonly featureDim: number;

  constructor(config: Partial<AlbertConfig> = {}) {
    super();
    this.config = albertConfig(config);
    const c = this.config;
    this.featureDim = c.hiddenSize;
    this.embeddings = this.registerModule('embeddings', new TextEmbeddings(c, c.embeddingSize));
    const encoder = this.registerModule('encoder', new Module());
    this.embeddingHiddenMappingIn = encoder.registerModule('embedding_hidden_mapping_in', new Linear(c.embeddingSize, c.hiddenSize));
    const attention = c.shareMode === 'attention' ? new AlbertAttention(c) : undefined;
    const ffn = c.shareMode === 'ffn' ? newFfn(c) : undefined;
    const groups = Array.from({ length: c.numHiddenGroups }, () => new AlbertLayerGroup(
      Array.from({ length: c.innerGroupNum }, () => new AlbertLayer(c, { attention, ffn }))));
    this.groups = encoder.registerModule('albert_layer_groups', new ModuleList(groups));
    this.pooler = this.registerModule('pooler', new Linear(c.hiddenSize, c.hiddenSize));
    initTextWeights(this, c.initializerRange);
  }

  /** Token states (B, T, H) and the pooled [CLS] (B, H). @example albert.forward({ inputIds }).lastHiddenState; */
  forward(inputs: TextInputs): TextEncoderOutput {
    const c = this.config;
    checkTextInputs(inputs, c.maxPositionEmbeddings, 'AlbertModel');
    const mask = inputs.attentionMask === undefined ? null : keyMask(inputs.attentionMask);
    let h = this.embeddingHiddenMappingIn.forward(this.embeddings.forward(inputs.inputIds, inputs.tokenTypeIds)); // (B, T, H)
    for (let i = 0; i < c.numHiddenLayers; i++) {
      // HF: group_idx = int(i / (num_hidden_layers / num_hidden_groups)).
      h = this.groups.at(Math.floor(i / (c.numHiddenLayers / c.numHiddenGroups))).forward(h, mask);
    }
    return { lastHiddenState: h, pooledOutput: this.pooler.forward(h.select(1, 0)).tanh() };
  }
}

/**
 * HF's AlbertForPreTraining: `albert.*`, `predictions.*` (MLM head: dense H -> E,
 * LayerNorm, decoder tied to the E-wide word embeddings) and
 * `sop_classifier.classifier` (sentence-order prediction on the pooled [CLS]).
 * @example const { predictionLogits, sopLogits } = model.forward({ inputIds, tokenTypeIds, attentionMask });
 */
export class AlbertForPreTraining extends Module {
  readonly albert: AlbertModel;
  readonly predictions: MlmHead;
  readonly sopClassifier: Linear;

  constructor(config: Partial<AlbertConfig> = {}) {
    super();
    this.albert = this.registerModule('albert', new AlbertModel(config));
    const c = this.albert.config;
    this.predictions = this.registerModule('predictions', new MlmHead(c, this.albert.embeddings.wordEmbeddings, { transformPrefix: false }));
    const sop = this.registerModule('sop_classifier', new Module());
    this.sopClassifier = sop.registerModule('classifier', new Linear(c.hiddenSize, 2));
    initTextWeights(this.predictions, c.initializerRange);
    initTextWeights(this.sopClassifier, c.initializerRange);
  }

  /** Vocabulary logits for every token (B, T, V) and SOP logits (B, 2). */
  forward(inputs: TextInputs): { predictionLogits: Tensor; sopLogits: Tensor; hidden: TextEncoderOutput } {
    const hidden = this.albert.forward(inputs);
    return {
      predictionLogits: this.predictions.forward(hidden.lastHiddenState),
      sopLogits: this.sopClassifier.forward(hidden.pooledOutput), hidden,
    };
  }
}
