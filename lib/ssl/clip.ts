// CLIP (Radford et al. 2021, "Learning Transferable Visual Models From Natural
// Language Supervision"): an image encoder and a text encoder, linear
// projections into a joint space, and the symmetric InfoNCE over the batch
// with a learned temperature. Keys as Hugging Face's CLIPModel:
// vision_model.*, text_model.*, visual_projection.weight,
// text_projection.weight, logit_scale.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Linear } from '../nn/layers/linear';
import { Module } from '../nn/module';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';
import { Encoder } from '../models/encoder';
import { BertModel, TextInputs } from '../models/bert';
import { BertConfig } from '../models/bert-config';
import { ParamGroup } from '../optim/optimizer';
import { paramGroupsWeightDecay } from '../optim/param-groups';
import { OptimizerRecipe } from './method';
import { EncoderSpec, encoderConfig, makeEncoder } from './encoder-spec';
import { checkOptionKeys, resolveRecipe } from './method-options';
import { clipLoss } from './losses/clip-loss';

/** One image-text batch: images normalised (B, C, H, W), their captions tokenised (B, T). */
export interface ImageTextBatch extends TextInputs {
  images: Tensor;
}

/** CLIP's own options (besides the encoders and the recipe): defaults and checks. */
export const CLIP_OPTIONS = defineOptions({
  /** Width of the joint embedding space. Default 512 (CLIP's ViT-B/32 and ResNet-50). */
  embedDim: option(512, is.int(1)),
  /** Initial temperature tau: logit_scale starts at log(1 / tau). Default 0.07 (CLIP section 2.5). */
  initTemperature: option(0.07, is.number(0.01, 1)),
});

/** Options of `CLIP`. */
export type CLIPOptions = GivenOptions<typeof CLIP_OPTIONS.specs> & {
  /** The image encoder: a registry name (built with `imageEncoderOptions`, numClasses 0), a factory or an instance. */
  imageEncoder: EncoderSpec;
  imageEncoderOptions?: Record<string, unknown>;
  /** The text encoder's configuration (a BERT-style transformer; vocabSize must match the tokenizer). */
  textConfig: Partial<BertConfig>;
  /** Overrides of `CLIP_RECIPE`. */
  recipe?: Partial<OptimizerRecipe>;
};

/**
 * CLIP's optimisation (section 2.5 and table 19): AdamW, "decoupled weight
 * decay regularization ... applied to all weights that are not gains or
 * biases", weight decay 0.2, betas (0.9, 0.98), learning rate 5e-4 for the
 * smaller models, warmup then cosine decay.
 */
export const CLIP_RECIPE: Readonly<OptimizerRecipe> = Object.freeze({
  optimizer: 'adamw', lr: 5e-4, lrScaling: 'none', weightDecay: 0.2, betas: [0.9, 0.98] as [number, number],
  warmupEpochs: 0.1,
});

/** ln(100): "clipped to prevent scaling the logits by more than 100" (CLIP section 2.5). */
export const MAX_LOGIT_SCALE = Math.log(100);

/**
 * Contrastive image-text pre-training.
 *
 * The text encoder is a BERT-style `BertModel` whose [CLS] state is projected
 * (CLIP's own is a causal GPT-style transformer read at its end-of-text
 * token: here the text side reuses this project's BERT; the objective is the same).
 *
 * @example
 * const clip = new ssl.CLIP({ imageEncoder: 'small_cnn', imageEncoderOptions: { inChannels: 1 },
 *   textConfig: { vocabSize: tok.vocabSize, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 256, maxPositionEmbeddings: 32 }, embedDim: 64 });
 * const { loss } = clip.trainingStep({ images, inputIds, attentionMask });
 */
export class CLIP extends Module {
  readonly name = 'clip' as const;
  readonly visionModel: Encoder;
  readonly textModel: BertModel;
  readonly visualProjection: Linear;
  readonly textProjection: Linear;
  /** log(1 / temperature), learned; clamped to [0, ln 100] after each optimizer step. */
  readonly logitScale: Tensor;
  readonly recipe: OptimizerRecipe;
  readonly embedDim: number;
  /** The temperature logit_scale started from. */
  readonly initTemperature: number;

  constructor(private readonly options: CLIPOptions) {
    super();
    checkOptionKeys(options, ['imageEncoder', 'imageEncoderOptions', 'textConfig', ...CLIP_OPTIONS.keys, 'recipe'], 'CLIP');
    this.recipe = resolveRecipe(CLIP_RECIPE, options.recipe, 'CLIP');
    ({ embedDim: this.embedDim, initTemperature: this.initTemperature } = CLIP_OPTIONS.resolve(options, (k) => `options.${k}`));
    const tau = this.initTemperature;
    this.visionModel = this.registerModule('vision_model',
      makeEncoder(options.imageEncoder, options.imageEncoderOptions, { needsFactory: false, method: 'CLIP' })());
    this.textModel = this.registerModule('text_model', new BertModel(options.textConfig));
    this.visualProjection = this.registerModule('visual_projection',
      new Linear(this.visionModel.featureDim, this.embedDim, { bias: false }));
    this.textProjection = this.registerModule('text_projection',
      new Linear(this.textModel.featureDim, this.embedDim, { bias: false }));
    this.logitScale = this.registerParameter('logit_scale', torch.scope(() => torch.tensor([Math.log(1 / tau)]).reshape([])));
  }

  /** (B, C, H, W) -> image embeddings (B, embedDim), not normalised. @example clip.encodeImage(images); */
  encodeImage(images: Tensor): Tensor {
    return this.visualProjection.forward(this.visionModel.forward(images));
  }

  /** Tokenised captions -> text embeddings (B, embedDim), not normalised: the projected [CLS] state. */
  encodeText(inputs: TextInputs): Tensor {
    return this.textProjection.forward(this.textModel.forward(inputs).lastHiddenState.select(1, 0));
  }

  /**
   * The symmetric InfoNCE of one batch of matching pairs; logs the temperature and the image-to-text accuracy.
   * @example const { loss, logs } = clip.trainingStep(batch); loss.backward();
   */
  trainingStep(batch: ImageTextBatch): { loss: Tensor; logs: Record<string, Tensor> } {
    const img = this.encodeImage(batch.images);
    const txt = this.encodeText(batch);
    const loss = clipLoss(img, txt, this.logitScale);
    const accuracy = torch.noGrad(() => {
      const sim = img.matmul(txt.t()); // (B, B); the argmax is the same after normalising the texts only
      const txtNorm = txt.norm(2, [1], true).t();
      return sim.div(txtNorm).argmax(1).eq(torch.arange(img.shape[0], { dtype: 'int64', device: img.device })).float().mean();
    });
    return { loss, logs: { temperature: this.logitScale.detach().neg().exp(), accuracy } };
  }

  /** Clamps the logit scale to [0, ln 100], as OpenCLIP after each step. @example clip.afterOptimizerStep(); */
  afterOptimizerStep(): void {
    torch.noGrad(() => this.logitScale.clamp_(0, MAX_LOGIT_SCALE));
  }

  /**
   * Decay for weights; none for gains, biases and the logit scale (CLIP section 2.5).
   * @example new optim.AdamW(clip.parameterGroups(0.2), { lr: 5e-4, betas: [0.9, 0.98] });
   */
  parameterGroups(weightDecay: number): ParamGroup[] {
    return paramGroupsWeightDecay(this.namedParameters(), { weightDecay });
  }

  /** The options, JSON-able. */
  config(): Record<string, unknown> {
    const o = this.options;
    const image = encoderConfig(o.imageEncoder, o.imageEncoderOptions);
    return {
      imageEncoder: image.encoder, imageEncoderOptions: image.encoderOptions, textConfig: { ...this.textModel.config },
      ...CLIP_OPTIONS.toJSON(this), ...(o.recipe ? { recipe: { ...o.recipe } } : {}),
    };
  }
}
