// A run folder's metrics as a TensorBoard event file: scalars from
// metrics.jsonl, the run's PNG pictures as images, histograms of the
// encoder's weights, and the embedding projector's files for an embedding
// file of the run. Reads only files, so it works during training (a torn
// last line is skipped) and after it.
import * as fs from 'fs';
import * as path from 'path';
import { Tensor } from '../../torch';
import { loadSafetensors } from '../../torch/safetensors';
import { writeFileAtomic } from '../../torch/atomic-file';
import { readEmbeddings } from '../embeddings-file';
import { encodeEvent, Histogram, SummaryValue } from './event-proto';
import { tfRecord } from './tfrecord';
import { defineOptions, GivenOptions, is, option, OPTIONAL } from '../../torch/option-table';

/** Options of `writeRunEvents`. */
/** `writeRunEvents`'s options: defaults and checks. */
export const RUN_EVENTS_OPTIONS = defineOptions({
  /** Folder for the event file and projector files (TensorBoard's logdir for this run). Default `<run>/tensorboard`. */
  out: option<string>(OPTIONAL, (v, what) => {
    if (typeof v !== 'string' || v === '') throw new TypeError(`Expected a folder path for ${what} but received ${String(v)}`);
    return v;
  }),
  /** Buckets of the weight histograms. Default 30. */
  bins: option(30, is.int(1)),
  /** Rows of the projector's embeddings at most. Default 10000. */
  projectorRows: option(10000, is.int(1)),
});

export type RunEventsOptions = GivenOptions<typeof RUN_EVENTS_OPTIONS.specs>;

/** What `writeRunEvents` wrote. */
export interface RunEventsInfo {
  file: string;
  scalars: number;
  images: number;
  histograms: number;
  /** projector_config.pbtxt when an embedding file was found. */
  projector?: string;
}

type Json = Record<string, unknown>;

/** The JSON records of a JSONL file; unparsable lines (a partial last line) are skipped. */
export function readJsonLines(file: string): Json[] {
  if (!fs.existsSync(file)) return [];
  const out: Json[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as Json);
    } catch {
      // A line being written (or torn by a crash): the next read sees it whole.
    }
  }
  return out;
}

/** Scalars of one metrics record as (tag, value) pairs. */
function scalarsOf(r: Json): [string, number][] {
  const out: [string, number][] = [];
  const add = (tag: string, v: unknown) => { if (typeof v === 'number' && Number.isFinite(v)) out.push([tag, v]); };
  if (r.type === 'step') {
    add('train/loss', r.loss);
    add('train/lr', r.lr);
    add('train/wd', r.wd);
    add('train/img_per_sec', r.imgPerSec);
    add('train/emb_std', r.embStd);
    for (const [k, v] of Object.entries((r.logs ?? {}) as Json)) add(`train/${k}`, v);
  } else if (r.type === 'knn') {
    for (const [k, v] of Object.entries((r.top1 ?? {}) as Json)) add(`knn/top1_k${k}`, v);
  } else if (r.type === 'epoch') {
    add('epoch/loss', r.loss);
  }
  return out;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number; colorspace: number } | undefined {
  if (bytes.length < 26 || bytes.readUInt32BE(0) !== 0x89504e47) return undefined;
  // Colour type 0 gray, 2 RGB, 4 gray+alpha, 6 RGBA -> TensorBoard's channel count.
  const channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[bytes[25]] ?? 3;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), colorspace: channels };
}

/**
 * A histogram of a tensor's values in `bins` equal buckets (TensorBoard draws the bucket counts).
 * @example histogramOf(layer.weight, 30).num // layer.weight.numel()
 */
export function histogramOf(t: Tensor, bins: number): Histogram {
  const v = t.detach().to({ dtype: 'float32', device: 'cpu' }).contiguous();
  const data = v.toTypedArray() as Float32Array;
  if (v !== t) v.dispose();
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sumSquares = 0;
  for (const x of data) {
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
    sumSquares += x * x;
  }
  if (data.length === 0) { min = 0; max = 0; }
  const width = max > min ? (max - min) / bins : 1;
  const bucket = new Array<number>(bins).fill(0);
  for (const x of data) bucket[Math.min(bins - 1, Math.floor((x - min) / width))]++;
  const bucketLimit = Array.from({ length: bins }, (_, i) => (i === bins - 1 ? max : min + (i + 1) * width));
  return { min, max, num: data.length, sum, sumSquares, bucketLimit, bucket };
}

/** The projector's files for an embedding file: tensors.tsv, metadata.tsv, projector_config.pbtxt. */
function writeProjector(out: string, embeddingFile: string, maxRows: number): string {
  const e = readEmbeddings(embeddingFile);
  try {
    const n = Math.min(maxRows, e.embeddings.shape[0]);
    const d = e.embeddings.shape[1];
    const values = e.embeddings.toTypedArray() as Float32Array;
    const labels = e.labels.toTypedArray() as BigInt64Array;
    const classes = JSON.parse(e.metadata.classes ?? '[]') as string[];
    const rows: string[] = [];
    for (let i = 0; i < n; i++) rows.push(Array.from(values.subarray(i * d, (i + 1) * d), (x) => x.toPrecision(6)).join('\t'));
    writeFileAtomic(path.join(out, 'tensors.tsv'), `${rows.join('\n')}\n`);
    const names = Array.from({ length: n }, (_, i) => classes[Number(labels[i])] ?? String(labels[i]));
    writeFileAtomic(path.join(out, 'metadata.tsv'), `${names.join('\n')}\n`);
    const config = path.join(out, 'projector_config.pbtxt');
    writeFileAtomic(config, `embeddings {\n  tensor_name: "${path.basename(embeddingFile)}"\n  tensor_shape: ${n}\n` +
      `  tensor_shape: ${d}\n  tensor_path: "tensors.tsv"\n  metadata_path: "metadata.tsv"\n}\n`);
    return config;
  } finally {
    [e.embeddings, e.labels, e.ids].forEach((t) => t.dispose());
  }
}

/**
 * Writes `<out>/events.out.tfevents.<start>.selfsup` (replacing an earlier
 * one atomically; `<start>` is the run's first start, the same after
 * `--resume`) from the run folder's files, so that
 * `tensorboard --logdir runs/` shows the run. Scalar tags: train/loss,
 * train/lr, train/wd, train/img_per_sec, train/emb_std, train/<method log>,
 * knn/top1_k<k>, epoch/loss; images: every PNG in the run folder (tag = file
 * name) at the last step; histograms: weights/<key> of encoder.safetensors.
 *
 * @example const { file } = writeRunEvents('runs/simclr-20261204-101500'); // tensorboard --logdir runs/
 */
export function writeRunEvents(runDir: string, options: RunEventsOptions = {}): RunEventsInfo {
  const metricsFile = path.join(runDir, 'metrics.jsonl');
  if (!fs.existsSync(runDir) || !fs.statSync(runDir).isDirectory()) throw new Error(`No run folder '${runDir}'`);
  if (!fs.existsSync(metricsFile) && !fs.existsSync(path.join(runDir, 'config.json'))) {
    throw new Error(`'${runDir}' is not a run folder: it has neither metrics.jsonl nor config.json`);
  }
  const o = RUN_EVENTS_OPTIONS.resolve(options, (k) => `options.${k}`);
  const out = o.out ?? path.join(runDir, 'tensorboard');
  fs.mkdirSync(out, { recursive: true });
  const config = fs.existsSync(path.join(runDir, 'config.json'))
    ? JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8')) as Json : {};
  // NOTE: the run's first start (config.json's `started`, kept across resumes), so that a resumed run
  // replaces the same file (one record per step: metrics.jsonl was cut back to the checkpoint) and its
  // records keep their wall times; `time` is the start of the latest process (older run folders).
  const start = typeof config.started === 'string' ? config.started : config.time;
  const started = typeof start === 'string' ? Date.parse(start) / 1000 : fs.statSync(runDir).mtimeMs / 1000;
  const records = readJsonLines(metricsFile);
  const chunks: Buffer[] = [tfRecord(encodeEvent({ wallTime: started, fileVersion: 'brain.Event:2' }))];
  let scalars = 0;
  let lastStep = 0;
  for (const r of records) {
    const values = scalarsOf(r);
    const step = typeof r.step === 'number' ? r.step : 0;
    lastStep = Math.max(lastStep, step);
    if (values.length === 0) continue;
    const wallTime = started + (typeof r.time === 'number' ? r.time : 0);
    chunks.push(tfRecord(encodeEvent({ wallTime, step, summary: { value: values.map(([tag, simpleValue]) => ({ tag, simpleValue })) } })));
    scalars += values.length;
  }
  const end = started + (typeof records.at(-1)?.time === 'number' ? records.at(-1)?.time as number : 0);
  const image: SummaryValue[] = [];
  for (const name of fs.readdirSync(runDir).filter((f) => f.endsWith('.png')).sort()) {
    const bytes = fs.readFileSync(path.join(runDir, name));
    const size = pngSize(bytes);
    if (size !== undefined) image.push({ tag: name.replace(/\.png$/, ''), image: { ...size, encodedImageString: bytes } });
  }
  if (image.length) chunks.push(tfRecord(encodeEvent({ wallTime: end, step: lastStep, summary: { value: image } })));
  const histo: SummaryValue[] = [];
  const encoderFile = path.join(runDir, 'encoder.safetensors');
  if (fs.existsSync(encoderFile)) {
    for (const [key, t] of loadSafetensors(encoderFile)) {
      if (t.dtype.startsWith('float') || t.dtype === 'bfloat16') histo.push({ tag: `weights/${key}`, histo: histogramOf(t, o.bins) });
      t.dispose();
    }
  }
  if (histo.length) chunks.push(tfRecord(encodeEvent({ wallTime: end, step: lastStep, summary: { value: histo } })));
  const file = path.join(out, `events.out.tfevents.${Math.floor(started)}.selfsup`);
  writeFileAtomic(file, Buffer.concat(chunks));
  const embeddings = ['embeddings-test.safetensors', 'embeddings-train.safetensors'].map((f) => path.join(runDir, f)).find(fs.existsSync);
  const projector = embeddings === undefined ? undefined : writeProjector(out, embeddings, o.projectorRows);
  return { file, scalars, images: image.length, histograms: histo.length, projector };
}
