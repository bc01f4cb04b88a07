// clip-run.ts by value, fast (issue 21, lib/cli's mutation score, third pass): loadClipData's three sources
// (Fashion-MNIST with generated captions, generated scenes, a caption file) each equal to the batches, tokenizer
// and held-out pairs built here from the same parts; buildClip's encoders and recipe; evaluateClipRun and
// scoreClip on Fashion-MNIST's held-out pairs with a small labelled split (zero-shot, the linear probes) and on
// the scenes (both recall tables), each equal to the evaluation functions called directly; disposeClipData frees
// what loading made; the scene table's '-' cells.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import * as torch from '../../lib/torch';
import { Tensor } from '../../lib/torch';
import {
  buildClip, ClipData, ClipScores, disposeClipData, evaluateClipRun, FASHION_RETRIEVAL_PAIRS, formatClipReport, loadClipData, scoreClip,
} from '../../lib/cli/clip-run';
import { TextRunConfig } from '../../lib/cli/text-run-config';
import { WordPieceTokenizer } from '../../lib/data/text';
import {
  captionBatch, CaptionBatches, captionTexts, FASHION_MNIST_NAMES, FashionCaptionBatches, generateScenes, ImageCaptionBatch, loadCaptionSet,
  sceneCaptionTexts, splitCaptionSet, ZERO_SHOT_TEMPLATES,
} from '../../lib/data/image-text';
import { fashionMnist } from '../../lib/data/fashion-mnist';
import { ImageDataset } from '../../lib/data/dataset';
import { zeroShotAccuracy, zeroShotWeights } from '../../lib/eval/zero-shot';
import { pairRetrieval } from '../../lib/eval/retrieval';
import { extractFeatures } from '../../lib/eval/features';
import { linearProbe } from '../../lib/eval/linear-probe';
import { rawPixelFeatures } from '../../lib/eval/floors';

const BASE: TextRunConfig = { method: 'clip', steps: 1, batchSize: 4, lr: 1e-3, optimizer: 'adamw', seed: 0, eval: true, methodOptions: {},
  checkpointEvery: 0, out: 'unused' };

const values = (t: Tensor): unknown => t.contiguous().toTypedArray();

/** Two caption batches hold the same tensors. */
function sameBatch(a: ImageCaptionBatch, b: ImageCaptionBatch, what: string): void {
  for (const k of ['images', 'inputIds', 'attentionMask', 'tokenTypeIds'] as const) {
    assert.deepEqual(a[k].shape, b[k].shape, `${what}: ${k} shape`);
    assert.deepEqual(values(a[k]), values(b[k]), `${what}: ${k}`);
  }
}

function disposeBatch(b: ImageCaptionBatch): void {
  for (const t of Object.values(b)) (t as Tensor).dispose();
}

/** The first n images of a labelled split, as a dataset of their own. */
function head(d: ImageDataset, n: number, name: string): ImageDataset {
  return { name, images: d.images.narrow(0, 0, n), labels: d.labels!.narrow(0, 0, n), classes: d.classes, mean: d.mean, std: d.std, length: n };
}

describe('cli: clip-run by value (the data sources, the model, the evaluation)', function () {
  this.timeout(120000);
  let dir = '';
  let captions = '';
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-clip-values-'));
    fs.mkdirSync(path.join(dir, 'img'));
    const lines: string[] = [];
    for (let i = 0; i < 30; i++) {
      const v = (i * 37) % 256;
      await sharp({ create: { width: 10, height: 10, channels: 3, background: { r: v, g: 255 - v, b: (v * 3) % 256 } } }).png()
        .toFile(path.join(dir, 'img', `${i}.png`));
      lines.push(JSON.stringify({ image: `img/${i}.png`, caption: `colour ${i % 5} tile number ${i}` }));
    }
    captions = path.join(dir, 'pairs.jsonl');
    fs.writeFileSync(captions, `${lines.join('\n')}\n`);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('Fashion-MNIST: the seeded held-out pairs, the tokenizer of the generated captions, the batches and the labelled splits', async () => {
    const data = await loadClipData(BASE);
    const tok = WordPieceTokenizer.train(captionTexts(), { vocabSize: 300, minFrequency: 1 });
    assert.deepEqual(data.tokenizer.toJSON(), tok.toJSON());
    assert.equal(data.description, `Fashion-MNIST with generated captions; ${FASHION_RETRIEVAL_PAIRS} held-out test pairs`);
    assert.equal(data.channels, 1);
    assert.deepEqual(data.tokenizerTexts, captionTexts());
    const train = fashionMnist({ split: 'train' });
    const test = fashionMnist({ split: 'test' });
    assert.deepEqual([data.labelled!.train.name, data.labelled!.train.length, data.labelled!.test.name, data.labelled!.test.length],
      [train.name, 60000, test.name, 10000]);
    assert.deepEqual(data.labelled!.classNames, FASHION_MNIST_NAMES.map((n) => n[0]));
    assert.deepEqual(data.heldOut.images.shape, [FASHION_RETRIEVAL_PAIRS, 1, 28, 28]);
    const held = new FashionCaptionBatches(test, tok, { batchSize: FASHION_RETRIEVAL_PAIRS, seed: 4321 }).next();
    sameBatch(data.heldOut, held, 'held-out pairs');
    const b = data.batches(5, 3);
    const ref = new FashionCaptionBatches(train, tok, { batchSize: 5, seed: 3 });
    const [x, y] = [b.next(), ref.next()];
    sameBatch(x, y, 'training batch');
    assert.equal(data.dispose(), undefined);
    // A tokenizer given (a resumed run's) is the one used.
    const given = await loadClipData(BASE, tok);
    assert.equal(given.tokenizer, tok);
    for (const t of [held, x, y]) disposeBatch(t);
    disposeClipData(data);
    disposeClipData(given);
  });

  it('Fashion-MNIST evaluation with a small labelled split: chance, raw pixels, untrained and trained rows by value', async () => {
    const loaded = await loadClipData(BASE);
    const tok = loaded.tokenizer;
    const labelled = { train: head(loaded.labelled!.train, 40, 'train-40'), test: head(loaded.labelled!.test, 30, 'test-30'),
      classNames: loaded.labelled!.classNames };
    // 20 held-out pairs: chance recall@k is k/20.
    const heldOut = Object.fromEntries(Object.entries(loaded.heldOut).map(([k, t]) => [k, (t as Tensor).narrow(0, 0, 20)])) as unknown as
      ImageCaptionBatch;
    const data: ClipData = { ...loaded, heldOut, labelled };
    const trained = buildClip({ ...BASE, seed: 7 }, tok.vocabSize, 1);
    const report = evaluateClipRun(BASE, data, tok, trained) as { data: string; chance: ClipScores; rawPixels: ClipScores;
      untrained: ClipScores; trained: ClipScores; templates: readonly string[] };
    const probeIdx = torch.randperm(40, { generator: new torch.Generator().manualSeed(0) });
    const probe = (features: (d: ImageDataset, indices?: Tensor) => { features: Tensor; labels: Tensor }): number =>
      linearProbe(features(labelled.train, probeIdx), features(labelled.test)).top1;
    const scores = (clip: typeof trained): ClipScores => ({
      retrieval: pairRetrieval(clip, data.heldOut, { ks: [1, 5, 10] }),
      zeroShotTop1: zeroShotAccuracy(clip, labelled.test, zeroShotWeights(clip, tok, labelled.classNames, ZERO_SHOT_TEMPLATES)),
      linearProbeTop1: probe((d, indices) => extractFeatures(clip.visionModel, d, { indices })),
    });
    const untrained = buildClip(BASE, tok.vocabSize, 1);
    const recall = { 1: 0.05, 5: 0.25, 10: 0.5 };
    assert.deepEqual(report.chance, { retrieval: { imageToText: recall, textToImage: recall, pairs: 20 }, zeroShotTop1: 0.1 });
    assert.deepEqual(report.rawPixels, { linearProbeTop1: probe((d, indices) => rawPixelFeatures(d, { indices })) });
    assert.deepEqual(report.untrained, scores(untrained));
    assert.deepEqual(report.trained, scores(trained));
    assert.deepEqual(Object.keys(report.trained), ['retrieval', 'zeroShotTop1', 'linearProbeTop1']);
    assert.notDeepEqual(report.trained, report.untrained);
    assert.equal(report.data, loaded.description);
    assert.deepEqual(report.templates, ZERO_SHOT_TEMPLATES);
    assert.deepEqual(scoreClip(trained, data, tok), report.trained);
    untrained.dispose();
    trained.dispose();
    probeIdx.dispose();
    disposeBatch(heldOut);
    disposeClipData(loaded);
  });

  it('generated scenes (scenes:8): seen and held-out combinations, the scene tokenizer, batches of at most n; both recall tables', async () => {
    const data = await loadClipData({ ...BASE, data: 'scenes:8' });
    assert.equal(data.description,
      'generated scenes: 8 training scenes, 1,000 held-out scenes of seen and 1,000 of held-out combinations');
    assert.equal(data.channels, 3);
    assert.equal(data.labelled, undefined);
    const tok = WordPieceTokenizer.train(sceneCaptionTexts(), { vocabSize: 300, minFrequency: 1 });
    assert.deepEqual(data.tokenizer.toJSON(), tok.toJSON());
    assert.deepEqual(data.tokenizerTexts, sceneCaptionTexts());
    const train = generateScenes(8, { seed: 0 });
    const all = (set: typeof train): ImageCaptionBatch => {
      const ids = set.captions.map((t) => tok.encode(t));
      return captionBatch(set, tok, ids, ids.map((_, i) => i), 32);
    };
    const seen = generateScenes(1000, { seed: 1, stats: train.dataset });
    const novel = generateScenes(1000, { seed: 2, heldOut: true, stats: train.dataset });
    const [seenBatch, novelBatch] = [all(seen), all(novel)];
    sameBatch(data.heldOut, seenBatch, 'seen combinations');
    sameBatch(data.heldOutCombinations!, novelBatch, 'held-out combinations');
    // A batch size above the 8 scenes takes all 8.
    const x = data.batches(64, 2).next();
    const y = new CaptionBatches(train, tok, { batchSize: 8, seed: 2 }).next();
    sameBatch(x, y, 'training batch');

    const c = { ...BASE, data: 'scenes:8' };
    const clip = buildClip(c, tok.vocabSize, 3);
    assert.deepEqual(clip.config().imageEncoderOptions, { inChannels: 3, width: 16, pool: 2 });
    const trained = buildClip({ ...c, seed: 3 }, tok.vocabSize, 3);
    // Evaluated on the first 50 seen and 40 held-out scenes: chance recall@k is k/50 and k/40.
    const first = (b: ImageCaptionBatch, n: number) =>
      Object.fromEntries(Object.entries(b).map(([k, t]) => [k, (t as Tensor).narrow(0, 0, n)])) as unknown as ImageCaptionBatch;
    const [seen50, novel40] = [first(data.heldOut, 50), first(data.heldOutCombinations!, 40)];
    const report = evaluateClipRun(c, { ...data, heldOut: seen50, heldOutCombinations: novel40 }, data.tokenizer, trained) as {
      chance: ClipScores; rawPixels: ClipScores; untrained: ClipScores; trained: ClipScores };
    assert.deepEqual(report.chance, { retrieval: { imageToText: { 1: 0.02, 5: 0.1, 10: 0.2 }, textToImage: { 1: 0.02, 5: 0.1, 10: 0.2 }, pairs: 50 },
      retrievalHeldOut: { imageToText: { 1: 0.025, 5: 0.125, 10: 0.25 }, textToImage: { 1: 0.025, 5: 0.125, 10: 0.25 }, pairs: 40 } });
    assert.deepEqual(report.rawPixels, {});
    const scores = (m: typeof clip): ClipScores => ({ retrieval: pairRetrieval(m, seen50, { ks: [1, 5, 10] }),
      retrievalHeldOut: pairRetrieval(m, novel40, { ks: [1, 5, 10] }) });
    assert.deepEqual(report.untrained, scores(clip));
    assert.deepEqual(report.trained, scores(trained));
    assert.notDeepEqual(report.trained, report.untrained);
    disposeBatch(seen50);
    disposeBatch(novel40);
    for (const t of [seenBatch, novelBatch, x, y]) disposeBatch(t);
    for (const s of [train, seen, novel]) s.dataset.images.dispose();
    clip.dispose();
    trained.dispose();
    const live = torch.memory().tensors;
    disposeClipData(data);
    assert.equal(live - torch.memory().tensors, 9, 'disposeClipData frees the training scenes and both held-out batches');
  });

  it('generated scenes (scenes): 20,000 training scenes by default', async () => {
    const data = await loadClipData({ ...BASE, data: 'scenes' });
    assert.equal(data.description,
      'generated scenes: 20,000 training scenes, 1,000 held-out scenes of seen and 1,000 of held-out combinations');
    disposeClipData(data);
  });

  it('a caption file: 32 px by default, its own tokenizer (vocabulary 2048, every word), batches of at most the training pairs', async () => {
    const start = torch.memory().tensors;
    disposeClipData(await loadClipData({ ...BASE, data: `captions:${captions}` }));
    assert.equal(torch.memory().tensors, start, 'loading and disposing a caption file leaves no tensor (the whole set\'s images included)');
    const data = await loadClipData({ ...BASE, data: `captions:${captions}` });
    const set = splitCaptionSet(await loadCaptionSet(captions, { size: 32 }), 0.1);
    assert.equal(data.description, `pairs.jsonl: ${set.train.captions.length} training pairs, ${set.test.captions.length} held out`);
    assert.equal(data.channels, 3);
    assert.deepEqual(data.tokenizerTexts, set.train.captions);
    const tok = WordPieceTokenizer.train(set.train.captions, { vocabSize: 2048, minFrequency: 1 });
    assert.deepEqual(data.tokenizer.toJSON(), tok.toJSON());
    const ids = set.test.captions.map((t) => tok.encode(t));
    const held = captionBatch(set.test, tok, ids, ids.map((_, i) => i), 32);
    assert.deepEqual(data.heldOut.images.shape, [set.test.captions.length, 3, 32, 32]);
    sameBatch(data.heldOut, held, 'held-out pairs');
    const n = set.train.captions.length;
    const x = data.batches(100, 1).next();
    const y = new CaptionBatches(set.train, tok, { batchSize: n, seed: 1 }).next();
    sameBatch(x, y, 'training batch');
    const c = { ...BASE, data: `captions:${captions}`, lr: 0.0042 };
    const clip = buildClip(c, tok.vocabSize, 3);
    assert.equal(clip.recipe.lr, 0.0042);
    assert.deepEqual(clip.config().imageEncoderOptions, { inChannels: 3, width: 16 });
    assert.deepEqual(clip.config().recipe, { lr: 0.0042 });
    // --image-size reaches the decoded images.
    const small = await loadClipData({ ...c, imageSize: 8 }, tok);
    assert.deepEqual(small.heldOut.images.shape, [set.test.captions.length, 3, 8, 8]);
    for (const t of [held, x, y]) disposeBatch(t);
    for (const s of [set.train, set.test]) s.dataset.images.dispose();
    clip.dispose();
    disposeClipData(small);
    const live = torch.memory().tensors;
    disposeClipData(data);
    assert.equal(live - torch.memory().tensors, 6, 'disposeClipData frees both splits\' images and the held-out batch');
  });

  it('the scene table: "-" for a missing recall, the pairs of a chance row without retrieval as 0', () => {
    const r = (x: number) => ({ imageToText: { 1: x, 5: 2 * x, 10: 3 * x }, textToImage: { 1: x, 5: x, 10: x }, pairs: 10 });
    const report = { data: 'S', chance: { retrievalHeldOut: r(0.1) }, rawPixels: {}, untrained: { retrievalHeldOut: r(0.2) },
      trained: { retrieval: r(0.3), retrievalHeldOut: r(0.4) } };
    assert.equal(formatClipReport(report, 'clip'), [
      '',
      '                    seen combinations                            held-out combinations',
      '                      I>T@1     @5    @10  T>I@1     @5    @10     I>T@1     @5    @10  T>I@1     @5    @10',
      'chance                    -      -      -      -      -      -      10.0   20.0   30.0   10.0   10.0   10.0',
      'untrained                 -      -      -      -      -      -      20.0   40.0   60.0   20.0   20.0   20.0',
      'clip                   30.0   60.0   90.0   30.0   30.0   30.0      40.0   80.0  120.0   40.0   40.0   40.0',
      '(S; recall@k in %: each image ranks the 0 captions of its set, each caption its images; chance is k/N)',
      '',
    ].join('\n'));
  });
});
