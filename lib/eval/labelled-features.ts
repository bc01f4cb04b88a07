// Labelled feature sets as the frozen-feature evaluations (k-NN, linear probe)
// take them, and the checks those evaluations share: shapes and dtypes, the
// same width for train and test, a device, and labels that fit numClasses.
import * as torch from '../torch';
import { Device, Tensor } from '../torch';
import { isFloatingPoint } from '../torch/dtype';
import { checkDevice, checkInt } from '../torch/arguments';

/** Labelled features: float (N, D) and int64 (N), as `extractFeatures` returns them. */
export interface LabelledFeatures {
  features: Tensor;
  labels: Tensor;
}

/** What `checkTrainTest` resolved from a train and a test set and the evaluation's options. */
export interface CheckedTrainTest {
  /** Rows of the training set. */
  nTrain: number;
  /** Rows of the test set. */
  nTest: number;
  /** `options.device`, or where the training features are. */
  device: Device;
  /** `options.numClasses`, or the largest label in either set plus one. */
  numClasses: number;
}

function describeShape(t: unknown): string {
  return t instanceof Tensor ? `${t.dtype} of shape [${t.shape.join(', ')}]` : String(t);
}

/** Checks one labelled feature set and returns its size (N, D). */
function checkLabelledFeatures(set: LabelledFeatures, what: string): [number, number] {
  const { features, labels } = set ?? ({} as LabelledFeatures);
  if (!(features instanceof Tensor) || features.dim() !== 2 || !isFloatingPoint(features.dtype)) {
    throw new TypeError(`Expected floating point (N, D) ${what}.features but received ${describeShape(features)}`);
  }
  const n = features.shape[0];
  if (!(labels instanceof Tensor) || labels.dim() !== 1 || labels.dtype !== 'int64' || labels.shape[0] !== n) {
    throw new TypeError(`Expected int64 ${what}.labels of shape [${n}] (one per feature row) but received ` +
      describeShape(labels));
  }
  return [n, features.shape[1]];
}

/**
 * The largest label of all `sets` plus one (0 when all are empty), the
 * smallest and largest read in one go per set; throws when a set has negative
 * labels (extractFeatures gives -1 for an unlabelled dataset).
 */
function labelRange(sets: readonly [LabelledFeatures, string][]): number {
  let top = -1;
  for (const [set, what] of sets) {
    if (set.labels.shape[0] === 0) continue;
    const [lo, hi] = torch.scope(() => [set.labels.min().item() as number, set.labels.max().item() as number]);
    if (lo < 0) {
      throw new RangeError(`${what}.labels has label ${lo}: evaluation needs a labelled dataset (extractFeatures ` +
        'gives -1 for a dataset without labels); evaluate on a labelled split such as ' +
        "data.fashionMnist({ split: 'test' })");
    }
    top = Math.max(top, hi);
  }
  return top + 1;
}

/**
 * The checks every train/test evaluation starts with: both sets well formed
 * and of the same width, `options.device` (default: where the training
 * features are) a device, and every label below `options.numClasses`
 * (default: the largest label plus one). Returns what it resolved.
 *
 * @example
 * const { nTrain, device, numClasses } = checkTrainTest(train, test, options);
 */
export function checkTrainTest(
  train: LabelledFeatures, test: LabelledFeatures, options: { device?: Device; numClasses?: number },
): CheckedTrainTest {
  const [nTrain, dTrain] = checkLabelledFeatures(train, 'train');
  const [nTest, dTest] = checkLabelledFeatures(test, 'test');
  if (dTrain !== dTest) {
    throw new RangeError(`train features have ${dTrain} dimensions but test features have ${dTest}: extract both ` +
      'with the same encoder (or both as raw pixels of the same image size)');
  }
  const device = checkDevice(options.device ?? train.features.device, 'options.device');
  const seen = labelRange([[train, 'train'], [test, 'test']]);
  const numClasses = options.numClasses === undefined ? seen : checkInt(options.numClasses, 'options.numClasses', 1);
  if (seen > numClasses) {
    throw new RangeError(`Expected labels below options.numClasses (${numClasses}) but found label ${seen - 1}`);
  }
  return { nTrain, nTest, device, numClasses };
}
