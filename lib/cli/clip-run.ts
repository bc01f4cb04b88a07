// `selfsup train clip` and `selfsup eval` of a CLIP run: the data (Fashion-MNIST
// with generated captions, or `--data captions:<file.jsonl|file.csv>`), the
// model built from the run's config, and the evaluation table: zero-shot
// top-1 and a linear probe of the image encoder (labelled data only), and
// image <-> text recall@1/5/10 on held-out pairs, each next to the untrained
// model (the same seed, before training) and chance or raw pixels.
import * as path from 'path';
import * as torch from '../torch';
import { Tensor } from '../torch';
import { fashionMnist } from '../data/fashion-mnist';
import { ImageDataset } from '../data/dataset';
import { WordPieceTokenizer } from '../data/text';
import {
  captionBatch, CaptionBatches, captionTexts, FASHION_MNIST_NAMES, FashionCaptionBatches, generateScenes, ImageCaptionBatch, loadCaptionSet,
  sceneCaptionTexts, splitCaptionSet, ZERO_SHOT_TEMPLATES,
} from '../data/image-text';
import { EpochOrderState } from '../data/epoch-order';
import { CLIP } from '../ssl/clip';
import { zeroShotAccuracy, zeroShotWeights } from '../eval/zero-shot';
import { pairRetrieval, RetrievalRecall } from '../eval/retrieval';
import { extractFeatures } from '../eval/features';
import { linearProbe } from '../eval/linear-probe';
import { rawPixelFeatures } from '../eval/floors';
import { CAPTION_IMAGE_DEFAULTS, TextRunConfig } from './text-run-config';

/** Held-out pairs scored by retrieval (Fashion-MNIST: test images with seeded generated captions). */
export const FASHION_RETRIEVAL_PAIRS = 1000;
/** Training images of the linear probe on Fashion-MNIST (a seeded subset, to keep the evaluation short on a CPU). */
export const FASHION_PROBE_TRAIN = 10000;
const RECALL_KS = [1, 5, 10] as const;

/** A CLIP run's data. */
export interface ClipData {
  /** Where the pairs come from, for the table. */
  description: string;
  channels: number;
  /** Training batches of `batchSize` pairs, with their position for a checkpoint. */
  batches: (batchSize: number, seed: number) => { next(): ImageCaptionBatch; state(): EpochOrderState; loadState(s: EpochOrderState): void };
  /** Held-out pairs (one batch holding all of them); for generated scenes, new scenes of the training combinations. */
  heldOut: ImageCaptionBatch;
  /** Generated scenes only: scenes of the combinations that training never shows (one batch). */
  heldOutCombinations?: ImageCaptionBatch;
  /** Labelled images (Fashion-MNIST): zero-shot and the linear probe. */
  labelled?: { train: ImageDataset; test: ImageDataset; classNames: string[] };
  /** Texts a new tokenizer is trained on. */
  tokenizerTexts: string[];
  /** Frees the decoded images of a caption file (Fashion-MNIST's are shared and stay). */
  dispose(): void;
}

/** Frees the held-out batch and what `data.dispose` frees. @example disposeClipData(data); */
export function disposeClipData(data: ClipData): void {
  for (const t of Object.values(data.heldOut)) (t as Tensor).dispose();
  for (const t of Object.values(data.heldOutCombinations ?? {})) (t as Tensor).dispose();
  data.dispose();
}

/** The run's data: Fashion-MNIST with generated captions, or a caption file (`captions:<file>`, 10% held out by hash). */
export async function loadClipData(c: TextRunConfig, tokenizer?: WordPieceTokenizer): Promise<ClipData & { tokenizer: WordPieceTokenizer }> {
  if (c.data !== undefined && c.data.startsWith('scenes')) return sceneClipData(c.data, tokenizer);
  if (c.data !== undefined) {
    const file = c.data.slice('captions:'.length);
    const set = await loadCaptionSet(file, { size: c.imageSize ?? CAPTION_IMAGE_DEFAULTS.imageSize });
    const { train, test } = splitCaptionSet(set, 0.1);
    set.dataset.images.dispose(); // the two splits hold copies
    const tok = tokenizer ?? WordPieceTokenizer.train(train.captions, { vocabSize: 2048, minFrequency: 1 });
    const ids = test.captions.map((t) => tok.encode(t));
    return {
      description: `${path.basename(file)}: ${train.captions.length} training pairs, ${test.captions.length} held out`,
      channels: 3, tokenizer: tok, tokenizerTexts: train.captions,
      batches: (batchSize, seed) => new CaptionBatches(train, tok, { batchSize: Math.min(batchSize, train.captions.length), seed }),
      heldOut: captionBatch(test, tok, ids, ids.map((_, i) => i), 32),
      dispose: () => { train.dataset.images.dispose(); test.dataset.images.dispose(); },
    };
  }
  const train = fashionMnist({ split: 'train' });
  const test = fashionMnist({ split: 'test' });
  const tok = tokenizer ?? WordPieceTokenizer.train(captionTexts(), { vocabSize: 300, minFrequency: 1 });
  const heldOut = new FashionCaptionBatches(test, tok, { batchSize: FASHION_RETRIEVAL_PAIRS, seed: 4321 }).next();
  return {
    description: `Fashion-MNIST with generated captions; ${FASHION_RETRIEVAL_PAIRS} held-out test pairs`,
    channels: 1, tokenizer: tok, tokenizerTexts: captionTexts(),
    batches: (batchSize, seed) => new FashionCaptionBatches(train, tok, { batchSize, seed }),
    heldOut, labelled: { train, test, classNames: FASHION_MNIST_NAMES.map((n) => n[0]) },
    dispose: () => undefined,
  };
}

/** Training scenes of `--data scenes` (`scenes:<n>` sets the number). */
export const DEFAULT_TRAIN_SCENES = 20000;
/** Test scenes of each kind (seen and held-out combinations). */
export const TEST_SCENES = 1000;

/**
 * `--data scenes[:<n>]`: n generated training scenes (seed 0), 1,000 new scenes of the training
 * combinations (seed 1) and 1,000 of the held-out ones (seed 2), normalised with the training set's statistics.
 */
function sceneClipData(spec: string, tokenizer?: WordPieceTokenizer): ClipData & { tokenizer: WordPieceTokenizer } {
  const n = spec === 'scenes' ? DEFAULT_TRAIN_SCENES : Number(spec.slice('scenes:'.length));
  const train = generateScenes(n, { seed: 0 });
  const seen = generateScenes(TEST_SCENES, { seed: 1, stats: train.dataset });
  const novel = generateScenes(TEST_SCENES, { seed: 2, heldOut: true, stats: train.dataset });
  const tok = tokenizer ?? WordPieceTokenizer.train(sceneCaptionTexts(), { vocabSize: 300, minFrequency: 1 });
  const all = (set: typeof seen) => {
    const ids = set.captions.map((t) => tok.encode(t));
    const batch = captionBatch(set, tok, ids, ids.map((_, i) => i), 32);
    set.dataset.images.dispose();
    return batch;
  };
  return {
    description: `generated scenes: ${n.toLocaleString('en-US')} training scenes, ${TEST_SCENES.toLocaleString('en-US')} held-out scenes ` +
      `of seen and ${TEST_SCENES.toLocaleString('en-US')} of held-out combinations`,
    channels: 3, tokenizer: tok, tokenizerTexts: sceneCaptionTexts(),
    batches: (batchSize, seed) => new CaptionBatches(train, tok, { batchSize: Math.min(batchSize, n), seed }),
    heldOut: all(seen), heldOutCombinations: all(novel),
    dispose: () => train.dataset.images.dispose(),
  };
}

/** The CLIP model of a run (seeded: the same weights as the run's before training). */
export function buildClip(c: TextRunConfig, vocabSize: number, channels: number): CLIP {
  torch.manualSeed(c.seed);
  return new CLIP({
    // Scenes: pool the last feature map to 2 x 2, not globally, so the features keep which side a shape is on (the relations).
    imageEncoder: 'small_cnn', imageEncoderOptions: { inChannels: channels, width: 16, ...(c.data?.startsWith('scenes') ? { pool: 2 } : {}) },
    embedDim: 64, recipe: { lr: c.lr },
    textConfig: { vocabSize, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 256, maxPositionEmbeddings: 32 },
    ...c.methodOptions,
  });
}

/** One row of the CLIP table. */
export interface ClipScores {
  zeroShotTop1?: number;
  linearProbeTop1?: number;
  retrieval?: RetrievalRecall;
  /** Generated scenes: retrieval among scenes of held-out combinations (`retrieval` is then that of seen ones). */
  retrievalHeldOut?: RetrievalRecall;
}

function probe(features: (d: ImageDataset, idx?: Tensor) => { features: Tensor; labels: Tensor }, data: NonNullable<ClipData['labelled']>): number {
  return torch.scope(() => {
    const idx = torch.randperm(data.train.length, { generator: new torch.Generator().manualSeed(0) }).narrow(0, 0, Math.min(FASHION_PROBE_TRAIN, data.train.length));
    return linearProbe(features(data.train, idx), features(data.test)).top1;
  });
}

/** Zero-shot top-1, the image encoder's linear probe and retrieval recall of `clip`. */
export function scoreClip(clip: CLIP, data: ClipData, tok: WordPieceTokenizer): ClipScores {
  const out: ClipScores = { retrieval: pairRetrieval(clip, data.heldOut, { ks: RECALL_KS }) };
  if (data.heldOutCombinations !== undefined) out.retrievalHeldOut = pairRetrieval(clip, data.heldOutCombinations, { ks: RECALL_KS });
  if (data.labelled !== undefined) {
    const l = data.labelled;
    out.zeroShotTop1 = torch.scope(() => zeroShotAccuracy(clip, l.test, zeroShotWeights(clip, tok, l.classNames, ZERO_SHOT_TEMPLATES)));
    out.linearProbeTop1 = probe((d, indices) => extractFeatures(clip.visionModel, d, { indices }), l);
  }
  return out;
}

/** The CLIP evaluation: chance and raw-pixel floors, the untrained model (fresh, same seed) and the trained one. */
export function evaluateClipRun(c: TextRunConfig, data: ClipData, tok: WordPieceTokenizer, trained: CLIP): Record<string, unknown> {
  const untrainedModel = buildClip(c, tok.vocabSize, data.channels);
  const untrained = scoreClip(untrainedModel, data, tok);
  untrainedModel.dispose();
  const n = data.heldOut.images.shape[0];
  const chanceRecall = Object.fromEntries(RECALL_KS.map((k) => [k, Math.min(1, k / n)]));
  const chance: ClipScores = { retrieval: { imageToText: chanceRecall, textToImage: chanceRecall, pairs: n } };
  if (data.heldOutCombinations !== undefined) {
    const m = data.heldOutCombinations.images.shape[0];
    const recall = Object.fromEntries(RECALL_KS.map((k) => [k, Math.min(1, k / m)]));
    chance.retrievalHeldOut = { imageToText: recall, textToImage: recall, pairs: m };
  }
  if (data.labelled !== undefined) chance.zeroShotTop1 = 1 / data.labelled.classNames.length;
  const rawPixels: ClipScores = data.labelled === undefined ? {}
    : { linearProbeTop1: probe((d, indices) => rawPixelFeatures(d, { indices }), data.labelled) };
  return { data: data.description, chance, rawPixels, untrained, trained: scoreClip(trained, data, tok), templates: ZERO_SHOT_TEMPLATES };
}

/** The table of `evaluateClipRun`'s report, in %. */
export function formatClipReport(report: Record<string, unknown>, trainedLabel: string): string {
  const pct = (x: number | undefined, w: number) => (x === undefined ? '-' : (100 * x).toFixed(1)).padStart(w);
  const row = (name: string, s: ClipScores) => `${name.padEnd(20)}${pct(s.zeroShotTop1, 10)}${pct(s.linearProbeTop1, 8)}` +
    RECALL_KS.map((k) => pct(s.retrieval?.imageToText[k], 7)).join('') + RECALL_KS.map((k) => pct(s.retrieval?.textToImage[k], 7)).join('');
  const r = report as { data: string; chance: ClipScores; rawPixels: ClipScores; untrained: ClipScores; trained: ClipScores };
  if (r.trained.retrievalHeldOut !== undefined) return formatSceneReport(r, trainedLabel);
  return `\n${''.padEnd(20)}${'zero-shot'.padStart(10)}${'linear'.padStart(8)}${'I>T@1'.padStart(7)}${'@5'.padStart(7)}${'@10'.padStart(7)}` +
    `${'T>I@1'.padStart(7)}${'@5'.padStart(7)}${'@10'.padStart(7)}\n` +
    `${row('chance', r.chance)}\n${row('raw pixels', r.rawPixels)}\n${row('untrained', r.untrained)}\n${row(trainedLabel, r.trained)}\n` +
    `(${r.data}; zero-shot: top-1 on the 10,000 test images, prompts averaged over ${ZERO_SHOT_TEMPLATES.length} templates; ` +
    `linear: probe of the frozen image encoder, ${FASHION_PROBE_TRAIN.toLocaleString('en-US')} training images; ` +
    'recall@k in % on held-out pairs)\n';
}

/** The generated scenes' table: retrieval recall among scenes of seen and of held-out combinations, in %. */
function formatSceneReport(r: { data: string; chance: ClipScores; untrained: ClipScores; trained: ClipScores }, trainedLabel: string): string {
  const pct = (x: number | undefined) => (x === undefined ? '-' : (100 * x).toFixed(1)).padStart(7);
  const cells = (rec: RetrievalRecall | undefined) =>
    RECALL_KS.map((k) => pct(rec?.imageToText[k])).join('') + RECALL_KS.map((k) => pct(rec?.textToImage[k])).join('');
  const head = ['I>T@1', '@5', '@10', 'T>I@1', '@5', '@10'].map((h) => h.padStart(7)).join('');
  const row = (name: string, s: ClipScores) => `${name.padEnd(20)}${cells(s.retrieval)}   ${cells(s.retrievalHeldOut)}`;
  return `\n${''.padEnd(20)}${'seen combinations'.padEnd(42)}   held-out combinations\n${''.padEnd(20)}${head}   ${head}\n` +
    `${row('chance', r.chance)}\n${row('untrained', r.untrained)}\n${row(trainedLabel, r.trained)}\n` +
    `(${r.data}; recall@k in %: each image ranks the ${r.chance.retrieval?.pairs ?? 0} captions of its set, each caption its images; ` +
    'chance is k/N)\n';
}
