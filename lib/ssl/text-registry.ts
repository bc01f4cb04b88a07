// The text and image-text methods by name (BERT, ALBERT, CLIP), for programs
// and for rebuilding a run's method from its config. They are not image
// `Method`s, so they have their own small registry beside registry.ts.
import { AlbertPretraining, AlbertPretrainingOptions } from './albert-pretraining';
import { BertPretraining, BertPretrainingOptions } from './bert-pretraining';
import { CLIP, CLIPOptions } from './clip';

/** The options of each text method, by name. */
export interface TextMethodOptionsOf {
  bert: BertPretrainingOptions;
  albert: AlbertPretrainingOptions;
  clip: CLIPOptions;
}

/** The class each name builds. */
export interface TextMethodOf {
  bert: BertPretraining;
  albert: AlbertPretraining;
  clip: CLIP;
}

const TEXT_METHODS: { [N in keyof TextMethodOptionsOf]: (o: TextMethodOptionsOf[N]) => TextMethodOf[N] } = {
  bert: (o) => new BertPretraining(o),
  albert: (o) => new AlbertPretraining(o),
  clip: (o) => new CLIP(o),
};

/**
 * Builds a text method by name; a method's `config()` is accepted, so
 * `createText(m.name, m.config())` rebuilds it.
 * @example const bert = ssl.createText('bert', { config: { vocabSize: 4096, hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 512 } });
 */
export function createText<N extends keyof TextMethodOptionsOf>(name: N, options: TextMethodOptionsOf[N]): TextMethodOf[N] {
  if (!Object.prototype.hasOwnProperty.call(TEXT_METHODS, name)) {
    throw new RangeError(`Unknown text method '${String(name)}'; expected one of ${listText().map((n) => `'${n}'`).join(', ')}`);
  }
  return (TEXT_METHODS[name] as (o: TextMethodOptionsOf[N]) => TextMethodOf[N])(options);
}

/** The text method names. @example ssl.listText(); // ['bert', 'albert', 'clip'] */
export function listText(): (keyof TextMethodOptionsOf)[] {
  return Object.keys(TEXT_METHODS) as (keyof TextMethodOptionsOf)[];
}
