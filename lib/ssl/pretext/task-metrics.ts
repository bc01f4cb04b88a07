// How well a trained pretext method does its own task on held-out images:
// rotation, patch-position and permutation accuracy, the inpainting error of
// the context encoder and the damaged jigsaw, the colorization error of the
// colour methods, each next to its floor (chance for the classifications;
// for the errors, the same error of filling the hole with the dataset mean or
// of leaving the gray input gray). The frozen-encoder report (k-NN, probe)
// judges the features; this judges the task that trained them.
import * as torch from '../../torch';
import { Device, Generator, Tensor } from '../../torch';
import { defineOptions, GivenOptions, is, option, OPTIONAL } from '../../torch/option-table';
import { ImageDataset } from '../../data/dataset';
import { normalize, perChannel, toFloatImages } from '../../data/transforms/normalize';
import { labToRgb, rgbToLab, withoutColour } from '../../data/transforms/lab';
import { Method } from '../method';
import { Rotation } from '../rotation';
import { Jigsaw } from '../jigsaw';
import { RelativePosition } from '../relative-position';
import { ContextEncoder } from '../context-encoder';
import { DamagedJigsaw } from '../damaged-jigsaw';
import { Colorization } from '../colorization';
import { SplitBrain } from '../split-brain';
import { DeOldify } from '../deoldify';

/** One task metric: its value on the held-out images and its floor. */
export interface TaskMetric {
  /** rotationAccuracy, positionAccuracy, permutationAccuracy (fractions), inpaintingError, colorizationError (MSE of [0, 1] pixels). */
  name: string;
  value: number;
  /** Chance for accuracies; for errors, the error of the trivial answer (the mean colour in the hole, the gray image). */
  floor: number;
  /** Higher is better (accuracies) or lower is (errors). */
  higherIsBetter: boolean;
}

/** What `evaluateTask` returns (JSON-able: the `task` record of eval.json). */
export interface TaskReport {
  method: string;
  dataset: string;
  images: number;
  metrics: TaskMetric[];
  seconds: number;
}

/** `evaluateTask`'s options: defaults and checks (the generator checks the seed; the device is where the method runs). */
export const TASK_EVAL_OPTIONS = defineOptions({
  /** Images evaluated, evenly spaced over the split. Default 2000. */
  maxImages: option(2000, is.int(1)),
  /** Images per forward pass. Default 200. */
  batchSize: option(200, is.int(1)),
  /** Seed of the tasks drawn (tiles, holes, neighbours), on the CPU. Default 0. */
  seed: option(0, is.checkedLater<number>()),
  /** Where the method runs. Default: where its parameters are. */
  device: option(OPTIONAL, is.checkedLater<Device>()),
});

/** Options of `evaluateTask`. */
export interface TaskEvalOptions extends GivenOptions<typeof TASK_EVAL_OPTIONS.specs> {
  /** Normalisation the method trained with (the training split's). */
  mean: readonly number[];
  std: readonly number[];
}

/** Running sums of one metric: numerator, denominator; the floor's likewise. */
interface Sums { value: [number, number]; floor: [number, number] }

/** Sum of squared differences of two pixel tensors where `mask` (broadcast) is true, and the number of values summed. */
function squaredError(a: Tensor, b: Tensor, mask?: Tensor): [number, number] {
  const d = a.float().sub(b.float()).square();
  const m = mask === undefined ? torch.onesLike(d) : mask.to('float32').expand(d.shape);
  return [d.mul(m).sum().item() as number, m.sum().item() as number];
}

const correct = (logits: Tensor, labels: Tensor): [number, number] =>
  [logits.argmax(1).eq(labels).sum().item() as number, labels.shape[0]];

/** Normalised values back to pixels: `t` (..., C, H, W) with the per-channel statistics broadcast over the last three dims. */
type ToPixels = (t: Tensor) => Tensor;

/** One batch's contributions (xn normalised, x01 its pixels) by metric name. */
function batchSums(m: Method, xn: Tensor, x01: Tensor, pixels: ToPixels, g: Generator | undefined): Record<string, Sums> {
  const B = xn.shape[0];
  if (m instanceof Rotation) {
    const { images, labels } = m.rotations(xn);
    return { rotationAccuracy: { value: correct(m.rotationHead.forward(m.encoder.forward(images)), labels), floor: [B, 4 * B] } };
  }
  if (m instanceof Jigsaw) {
    const task = m.drawTask(xn, g);
    return { permutationAccuracy: { value: correct(m.taskLoss(xn, task).logits, task.labels), floor: [B, m.numPermutations * B] } };
  }
  if (m instanceof RelativePosition) {
    const task = m.drawTask(xn, g);
    return { positionAccuracy: { value: correct(m.taskLoss(xn, task).logits, task.labels), floor: [B, 8 * B] } };
  }
  if (m instanceof ContextEncoder) {
    const task = m.drawTask(xn, g);
    const region = task.weights.gt(0); // the pixels the prediction replaces
    const { prediction } = m.inpaint(xn, task.hole);
    // The floor fills the region with 0, the dataset mean after normalisation (what the network sees there).
    return { inpaintingError: { value: squaredError(pixels(prediction), x01, region),
      floor: squaredError(pixels(torch.zerosLike(xn)), x01, region) } };
  }
  if (m instanceof DamagedJigsaw) return damagedJigsawSums(m, xn, pixels, g);
  if (m instanceof Colorization || m instanceof SplitBrain || m instanceof DeOldify) {
    return { colorizationError: { value: squaredError(m.colorize(xn), x01), floor: squaredError(grayVersion(m, xn), x01) } };
  }
  throw new TypeError(`Expected a pretext method (rotation, jigsaw, relative_position, context_encoder, damaged_jigsaw, ` +
    `colorization, split_brain, deoldify) for evaluateTask but received '${m.name}'`);
}

/**
 * What a colour method's network is given, as the colour image it would be
 * with no colour added: the Lab L with ab = 0 (colorization, split-brain),
 * the luma in every channel (DeOldify), pixels in [0, 1].
 */
function grayVersion(m: Colorization | SplitBrain | DeOldify, xn: Tensor): Tensor {
  if (m instanceof DeOldify) return m.examples(xn).input.expand([-1, 3, -1, -1]);
  const lab = m.encoder.lab(xn);
  return labToRgb(withoutColour(lab));
}

/** The damaged jigsaw's three: permutation accuracy, the missing tile's error, the present tiles' colour error. */
function damagedJigsawSums(m: DamagedJigsaw, xn: Tensor, pixels: ToPixels, g: Generator | undefined): Record<string, Sums> {
  const B = xn.shape[0];
  const task = m.drawTask(xn, g);
  const out = m.taskLoss(xn, task);
  const tiles = pixels(m.puzzle(xn, task).tiles); // (B, 9, C, P, P) colour tiles in puzzle order
  const missing = torch.arange(9, { device: xn.device }).view([1, 9]).eq(task.missing.view([B, 1])).view([B, 9, 1, 1, 1]);
  const target = tiles.gather(1, task.missing.view([B, 1, 1, 1, 1]).expand([B, 1, ...tiles.shape.slice(2)])).squeeze(1);
  // Floors: the missing tile filled with the dataset mean; the present tiles left gray (their Lab L with ab = 0: the
  // colorized tiles keep their L, so predicting ab = 0 gives exactly this floor).
  const [, , C, P] = tiles.shape;
  const lab = rgbToLab(tiles.reshape([B * 9, C, P, P]).clamp(0, 1));
  const gray = labToRgb(withoutColour(lab)).view(tiles.shape);
  return {
    permutationAccuracy: { value: correct(out.logits, task.labels), floor: [B, m.numPermutations * B] },
    inpaintingError: { value: squaredError(pixels(out.inpainted), target),
      floor: squaredError(pixels(torch.zerosLike(out.inpainted)), target) },
    colorizationError: { value: squaredError(pixels(out.colorized), tiles, missing.logicalNot()),
      floor: squaredError(gray, tiles, missing.logicalNot()) },
  };
}

/**
 * The method's own task on up to `maxImages` held-out images (evenly spaced
 * over `data`), normalised as in training, drawn from a seeded generator, in
 * eval mode without gradients. Errors are mean squared errors of [0, 1]
 * pixels over every evaluated pixel (not means of batch means).
 *
 * @example
 * const r = evaluateTask(method, test, { mean: train.mean, std: train.std });
 * r.metrics[0]; // { name: 'rotationAccuracy', value: 0.91, floor: 0.25, higherIsBetter: true }
 */
export function evaluateTask(method: Method, data: ImageDataset, o: TaskEvalOptions): TaskReport {
  const t0 = Date.now();
  const { maxImages: max, batchSize, seed, device: given } = TASK_EVAL_OPTIONS.resolve(o, (k) => `evaluateTask options.${k}`);
  const device = given ?? method.encoder.parameters()[0].device;
  const n = Math.min(max, data.length);
  const rows = Array.from({ length: n }, (_, i) => Math.floor((i * data.length) / n));
  const generator = device === 'cpu' ? new Generator().manualSeed(seed) : undefined;
  const totals = new Map<string, Sums>();
  const was = method.training;
  method.eval();
  try {
    for (let start = 0; start < n; start += batchSize) {
      const sums = torch.noGrad(() => torch.scope(() => {
        const idx = torch.tensor(rows.slice(start, start + batchSize), { dtype: 'int64' });
        const x01 = toFloatImages(data.images.indexSelect(0, idx)).to(device);
        const C = x01.shape[1];
        // First: normalize checks the values and accepts one for every channel, as pixels must.
        const xn = normalize(x01, o.mean, o.std);
        const std = torch.tensor(perChannel(o.std, C, 'std', true), { device }).view([C, 1, 1]);
        const mean = torch.tensor(perChannel(o.mean, C, 'mean', false), { device }).view([C, 1, 1]);
        const pixels: ToPixels = (t) => t.float().mul(std).add(mean);
        return batchSums(method, xn, x01, pixels, generator);
      }));
      for (const [name, s] of Object.entries(sums)) {
        const t = totals.get(name) ?? { value: [0, 0], floor: [0, 0] };
        totals.set(name, { value: [t.value[0] + s.value[0], t.value[1] + s.value[1]],
          floor: [t.floor[0] + s.floor[0], t.floor[1] + s.floor[1]] });
      }
    }
  } finally {
    method.train(was);
  }
  const metrics = [...totals].map(([name, s]) => ({ name, value: s.value[0] / s.value[1], floor: s.floor[0] / s.floor[1],
    higherIsBetter: name.endsWith('Accuracy') }));
  return { method: method.name, dataset: data.name, images: n, metrics, seconds: (Date.now() - t0) / 1000 };
}

/**
 * One line per metric, for the end of `selfsup train`.
 * @example formatTaskReport(r); // 'rotationAccuracy 91.2% (chance 25.0%) on 2,000 held-out images'
 */
export function formatTaskReport(r: TaskReport): string {
  return r.metrics.map((m) => m.higherIsBetter
    ? `${m.name} ${(100 * m.value).toFixed(1)}% (chance ${(100 * m.floor).toFixed(1)}%)`
    : `${m.name} ${m.value.toFixed(4)} (floor ${m.floor.toFixed(4)}: ${m.name.startsWith('inpainting') ? 'the mean colour' : 'the gray image'})`)
    .join('; ') + ` on ${r.images.toLocaleString('en-US')} held-out ${r.dataset} images`;
}
