// BERT and ALBERT configurations with Hugging Face's field names (camelCase),
// the named sizes of both papers, and exact parameter counts computed from
// the architecture without building a model.
import { checkInt, checkNumber, checkOneOf } from '../torch/arguments';
import { defineOptions, GivenOptions, is, option, optionsKey } from '../torch/option-table';

/** A BERT configuration, as HF's BertConfig. */
export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  /** 'gelu' (exact, BERT) or 'gelu_new' (tanh approximation, ALBERT v2). */
  hiddenAct: 'gelu' | 'gelu_new';
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  initializerRange: number;
}

/** An ALBERT configuration, as HF's AlbertConfig: BERT's plus E and the sharing. */
export interface AlbertConfig extends BertConfig {
  /** E, the width of the token embeddings, projected to hiddenSize H (factorised embedding). */
  embeddingSize: number;
  /** Groups of layers with their own weights; layer i uses group floor(i * groups / layers). 1 = all shared. */
  numHiddenGroups: number;
  /** Layers inside one group (HF's inner_group_num). Default 1. */
  innerGroupNum: number;
  /**
   * Cross-layer sharing (ALBERT table 4): 'all' (one group, HF's layout),
   * 'none' (a group per layer), 'attention' or 'ffn' (only that part shared,
   * the rest per layer). Overrides numHiddenGroups when not 'all'.
   */
  shareMode: 'all' | 'none' | 'attention' | 'ffn';
}

const BERT_DEFAULTS: BertConfig = {
  vocabSize: 30522, hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12, intermediateSize: 3072,
  hiddenAct: 'gelu', hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, maxPositionEmbeddings: 512,
  typeVocabSize: 2, layerNormEps: 1e-12, initializerRange: 0.02,
};

/** The BERT sizes of Devlin et al. 2019 (HF's bert-*-uncased configs). */
export const BERT_CONFIGS = {
  'bert-base-uncased': BERT_DEFAULTS,
  'bert-large-uncased': { ...BERT_DEFAULTS, hiddenSize: 1024, numHiddenLayers: 24, numAttentionHeads: 16, intermediateSize: 4096 },
} as const satisfies Record<string, BertConfig>;

const ALBERT_DEFAULTS: AlbertConfig = {
  ...BERT_DEFAULTS, vocabSize: 30000, embeddingSize: 128, hiddenAct: 'gelu_new', hiddenDropoutProb: 0,
  attentionProbsDropoutProb: 0, numHiddenGroups: 1, innerGroupNum: 1, shareMode: 'all',
};

/** The ALBERT sizes of Lan et al. 2020, table 1 (HF's albert-*-v2 configs). */
export const ALBERT_CONFIGS = {
  'albert-base-v2': ALBERT_DEFAULTS,
  'albert-large-v2': { ...ALBERT_DEFAULTS, hiddenSize: 1024, numHiddenLayers: 24, numAttentionHeads: 16, intermediateSize: 4096 },
  'albert-xlarge-v2': { ...ALBERT_DEFAULTS, hiddenSize: 2048, numHiddenLayers: 24, numAttentionHeads: 16, intermediateSize: 8192 },
  'albert-xxlarge-v2': { ...ALBERT_DEFAULTS, hiddenSize: 4096, numHiddenLayers: 12, numAttentionHeads: 64, intermediateSize: 16384 },
} as const satisfies Record<string, AlbertConfig>;

/**
 * A complete, checked BertConfig from `options` over bert-base's values.
 * @example bertConfig({ hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 512, vocabSize: 8192 });
 */
export function bertConfig(options: Partial<BertConfig> = {}): BertConfig {
  const c = { ...BERT_DEFAULTS, ...options };
  for (const k of ['vocabSize', 'hiddenSize', 'numHiddenLayers', 'numAttentionHeads', 'intermediateSize',
    'maxPositionEmbeddings', 'typeVocabSize'] as const) checkInt(c[k], `config.${k}`, 1);
  for (const k of ['hiddenDropoutProb', 'attentionProbsDropoutProb'] as const) checkNumber(c[k], `config.${k}`, 0, 1);
  checkNumber(c.layerNormEps, 'config.layerNormEps', 0);
  checkNumber(c.initializerRange, 'config.initializerRange', 0);
  checkOneOf(c.hiddenAct, ['gelu', 'gelu_new'] as const, 'config.hiddenAct');
  if (c.hiddenSize % c.numAttentionHeads !== 0) {
    throw new RangeError(`Expected hiddenSize (${c.hiddenSize}) divisible by numAttentionHeads (${c.numAttentionHeads})`);
  }
  return c;
}

/**
 * A complete, checked AlbertConfig from `options` over albert-base-v2's values.
 * @example albertConfig({ embeddingSize: 64, hiddenSize: 128, numHiddenLayers: 4, numAttentionHeads: 2, intermediateSize: 512 });
 */
export function albertConfig(options: Partial<AlbertConfig> = {}): AlbertConfig {
  const c = bertConfig({ ...ALBERT_DEFAULTS, ...options }) as AlbertConfig;
  checkInt(c.embeddingSize, 'config.embeddingSize', 1);
  checkOneOf(c.shareMode, ['all', 'none', 'attention', 'ffn'] as const, 'config.shareMode');
  checkInt(c.innerGroupNum, 'config.innerGroupNum', 1);
  checkInt(c.numHiddenGroups, 'config.numHiddenGroups', 1);
  if (c.shareMode !== 'all') return { ...c, numHiddenGroups: c.numHiddenLayers, innerGroupNum: 1 };
  if (c.numHiddenLayers % c.numHiddenGroups !== 0) {
    throw new RangeError(`Expected numHiddenLayers (${c.numHiddenLayers}) divisible by numHiddenGroups (${c.numHiddenGroups})`);
  }
  return c;
}

const linear = (i: number, o: number): number => i * o + o;

/** The parameter counts' options: defaults and checks. */
export const PARAMETER_COUNT_OPTIONS = defineOptions({
  /** Count the pooler (HF's BertModel and AlbertModel have one by default). Default true. */
  pooler: option(true, is.boolean),
});

/** Options of `bertParameterCount` and `albertParameterCount`. */
export type ParameterCountOptions = GivenOptions<typeof PARAMETER_COUNT_OPTIONS.specs>;

/** Parameters of one transformer layer: attention (q, k, v, output, LayerNorm) and FFN (two Linears, LayerNorm). */
function layerCounts(c: BertConfig): { attention: number; ffn: number } {
  const H = c.hiddenSize;
  return { attention: 4 * linear(H, H) + 2 * H, ffn: linear(H, c.intermediateSize) + linear(c.intermediateSize, H) + 2 * H };
}

/**
 * The parameters of HF's BertModel (embeddings, layers, and the pooler unless
 * `pooler: false`), computed, not built: bert-base-uncased 109,482,240.
 * @example bertParameterCount(BERT_CONFIGS['bert-base-uncased']); // 109482240
 */
export function bertParameterCount(c: BertConfig, options: ParameterCountOptions = {}): number {
  const { pooler } = PARAMETER_COUNT_OPTIONS.resolve(options, optionsKey);
  const H = c.hiddenSize;
  const embeddings = (c.vocabSize + c.maxPositionEmbeddings + c.typeVocabSize) * H + 2 * H;
  const { attention, ffn } = layerCounts(c);
  return embeddings + c.numHiddenLayers * (attention + ffn) + (pooler ? linear(H, H) : 0);
}

/**
 * The parameters of HF's AlbertModel (factorised embeddings, the E -> H
 * mapping, the distinct layers of the sharing mode, the pooler unless
 * `pooler: false`), computed, not built: albert-base-v2 11,683,584.
 * @example albertParameterCount(ALBERT_CONFIGS['albert-base-v2']); // 11683584
 */
export function albertParameterCount(config: AlbertConfig, options: ParameterCountOptions = {}): number {
  const { pooler } = PARAMETER_COUNT_OPTIONS.resolve(options, optionsKey);
  const c = albertConfig(config);
  const E = c.embeddingSize;
  const H = c.hiddenSize;
  const embeddings = (c.vocabSize + c.maxPositionEmbeddings + c.typeVocabSize) * E + 2 * E + linear(E, H);
  const { attention, ffn } = layerCounts(c);
  const L = c.numHiddenLayers;
  const layers = c.shareMode === 'all' ? c.numHiddenGroups * c.innerGroupNum * (attention + ffn)
    : c.shareMode === 'none' ? L * (attention + ffn)
      : c.shareMode === 'attention' ? attention + L * ffn : L * attention + ffn;
  return embeddings + layers + (pooler ? linear(H, H) : 0);
}
