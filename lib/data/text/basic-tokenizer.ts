// BERT's text normalisation and pre-tokenisation (Hugging Face's BertNormalizer
// + BertPreTokenizer, Google's BasicTokenizer): clean control characters,
// space out CJK ideographs, lowercase, strip accents, then split on
// whitespace and punctuation. WordPiece then splits each word further.
import { defineOptions, GivenOptions, is, option, OPTIONAL, optionsKey } from '../../torch/option-table';

/** `basicTokenize`'s options: defaults as bert-base-uncased, and checks. */
export const BASIC_TOKENIZER_OPTIONS = defineOptions({
  /** Lowercase the text. Default true. */
  lowercase: option(true, is.boolean),
  /** Remove combining marks after NFD decomposition ("café" -> "cafe"). Default: same as lowercase (HF's null). */
  stripAccents: option(OPTIONAL, is.boolean),
});

/** Options of `normalizeBert` and `basicTokenize`. */
export type BasicTokenizerOptions = GivenOptions<typeof BASIC_TOKENIZER_OPTIONS.specs>;

// NOTE: BERT treats every non-letter/number ASCII character as punctuation
// ("$", "^", "`" too), plus Unicode's P* categories.
const ASCII_PUNCT = /[!-/:-@[-`{-~]/;
const UNICODE_PUNCT = /\p{P}/u;
const CJK = /[\u4E00-\u9FFF\u3400-\u4DBF\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B820}-\u{2CEAF}\uF900-\uFAFF\u{2F800}-\u{2FA1F}]/u;
const CONTROL = /[\p{Cc}\p{Cf}]/u;
const MARK = /\p{Mn}/gu;

function isPunctuation(ch: string): boolean {
  return ASCII_PUNCT.test(ch) || UNICODE_PUNCT.test(ch);
}

/**
 * The normalised text as HF's BertNormalizer: NUL, U+FFFD and control
 * characters removed, whitespace characters turned into spaces, CJK ideographs
 * surrounded by spaces, then lowercasing and accent stripping.
 * @example normalizeBert('Café\tMÜNCHEN'); // 'cafe munchen'
 */
export function normalizeBert(text: string, options: BasicTokenizerOptions = {}): string {
  const { lowercase, stripAccents } = BASIC_TOKENIZER_OPTIONS.resolve(options, optionsKey);
  const strip = stripAccents ?? lowercase;
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code === 0 || code === 0xfffd) continue;
    if (/\s/u.test(ch)) {
      out += ' ';
    } else if (CONTROL.test(ch)) {
      continue;
    } else if (CJK.test(ch)) {
      out += ` ${ch} `;
    } else {
      out += ch;
    }
  }
  if (lowercase) out = out.toLowerCase();
  if (strip) out = out.normalize('NFD').replace(MARK, '');
  return out;
}

/**
 * Words of `text` after BERT's normalisation: split on whitespace, each
 * punctuation character its own word.
 * @example basicTokenize("Don't panic!"); // ['don', "'", 't', 'panic', '!']
 */
export function basicTokenize(text: string, options: BasicTokenizerOptions = {}): string[] {
  const words: string[] = [];
  for (const chunk of normalizeBert(text, options).split(' ')) {
    if (chunk === '') continue;
    let word = '';
    for (const ch of chunk) {
      if (isPunctuation(ch)) {
        if (word !== '') words.push(word);
        words.push(ch);
        word = '';
      } else {
        word += ch;
      }
    }
    if (word !== '') words.push(word);
  }
  return words;
}
