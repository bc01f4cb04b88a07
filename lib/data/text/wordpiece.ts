// A WordPiece tokenizer (BERT's): BERT normalisation and pre-tokenisation,
// then greedy longest-match-first sub-words with the "##" continuation
// prefix, [CLS] A [SEP] (B [SEP]) templates with segment ids, truncation,
// padding and attention masks, batched into int64 tensors. Saves and loads
// Hugging Face's tokenizer.json and vocab.txt formats.
import * as fs from 'fs';
import * as torch from '../../torch';
import { Tensor } from '../../torch';
import { writeFileAtomic } from '../../torch/atomic-file';
import { checkInt } from '../../torch/arguments';
import { BASIC_TOKENIZER_OPTIONS, basicTokenize } from './basic-tokenizer';
import { defineOptions, GivenOptions, is, option, optionsKey } from '../../torch/option-table';
import { SPECIAL_TOKENS, trainWordPiece, WordPieceTrainOptions } from './wordpiece-trainer';

/** `WordPieceTokenizer`'s options: defaults and checks. */
export const WORDPIECE_OPTIONS = defineOptions({
  /** Lowercase and strip accents before splitting (an "uncased" model). Default true (basicTokenize's). */
  ...BASIC_TOKENIZER_OPTIONS.pick('lowercase'),
  /** Words longer than this (in characters) become [UNK], as HF's `max_input_chars_per_word`. Default 100. */
  maxInputCharsPerWord: option(100, is.int(1)),
});

/** Options of `WordPieceTokenizer`. */
export type WordPieceOptions = GivenOptions<typeof WORDPIECE_OPTIONS.specs>;

/** Options of `encodeBatch`. */
export interface EncodeOptions {
  /** Longest sequence, special tokens included; longer ones are truncated (longest side first for pairs). */
  maxLength: number;
  /** 'longest': pad to the longest sequence of the batch; 'max_length': pad to maxLength. Default 'longest'. */
  padding?: 'longest' | 'max_length';
}

/** A batch of encoded sequences, each int64 (B, T) on the CPU. */
export interface BatchEncoding {
  inputIds: Tensor;
  /** 0 for [CLS] A [SEP], 1 for B [SEP], 0 on padding. */
  tokenTypeIds: Tensor;
  /** 1 on tokens, 0 on padding. */
  attentionMask: Tensor;
  /** 1 on [CLS], [SEP] and padding: positions masked language modelling never selects. */
  specialTokensMask: Tensor;
}

/** One sequence or a pair, as token ids without special tokens. */
export type IdsInput = readonly number[] | readonly [readonly number[], readonly number[]];

/**
 * BERT's WordPiece tokenizer over a vocabulary whose first five tokens are
 * [PAD], [UNK], [CLS], [SEP], [MASK] (ids 0-4).
 *
 * @example
 * const tok = WordPieceTokenizer.train(sentences, { vocabSize: 4096 });
 * tok.tokenize('Unaffable fortunes'); // e.g. ['una', '##ff', '##able', 'fortune', '##s']
 * const batch = tok.encodeBatch([['A first sentence.', 'Its next one.']], { maxLength: 64 });
 * batch.inputIds.shape; // [1, T]
 * tok.save('run/tokenizer.json');
 */
export class WordPieceTokenizer {
  readonly vocab: readonly string[];
  readonly lowercase: boolean;
  readonly maxInputCharsPerWord: number;
  readonly padId = 0;
  readonly unkId = 1;
  readonly clsId = 2;
  readonly sepId = 3;
  readonly maskId = 4;
  private readonly ids = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();

  constructor(vocab: readonly string[], options: WordPieceOptions = {}) {
    SPECIAL_TOKENS.forEach((t, i) => {
      if (vocab[i] !== t) {
        throw new RangeError(`Expected token ${i} of the vocabulary to be ${t} (order ${SPECIAL_TOKENS.join(', ')}) ` +
          `but received ${JSON.stringify(vocab[i])}`);
      }
    });
    vocab.forEach((t, i) => {
      if (this.ids.has(t)) throw new RangeError(`Expected unique tokens but ${JSON.stringify(t)} appears at ${this.ids.get(t)} and ${i}`);
      this.ids.set(t, i);
    });
    this.vocab = [...vocab];
    ({ lowercase: this.lowercase, maxInputCharsPerWord: this.maxInputCharsPerWord } = WORDPIECE_OPTIONS.resolve(options, optionsKey));
  }

  /**
   * Learns a vocabulary from `texts` (`trainWordPiece`) and returns its tokenizer.
   * @example const tok = WordPieceTokenizer.train(corpus.sentences(), { vocabSize: 4096 });
   */
  static train(texts: Iterable<string>, options: WordPieceTrainOptions = {}): WordPieceTokenizer {
    return new WordPieceTokenizer(trainWordPiece(texts, options), { lowercase: options.lowercase });
  }

  /** Tokens in the vocabulary. */
  get vocabSize(): number {
    return this.vocab.length;
  }

  /** The id of `token`, or undefined. @example tok.tokenToId('[MASK]'); // 4 */
  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** Greedy longest-match-first split of one pre-tokenised word (BERT's WordpieceTokenizer). */
  private wordIds(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const chars = [...word];
    let out: number[] = [];
    if (chars.length > this.maxInputCharsPerWord) {
      out = [this.unkId];
    } else {
      for (let start = 0; start < chars.length;) {
        let end = chars.length;
        let id: number | undefined;
        for (; end > start; end--) {
          const piece = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
          id = this.ids.get(piece);
          if (id !== undefined) break;
        }
        if (id === undefined) {
          out = [this.unkId]; // NOTE: one unknown piece makes the whole word [UNK], as BERT.
          break;
        }
        out.push(id);
        start = end;
      }
    }
    if (this.cache.size < 1 << 20) this.cache.set(word, out);
    return out;
  }

  /**
   * Token ids of `text` without special tokens.
   * @example tok.encode('hello world'); // e.g. [812, 977]
   */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const w of basicTokenize(text, { lowercase: this.lowercase })) out.push(...this.wordIds(w));
    return out;
  }

  /** The tokens of `text`. @example tok.tokenize("don't"); // ['don', "'", 't'] */
  tokenize(text: string): string[] {
    return this.encode(text).map((i) => this.vocab[i]);
  }

  /**
   * Text from ids: "##" pieces joined to the previous token, special tokens
   * dropped unless `keepSpecial`.
   * @example tok.decode(tok.encode('hello world')); // 'hello world'
   */
  decode(ids: readonly number[], keepSpecial = false): string {
    let out = '';
    for (const id of ids) {
      if (!keepSpecial && id < SPECIAL_TOKENS.length) continue;
      const t = this.vocab[id] ?? '[UNK]';
      out += t.startsWith('##') ? t.slice(2) : (out === '' ? t : ` ${t}`);
    }
    return out;
  }

  /**
   * Texts or text pairs encoded as `[CLS] A [SEP] (B [SEP])`, truncated and padded into tensors.
   * @example const { inputIds, attentionMask } = tok.encodeBatch(['one', ['two', 'three']], { maxLength: 32 });
   */
  encodeBatch(inputs: readonly (string | readonly [string, string])[], options: EncodeOptions): BatchEncoding {
    return this.encodeIdsBatch(inputs.map((x) => (typeof x === 'string' ? this.encode(x)
      : [this.encode(x[0]), this.encode(x[1])] as const)), options);
  }

  /**
   * Already tokenised sequences or pairs (ids without special tokens) as a batch.
   * Pairs are truncated as HF's 'longest_first': a token off the longer side at a time.
   * @example tok.encodeIdsBatch([[[7, 8], [9]]], { maxLength: 8 }).inputIds; // [[2, 7, 8, 3, 9, 3]]
   */
  encodeIdsBatch(inputs: readonly IdsInput[], options: EncodeOptions): BatchEncoding {
    const maxLength = checkInt(options.maxLength, 'options.maxLength', 3);
    if (inputs.length === 0) throw new RangeError('Expected at least one sequence to encode but received none');
    const rows = inputs.map((x) => this.template(x, maxLength));
    const T = options.padding === 'max_length' ? maxLength : Math.max(...rows.map((r) => r.ids.length));
    const B = rows.length;
    const ids = new BigInt64Array(B * T);
    const types = new BigInt64Array(B * T);
    const attention = new BigInt64Array(B * T);
    const special = new BigInt64Array(B * T).fill(1n);
    rows.forEach((r, b) => {
      r.ids.forEach((id, t) => {
        ids[b * T + t] = BigInt(id);
        types[b * T + t] = BigInt(r.types[t]);
        attention[b * T + t] = 1n;
        special[b * T + t] = id === this.clsId || id === this.sepId ? 1n : 0n;
      });
    });
    const shape = [B, T];
    return {
      inputIds: torch.tensor(ids, { shape }), tokenTypeIds: torch.tensor(types, { shape }),
      attentionMask: torch.tensor(attention, { shape }), specialTokensMask: torch.tensor(special, { shape }),
    };
  }

  private template(x: IdsInput, maxLength: number): { ids: number[]; types: number[] } {
    if (typeof x[0] === 'number' || x.length === 0) {
      const a = (x as readonly number[]).slice(0, maxLength - 2);
      return { ids: [this.clsId, ...a, this.sepId], types: new Array<number>(a.length + 2).fill(0) };
    }
    let [a, b] = x as readonly [readonly number[], readonly number[]];
    let la = a.length;
    let lb = b.length;
    while (la + lb > maxLength - 3) {
      if (la > lb) la--;
      else lb--;
    }
    a = a.slice(0, la);
    b = b.slice(0, lb);
    return {
      ids: [this.clsId, ...a, this.sepId, ...b, this.sepId],
      types: [...new Array<number>(la + 2).fill(0), ...new Array<number>(lb + 1).fill(1)],
    };
  }

  /**
   * Hugging Face's tokenizer.json document (BertNormalizer, BertPreTokenizer,
   * WordPiece model, TemplateProcessing with [CLS]/[SEP]), loadable by the
   * `tokenizers` library's `Tokenizer.from_file`.
   * @example JSON.stringify(tok.toJSON()).length;
   */
  toJSON(): Record<string, unknown> {
    const st = (token: string, typeId: number) => ({ SpecialToken: { id: token, type_id: typeId } });
    const seq = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
    return {
      version: '1.0', truncation: null, padding: null,
      added_tokens: SPECIAL_TOKENS.map((content, id) => ({
        id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
      })),
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: this.lowercase },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [st('[CLS]', 0), seq('A', 0), st('[SEP]', 0)],
        pair: [st('[CLS]', 0), seq('A', 0), st('[SEP]', 0), seq('B', 1), st('[SEP]', 1)],
        special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [this.ids.get(t)], tokens: [t] }])),
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: {
        type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##',
        max_input_chars_per_word: this.maxInputCharsPerWord, vocab: Object.fromEntries(this.vocab.map((t, i) => [t, i])),
      },
    };
  }

  /** Writes tokenizer.json (atomically). @example tok.save(path.join(run, 'tokenizer.json')); */
  save(file: string): void {
    writeFileAtomic(file, `${JSON.stringify(this.toJSON())}\n`);
  }

  /** Writes BERT's vocab.txt: one token per line, in id order. @example tok.saveVocab('vocab.txt'); */
  saveVocab(file: string): void {
    writeFileAtomic(file, `${this.vocab.join('\n')}\n`);
  }

  /**
   * Loads a tokenizer.json written by `save` (or by Hugging Face for a WordPiece model whose first five tokens are
   * [PAD] [UNK] [CLS] [SEP] [MASK]) or a vocab.txt.
   * @example const tok = WordPieceTokenizer.load('runs/bert-1/tokenizer.json');
   */
  static load(file: string): WordPieceTokenizer {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`Cannot read tokenizer file '${file}': ${(err as Error).message}`);
    }
    if (!file.endsWith('.json')) return new WordPieceTokenizer(text.split('\n').filter((l) => l !== ''));
    let doc: { model?: { type?: string; vocab?: Record<string, number>; max_input_chars_per_word?: number };
      normalizer?: { lowercase?: boolean } };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (err) {
      throw new Error(`Expected JSON in tokenizer file '${file}': ${(err as Error).message}`);
    }
    if (doc.model?.type !== 'WordPiece' || doc.model.vocab === undefined) {
      throw new Error(`Expected a WordPiece model in '${file}' but found ${JSON.stringify(doc.model?.type)}`);
    }
    const vocab: string[] = [];
    for (const [t, i] of Object.entries(doc.model.vocab)) vocab[i] = t;
    return new WordPieceTokenizer(vocab, {
      lowercase: doc.normalizer?.lowercase ?? true, maxInputCharsPerWord: doc.model.max_input_chars_per_word,
    });
  }
}
