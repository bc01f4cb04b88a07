// Loss functions: classification (cross entropy, NLL, BCE), regression (MSE,
// L1, smooth L1, Huber), divergence (KL) and embedding losses.
import { Tensor } from '../../torch/tensor';
import { op } from '../../torch/op';
import { checkTensor, optionalTensor, sameShape } from '../../torch/arguments';
import { defineOptions, is, option, optionsKey } from '../../torch/option-table';

/** How a loss over many elements is reduced: not at all, their mean, or their sum. */
export type Reduction = 'none' | 'mean' | 'sum';

/** Options shared by the losses, as PyTorch's keyword arguments. */
export interface LossOptions {
  /** Default 'mean'. */
  reduction?: Reduction;
}

/** Options of `crossEntropy`. */
export interface CrossEntropyOptions extends LossOptions {
  /** Weight of each class, (C). Default: none (all 1). */
  weight?: Tensor | null;
  /** Target class that contributes neither loss nor count (class-index targets only). Default -100. */
  ignoreIndex?: number;
  /** Mix the target with the uniform distribution: (1 - s) * target + s / C. Default 0. */
  labelSmoothing?: number;
}

/** Options of `nllLoss`. */
export interface NllLossOptions extends LossOptions {
  /** Weight of each class, (C). Default: none. */
  weight?: Tensor | null;
  /** Target class that contributes neither loss nor count. Default -100. */
  ignoreIndex?: number;
}

/** Options of `binaryCrossEntropyWithLogits`. */
export interface BceWithLogitsOptions extends LossOptions {
  /** Weight of each element, broadcast to the input. Default: none. */
  weight?: Tensor | null;
  /** Weight of the positive term for each class (the last dimension). Default: none. */
  posWeight?: Tensor | null;
}

const ops = {
  crossEntropy: op('cross_entropy_loss'), nllLoss: op('nll_loss_nd'),
  mse: op('mse_loss'), l1: op('l1_loss'), smoothL1: op('smooth_l1_loss'), huber: op('huber_loss'),
  bce: op('binary_cross_entropy'), bceWithLogits: op('binary_cross_entropy_with_logits'),
  klDiv: op('kl_div'), divScalar: op('div', 'Scalar'), expand: op('expand'),
  broadcastTensors: op('broadcast_tensors'),
  cosineEmbedding: op('cosine_embedding_loss'), tripletMargin: op('triplet_margin_loss'),
};

const REDUCTIONS: readonly Reduction[] = ['none', 'mean', 'sum'];

// The losses' defaults, as PyTorch's keyword arguments, each stated once.
const reductionOption = option<Reduction>('mean', is.oneOf(REDUCTIONS));
const LOSS_OPTIONS = defineOptions({ reduction: reductionOption });
const CROSS_ENTROPY_OPTIONS = defineOptions({
  reduction: reductionOption, ignoreIndex: option(-100, is.int()), labelSmoothing: option(0, is.number(0, 1)),
});
const NLL_OPTIONS = defineOptions({ reduction: reductionOption, ignoreIndex: option(-100, is.int()) });
const SMOOTH_L1_OPTIONS = defineOptions({ reduction: reductionOption, beta: option(1, is.number(0)) });
const HUBER_OPTIONS = defineOptions({ reduction: reductionOption, delta: option(1, is.positive) });
const KL_DIV_OPTIONS = defineOptions({
  reduction: option<Reduction | 'batchmean'>('mean', is.oneOf(['none', 'mean', 'sum', 'batchmean'] as const)),
  logTarget: option(false, is.boolean),
});
const COSINE_EMBEDDING_OPTIONS = defineOptions({ reduction: reductionOption, margin: option(0, is.number()) });
const TRIPLET_MARGIN_OPTIONS = defineOptions({
  reduction: reductionOption, margin: option(1, is.number()), p: option(2, is.number(0)), eps: option(1e-6, is.number(0)),
  swap: option(false, is.boolean),
});

/** ATen's reduction enum: None 0, Mean 1, Sum 2. */
function reductionEnum(value: Reduction): number {
  return REDUCTIONS.indexOf(value);
}

/** The checked reduction of a loss that has no other option. */
function reductionOf(options: LossOptions): number {
  return reductionEnum(LOSS_OPTIONS.resolve(options, optionsKey).reduction);
}

const warned = new Set<string>();

/**
 * `loss(input, target)` with input and target broadcast to one shape, as
 * PyTorch's pointwise losses do, with PyTorch's warning (once per loss) when
 * their shapes differ. The broadcast copies are freed afterwards.
 */
function pointwiseLoss(name: string, input: Tensor, target: Tensor, loss: (x: Tensor, t: Tensor) => Tensor): Tensor {
  const x = checkTensor(input, 'input');
  const t = checkTensor(target, 'target');
  if (sameShape(x.shape, t.shape)) return loss(x, t);
  if (!warned.has(name)) {
    warned.add(name);
    process.emitWarning(`${name}: using a target shape [${t.shape.join(', ')}] that differs from the input shape ` +
      `[${x.shape.join(', ')}]; they are broadcast, which is rarely intended`);
  }
  const [bx, bt] = ops.broadcastTensors.tensors([x._h, t._h]);
  try {
    return loss(bx, bt);
  } finally {
    bx.dispose();
    bt.dispose();
  }
}

/**
 * Cross entropy between logits `input` (N, C) / (C) / (N, C, d1, ...) and
 * `target`, given as class indices (int64, (N) / () / (N, d1, ...)) or as class
 * probabilities (float, same shape as input), as `torch.nn.functional.cross_entropy`.
 * With `labelSmoothing` s the target becomes `(1 - s) * onehot + s / C`.
 * Defaults as PyTorch: no weight, ignoreIndex -100, reduction 'mean', labelSmoothing 0.
 *
 * @example
 * const loss = F.crossEntropy(logits, labels);                      // labels: int64 (N)
 * const smooth = F.crossEntropy(logits, labels, { labelSmoothing: 0.1 });
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  const t = checkTensor(target, 'target');
  const weight = optionalTensor(options.weight, 'options.weight');
  const o = CROSS_ENTROPY_OPTIONS.resolve(options, optionsKey);
  return ops.crossEntropy.tensor(x._h, t._h, weight, reductionEnum(o.reduction), o.ignoreIndex, o.labelSmoothing);
}

/**
 * Negative log likelihood of log-probabilities `input` (N, C) / (C) / (N, C, d1, ...)
 * at int64 class indices `target`, as `torch.nn.functional.nll_loss`.
 * Defaults as PyTorch: no weight, ignoreIndex -100, reduction 'mean'
 * (a weighted mean: divided by the summed weights of the counted targets).
 *
 * @example
 * const loss = F.nllLoss(F.logSoftmax(logits, 1), labels);
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  const t = checkTensor(target, 'target');
  const weight = optionalTensor(options.weight, 'options.weight');
  const o = NLL_OPTIONS.resolve(options, optionsKey);
  return ops.nllLoss.tensor(x._h, t._h, weight, reductionEnum(o.reduction), o.ignoreIndex);
}

/**
 * Mean squared error `(input - target)^2`, as `torch.nn.functional.mse_loss`.
 * Defaults as PyTorch: reduction 'mean'.
 *
 * @example
 * const loss = F.mseLoss(prediction, target);                  // scalar
 * const perElement = F.mseLoss(prediction, target, { reduction: 'none' });
 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const reduction = reductionOf(options);
  return pointwiseLoss('mseLoss', input, target, (x, t) => ops.mse.tensor(x._h, t._h, reduction));
}

/**
 * Mean absolute error `|input - target|`, as `torch.nn.functional.l1_loss`.
 * Defaults as PyTorch: reduction 'mean'.
 *
 * @example
 * const loss = F.l1Loss(prediction, target, { reduction: 'sum' });
 */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const reduction = reductionOf(options);
  return pointwiseLoss('l1Loss', input, target, (x, t) => ops.l1.tensor(x._h, t._h, reduction));
}

/**
 * Smooth L1: `0.5 d^2 / beta` where `|d| < beta`, else `|d| - 0.5 beta`, as
 * `torch.nn.functional.smooth_l1_loss`. Defaults as PyTorch: reduction 'mean', beta 1.
 *
 * @example
 * const loss = F.smoothL1Loss(boxes, targets, { beta: 0.5 });
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: LossOptions & { beta?: number } = {}): Tensor {
  const o = SMOOTH_L1_OPTIONS.resolve(options, optionsKey);
  const reduction = reductionEnum(o.reduction);
  return pointwiseLoss('smoothL1Loss', input, target, (x, t) => ops.smoothL1.tensor(x._h, t._h, reduction, o.beta));
}

/**
 * Huber: `0.5 d^2` where `|d| < delta`, else `delta (|d| - 0.5 delta)`, as
 * `torch.nn.functional.huber_loss`. Defaults as PyTorch: reduction 'mean', delta 1.
 *
 * @example
 * const loss = F.huberLoss(prediction, target, { delta: 2 });
 */
export function huberLoss(input: Tensor, target: Tensor, options: LossOptions & { delta?: number } = {}): Tensor {
  const o = HUBER_OPTIONS.resolve(options, optionsKey);
  const reduction = reductionEnum(o.reduction);
  return pointwiseLoss('huberLoss', input, target, (x, t) => ops.huber.tensor(x._h, t._h, reduction, o.delta));
}

function checkSameShape(input: Tensor, target: Tensor): void {
  if (!sameShape(input.shape, target.shape)) {
    throw new RangeError(`Expected target of shape [${input.shape.join(', ')}] (the input's shape) but received ` +
      `shape [${target.shape.join(', ')}]`);
  }
}

/**
 * Binary cross entropy between probabilities `input` in [0, 1] and `target`
 * of the same shape, as `torch.nn.functional.binary_cross_entropy`.
 * Defaults as PyTorch: no weight, reduction 'mean'. Prefer
 * `binaryCrossEntropyWithLogits`, which is stable for extreme logits.
 *
 * @example
 * const loss = F.binaryCrossEntropy(torch.sigmoid(logits), labels);
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor,
  options: LossOptions & { weight?: Tensor | null } = {}): Tensor {
  const x = checkTensor(input, 'input');
  const t = checkTensor(target, 'target');
  checkSameShape(x, t);
  const reduction = reductionOf(options);
  let weight: Tensor | null = null;
  if (options.weight !== undefined && options.weight !== null) {
    const w = checkTensor(options.weight, 'options.weight');
    weight = sameShape(w.shape, t.shape) ? w : ops.expand.tensor(w._h, t.shape);
  }
  try {
    return ops.bce.tensor(x._h, t._h, weight === null ? null : weight._h, reduction);
  } finally {
    if (weight !== null && weight !== options.weight) weight.dispose();
  }
}

/**
 * `binaryCrossEntropy(sigmoid(input), target)` computed stably from logits, as
 * `torch.nn.functional.binary_cross_entropy_with_logits`. `target` has the
 * input's shape; `posWeight` multiplies the positive term per class.
 * Defaults as PyTorch: no weight, no posWeight, reduction 'mean'.
 *
 * @example
 * const loss = F.binaryCrossEntropyWithLogits(logits, labels.float(), { posWeight: torch.full([10], 3) });
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BceWithLogitsOptions = {}): Tensor {
  const x = checkTensor(input, 'input');
  const t = checkTensor(target, 'target');
  checkSameShape(x, t);
  return ops.bceWithLogits.tensor(x._h, t._h, optionalTensor(options.weight, 'options.weight'),
    optionalTensor(options.posWeight, 'options.posWeight'), reductionOf(options));
}

/**
 * Kullback-Leibler divergence KL(target || exp(input)) with `input` given as
 * log-probabilities, as `torch.nn.functional.kl_div`: pointwise
 * `target * (log(target) - input)`. 'batchmean' divides the sum by the batch
 * size (the mathematical KL); 'mean' divides by the number of elements.
 * Defaults as PyTorch: reduction 'mean', logTarget false.
 *
 * @example
 * const kl = F.klDiv(F.logSoftmax(student, 1), F.softmax(teacher, 1), { reduction: 'batchmean' });
 */
export function klDiv(input: Tensor, target: Tensor,
  options: { reduction?: Reduction | 'batchmean'; logTarget?: boolean } = {}): Tensor {
  const x = checkTensor(input, 'input');
  const t = checkTensor(target, 'target');
  const { reduction, logTarget } = KL_DIV_OPTIONS.resolve(options, optionsKey);
  const loss = ops.klDiv.tensor(x._h, t._h, reductionEnum(reduction === 'batchmean' ? 'sum' : reduction), logTarget);
  if (reduction !== 'batchmean' || x.dim() === 0) return loss;
  const out = ops.divScalar.tensor(loss._h, x.shape[0]);
  loss.dispose();
  return out;
}

/**
 * `1 - cos(x1, x2)` for target 1 and `max(0, cos(x1, x2) - margin)` for
 * target -1, as `torch.nn.functional.cosine_embedding_loss`.
 * Defaults as PyTorch: margin 0, reduction 'mean'.
 *
 * @example
 * const loss = F.cosineEmbeddingLoss(a, b, torch.tensor([1, -1, 1]));
 */
export function cosineEmbeddingLoss(input1: Tensor, input2: Tensor, target: Tensor,
  options: LossOptions & { margin?: number } = {}): Tensor {
  const [a, b, t] = [checkTensor(input1, 'input1'), checkTensor(input2, 'input2'), checkTensor(target, 'target')];
  const o = COSINE_EMBEDDING_OPTIONS.resolve(options, optionsKey);
  return ops.cosineEmbedding.tensor(a._h, b._h, t._h, o.margin, reductionEnum(o.reduction));
}

/**
 * `max(d(a, p) - d(a, n) + margin, 0)` with the p-norm distance d, as
 * `torch.nn.functional.triplet_margin_loss`.
 * Defaults as PyTorch: margin 1, p 2, eps 1e-6, swap false, reduction 'mean'.
 *
 * @example
 * const loss = F.tripletMarginLoss(anchor, positive, negative, { margin: 0.2 });
 */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor,
  options: LossOptions & { margin?: number; p?: number; eps?: number; swap?: boolean } = {}): Tensor {
  const [a, pos, neg] = [checkTensor(anchor, 'anchor'), checkTensor(positive, 'positive'), checkTensor(negative, 'negative')];
  const o = TRIPLET_MARGIN_OPTIONS.resolve(options, optionsKey);
  return ops.tripletMargin.tensor(a._h, pos._h, neg._h, o.margin, o.p, o.eps, o.swap, reductionEnum(o.reduction));
}
