// Weighted k-nearest-neighbour classification on frozen features (Wu et al.
// 2018, InstDisc; the evaluation of DINO's eval_knn.py knn_classifier): the
// standard yardstick of a self-supervised encoder, with no training at all.
import * as torch from '../torch';
import { Device } from '../torch';
import { normalize } from '../nn/functional/normalization';
import { checkInt } from '../torch/arguments';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';
import { LabelledFeatures, checkTrainTest } from './labelled-features';

export { LabelledFeatures } from './labelled-features';

/** One k or a non-empty list of them, each a positive integer (a copy, as given). */
function checkKs(value: unknown, what: string): number | readonly number[] {
  const list = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(list)) throw new TypeError(`Expected a positive integer or a list of them for ${what} but received ${String(value)}`);
  if (list.length === 0) throw new RangeError(`Expected at least one value in ${what} but received []`);
  list.forEach((k, i) => checkInt(k, `${what}[${i}]`, 1));
  return typeof value === 'number' ? value : [...list];
}

/** `knn`'s options: defaults and checks (the device and the class count come from the features). */
export const KNN_OPTIONS = defineOptions({
  /** Neighbour counts to evaluate (default [20, 200], DINO's and InstDisc's). All come from one top-k search. */
  k: option<number | readonly number[]>([20, 200], checkKs),
  /** Temperature of the vote weights exp(similarity / T) (default 0.07, InstDisc's and DINO's). */
  temperature: option(0.07, is.positive),
  /** Test features compared with all training features at once (default 256: a 256 x N similarity block). */
  chunkSize: option(256, is.int(1)),
});

/** Options of `knn`. */
export interface KnnOptions extends GivenOptions<typeof KNN_OPTIONS.specs> {
  /** Number of classes (default: the largest label in train or test, plus one). */
  numClasses?: number;
  /** Where the similarities are computed (default: where the training features are). */
  device?: Device;
}

/** Accuracies of `knn`, as fractions in [0, 1], by k. */
export interface KnnResult {
  /** Top-1 accuracy for each k. */
  top1: Record<number, number>;
  /** Top-5 accuracy for each k (only when there are at least 5 classes). */
  top5?: Record<number, number>;
}

/**
 * Weighted k-NN accuracy of `test` against `train`, as DINO's `knn_classifier`:
 * both sets are L2-normalised, each test chunk's cosine similarity to every
 * training feature is one matmul, the k most similar training features vote
 * for their labels with weight exp(similarity / T), and the class with the
 * largest summed weight is the prediction (top-5: the five largest). All k
 * share one top-k search with the largest k. Raw pixels work as features too.
 *
 * NOTE: a class that no neighbour voted for never counts as a top-5 hit.
 * DINO's code counts it whenever the sort of the tied zero scores happens to
 * put it among the first five (Fashion-MNIST raw pixels, k = 20: DINO's
 * top-5 98.8%, 98.4% here; top-1 is identical: 84.59% both).
 *
 * NOTE: the weights are computed as exp((s - s_max) / T), s_max being each
 * test row's best similarity: the same ratios as exp(s / T), hence the same
 * votes, without overflowing float32 when T is small (exp(1 / 0.01) is inf).
 *
 * @example
 * const train = evaluate.extractFeatures(enc, trainSet);
 * const test = evaluate.extractFeatures(enc, testSet);
 * const { top1 } = evaluate.knn(train, test, { k: [20, 200], temperature: 0.07 });
 * top1[20]; // 0.846 for raw Fashion-MNIST pixels
 */
export function knn(train: LabelledFeatures, test: LabelledFeatures, options: KnnOptions = {}): KnnResult {
  const { nTrain, nTest, device, numClasses } = checkTrainTest(train, test, options);
  if (nTest === 0) {
    throw new RangeError('Expected at least one test feature for knn but test.features has 0 rows');
  }
  const { k, temperature, chunkSize } = KNN_OPTIONS.resolve(options, (key) => `options.${key}`);
  const kList = [k].flat();
  const kMax = Math.max(...kList);
  if (kMax > nTrain) {
    throw new RangeError(`Expected every k in options.k to be at most ${nTrain} (the number of training features) ` +
      `but received ${kMax}: lower k or use a larger training set`);
  }
  const withTop5 = numClasses >= 5;

  const counts = torch.scope(() => torch.noGrad(() => {
    const bank = normalize(train.features.to({ device, dtype: 'float32' }), { dim: 1 }); // (N, D)
    const bankT = bank.t(); // (D, N)
    const bankLabels = train.labels.to({ device }); // (N)
    const correct1 = kList.map(() => torch.zeros([], { dtype: 'int64', device }));
    const correct5 = kList.map(() => torch.zeros([], { dtype: 'int64', device }));
    for (let start = 0; start < nTest; start += chunkSize) {
      const size = Math.min(chunkSize, nTest - start);
      torch.scope(() => {
        const q = normalize(
          test.features.narrow(0, start, size).to({ device, dtype: 'float32' }), { dim: 1 }); // (B, D)
        const targets = test.labels.narrow(0, start, size).to({ device }).view([size, 1]); // (B, 1)
        const { values, indices } = q.mm(bankT).topk(kMax, 1, true, true); // (B, kMax), most similar first
        const neighbours = bankLabels.indexSelect(0, indices.flatten()).view([size, kMax]); // (B, kMax)
        const weights = values.sub(values.narrow(1, 0, 1)).div(temperature).exp(); // (B, kMax)
        kList.forEach((k, i) => {
          const votes = torch.zeros([size, numClasses], { device })
            .scatterAdd_(1, neighbours.narrow(1, 0, k), weights.narrow(1, 0, k)); // (B, C)
          correct1[i].add_(votes.argmax(1, true).eq(targets).sum());
          if (withTop5) {
            const best = votes.topk(Math.min(5, k), 1, true, true); // (B, 5)
            correct5[i].add_(best.indices.eq(targets).logicalAnd(best.values.gt(0)).any(1).sum());
          }
        });
      });
    }
    return { correct1, correct5 };
  }));
  const top1: Record<number, number> = {};
  const top5: Record<number, number> = {};
  kList.forEach((k, i) => {
    top1[k] = (counts.correct1[i].item() as number) / nTest;
    top5[k] = (counts.correct5[i].item() as number) / nTest;
  });
  [...counts.correct1, ...counts.correct5].forEach((t) => t.dispose());
  return withTop5 ? { top1, top5 } : { top1 };
}
