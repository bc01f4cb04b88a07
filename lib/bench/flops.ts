// Floating-point operations of one training step, counted once per workload
// from the model itself: every Conv2d, Linear and Attention that runs during
// one `trainingStep` reports the multiply-adds its shapes imply.
//
// Convention (the one of PyTorch's FlopCounterMode, fvcore and the MFU
// literature): a multiply-add is 2 FLOPs; only convolutions, linear layers and
// the two attention matmuls (q k^T and attn v) are counted; norms,
// activations, losses, EMA and the optimiser are not. The backward pass of a
// matmul-like op costs one forward per operand that needs a gradient
// (input-gradient and weight-gradient), so an op counts
//   1 x forward   under no-grad (teachers, targets),
//   2 x forward   when only the weight needs a gradient (the first layer),
//   3 x forward   in the usual case (forward + both backward products),
// which is the familiar "3 x forward" for the trained network.
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Module } from '../nn/module';
import { Conv2d } from '../nn/layers/conv';
import { Linear } from '../nn/layers/linear';
import { Attention } from '../nn/layers/attention';
import { Method, TrainProgress } from '../ssl/method';
import { Workload } from './workloads';
import { buildMethod, makeViews } from './workload-setup';

/** FLOPs of one training step, split by kind of operation. */
export interface FlopCount {
  /** Forward FLOPs (teachers included). */
  forward: number;
  /** Forward plus backward, by the convention above: the number used for TFLOP/s. */
  total: number;
  /** `total` per kind of operation. */
  byKind: { conv: number; linear: number; attention: number };
}

/**
 * Forward FLOPs of a 2-d convolution from its weight (Cout, Cin / groups, kh, kw) and output
 * (N, Cout, Hout, Wout): 2 * N * Cout * Hout * Wout * (Cin / groups) * kh * kw (bias not counted).
 * @example conv2dFlops([64, 3, 3, 3], [8, 64, 32, 32]) // 2 * 8 * 64 * 1024 * 27
 */
export function conv2dFlops(weight: readonly number[], output: readonly number[]): number {
  const [n, cout, hout, wout] = output.length === 4 ? output : [1, ...output];
  const [, cinPerGroup, kh, kw] = weight;
  return 2 * n * cout * hout * wout * cinPerGroup * kh * kw;
}

/**
 * Forward FLOPs of a linear layer on an input of shape (..., in): 2 * rows * in * out (bias not counted).
 * @example linearFlops([4, 197, 384], 384, 1152) // 2 * 788 * 384 * 1152
 */
export function linearFlops(input: readonly number[], inFeatures: number, outFeatures: number): number {
  const rows = input.slice(0, -1).reduce((a, b) => a * b, 1);
  return 2 * rows * inFeatures * outFeatures;
}

/**
 * Forward FLOPs of the attention matmuls on (B, N, C) tokens: q k^T and attn v,
 * each 2 * B * N * N * C over all heads, so 4 * B * N^2 * C (softmax not counted).
 * @example attentionFlops([2, 65, 192]) // 4 * 2 * 65 * 65 * 192
 */
export function attentionFlops(input: readonly number[]): number {
  const [b, n, c] = input;
  return 4 * b * n * n * c;
}

/**
 * Whether a layer's weight gets a gradient: any of its own parameters does.
 * NOTE: not `m.weight.requiresGrad`: a weight-normed layer's readable `weight`
 * is a detached copy after its forward, while weight_v (and maybe weight_g) train.
 */
function weightTrains(m: Module): boolean {
  return [...m.namedParameters({ recurse: false })].some(([name, p]) => name !== 'bias' && p.requiresGrad);
}

/** How many forward-equivalents an op costs: 1 + one per operand that gets a gradient, 1 under no-grad. */
function passes(x: Tensor, weightNeedsGrad: boolean): number {
  if (!torch.isGradEnabled()) return 1;
  return 1 + (x.requiresGrad ? 1 : 0) + (weightNeedsGrad ? 1 : 0);
}

/**
 * Runs `fn` with every Conv2d, Linear and Attention inside `root` counting
 * its FLOPs, and returns them. Each module's own `forward` is wrapped for the
 * duration (weight-normed layers included) and restored afterwards.
 *
 * @example
 * const count = countFlops(model, () => model.forward(torch.randn([2, 3, 32, 32])).sum().dispose());
 * count.forward; // FLOPs of the forward pass
 */
export function countFlops(root: Module, fn: () => void): FlopCount {
  const count: FlopCount = { forward: 0, total: 0, byKind: { conv: 0, linear: 0, attention: 0 } };
  const add = (kind: keyof FlopCount['byKind'], forward: number, times: number): void => {
    count.forward += forward;
    count.total += forward * times;
    count.byKind[kind] += forward * times;
  };
  const restore: (() => void)[] = [];
  for (const m of root.modules()) {
    if (!(m instanceof Conv2d || m instanceof Linear || m instanceof Attention)) continue;
    const target = m as unknown as { forward: (x: Tensor) => Tensor };
    const own = Object.prototype.hasOwnProperty.call(target, 'forward');
    const previous = target.forward;
    target.forward = (x: Tensor): Tensor => {
      const y = previous.call(m, x);
      if (m instanceof Conv2d) {
        add('conv', conv2dFlops(m.weight.shape, y.shape), passes(x, weightTrains(m)));
      } else if (m instanceof Linear) {
        add('linear', linearFlops(x.shape, m.inFeatures, m.outFeatures), passes(x, weightTrains(m)));
      } else {
        // Both operands of each attention matmul come from x: two backward products when x needs a gradient.
        add('attention', attentionFlops(x.shape), torch.isGradEnabled() && x.requiresGrad ? 3 : 1);
      }
      return y;
    };
    restore.push(() => {
      if (own) target.forward = previous;
      else delete (target as { forward?: unknown }).forward;
    });
  }
  try {
    fn();
  } finally {
    for (const r of restore) r();
  }
  return count;
}

/**
 * FLOPs of one training step of `method` on `views`: one `trainingStep`
 * (forward only; the backward is accounted by the convention above), run
 * with gradients enabled so that teachers (no-grad) count once, on whatever
 * device the method and views are. Counted ops scale linearly with the batch,
 * so callers may count on a small batch and scale (see `workloadFlops`).
 *
 * @example
 * const { total } = countStepFlops(method, makeViews(w, 'cpu'));
 */
export function countStepFlops(method: Method, views: Tensor[], progress?: TrainProgress): FlopCount {
  const p = progress ?? { step: 0, totalSteps: 1, epoch: 0, stepsPerEpoch: 1 };
  return countFlops(method, () => torch.scope(() => {
    torch.enableGrad(() => method.trainingStep(views, p));
  }));
}

/**
 * FLOPs per training step of workload `w`, counted once on the CPU on a
 * batch of 2 and scaled to `w.batch` (every counted op is per-sample: convs,
 * linears and attention within one image; batch norm and losses that mix
 * samples are not counted). Deterministic and device-independent, so both
 * sides of the comparison divide by the same number.
 *
 * @example workloadFlops(workload('simclr', 'full')).total / 1e12 // TFLOPs per step
 */
export function workloadFlops(w: Workload): FlopCount {
  const countBatch = Math.min(2, w.batch);
  const small: Workload = { ...w, batch: countBatch };
  return torch.scope(() => {
    torch.manualSeed(0);
    const method = buildMethod(small);
    const views = makeViews(small, 'cpu');
    try {
      const c = countStepFlops(method, views);
      const k = w.batch / countBatch;
      return { forward: c.forward * k, total: c.total * k,
        byKind: { conv: c.byKind.conv * k, linear: c.byKind.linear * k, attention: c.byKind.attention * k } };
    } finally {
      views.forEach((v) => v.dispose());
      method.dispose();
    }
  });
}
