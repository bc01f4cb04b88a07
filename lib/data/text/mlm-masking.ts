// Masked-language-model inputs (Devlin et al. 2019, section 3.1): choose 15%
// of the tokens at random; of those, 80% become [MASK], 10% a random token,
// 10% stay unchanged; the loss is taken only at the chosen positions. As
// Hugging Face's DataCollatorForLanguageModeling: independent Bernoulli draws
// per token (so the count per sequence varies around 15%), special tokens and
// padding never chosen, labels -100 elsewhere. Batched tensor work.
import * as torch from '../../torch';
import { Generator, Tensor } from '../../torch';
import { checkInt, checkNumber } from '../../torch/arguments';

/** Options of `maskTokens`. */
export interface MaskingOptions {
  /** Id of [MASK]. */
  maskId: number;
  /** Vocabulary size: random replacements are drawn from [firstRandomId, vocabSize). */
  vocabSize: number;
  /** Fraction of tokens chosen. Default 0.15 (BERT). */
  probability?: number;
  /** Of the chosen, the fraction replaced by [MASK]. Default 0.8. */
  maskFraction?: number;
  /** Of the chosen, the fraction replaced by a random token. Default 0.1. */
  randomFraction?: number;
  /** Smallest id a random replacement may take (past the special tokens). Default 5. */
  firstRandomId?: number;
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
  const vocabSize = checkInt(options.vocabSize, 'options.vocabSize', 1);
  const maskId = checkInt(options.maskId, 'options.maskId', 0);
  const p = checkNumber(options.probability ?? 0.15, 'options.probability', 0, 1);
  const fMask = checkNumber(options.maskFraction ?? 0.8, 'options.maskFraction', 0, 1);
  const fRandom = checkNumber(options.randomFraction ?? 0.1, 'options.randomFraction', 0, 1 - fMask);
  const first = checkInt(options.firstRandomId ?? 5, 'options.firstRandomId', 0);
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
