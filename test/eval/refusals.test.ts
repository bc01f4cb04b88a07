// Every refusal of lib/eval outside the report (report.test.ts has its own) by
// its exact message (issue 21: a check whose condition, message or named
// argument changes fails here), each branch of a compound check on its own,
// with the accepted edge beside it where there is one. Fast: every refusal
// comes before any work.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import {
  extractFeatures, fineTune, knn, labelledDocuments, linearProbe, LinearProbeOptions, rawPixelFeatures, retrievalRecall,
  seededEncoder, zeroShotAccuracy, zeroShotWeights, ImageTextModel, FineTuneOptions,
} from '../../lib/eval';
import { checkTrainTest, LabelledFeatures } from '../../lib/eval/labelled-features';
import { ImageDataset } from '../../lib/data/dataset';
import { SmallCnn } from '../../lib/models/small-cnn';
import { WordPieceTokenizer } from '../../lib/data/text/wordpiece';
import { refuses } from '../helpers/refuses';

async function rejects(p: () => Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(p, (err: Error) => {
    assert.equal(err.message, message);
    return true;
  });
}

const bad = <T>(v: unknown): T => v as T;
const lab = (v: number[] | number[][]): torch.Tensor => torch.tensor(v, { dtype: 'int64' });
const feats = (n: number, d = 4): torch.Tensor => torch.rand([n, d], { generator: new torch.Generator().manualSeed(n * 10 + d) });

describe('eval: refusals by exact message', () => {
  const train: LabelledFeatures = { features: feats(6), labels: lab([0, 1, 2, 0, 1, 2]) };
  const test: LabelledFeatures = { features: feats(3), labels: lab([0, 1, 2]) };
  const empty: LabelledFeatures = { features: feats(0), labels: lab([]) };
  const ds: ImageDataset = {
    name: 'toy', images: torch.zeros([4, 1, 4, 4], { dtype: 'uint8' }), labels: lab([0, 1, 0, 1]), mean: [0.5], std: [0.5],
    length: 4,
  };

  it('checkTrainTest: features, labels, widths, negative labels, numClasses, device', () => {
    const features = (what: string, got: string): string => `Expected floating point (N, D) ${what}.features but received ${got}`;
    refuses(() => checkTrainTest({ features: bad(5), labels: lab([0]) }, test, {}), features('train', '5'));
    refuses(() => checkTrainTest(bad(null), test, {}), features('train', 'undefined'));
    refuses(() => checkTrainTest({ features: torch.rand([6]), labels: train.labels }, test, {}), features('train', 'float32 of shape [6]'));
    refuses(() => checkTrainTest({ features: torch.zeros([6, 4], { dtype: 'int64' }), labels: train.labels }, test, {}),
      features('train', 'int64 of shape [6, 4]'));
    refuses(() => checkTrainTest(train, { features: bad(undefined), labels: test.labels }, {}), features('test', 'undefined'));
    const labels = (got: string): string => `Expected int64 test.labels of shape [3] (one per feature row) but received ${got}`;
    refuses(() => checkTrainTest(train, { features: feats(3), labels: torch.tensor([0, 1, 2]) }, {}), labels('float32 of shape [3]'));
    refuses(() => checkTrainTest(train, { features: feats(3), labels: lab([[0], [1], [2]]) }, {}), labels('int64 of shape [3, 1]'));
    refuses(() => checkTrainTest(train, { features: feats(3), labels: lab([0, 1]) }, {}), labels('int64 of shape [2]'));
    refuses(() => checkTrainTest(train, { features: feats(3), labels: bad(undefined) }, {}), labels('undefined'));
    refuses(() => checkTrainTest(train, { features: feats(3, 5), labels: test.labels }, {}),
      'train features have 4 dimensions but test features have 5: extract both with the same encoder (or both as raw pixels ' +
      'of the same image size)');
    const negative = (what: string): string => `${what}.labels has label -1: evaluation needs a labelled dataset (extractFeatures ` +
      "gives -1 for a dataset without labels); evaluate on a labelled split such as data.fashionMnist({ split: 'test' })";
    refuses(() => checkTrainTest(train, { features: feats(3), labels: lab([0, -1, 2]) }, {}), negative('test'));
    refuses(() => checkTrainTest({ features: feats(2), labels: lab([-1, -1]) }, test, {}), negative('train'));
    refuses(() => checkTrainTest(train, test, { numClasses: 2 }), 'Expected labels below options.numClasses (2) but found label 2');
    refuses(() => checkTrainTest(train, test, { numClasses: 0 }), 'Expected positive integer for options.numClasses but received 0');
    refuses(() => checkTrainTest(train, test, { device: bad('gpu') }), "Expected 'cpu', 'cuda' or 'cuda:N' for options.device but received gpu");
    // Accepted: numClasses from the labels (largest + 1, test's included), or given and larger; empty sets.
    assert.deepEqual(checkTrainTest(train, test, {}), { nTrain: 6, nTest: 3, device: 'cpu', numClasses: 3 });
    assert.deepEqual(checkTrainTest({ features: feats(2), labels: lab([0, 1]) }, { features: feats(1), labels: lab([4]) }, {}).numClasses, 5);
    assert.deepEqual(checkTrainTest(train, test, { numClasses: 3 }).numClasses, 3);
    assert.deepEqual(checkTrainTest(train, test, { numClasses: 7 }).numClasses, 7);
    assert.deepEqual(checkTrainTest(empty, empty, {}), { nTrain: 0, nTest: 0, device: 'cpu', numClasses: 0 });
  });

  it('knn: k, temperature, chunkSize, k against the training set, an empty test set', () => {
    refuses(() => knn(train, test, { k: bad('x') }), 'Expected a positive integer or a list of them for options.k but received x');
    refuses(() => knn(train, test, { k: [] }), 'Expected at least one value in options.k but received []');
    refuses(() => knn(train, test, { k: [2, 0] }), 'Expected positive integer for options.k[1] but received 0');
    refuses(() => knn(train, test, { k: 0 }), 'Expected positive integer for options.k[0] but received 0');
    refuses(() => knn(train, test, { k: [2, 7] }),
      'Expected every k in options.k to be at most 6 (the number of training features) but received 7: lower k or use a larger training set');
    refuses(() => knn(train, test, { k: 2, temperature: 0 }), 'Expected a positive number for options.temperature but received 0');
    refuses(() => knn(train, test, { k: 2, chunkSize: 0 }), 'Expected positive integer for options.chunkSize but received 0');
    refuses(() => knn(train, empty, { k: 2 }), 'Expected at least one test feature for knn but test.features has 0 rows');
    // The edge: k equal to the training set.
    assert.deepEqual(Object.keys(knn(train, test, { k: 6 }).top1), ['6']);
  });

  it('linearProbe: an empty training set, each option', () => {
    refuses(() => linearProbe(empty, test), 'Expected at least one training feature for linearProbe but train has 0 rows');
    const rows: [LinearProbeOptions, string][] = [
      [{ optimizer: bad('lbfgs') }, "Expected one of 'sgd', 'adamw' for options.optimizer but received 'lbfgs'"],
      [{ epochs: 0 }, 'Expected positive integer for options.epochs but received 0'],
      [{ batchSize: 1.5 }, 'Expected positive integer for options.batchSize but received 1.5'],
      [{ lr: -1 }, 'Expected a non-negative number for options.lr but received -1'],
      [{ weightDecay: -1 }, 'Expected a non-negative number for options.weightDecay but received -1'],
      [{ seed: -1 }, 'Expected non-negative integer for options.seed but received -1'],
    ];
    for (const [options, message] of rows) refuses(() => linearProbe(train, test, options), message);
  });

  it('retrievalRecall: same (N, D) shapes, at least one pair, positive ks', () => {
    const shape = (a: string, b: string): string => `Expected image and text embeddings of the same (N, D) shape but received ${a} and ${b}`;
    refuses(() => retrievalRecall(torch.rand([3, 4]), torch.rand([3, 5])), shape('[3, 4]', '[3, 5]'));
    refuses(() => retrievalRecall(torch.rand([3, 4]), torch.rand([2, 4])), shape('[3, 4]', '[2, 4]'));
    refuses(() => retrievalRecall(torch.rand([3]), torch.rand([3, 1])), shape('[3]', '[3, 1]'));
    refuses(() => retrievalRecall(torch.rand([3, 1]), torch.rand([3])), shape('[3, 1]', '[3]'));
    refuses(() => retrievalRecall(torch.rand([0, 4]), torch.rand([0, 4])), 'Expected at least one pair for retrievalRecall but received 0');
    refuses(() => retrievalRecall(torch.rand([3, 4]), torch.rand([3, 4]), [1, 0]), 'Expected positive integer for ks[1] but received 0');
  });

  it('rawPixelFeatures and seededEncoder: the dataset, mean with std, indices, batchSize, the factory, the seed', () => {
    const dataset = (got: string): string => `Expected an ImageDataset with (N, C, H, W) images for rawPixelFeatures but received ${got}`;
    refuses(() => rawPixelFeatures(bad(null)), dataset('null'));
    refuses(() => rawPixelFeatures({ ...ds, images: torch.zeros([4, 4, 4], { dtype: 'uint8' }) }), dataset('images of shape [4, 4, 4]'));
    refuses(() => rawPixelFeatures(ds, { mean: [0.5] }),
      'Expected both options.mean and options.std (or neither) for rawPixelFeatures but received only mean');
    refuses(() => rawPixelFeatures(ds, { std: [0.5] }),
      'Expected both options.mean and options.std (or neither) for rawPixelFeatures but received only std');
    const indices = (got: string): string => `Expected a 1-D int64 tensor of dataset positions for options.indices but received ${got}`;
    refuses(() => rawPixelFeatures(ds, { indices: bad([0]) }), indices('0'));
    refuses(() => rawPixelFeatures(ds, { indices: lab([[0]]) }), indices('shape [1, 1]'));
    const range = (lo: number, hi: number): string =>
      `Expected options.indices in 0..3 (dataset 'toy' has 4 images) but found indices from ${lo} to ${hi}`;
    refuses(() => rawPixelFeatures(ds, { indices: lab([0, 4]) }), range(0, 4));
    refuses(() => rawPixelFeatures(ds, { indices: lab([-1, 2]) }), range(-1, 2));
    refuses(() => rawPixelFeatures(ds, { batchSize: 0 }), 'Expected positive integer for options.batchSize but received 0');
    // The edges: indices 0 and 3 accepted, an empty list gives no rows.
    assert.deepEqual(rawPixelFeatures(ds, { indices: lab([3, 0]) }).labels.toArray(), [1, 0]);
    assert.deepEqual(rawPixelFeatures(ds, { indices: lab([]) }).features.shape, [0, 16]);
    refuses(() => seededEncoder(bad(5)), 'Expected a function that builds an encoder for seededEncoder but received 5');
    refuses(() => seededEncoder(() => new SmallCnn({ inChannels: 1, width: 2 }), -1), 'Expected non-negative integer for seed but received -1');
  });

  it('extractFeatures: the encoder, the dataset, the device, indices', () => {
    torch.manualSeed(0);
    const enc = new SmallCnn({ inChannels: 1, width: 4 });
    const encoder = (got: string): string => `Expected an Encoder (a Module with forward) for extractFeatures but received ${got}`;
    refuses(() => extractFeatures(bad(null), ds), encoder('null'));
    refuses(() => extractFeatures(bad({ forward: () => 0 }), ds), encoder('[object Object]')); // no modules()
    refuses(() => extractFeatures(bad({ modules: () => [] }), ds), encoder('[object Object]')); // no forward()
    refuses(() => extractFeatures(bad(Object.assign(() => 0, { forward: () => 0, modules: () => [] })), ds), encoder('() => 0'));
    refuses(() => extractFeatures(enc, bad(null)), 'Expected an ImageDataset with (N, C, H, W) images for extractFeatures but received null');
    refuses(() => extractFeatures(enc, ds, { device: 'cuda:1' }),
      "The encoder's parameters are on cpu but options.device is cuda:1: move the encoder first with encoder.to('cuda:1') or " +
      'leave options.device out');
    const indices = (got: string): string => `Expected a 1-D int64 tensor of dataset positions for options.indices but received ${got}`;
    refuses(() => extractFeatures(enc, ds, { indices: torch.tensor([0.5]) }), indices('float32 of shape [1]'));
    refuses(() => extractFeatures(enc, ds, { indices: bad([0]) }), indices('0'));
    refuses(() => extractFeatures(enc, ds, { indices: lab([[0]]) }), indices('int64 of shape [1, 1]'));
    refuses(() => extractFeatures(enc, ds, { indices: lab([-2, 1]) }),
      "Expected options.indices in 0..3 (dataset 'toy' has 4 images) but found indices from -2 to 1");
    // int32 indices are accepted, in their order.
    assert.deepEqual(extractFeatures(enc, ds, { indices: torch.tensor([3, 0], { dtype: 'int32' }) }).labels.toArray(), [1, 0]);
  });

  it('fineTune: the encoder, both datasets, labels, the augmentation, the device, the optimizer', async () => {
    torch.manualSeed(0);
    const enc = new SmallCnn({ inChannels: 1, width: 4 });
    await rejects(() => fineTune(bad(null), ds, ds), 'Expected an Encoder (a Module with forward) for fineTune but received null');
    await rejects(() => fineTune(bad({}), ds, ds), 'Expected an Encoder (a Module with forward) for fineTune but received [object Object]');
    const dataset = (what: string, got: string): string => `Expected an ImageDataset with (N, C, H, W) images for ${what} but received ${got}`;
    await rejects(() => fineTune(enc, bad(5), ds), dataset('trainDataset', '5'));
    await rejects(() => fineTune(enc, ds, bad(null)), dataset('testDataset', 'null'));
    await rejects(() => fineTune(enc, ds, { ...ds, images: torch.zeros([4, 4]) }), dataset('testDataset', '[object Object]'));
    await rejects(() => fineTune(enc, { ...ds, images: bad([1]) }, ds), dataset('trainDataset', '[object Object]'));
    await rejects(() => fineTune(enc, { ...ds, labels: undefined }, ds),
      "Dataset 'toy' (trainDataset) has no labels: fine-tuning needs a labelled dataset");
    await rejects(() => fineTune(enc, ds, { ...ds, labels: undefined }),
      "Dataset 'toy' (testDataset) has no labels: fine-tuning needs a labelled dataset");
    const aug = (got: string): string =>
      `Expected a Transform or MultiView (an object with forward(images, generator)) for options.augmentation but received ${got}`;
    await rejects(() => fineTune(enc, ds, ds, { augmentation: bad({}) }), aug('[object Object]'));
    await rejects(() => fineTune(enc, ds, ds, { augmentation: bad(null) }), aug('null'));
    await rejects(() => fineTune(enc, ds, ds, { device: 'cuda' }),
      "The encoder's parameters are on cpu but options.device is cuda: move the encoder first with encoder.to('cuda') or leave " +
      'options.device out');
    await rejects(() => fineTune(enc, ds, ds, { optimizer: bad('lbfgs') } as FineTuneOptions),
      "Expected one of 'sgd', 'adamw' for options.optimizer but received 'lbfgs'");
  });

  it('zero-shot and the text probe: class names, templates, labels', () => {
    const model = bad<ImageTextModel>(null);
    const tok = bad<WordPieceTokenizer>(null);
    refuses(() => zeroShotWeights(model, tok, [], ['a {}']), 'Expected class names and templates but received 0 and 1');
    refuses(() => zeroShotWeights(model, tok, ['a'], []), 'Expected class names and templates but received 1 and 0');
    refuses(() => zeroShotWeights(model, tok, ['a'], ['a {}', 'no class']), "Expected '{}' (the class name) in template 'no class'");
    refuses(() => zeroShotAccuracy(model, { ...ds, labels: undefined }, torch.zeros([2, 4])),
      "Expected a labelled dataset for zero-shot accuracy but 'toy' has none");
    const corpus = "Expected a corpus with document labels (two classes or more) for the text probe but 'c' has none";
    refuses(() => labelledDocuments({ name: 'c', documents: [] }), corpus);
    refuses(() => labelledDocuments({ name: 'c', documents: [], labels: ['a'] }), corpus);
    // Two labels are enough; unlabelled documents are left out, the others get their class index.
    const docs = [{ sentences: ['x'], source: 's', label: 'b' }, { sentences: ['y'], source: 's' }, { sentences: ['z'], source: 's', label: 'a' }];
    assert.deepEqual(labelledDocuments({ name: 'c', documents: docs, labels: ['a', 'b'] }).labels, [1, 0]);
  });
});
