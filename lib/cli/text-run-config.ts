// The settings of a `selfsup train bert|albert|clip` run (its config.json
// record), apart from the code that runs it, so that the CLIP and evaluation
// modules can name them without importing the runner.
import * as fs from 'fs';
import * as path from 'path';
import { TextOptimizer } from '../train/text-trainer';

/** The text and image-text methods of `selfsup train` (the names of ssl.listText()). */
export const TEXT_METHODS = ['bert', 'albert', 'clip'] as const;
export type TextMethodName = (typeof TEXT_METHODS)[number];

/** Whether `name` is a text method. @example isTextMethod('bert'); // true */
export function isTextMethod(name: string | undefined): name is TextMethodName {
  return (TEXT_METHODS as readonly string[]).includes(name ?? '');
}

/** A text run's settings (the flags of `selfsup train` that apply). */
export interface TextRunConfig {
  method: TextMethodName;
  steps: number;
  batchSize: number;
  lr: number;
  /**
   * 'adamw' (the default: the measured CPU runs) or 'lamb' (ALBERT's recipe
   * optimiser, made for batch 4096; `--optimizer lamb`).
   */
  optimizer: TextOptimizer;
  seed: number;
  out: string;
  eval: boolean;
  /**
   * clip only: `captions:<file.jsonl|file.csv>` (image paths relative to the file), or `scenes` / `scenes:<n>`
   * (generated scenes, n training scenes, default 20,000); default Fashion-MNIST with generated captions.
   */
  data?: string;
  /** clip with a caption file: side of the decoded images (default 32, `CAPTION_IMAGE_DEFAULTS`). */
  imageSize?: number;
  /** Overrides of the model's configuration (BERT/ALBERT config, or CLIP options). */
  methodOptions: Record<string, unknown>;
  /** Save a checkpoint every this many steps (0: only on Ctrl-C). Default 100. */
  checkpointEvery?: number;
}

/** The default side of a caption file's decoded images (a `--image-size` flag overrides it). */
export const CAPTION_IMAGE_DEFAULTS = Object.freeze({ imageSize: 32 });

/** The text run config of `target` when it is a run folder of `selfsup train bert|albert|clip`, else undefined. */
export function textRunOf(target: string): TextRunConfig | undefined {
  const file = path.join(target, 'config.json');
  if (!fs.existsSync(target) || !fs.statSync(target).isDirectory() || !fs.existsSync(file)) return undefined;
  let saved: { config?: { method?: string } };
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof saved;
  } catch {
    return undefined;
  }
  return isTextMethod(saved.config?.method) ? { ...(saved.config as TextRunConfig), out: target } : undefined;
}

