// Console progress: a one-line bar redrawn in place on a terminal, plain
// lines (every ~10% of an epoch or every 15 s) when the output is piped.
import { ProgressStream, StepRecord } from './options';
import { defineOptions, GivenOptions, is, option } from '../torch/option-table';

/** `Progress`'s run settings with a default: the table. */
export const PROGRESS_OPTIONS = defineOptions({
  /** In 'lines' mode, a line at least this often (besides every tenth of an epoch). Default 15 s. */
  linesEverySeconds: option(15, is.positive),
});

/**
 * `h:mm:ss` (or `m:ss` under an hour) of a duration in seconds.
 * @example formatDuration(3725) // '1:02:05'
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * A rate or a coefficient (lr, wd) in one format whatever its size: 4
 * significant digits in exponent form, so 0.3 and 6.4e-5 read alike.
 * @example formatNumber(0.00135) // '1.350e-3'
 */
export function formatNumber(x: number): string {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  return x.toExponential(3).replace('e+', 'e');
}

/**
 * Reports training steps to a stream.
 *
 * Line format (mode 'lines'), one line per report:
 * `epoch 2/10 step 120/234 loss 4.1234 lr 3.000e-1 wd 1.000e-6 emb-std 0.0884 1234 img/s ETA 1:02:05`
 * (emb-std: the embedding std, collapse if near 0; shown for methods that return an embedding)
 *
 * @example
 * const p = new Progress('lines', process.stderr, { epochs: 10, stepsPerEpoch: 234 });
 * p.step(record, 120);
 */
export class Progress {
  private lastLineAt = 0;
  private lastFraction = -1;
  private barOpen = false;
  private readonly linesEveryMs: number;

  constructor(readonly mode: 'bar' | 'lines' | 'none', readonly stream: ProgressStream,
    readonly run: GivenOptions<typeof PROGRESS_OPTIONS.specs> & { epochs: number; stepsPerEpoch: number }) {
    this.linesEveryMs = PROGRESS_OPTIONS.resolve(run, (k) => k).linesEverySeconds * 1000;
  }

  /** The text of one report. @example progress.format(record, 119) // 'epoch 1/10 step 120/234 loss ...' */
  format(r: StepRecord, stepInEpoch: number): string {
    const embStd = r.embStd === null ? '' : ` emb-std ${r.embStd.toFixed(4)}`;
    return `epoch ${r.epoch + 1}/${this.run.epochs} step ${stepInEpoch + 1}/${this.run.stepsPerEpoch} ` +
      `loss ${r.loss.toFixed(4)} lr ${formatNumber(r.lr)} wd ${formatNumber(r.wd)}${embStd} ` +
      `${Math.round(r.imgPerSec)} img/s ETA ${formatDuration(r.eta)}`;
  }

  /**
   * Reports a logged step (`stepInEpoch` 0-based; `final` for the run's last step, always shown).
   * @example progress.step(record, 119);
   */
  step(r: StepRecord, stepInEpoch: number, final = false): void {
    if (this.mode === 'none') return;
    if (this.mode === 'bar') {
      const fraction = (stepInEpoch + 1) / this.run.stepsPerEpoch;
      const width = 20;
      const full = Math.round(fraction * width);
      const bar = `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
      let text = `${bar} ${this.format(r, stepInEpoch)}`;
      const columns = this.stream.columns;
      if (columns !== undefined && columns > 10 && text.length > columns - 1) text = text.slice(0, columns - 1);
      this.stream.write(`\r${text}\x1b[K`);
      this.barOpen = true;
      return;
    }
    // NOTE: a line each time another tenth of the epoch is done, or when
    // `linesEverySeconds` passed, so that piped logs stay short on long epochs
    // and still show life on slow ones.
    const now = Date.now();
    const tenth = Math.floor(((stepInEpoch + 1) * 10) / this.run.stepsPerEpoch);
    const last = final || stepInEpoch + 1 === this.run.stepsPerEpoch;
    if (tenth !== this.lastFraction || now - this.lastLineAt >= this.linesEveryMs || last) {
      this.lastFraction = last ? -1 : tenth;
      this.lastLineAt = now;
      this.stream.write(`${this.format(r, stepInEpoch)}\n`);
    }
  }

  /** Writes a message on its own line (after ending an open bar). @example progress.message('k-NN top-1 81.2%'); */
  message(text: string): void {
    if (this.mode === 'none') return;
    this.endLine();
    this.stream.write(`${text}\n`);
  }

  /** Ends the bar's line, so that later output starts on a new one. @example progress.endLine(); */
  endLine(): void {
    if (this.barOpen) {
      this.stream.write('\n');
      this.barOpen = false;
    }
  }
}
