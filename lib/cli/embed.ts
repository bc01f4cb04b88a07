// `selfsup embed`: the features of every image of a dataset split from a
// trained encoder, written as an embedding file (.safetensors or .npy).
import * as path from 'path';
import { Command } from 'commander';
import * as torch from '../torch';
import { Device } from '../torch';
import { disposeDataset, ImageDataset } from '../data/dataset';
import { EXTRACT_FEATURES_OPTIONS, extractFeatures } from '../eval/features';
import { defineOptions, GivenOptions, Option, option } from '../torch/option-table';
import { writeEmbeddings } from '../export/embeddings-file';
import { loadDataSplit, parseDataSpec } from './data-spec';
import { loadEncoder, runOf } from './load-encoder';
import { ENCODER_DEVICE_OPTIONS, flagOf, intArg, jsonArg } from './option-parsers';

/** A dataset split: 'train' or 'test', else an error naming the flag. */
export function splitOption(defaultSplit: 'train' | 'test'): Option<'train' | 'test'> {
  return option<'train' | 'test'>(defaultSplit, (v, what) => {
    if (v !== 'train' && v !== 'test') throw new TypeError(`Expected train or test for ${what} but received ${String(v)}`);
    return v;
  });
}

/** `runEmbed`'s (and `selfsup embed`'s) options with a default: the table. */
export const EMBED_OPTIONS = defineOptions({
  /** Which split (default 'test'). */
  split: splitOption('test'),
  /** Where the encoder runs (default 'cpu'). */
  ...ENCODER_DEVICE_OPTIONS.specs,
  /** Images per forward pass (default: extractFeatures's, 64). */
  batchSize: EXTRACT_FEATURES_OPTIONS.specs.batchSize,
});

/** Options of `runEmbed`. */
export interface EmbedCommandOptions extends GivenOptions<typeof EMBED_OPTIONS.specs> {
  /** Dataset (default: the run's). */
  data?: string;
  /** Output file; the extension picks the format. Default `<run>/embeddings-<split>.safetensors`. */
  out?: string;
  encoder?: string;
  encoderOptions?: Record<string, unknown>;
  /** Embed only the first n images. */
  limit?: number;
  log?: (line: string) => void;
}

/** What `runEmbed` wrote. */
export interface EmbedResult {
  file: string;
  count: number;
  dim: number;
  /** Images per second of the feature extraction alone. */
  imagesPerSecond: number;
}

/** The default embedding file of a run folder for a split. */
export function defaultEmbeddingFile(runDir: string, split: string): string {
  return path.join(runDir, `embeddings-${split}.safetensors`);
}

/**
 * Embeds a dataset split with the encoder of a run folder, checkpoint or
 * safetensors file and writes the embedding file (rows in dataset order,
 * with labels and ids; metadata names the dataset, split and encoder).
 *
 * @example
 * const { file } = await runEmbed('runs/simclr-20261204-101500', { split: 'test', out: 'test.npy' });
 */
export async function runEmbed(target: string, o: EmbedCommandOptions = {}): Promise<EmbedResult> {
  const { run, runDir } = runOf(target);
  const dataArg = o.data ?? run?.data;
  if (dataArg === undefined) throw new Error('Name the dataset to embed with --data (e.g. --data fashion-mnist)');
  const { split, device, batchSize } = EMBED_OPTIONS.resolve(o, flagOf);
  const out = o.out ?? (runDir !== undefined ? defaultEmbeddingFile(runDir, split) : undefined);
  if (out === undefined) throw new Error('Name the output file with --out (.safetensors, .npy or .parquet)');
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const spec = parseDataSpec(dataArg);
  const dataset = await loadDataSplit(spec, split, run?.imageSize);
  if (dataset === undefined) throw new Error(`--data ${dataArg} has no ${split} split`);
  const { encoder, name, options } = loadEncoder(target, dataset.images.shape, o);
  try {
    const n = o.limit === undefined ? dataset.length : Math.min(o.limit, dataset.length);
    const indices = torch.arange(0, n);
    const t0 = process.hrtime.bigint();
    const { features, labels } = extractFeatures(encoder, dataset as ImageDataset, { batchSize, device, indices });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    try {
      writeEmbeddings(out, {
        embeddings: features, labels, ids: indices, files: dataset.files,
        metadata: {
          dataset: dataArg, split, encoder: name, encoderOptions: JSON.stringify(options),
          classes: JSON.stringify(dataset.classes ?? []), source: path.resolve(target),
          ...(run?.imageSize !== undefined ? { imageSize: String(run.imageSize) } : {}),
        },
      });
      const result = { file: out, count: n, dim: features.shape[1], imagesPerSecond: n / seconds };
      log(`Wrote ${out}: ${n} x ${result.dim} embeddings of ${dataArg}/${split} (${Math.round(result.imagesPerSecond)} images/s)`);
      return result;
    } finally {
      features.dispose();
      labels.dispose();
      indices.dispose();
    }
  } finally {
    disposeDataset(dataset);
    encoder.dispose();
  }
}

/**
 * Registers `selfsup embed <target> [--data] [--split] [--out] ...`.
 * @example registerEmbed(new Command('selfsup'));
 */
export function registerEmbed(program: Command): void {
  program.command('embed')
    .description('Write the embeddings of a dataset split (with labels and ids) from a trained encoder: ' +
      '.safetensors, .npy (readable by numpy) or .parquet (with class and file names), chosen by the extension')
    .argument('<target>', 'run folder, checkpoint (.json or .safetensors) or encoder .safetensors')
    .option('--data <spec>', 'dataset (default: the run\'s)')
    .option('--split <split>', 'train or test', EMBED_OPTIONS.defaults.split)
    .option('--out <file>', 'output .safetensors, .npy or .parquet (default <run>/embeddings-<split>.safetensors)')
    .option('--encoder <name>', 'architecture of a bare safetensors file')
    .option('--encoder-options <json>', 'its options as JSON', jsonArg('--encoder-options'))
    .option('--device <device>', 'cpu, cuda or cuda:N', EMBED_OPTIONS.defaults.device)
    .option('--batch-size <n>', 'images per forward pass', intArg('--batch-size'), EMBED_OPTIONS.defaults.batchSize)
    .option('--limit <n>', 'embed only the first n images', intArg('--limit'))
    .action(async (target: string, f: EmbedCommandOptions & { device: string }) => {
      await runEmbed(target, { ...f, device: f.device as Device });
    });
}
