// The settings of a `selfsup train bert|albert|clip` run (its config.json
// record), apart from the code that runs it, so that the CLIP and evaluation
// modules can name them without importing the runner.
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
  /** clip only: `captions:<file.jsonl|file.csv>` (image paths relative to the file); default Fashion-MNIST with generated captions. */
  data?: string;
  /** clip with a caption file: side of the decoded images (default 32). */
  imageSize?: number;
  /** Overrides of the model's configuration (BERT/ALBERT config, or CLIP options). */
  methodOptions: Record<string, unknown>;
}

