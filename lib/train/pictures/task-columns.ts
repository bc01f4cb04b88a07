// What a pretext task feeds its network and what the network makes of it, as
// the columns of an image grid (pixels in [0, 1], one image per row), built
// by the method's own task code (drawTask, rotations, puzzle, inpaint,
// colorize): rotations with their labels, jigsaw tiles shuffled, solved and
// put back by the predicted permutation, patch pairs and the neighbour's
// place, holes and their fill, damaged puzzles, gray inputs beside the
// colours the network gives them. `selfsup preview --task` and the pictures
// a run leaves in its folder (task.png) both draw these.
import * as torch from '../../torch';
import { Generator, Tensor } from '../../torch';
import { Method } from '../../ssl/method';
import { Rotation } from '../../ssl/rotation';
import { Jigsaw, jigsawGeometry } from '../../ssl/jigsaw';
import { RelativePosition } from '../../ssl/relative-position';
import { ContextEncoder } from '../../ssl/context-encoder';
import { DamagedJigsaw } from '../../ssl/damaged-jigsaw';
import { Colorization } from '../../ssl/colorization';
import { SplitBrain } from '../../ssl/split-brain';
import { DeOldify } from '../../ssl/deoldify';
import { patchesAt } from '../../ssl/pretext/grid-patches';

/** The methods whose task a grid shows. */
export const TASK_METHODS = ['rotation', 'jigsaw', 'relative_position', 'context_encoder', 'damaged_jigsaw',
  'colorization', 'split_brain', 'deoldify'] as const;
export type TaskMethodName = typeof TASK_METHODS[number];

/** What `taskColumns` returns: the grid's columns (pixels in [0, 1]), what each shows, and the drawn task. */
export interface TaskColumns {
  columns: Tensor[];
  legend: string[];
  /** The task drawn for the images (tile origins, labels, holes...), as the method's drawTask returns it. */
  task?: Record<string, Tensor>;
}

/**
 * Whether `method` is one whose task `taskColumns` draws.
 * @example if (isTaskMethod(method)) taskColumns(method, x, mean, std);
 */
export function isTaskMethod(method: Method): boolean {
  return (TASK_METHODS as readonly string[]).includes(method.name);
}

/** (B, 9, C, P, P) tiles as (B, C, 3P + 2, 3P + 2) mosaics, row-major, 1 px white lines between them. */
function mosaic(tiles: Tensor): Tensor {
  const [B, , C, P] = tiles.shape;
  const S = 3 * P + 2;
  const canvas = torch.ones([B, C, S, S], { device: tiles.device });
  for (let cell = 0; cell < 9; cell++) {
    const r = Math.floor(cell / 3);
    const c = cell % 3;
    canvas.narrow(2, r * (P + 1), P).narrow(3, c * (P + 1), P).copy_(tiles.select(1, cell));
  }
  return canvas;
}

/** `tiles` (B, 9, ...) rearranged so that cell j shows tiles[source[b, j]]. */
function place(tiles: Tensor, source: Tensor): Tensor {
  const [B, n, ...rest] = tiles.shape;
  return tiles.gather(1, source.view([B, n, ...rest.map(() => 1)]).expand(tiles.shape));
}

/** The inverse of each row of a (B, n) permutation. */
function invert(perm: Tensor): Tensor {
  const [B, n] = perm.shape;
  const positions = torch.arange(n, { device: perm.device }).view([1, n]).expand([B, n]).contiguous();
  return torch.zeros([B, n], { dtype: 'int64', device: perm.device }).scatter(1, perm, positions);
}

/** Runs `fn` in eval mode without gradients (predictions for the picture must not move batch-norm statistics). */
function predict<T>(method: Method, fn: () => T): T {
  const was = method.training;
  method.eval();
  try {
    return torch.noGrad(fn);
  } finally {
    method.train(was);
  }
}

/** Per-channel values as a (1, C, 1, 1) tensor (or `shape`) on `device`. */
function perChannel(values: readonly number[], C: number, device: Tensor['device'], shape = [1, C, 1, 1]): Tensor {
  return torch.tensor(values.slice(0, C)).view(shape).to({ device });
}

function rotationColumns(m: Rotation, x: Tensor, xn: Tensor): TaskColumns {
  const { images, labels } = m.rotations(x); // (4B, C, H, W) in blocks of B, labels 0..3
  const predicted = predict(m, () => m.rotationHead.forward(m.encoder.forward(m.rotations(xn).images)).argmax(1));
  return { columns: [x, ...images.chunk(4, 0)],
    legend: ['original', ...[0, 90, 180, 270].map((d, i) => `input rotated ${d} deg counter-clockwise = label ${i}`)],
    task: { labels, predicted } };
}

function jigsawColumns(m: Jigsaw, x: Tensor, xn: Tensor, g: Generator | undefined): TaskColumns {
  const task = m.drawTask(xn, g);
  const P = jigsawGeometry(x.shape[2], m.tileSize).patchSize;
  const tiles = patchesAt(x, task.origins, P); // (B, 9, C, P, P), grid order
  const perms = torch.tensor(m.permutations.flat(), { dtype: 'int64' }).view([m.numPermutations, 9]).to({ device: x.device });
  const order = perms.indexSelect(0, task.labels); // position i shows tile order[i]
  const shuffled = place(tiles, order);
  const predicted = perms.indexSelect(0, predict(m, () => m.taskLoss(xn, task).logits.argmax(1)));
  return {
    columns: [x, mosaic(shuffled), mosaic(tiles), mosaic(place(shuffled, invert(predicted)))],
    legend: ['original', 'input: tiles shuffled by the label\'s permutation', 'target: the solved puzzle',
      'shuffled tiles put back by the predicted permutation'],
    task: { origins: task.origins, labels: task.labels },
  };
}

function relativePositionColumns(m: RelativePosition, x: Tensor, xn: Tensor, g: Generator | undefined): TaskColumns {
  const task = m.drawTask(xn, g);
  const B = x.shape[0];
  const patches = patchesAt(x, task.origins, m.geometry(x.shape[2]).patchSize); // (B, 9, C, P, P)
  const cellOf = (label: Tensor): Tensor => label.add(label.ge(4).to('int64')); // classes 0..7 -> cells 0..3, 5..8
  const answer = (label: Tensor): Tensor => {
    const cells = torch.arange(9, { device: x.device }).view([1, 9]);
    const show = cells.eq(4).logicalOr(cells.eq(cellOf(label).view([B, 1]))).view([B, 9, 1, 1, 1]);
    return mosaic(torch.where(show, patches, 0.5));
  };
  const predicted = predict(m, () => m.taskLoss(xn, task).logits.argmax(1));
  const neighbour = patches.gather(1, cellOf(task.labels).view([B, 1, 1, 1, 1]).expand([B, 1, ...patches.shape.slice(2)]));
  return {
    columns: [x, patches.select(1, 4), neighbour.squeeze(1), answer(task.labels), answer(predicted)],
    legend: ['original', 'input: centre patch', 'input: neighbour patch', 'target: the neighbour\'s place',
      'predicted place'],
    task: { origins: task.origins, labels: task.labels },
  };
}

function contextEncoderColumns(m: ContextEncoder, x: Tensor, xn: Tensor, g: Generator | undefined,
  mean: readonly number[], std: readonly number[]): TaskColumns {
  const task = m.drawTask(xn, g);
  const C = x.shape[1];
  const prediction = predict(m, () => m.inpaint(xn, task.hole).prediction)
    .mul(perChannel(std, C, x.device)).add(perChannel(mean, C, x.device)).clamp(0, 1);
  const region = task.weights.gt(0).to('float32');
  return {
    columns: [x, torch.where(task.hole.gt(0), 0.5, x), task.weights.div(m.overlapWeight).clamp(0, 1),
      x.mul(region.neg().add(1)).add(prediction.mul(region))],
    legend: ['original (the target)', 'input: the hole filled (gray here, the mean in training)',
      `loss weights (white 1, gray ${m.overlapWeight} on the ${m.overlap} px overlap, scaled)`, 'prediction in the region'],
    task: { hole: task.hole, weights: task.weights },
  };
}

function damagedJigsawColumns(m: DamagedJigsaw, x: Tensor, xn: Tensor, g: Generator | undefined,
  mean: readonly number[], std: readonly number[]): TaskColumns {
  // The luma of the damage and the Lab of the colour target are taken of unnormalised pixels: the picture's
  // statistics, the method's own restored after.
  const saved = [m.pixelStd, m.pixelMean];
  m.pixelStd = [...std];
  m.pixelMean = [...mean];
  try {
    return damagedJigsawGrid(m, x, xn, g, mean, std);
  } finally {
    [m.pixelStd, m.pixelMean] = saved;
  }
}

function damagedJigsawGrid(m: DamagedJigsaw, x: Tensor, xn: Tensor, g: Generator | undefined,
  mean: readonly number[], std: readonly number[]): TaskColumns {
  const task = m.drawTask(xn, g);
  const B = x.shape[0];
  const { tiles } = m.puzzle(x, task); // colour tiles in puzzle order, pixels
  const gray = tiles.select(2, 0).mul(0.2989).add(tiles.select(2, 1).mul(0.587)).add(tiles.select(2, 2).mul(0.114))
    .unsqueeze(2).expand(tiles.shape);
  const present = torch.arange(9, { device: x.device }).view([1, 9]).ne(task.missing.view([B, 1])).view([B, 9, 1, 1, 1]);
  const out = predict(m, () => m.taskLoss(xn, task));
  const shape = [1, 1, 3, 1, 1];
  const pixels = (t: Tensor): Tensor => t.mul(perChannel(std, 3, x.device, shape)).add(perChannel(mean, 3, x.device, shape))
    .clamp(0, 1);
  const restored = torch.where(present, pixels(out.colorized), pixels(out.inpainted.unsqueeze(1)).expand(tiles.shape));
  return {
    columns: [x, mosaic(torch.where(present, gray, 0)), mosaic(tiles), mosaic(restored)],
    legend: ['original', 'input: shuffled, gray, one tile missing (black)', 'target: colour tiles in puzzle order',
      'prediction: colorized tiles and the inpainted missing one'],
    task: { origins: task.origins, labels: task.labels, missing: task.missing },
  };
}

/** Colorization, split-brain, DeOldify: the gray input (and split-brain's ab input), the colours made of it, the original. */
function colourColumns(m: Colorization | SplitBrain | DeOldify, x: Tensor, xn: Tensor): TaskColumns {
  const ex = m.examples(xn);
  const colorized = predict(m, () => m.colorize(xn));
  const gray = ex.input.expand([-1, 3, -1, -1]);
  const what = m instanceof DeOldify ? 'the gray image' : 'L (lightness)';
  if (m instanceof SplitBrain) {
    const { colourInput } = m.examples(xn);
    return { columns: [x, gray, colourInput, colorized, ex.target],
      legend: ['original', 'input of the L -> ab half: L', 'input of the ab -> L half: ab drawn at L = 50',
        'colorized from L by the L -> ab half (annealed mean)', 'target: the colour image (through Lab and back)'] };
  }
  return { columns: [x, gray, colorized, ex.target],
    legend: ['original', `input: ${what}`, 'colorized by the network', 'target: the colour image'] };
}

/**
 * The grid's columns for `method` on images `x` (B, C, H, W) in [0, 1]
 * (normalised with `mean`/`std` for the network, as in training; colour
 * methods undo that normalisation with the statistics they were trained on).
 * `generator` draws the task (tiles, holes); without one the device's own.
 *
 * @example const { columns, legend } = taskColumns(new ssl.Rotation({ encoder: 'small_cnn' }), x, [0.5], [0.5], g);
 */
export function taskColumns(method: Method, x: Tensor, mean: readonly number[], std: readonly number[],
  generator?: Generator): TaskColumns {
  const C = x.shape[1];
  const xn = x.sub(perChannel(mean, C, x.device)).div(perChannel(std, C, x.device));
  if (method instanceof Rotation) return rotationColumns(method, x, xn);
  if (method instanceof Jigsaw) return jigsawColumns(method, x, xn, generator);
  if (method instanceof RelativePosition) return relativePositionColumns(method, x, xn, generator);
  if (method instanceof ContextEncoder) return contextEncoderColumns(method, x, xn, generator, mean, std);
  if (method instanceof DamagedJigsaw) return damagedJigsawColumns(method, x, xn, generator, mean, std);
  if (method instanceof Colorization || method instanceof SplitBrain || method instanceof DeOldify) {
    return colourColumns(method, x, xn);
  }
  throw new TypeError(`Expected a pretext method (${TASK_METHODS.join(', ')}) for taskColumns but received ` +
    `'${method.name}'; use --recipe to preview an augmentation recipe`);
}
