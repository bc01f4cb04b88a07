// metrics.jsonl: one JSON record per line, appended as training goes, and
// cut back to a checkpoint's step when a run resumes.
import * as fs from 'fs';
import { writeFileAtomic } from '../torch/atomic-file';
import { LogRecord } from './options';

/**
 * Appends records to a JSONL file (nothing is written when `file` is undefined).
 *
 * @example
 * const log = new MetricsLog('runs/a/metrics.jsonl');
 * log.append({ type: 'epoch', step: 234, epoch: 0, loss: 5.1, seconds: 60, time: 60 });
 */
export class MetricsLog {
  constructor(readonly file?: string) {}

  /** Adds one record as a line. @example log.append({ type: 'knn', step: 468, epoch: 1, top1: { 20: 0.83 }, time: 120 }); */
  append(record: LogRecord): void {
    if (this.file !== undefined) fs.appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }

  /**
   * The records in the file; a torn last line (a crash mid-write) is skipped.
   * @example new MetricsLog('runs/a/metrics.jsonl').read().filter((r) => r.type === 'knn')
   */
  read(): LogRecord[] {
    if (this.file === undefined || !fs.existsSync(this.file)) return [];
    const out: LogRecord[] = [];
    for (const line of fs.readFileSync(this.file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line) as LogRecord);
      } catch {
        // A partial line from an interrupted append: the resumed run rewrites it.
      }
    }
    return out;
  }

  /**
   * Keeps only what happened up to `step` completed steps (a resume point):
   * step records of steps before it, k-NN and epoch records at or before it.
   * Returns the records kept.
   *
   * @example log.truncate(checkpoint.step);
   */
  truncate(step: number): LogRecord[] {
    const kept = this.read().filter((r) => (r.type === 'step' ? r.step < step : r.step <= step));
    if (this.file !== undefined) writeFileAtomic(this.file, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return kept;
  }
}
