// The evaluation a run ends with: k-NN and linear probe of the trained
// encoder next to the same numbers for raw pixels and a random encoder, so a
// result is always read against its floors.
import * as torch from '../torch';
import { Device, Tensor } from '../torch';
import { defineOptions, GivenOptions, is, option, OPTIONAL, TableValues } from '../torch/option-table';
import { ImageDataset } from '../data/dataset';
import { Encoder } from '../models/encoder';
import { EXTRACT_FEATURES_OPTIONS, FeatureSet, checkEncoderDevice, extractFeatures, moduleDevice } from './features';
import { knn, KNN_OPTIONS } from './knn';
import { linearProbe, LinearProbeOptions } from './linear-probe';
import { rawPixelFeatures, seededEncoder } from './floors';
import { currentShard, shardedFeatures } from './sharded-features';

/** The rows of a report, in the order `formatReport` prints them. */
export type EvalRowName = 'raw pixels' | 'random encoder' | 'trained encoder';

/** One representation's results; accuracies are fractions in [0, 1]. */
export interface EvalRow {
  name: EvalRowName;
  /** Width of the features (784 for Fashion-MNIST pixels). */
  featureDim: number;
  /** Weighted k-NN top-1 by k (keys are the k values as strings). */
  knn?: Record<string, number>;
  /** Weighted k-NN top-5 by k (with at least 5 classes). */
  knnTop5?: Record<string, number>;
  /** Linear probe top-1 on the test set. */
  linear?: number;
  /** Linear probe top-1 on the training features. */
  linearTrain?: number;
  /** Wall time of this row (features, k-NN, probe), in seconds. */
  seconds: number;
}

/** What `evaluateEncoder` returns: plain numbers and strings, ready for `JSON.stringify` (eval.json). */
export interface EvalReport {
  train: { name: string; size: number };
  test: { name: string; size: number };
  k: number[];
  temperature: number;
  rows: EvalRow[];
  /** The ranks that shared the encoders' feature extraction (`sharded`); absent when one process did it all. */
  worldSize?: number;
  /** Total wall time in seconds. */
  seconds: number;
}

/**
 * `evaluateEncoder`'s options: defaults and checks. The k-NN's `k` and
 * `temperature` are `knn`'s, `batchSize` and `device` `extractFeatures`'s.
 */
export const EVALUATE_OPTIONS = defineOptions({
  /** Weighted k-NN (default true). */
  knn: option(true, is.boolean),
  /** Linear probe (default true). */
  linear: option(true, is.boolean),
  /** The raw-pixel row, and the random-encoder row when `randomEncoder` is given (default true). */
  floors: option(true, is.boolean),
  /** Seed of the random encoder's weights (default 0). */
  randomSeed: option(0, is.int(0)),
  ...KNN_OPTIONS.pick('k', 'temperature'),
  ...EXTRACT_FEATURES_OPTIONS.specs,
  /** Use only this many training images (a seeded random subset) for the bank and the probe; default all. */
  trainSubset: option(OPTIONAL, is.int(1)),
  /** Seed of the training subset (default 0). */
  subsetSeed: option(0, is.int(0)),
  /**
   * Share the encoders' feature extraction among the ranks of the default
   * process group (default false; no effect with one rank): every rank must
   * then call `evaluateEncoder` together, with the same arguments.
   */
  sharded: option(false, is.boolean),
});

/** Options of `evaluateEncoder`. */
export interface EvaluateOptions extends GivenOptions<typeof EVALUATE_OPTIONS.specs> {
  /** Labelled training split: the k-NN memory bank and the probe's training set. */
  train: ImageDataset;
  /** Labelled test split, where accuracies are measured. */
  test: ImageDataset;
  /** Builds an untrained encoder of the same architecture (built under `randomSeed`): the random-encoder floor. */
  randomEncoder?: () => Encoder;
  /** Options passed to `linearProbe` (epochs, lr, ...). */
  linearOptions?: LinearProbeOptions;
  /** Receives one line per finished row (e.g. console.log). */
  log?: (line: string) => void;
}

function percent(x: number | undefined): string {
  return x === undefined || Number.isNaN(x) ? '-' : (100 * x).toFixed(1);
}

/** Checks a dataset for evaluation: labelled, 4-D images. */
function checkLabelled(ds: ImageDataset, what: string): void {
  if (ds === null || typeof ds !== 'object' || !(ds.images instanceof Tensor) || ds.images.dim() !== 4) {
    throw new TypeError(`Expected an ImageDataset with (N, C, H, W) images for options.${what} but received ${String(ds)}`);
  }
  if (ds.labels === undefined) {
    throw new TypeError(`Dataset '${ds.name}' (options.${what}) has no labels: k-NN and the linear probe need a ` +
      "labelled dataset, e.g. data.fashionMnist({ split: 'test' }) or an image folder with class subfolders");
  }
}

/**
 * Evaluates a frozen encoder on a labelled train/test pair: weighted k-NN
 * (k = 20 and 200, T = 0.07, on L2-normalised features) and a linear probe,
 * for the trained encoder and, as floors, for raw pixels and for a random
 * encoder of the same architecture (when `randomEncoder` is given). Every
 * encoder sees test images normalised with the training split's mean and
 * std. The encoder's training flags are restored afterwards.
 *
 * Measured on Fashion-MNIST (60,000 / 10,000 images) with one CPU thread:
 * raw pixels k-NN 84.6 / 79.1 (k 20 / 200), linear probe 84.1, 15 s for the
 * row; a random small_cnn 76.6 / 71.7, linear probe 78.2, 55 s for the row
 * (of which about 48 s extract its features: `trainSubset` cuts that).
 * With the defaults, the whole report takes about 2 minutes there.
 *
 * `sharded` (a data-parallel run's end, where every rank calls it): rank r
 * encodes its contiguous share of the training images (or `trainSubset`) and
 * of the test images, for the random and the trained encoder, and the
 * features are all-gathered in order, so every rank then holds the features
 * one process would extract; the k-NN and the probe run on them on every
 * rank alike (no rank waits for another after the gathers; rank 0's report
 * is the one a run writes). The encoders are rank 0's: its random encoder's
 * weights and its trained encoder's buffers are broadcast first. Raw pixels
 * are not encoded, so every rank converts them all.
 *
 * @example
 * const report = await evaluate.evaluateEncoder(method.encoder, {
 *   train: data.fashionMnist({ split: 'train' }), test: data.fashionMnist({ split: 'test' }),
 *   randomEncoder: () => models.create('small_cnn', { inChannels: 1 }), log: console.log,
 * });
 * console.log(evaluate.formatReport(report));
 * fs.writeFileSync('eval.json', JSON.stringify(report, null, 2));
 */
export async function evaluateEncoder(encoder: Encoder, options: EvaluateOptions): Promise<EvalReport> {
  const started = Date.now();
  const plan = planEvaluation(encoder, options);
  const { train, test, nTrain } = plan;
  const subset = nTrain === train.length ? undefined : torch.scope(() => torch.keep(
    torch.randperm(train.length, { generator: new torch.Generator().manualSeed(plan.subsetSeed) }).narrow(0, 0, nTrain).clone()));
  const { mean, std } = train;
  const shard = plan.sharded ? currentShard() : undefined;
  const extract = (enc: Encoder, ds: ImageDataset, indices?: Tensor): FeatureSet => {
    const o = { batchSize: plan.batchSize, device: plan.device, indices, mean, std };
    return shard === undefined ? extractFeatures(enc, ds, o) : shardedFeatures(enc, ds, o, shard);
  };
  const encoderFeatures = (enc: Encoder) => (): [FeatureSet, FeatureSet] => [extract(enc, train, subset), extract(enc, test)];
  // Lets log lines reach the terminal and finalizers run between the long synchronous parts.
  const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

  const rows: EvalRow[] = [];
  try {
    if (plan.floors) {
      rows.push(evaluateRow(plan, 'raw pixels', () => [rawPixelFeatures(train, { indices: subset }), rawPixelFeatures(test)]));
      await breathe();
      if (options.randomEncoder !== undefined) {
        const random = seededEncoder(options.randomEncoder, plan.randomSeed);
        if (plan.device !== 'cpu') random.to(plan.device);
        // Every rank's shares are encoded by rank 0's random encoder (seeded alike, and made sure of).
        if (shard !== undefined) torch.distributed.broadcastCoalesced([...random.parameters(), ...random.buffers()], 0);
        rows.push(evaluateRow(plan, 'random encoder', encoderFeatures(random)));
        for (const t of [...random.parameters(), ...random.buffers()]) t.dispose();
        await breathe();
      }
    }
    // As the sharded k-NN monitor: every share is encoded with rank 0's batch-norm statistics.
    if (shard !== undefined) torch.distributed.broadcastCoalesced(encoder.buffers(), 0);
    rows.push(evaluateRow(plan, 'trained encoder', encoderFeatures(encoder)));
  } finally {
    subset?.dispose();
  }
  return {
    train: { name: train.name, size: nTrain },
    test: { name: test.name, size: test.length },
    k: plan.k,
    temperature: plan.temperature,
    rows,
    ...(shard === undefined ? {} : { worldSize: shard.world }),
    seconds: (Date.now() - started) / 1000,
  };
}

/** An evaluation's checked settings: the table's values, resolved by `planEvaluation`, and what they imply. */
interface EvalPlan extends Omit<TableValues<typeof EVALUATE_OPTIONS>, 'k'> {
  train: ImageDataset;
  test: ImageDataset;
  k: number[];
  device: Device;
  /** Training images used for the bank and the probe. */
  nTrain: number;
  linearOptions: LinearProbeOptions | undefined;
  log: (line: string) => void;
}

/** Checks `evaluateEncoder`'s arguments and fills in the defaults, before any work. */
function planEvaluation(encoder: Encoder, options: EvaluateOptions): EvalPlan {
  if (encoder === null || typeof encoder !== 'object' || typeof encoder.forward !== 'function') {
    throw new TypeError(`Expected an Encoder (a Module with forward) for evaluateEncoder but received ${String(encoder)}`);
  }
  const { train, test } = options ?? ({} as EvaluateOptions);
  checkLabelled(train, 'train');
  checkLabelled(test, 'test');
  const [, c, h, w] = train.images.shape;
  const [, tc, th, tw] = test.images.shape;
  if (c !== tc || h !== th || w !== tw) {
    throw new RangeError(`train images are ${c}x${h}x${w} but test images are ${tc}x${th}x${tw}: evaluate on two ` +
      'splits of the same dataset');
  }
  const o = EVALUATE_OPTIONS.resolve(options, (key) => `options.${key}`);
  const k = [o.k].flat();
  const device = o.device ?? moduleDevice(encoder);
  checkEncoderDevice(encoder, device);
  const nTrain = o.trainSubset ?? train.length;
  if (nTrain > train.length) {
    throw new RangeError(`Expected options.trainSubset at most ${train.length} (the size of '${train.name}') but ` +
      `received ${nTrain}`);
  }
  if (o.knn && Math.max(...k) > nTrain) {
    throw new RangeError(`Expected every k in options.k to be at most ${nTrain} (the training images used) but ` +
      `received ${Math.max(...k)}`);
  }
  if (options.randomEncoder !== undefined && typeof options.randomEncoder !== 'function') {
    throw new TypeError('Expected a function that builds an untrained encoder for options.randomEncoder but received ' +
      String(options.randomEncoder));
  }
  return { ...o, train, test, k, device, nTrain, linearOptions: options.linearOptions, log: options.log ?? (() => undefined) };
}

/** One row of the report: k-NN and the probe on the features `features` makes, which it frees afterwards. */
function evaluateRow(plan: EvalPlan, name: EvalRowName, features: () => [FeatureSet, FeatureSet]): EvalRow {
  const t0 = Date.now();
  const [trainSet, testSet] = features();
  try {
    const row: EvalRow = { name, featureDim: trainSet.features.shape[1], seconds: 0 };
    if (plan.knn) {
      const r = knn(trainSet, testSet, { k: plan.k, temperature: plan.temperature, device: plan.device });
      row.knn = Object.fromEntries(plan.k.map((k) => [String(k), r.top1[k]]));
      if (r.top5 !== undefined) row.knnTop5 = Object.fromEntries(plan.k.map((k) => [String(k), r.top5![k]]));
    }
    if (plan.linear) {
      const r = linearProbe(trainSet, testSet, { device: plan.device, ...plan.linearOptions });
      row.linear = r.top1;
      row.linearTrain = r.trainTop1;
    }
    row.seconds = (Date.now() - t0) / 1000;
    const parts = plan.knn ? plan.k.map((k) => `k-NN@${k} ${percent(row.knn?.[String(k)])}%`) : [];
    if (plan.linear) parts.push(`linear ${percent(row.linear)}%`);
    plan.log(`eval: ${name}: ${parts.join(', ')} (${row.seconds.toFixed(1)} s)`);
    return row;
  } finally {
    [trainSet.features, trainSet.labels, testSet.features, testSet.labels].forEach((t) => t.dispose());
  }
}

/**
 * The report as a plain-text table: one row per representation, one column
 * per k-NN k and one for the linear probe, top-1 in percent with one decimal
 * ('-' where not measured).
 *
 * @example
 * console.log(evaluate.formatReport(report));
 * //                     k-NN@20  k-NN@200  linear
 * // raw pixels             84.6      79.1    84.1     (Fashion-MNIST)
 * // random encoder         76.6      71.7    78.2     (small_cnn, seed 0)
 * // trained encoder        ...       ...     ...
 */
export function formatReport(report: EvalReport): string {
  if (report === null || typeof report !== 'object' || !Array.isArray(report.rows)) {
    throw new TypeError(`Expected an EvalReport (from evaluateEncoder) for formatReport but received ${String(report)}`);
  }
  const withKnn = report.rows.some((r) => r.knn !== undefined);
  const withLinear = report.rows.some((r) => r.linear !== undefined);
  const headers = [...(withKnn ? report.k.map((k) => `k-NN@${k}`) : []), ...(withLinear ? ['linear'] : [])];
  const nameWidth = Math.max(18, ...report.rows.map((r) => r.name.length)) + 2;
  const widths = headers.map((h) => Math.max(h.length, 5));
  const line = (name: string, cells: string[]) =>
    (name.padEnd(nameWidth) + cells.map((cell, i) => cell.padStart(widths[i])).join('  ')).trimEnd();
  const out = [line('', headers)];
  for (const row of report.rows) {
    const cells = [...(withKnn ? report.k.map((k) => percent(row.knn?.[String(k)])) : []),
      ...(withLinear ? [percent(row.linear)] : [])];
    out.push(line(row.name, cells));
  }
  return out.join('\n');
}
