// The glue of lib/eval by value (issue 21, from the folder's mutation run):
// zero-shot weights and accuracy from a model and tokenizer whose embeddings
// are written out; retrieval's checks and modes; extractFeatures' flattening,
// width check and unlabelled datasets; the linear probe's first step in closed
// form (SGD and AdamW), its seeded order and float64 inputs; knn's chunks and
// float64 inputs; formatReport's checks. Fast: tiny inputs, no Python.
import * as assert from 'node:assert/strict';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import {
  ImageTextModel, TextFeatureEncoder, extractFeatures, fineTune, textFeatures, fitLinearClassifier, formatReport, knn, linearProbe, moduleDevice, pairRetrieval,
  rawPixelFeatures, retrievalRecall, zeroShotAccuracy, zeroShotWeights, EvalReport,
} from '../../lib/eval';
import { ImageDataset } from '../../lib/data/dataset';
import { Module } from '../../lib/nn/module';
import { Encoder } from '../../lib/models/encoder';
import { TextInputs } from '../../lib/models/bert';
import { WordPieceTokenizer } from '../../lib/data/text/wordpiece';
import { refuses } from '../helpers/refuses';

const bad = <T>(v: unknown): T => v as T;
const lab = (v: number[]): Tensor => torch.tensor(v, { dtype: 'int64' });
const close = (a: number[], b: number[], tol = 1e-6): void =>
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol, `[${i}] ${v} vs ${b[i]}`));

/** An encoder without parameters: `fn` of the images. */
class Fn extends Module {
  readonly featureDim = 0;
  readonly numClasses = 0;
  constructor(private readonly fn: (x: Tensor) => Tensor) { super(); }
  forward(x: Tensor): Tensor { return this.fn(x); }
}
const asEncoder = (m: Fn): Encoder => m as unknown as Encoder;

describe('eval: glue by value', () => {
  const ds = (labels?: number[]): ImageDataset => ({
    name: 'toy', images: torch.tensor(Uint8Array.from([0, 255, 51, 102, 255, 0]), { shape: [3, 1, 1, 2] }),
    ...(labels === undefined ? {} : { labels: lab(labels) }), mean: [0], std: [1], length: 3,
  });

  it('zeroShotWeights: the normalised mean of the normalised template embeddings, maxLength passed on', () => {
    const table: Record<string, number[]> = { 'a cat': [3, 4], 'the cat': [1, 0], 'a dog': [0, 2], 'the dog': [0, 5] };
    const seen: number[] = [];
    const texts: string[] = [];
    const tok = bad<WordPieceTokenizer>({
      encodeBatch: (batch: string[], o: { maxLength: number }) => {
        seen.push(o.maxLength);
        texts.push(...batch);
        return { inputIds: torch.tensor(batch.map((t) => Object.keys(table).indexOf(t)), { dtype: 'int64' }) };
      },
    });
    const rows = torch.tensor(Object.values(table), { dtype: 'float32' });
    const model = bad<ImageTextModel>({ encodeText: (t: TextInputs) => rows.index([t.inputIds]) });
    const w = zeroShotWeights(model, tok, ['cat', 'dog'], ['a {}', 'the {}'], 7);
    assert.deepEqual(texts, ['a cat', 'the cat', 'a dog', 'the dog']);
    assert.deepEqual(seen, [7, 7]);
    // cat: mean of [0.6, 0.8] and [1, 0] = [0.8, 0.4], normalised; dog: [0, 1].
    const n = Math.hypot(0.8, 0.4);
    close(w.flatten().toArray() as number[], [0.8 / n, 0.4 / n, 0, 1]);
    assert.deepEqual(zeroShotWeights(model, tok, ['cat'], ['a {}']).shape, [1, 2]);
    assert.deepEqual(seen.slice(2), [32], 'maxLength defaults to 32');
  });

  it('zeroShotAccuracy: argmax of the cosine with the weights, in batches, eval mode during and train mode after', () => {
    const modes: boolean[] = [];
    const model = bad<ImageTextModel>({
      encodeImage: (x: Tensor) => x.flatten(1).mul(10), // the scale must not matter (normalised)
      eval: () => modes.push(false),
      train: (m?: boolean) => modes.push(m === true),
    });
    const weights = torch.tensor([[1, 0], [0, 1]], { dtype: 'float32' });
    // Images [0, 1], [0.2, 0.4], [1, 0]: classes 1, 1, 0.
    assert.equal(zeroShotAccuracy(model, ds([1, 0, 0]), weights, { batchSize: 2 }), 2 / 3);
    assert.equal(zeroShotAccuracy(model, ds([1, 1, 0]), weights), 1);
    assert.equal(zeroShotAccuracy(model, ds([0, 0, 1]), weights, { batchSize: 1 }), 0);
    assert.deepEqual(modes, [false, true, false, true, false, true]);
  });

  it('retrievalRecall refuses either side not 2-D; pairRetrieval: its checks, the masks passed on, train mode after', () => {
    const shape = (a: string, b: string): string => `Expected image and text embeddings of the same (N, D) shape but received ${a} and ${b}`;
    refuses(() => retrievalRecall(torch.rand([3, 4, 1]), torch.rand([3, 4])), shape('[3, 4, 1]', '[3, 4]'));
    refuses(() => retrievalRecall(torch.rand([3, 4]), torch.rand([3, 4, 1])), shape('[3, 4]', '[3, 4, 1]'));
    const got: (readonly number[] | undefined)[] = [];
    const modes: boolean[] = [];
    const model: ImageTextModel = {
      encodeImage: (x: Tensor) => x.flatten(1),
      encodeText: (t: TextInputs) => {
        got.push(t.attentionMask?.shape, t.tokenTypeIds?.shape);
        return torch.eye(4).index([t.inputIds.select(1, 0)]);
      },
      eval: () => modes.push(false),
      train: (m?: boolean) => modes.push(m === true),
    };
    const images = torch.eye(4).view([4, 1, 2, 2]);
    const inputIds = lab([0, 1, 2, 3]).view([4, 1]);
    const attentionMask = lab([1, 1, 1, 1]).view([4, 1]);
    const tokenTypeIds = lab([0, 0, 0, 0]).view([4, 1]);
    const r = pairRetrieval(model, { images, inputIds, attentionMask, tokenTypeIds }, { batchSize: 3, ks: [1] });
    assert.deepEqual(r, { imageToText: { 1: 1 }, textToImage: { 1: 1 }, pairs: 4 });
    assert.deepEqual(got, [[3, 1], [3, 1], [1, 1], [1, 1]], 'each chunk gets its rows of both masks');
    assert.deepEqual(modes, [false, true]);
    refuses(() => pairRetrieval(model, { images, inputIds: inputIds.narrow(0, 0, 3) }),
      'Expected as many captions as images but received 3 and 4');
    refuses(() => pairRetrieval(model, { images, inputIds }, { ks: bad(5) }), 'Expected a list of positive integers for options.ks but received 5');
    refuses(() => pairRetrieval(model, { images, inputIds }, { batchSize: 0 }), 'Expected positive integer for options.batchSize but received 0');
  });

  it("extractFeatures: 'cpu' for an encoder without tensors, (N, ...) outputs flattened, a width change refused, -1 int64 labels", () => {
    const flat = new Fn((x) => x.flatten(1));
    assert.equal(moduleDevice(asEncoder(flat)), 'cpu');
    const fourD = extractFeatures(asEncoder(new Fn((x) => x)), ds([0, 1, 0]), { batchSize: 2 });
    assert.deepEqual(fourD.features.shape, [3, 2]);
    close(fourD.features.flatten().toArray() as number[], [0, 1, 0.2, 0.4, 1, 0]);
    const unlabelled = extractFeatures(asEncoder(flat), ds());
    assert.equal(unlabelled.labels.dtype, 'int64');
    assert.deepEqual(unlabelled.labels.toArray(), [-1, -1, -1]);
    const widening = new Fn((x) => (x.shape[0] === 2 ? x.flatten(1) : torch.cat([x.flatten(1), x.flatten(1)], 1)));
    refuses(() => extractFeatures(asEncoder(widening), ds([0, 1, 0]), { batchSize: 2 }),
      'The encoder returned 4 features per image for the batch at 2 but 2 before');
    const raw = rawPixelFeatures(ds(), { indices: lab([2, 0]) });
    assert.equal(raw.labels.dtype, 'int64');
    assert.deepEqual(raw.labels.toArray(), [-1, -1]);
  });

  it('fitLinearClassifier: one full-batch step from zero in closed form, SGD and AdamW; the seeded order', () => {
    // x standardised-looking rows, labels 0, 1, 1 of 2 classes. Gradient at zero: (1/n) sum (1/C - y_i) x_i.
    const x = torch.tensor([[1, 0], [0, 1], [-1, 2]], { dtype: 'float32' });
    const y = lab([0, 1, 1]);
    const o = { numClasses: 2, epochs: 1, batchSize: 3, lr: 0.3, weightDecay: 0, seed: 0 };
    const g = [[(0.5 - 1) * 1 + 0.5 * 0 + 0.5 * -1, (0.5 - 1) * 0 + 0.5 * 1 + 0.5 * 2], [0, 0]].map((r) => r.map((v) => v / 3));
    g[1] = g[0].map((v) => -v); // the two classes' gradients are opposite (softmax of 2 at zero)
    const gb = [(0.5 - 1 + 0.5 + 0.5) / 3, -(0.5 - 1 + 0.5 + 0.5) / 3];
    const sgd = fitLinearClassifier(x, y, { ...o, optimizer: 'sgd' });
    close(sgd.weight.flatten().toArray() as number[], g.flat().map((v) => -0.3 * v));
    close(sgd.bias.toArray() as number[], gb.map((v) => -0.3 * v));
    // AdamW's first step is lr * g / (|g| + eps): the sign of each gradient, times lr.
    const adamw = fitLinearClassifier(x, y, { ...o, optimizer: 'adamw' });
    close(adamw.weight.flatten().toArray() as number[], g.flat().map((v) => -0.3 * Math.sign(v)), 1e-5);
    close(adamw.bias.toArray() as number[], gb.map((v) => -0.3 * Math.sign(v)), 1e-5);
    // Batches of 1 in the order seeded by `seed`: the same seed gives the same weights, call after call.
    const a = fitLinearClassifier(x, y, { ...o, optimizer: 'sgd', epochs: 2, batchSize: 1, seed: 3 });
    const b = fitLinearClassifier(x, y, { ...o, optimizer: 'sgd', epochs: 2, batchSize: 1, seed: 3 });
    assert.ok(a.weight.equal(b.weight));
  });

  it('linearProbe and knn take float64 features and test sets larger than one chunk', () => {
    const x = torch.tensor([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], { dtype: 'float32' });
    const train = { features: x, labels: lab([0, 0, 1, 1]) };
    const test = { features: x.flip([0]), labels: lab([1, 1, 0, 0]) };
    const probe = linearProbe(train, test, { epochs: 5 });
    assert.deepEqual(probe, { top1: 1, trainTop1: 1 });
    assert.deepEqual(linearProbe({ ...train, features: x.to('float64') }, { ...test, features: test.features.to('float64') }, { epochs: 5 }), probe);
    const k = knn(train, test, { k: [1, 2] });
    assert.deepEqual(k, { top1: { 1: 1, 2: 1 } });
    assert.deepEqual(knn({ ...train, features: x.to('float64') }, test, { k: [1, 2] }), k);
    assert.deepEqual(knn(train, { ...test, features: test.features.to('float64') }, { k: [1, 2] }), k);
    // Chunks of 3 over 4 test rows; one wrong label: 3 of 4, whatever the chunk.
    const wrong = { ...test, labels: lab([1, 0, 0, 0]) };
    assert.deepEqual(knn(train, wrong, { k: 1, chunkSize: 3 }), { top1: { 1: 0.75 } });
    assert.deepEqual(knn(train, wrong, { k: 1, chunkSize: 1 }), { top1: { 1: 0.75 } });
  });

  it('formatReport: refuses what is not a report; a k-NN column when any row has k-NN', () => {
    const msg = (got: string): string => `Expected an EvalReport (from evaluateEncoder) for formatReport but received ${got}`;
    refuses(() => formatReport(bad(null)), msg('null'));
    refuses(() => formatReport(bad('report')), msg('report'));
    refuses(() => formatReport(bad({ rows: 'x' })), msg('[object Object]'));
    const report = bad<EvalReport>({
      k: [20], rows: [{ name: 'raw pixels', linear: 0.5 }, { name: 'encoder', knn: { 20: 0.25 }, linear: 0.75 }],
    });
    const lines = formatReport(report).split('\n');
    assert.match(lines[0], /k-NN@20\s+linear/);
    assert.match(lines[2], /^encoder\s+25\.0\s+75\.0/);
  });

  it('fineTune applies the augmentation to every training batch and reports correct / n', async () => {
    const calls: number[] = [];
    const augmentation = { forward: (x: Tensor) => { calls.push(x.shape[0]); return x; } };
    const r = await fineTune(asEncoder(new Fn((x) => x.flatten(1))), ds([1, 1, 0]), ds([1, 1, 0]),
      { epochs: 2, batchSize: 2, lr: 0.5, augmentation });
    assert.deepEqual(calls, [2, 2], 'one full batch per epoch (the partial last batch is dropped)');
    assert.equal(r.top1, 1);
  });

  it('textFeatures: [CLS] and masked mean per document, batch by batch, train mode after', () => {
    const modes: boolean[] = [];
    const tok = bad<WordPieceTokenizer>({
      encodeBatch: (texts: string[]) => ({
        inputIds: torch.tensor(texts.map((t) => [t.length, 1]), { dtype: 'int64' }),
        attentionMask: torch.tensor(texts.map(() => [1, 0]), { dtype: 'int64' }),
      }),
    });
    const encoder = bad<TextFeatureEncoder>({
      forward: (t: TextInputs) => ({ lastHiddenState: t.inputIds.to('float32').unsqueeze(2) }), // (B, T, 1)
      eval: () => modes.push(false),
      train: (m?: boolean) => modes.push(m === true),
    });
    const docs = [{ sentences: ['ab', 'c'], source: 's', label: 'x' }, { sentences: ['abcdef'], source: 's', label: 'y' }];
    const f = textFeatures(encoder, tok, { name: 'c', documents: docs, labels: ['x', 'y'] }, { batchSize: 1 });
    // 'ab c' has 4 characters, 'abcdef' 6; the masked mean keeps only the first position.
    assert.deepEqual(f.cls.features.toArray(), [[4], [6]]);
    assert.deepEqual(f.mean.features.toArray(), [[4], [6]]);
    assert.deepEqual(f.cls.labels.toArray(), [0, 1]);
    assert.deepEqual(modes, [false, true]);
  });
});
