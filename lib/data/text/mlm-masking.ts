// Masked-language-model inputs (Devlin et al. 2019, section 3.1): choose 15%
// of the tokens at random; of those, 80% become [MASK], 10% a random token,
// 10% stay unchanged; the loss is taken only at the chosen positions. As
// Hugging Face's DataCollatorForLanguageModeling: independent Bernoulli draws
// per token (so the count per sequence varies around 15%), special tokens and
// padding never chosen, labels -100 elsewhere. Batched tensor work.
import * as torch from '../../torch';
import { Generator, Tensor } from '../../torch';
import { checkNumber } from '../../torch/arguments';
import { defineOptions, GivenOptions, is, option, optionsKey, REQUIRED } from '../../torch/option-table';

/**
 * The masking rates' defaults (BERT's 15% and 80/10/10) and checks, in the
 * order they are checked; randomFraction's bound depends on maskFraction, so
 * `maskingRates` checks it.
 */
export const MASKING_OPTIONS = defineOptions({
  /** Vocabulary size: random replacements are drawn from [firstRandomId, vocabSize). */
  vocabSize: option(REQUIRED, is.int(1)),
  /** Id of [MASK]. */
  maskId: option(REQUIRED, is.int(0)),
  /** Fraction of tokens chosen. Default 0.15 (BERT). */
  probability: option(0.15, is.number(0, 1)),
  /** Of the chosen, the fraction replaced by [MASK]. Default 0.8. */
  maskFraction: option(0.8, is.number(0, 1)),
  /** Of the chosen, the fraction replaced by a random token (at most 1 - maskFraction). Default 0.1. */
  randomFraction: option(0.1, is.checkedLater<number>()),
  /** Smallest id a random replacement may take (past the special tokens). Default 5. */
  firstRandomId: option(5, is.int(0)),
});

/** Options of `maskTokens`. */
export interface MaskingOptions extends GivenOptions<typeof MASKING_OPTIONS.specs> {
  maskId: number;
  vocabSize: number;
  /** Random draws (CPU). Default: the global generator. */
  generator?: Generator;
}

/** The checked masking options with their defaults (BERT's 15% and 80/10/10). */
export interface MaskingRates {
  vocabSize: number;
  maskId: number;
  /** Fraction of tokens chosen. */
  p: number;
  fMask: number;
  fRandom: number;
  /** Smallest random replacement id. */
  first: number;
}

/**
 * Checks `options` and fills in the defaults, for `maskTokens` and `ngramMaskTokens`.
 *
 * @example maskingRates({ maskId: 4, vocabSize: 100 }).p // 0.15
 */
export function maskingRates(options: MaskingOptions): MaskingRates {
  const o = MASKING_OPTIONS.resolve(options, optionsKey);
  const { vocabSize, maskId, probability: p, maskFraction: fMask, firstRandomId: first } = o;
  const fRandom = checkNumber(o.randomFraction, 'options.randomFraction', 0, 1 - fMask);
  if (first >= vocabSize) throw new RangeError(`Expected firstRandomId (${first}) below vocabSize (${vocabSize})`);
  return { vocabSize, maskId, p, fMask, fRandom, first };
}

/** What `maskTokens` returns, both int64 of the input's shape. */
export interface MaskedTokens {
  /** The ids with the chosen tokens replaced. */
  inputIds: Tensor;
  /** The original id at chosen positions, -100 (ignored by cross-entropy) elsewhere. */
  labels: Tensor;
}

/**
 * BERT's masking of `inputIds` (B, T); `specialTokensMask` (B, T) is 1 where
 * a token may never be chosen ([CLS], [SEP], padding).
 *
 * @example
 * const enc = tok.encodeBatch(texts, { maxLength: 64 });
 * const { inputIds, labels } = maskTokens(enc.inputIds, enc.specialTokensMask, { maskId: tok.maskId, vocabSize: tok.vocabSize });
 */
export function maskTokens(inputIds: Tensor, specialTokensMask: Tensor, options: MaskingOptions): MaskedTokens {
  if (inputIds.dtype !== 'int64' || inputIds.dim() !== 2) {
    throw new TypeError(`Expected inputIds int64 (B, T) but received ${inputIds.dtype} [${inputIds.shape.join(', ')}]`);
  }
  if (specialTokensMask.shape.join() !== inputIds.shape.join()) {
    throw new RangeError(`Expected specialTokensMask of shape [${inputIds.shape.join(', ')}] but received [${specialTokensMask.shape.join(', ')}]`);
  }
  const { vocabSize, maskId, p, fMask, fRandom, first } = maskingRates(options);
  const g = options.generator;
  const shape = inputIds.shape;
  return torch.scope(() => {
    const u = torch.rand(shape, { generator: g }); // (B, T): chooses the tokens
    const chosen = u.lt(p).logicalAnd(specialTokensMask.eq(0)); // (B, T) bool
    const v = torch.rand(shape, { generator: g }); // (B, T): what happens to a chosen token
    const toMask = chosen.logicalAnd(v.lt(fMask));
    const toRandom = chosen.logicalAnd(v.ge(fMask)).logicalAnd(v.lt(fMask + fRandom));
    const randomIds = torch.randint(first, vocabSize, shape, { generator: g }); // (B, T)
    const ids = torch.where(toRandom, randomIds, torch.where(toMask, maskId, inputIds));
    const labels = torch.where(chosen, inputIds, -100);
    return { inputIds: ids, labels };
  });
}
