// What a training run tells the world: speed windows and the ETA, epoch
// accounting, the records of metrics.jsonl (and `onLog`), the console lines
// and the plots. The Trainer hands it each step's host reads and the
// run's milestones; the reporter decides what is written where.
import { LogRecord, StepRecord, TrainerOptions, ProgressStream } from './options';
import { MetricsLog } from './metrics-log';
import { Progress } from './progress';
import { writePlots } from './run-folder';
import { StepReads } from './step-engine';

/** The run a `Reporter` reports on. */
export interface ReporterRun {
  method: string;
  epochs: number;
  stepsPerEpoch: number;
  totalSteps: number;
  batchSize: number;
  progress: 'bar' | 'lines' | 'none';
  stream: ProgressStream;
  /** The run folder (metrics.jsonl and plots go there), if any. */
  out?: string;
  onLog?: TrainerOptions['onLog'];
  /** Seconds trained before this call (a resumed run's). */
  elapsedBefore: number;
  /** The records kept from before a resume (metrics.jsonl truncated at the checkpoint). */
  history: LogRecord[];
  /** The metrics file (metrics.jsonl), when there is a run folder. */
  log: MetricsLog;
  /** knn.png's dashed floors (top-1 in [0, 1] on the monitor's subsets), when known. */
  floors?: Record<string, number>;
}

/** Where a step stands, as the reporter needs it. */
export interface StepPlace {
  /** Steps completed, this one included. */
  step: number;
  epoch: number;
  /** 0-based index of this step in its epoch. */
  stepInEpoch: number;
  /** This step writes a record (every `logEvery` steps, and at an epoch's or the run's end). */
  logNow: boolean;
  runDone: boolean;
  lr: number;
  wd: number;
}

/**
 * ETA window: the time per step is averaged over at least this many seconds
 * of stepping, so one slow window (a loaded machine, the first steps' warm-up)
 * does not swing the ETA.
 */
const ETA_WINDOW_SECONDS = 60;

/**
 * Reports a training run.
 *
 * @example
 * const reporter = new Reporter({ method: 'simclr', epochs: 1, stepsPerEpoch: 10, totalSteps: 10, batchSize: 32,
 *   progress: 'lines', stream: process.stderr, elapsedBefore: 0, history: [], log: new MetricsLog(undefined) });
 * reporter.step(place, reads);
 */
export class Reporter {
  readonly progress: Progress;
  private readonly start = Date.now();
  private windowStart = Date.now();
  private windowSteps = 0;
  // Recent speed windows (seconds, steps), newest last, for the ETA.
  private readonly recent: Array<[number, number]> = [];
  private warmupDropped = false;
  private epochLosses: number[] = [];
  private epochStart = Date.now();
  /** The last loss read (null before any). */
  lastLoss: number | null = null;

  constructor(readonly run: ReporterRun) {
    this.progress = new Progress(run.progress, run.stream, { epochs: run.epochs, stepsPerEpoch: run.stepsPerEpoch });
  }

  /** Every record of the run so far (resumed history included). */
  get history(): readonly LogRecord[] {
    return this.run.history;
  }

  /** Seconds trained, across resumes. */
  elapsed(): number {
    return this.run.elapsedBefore + (Date.now() - this.start) / 1000;
  }

  /** Takes one step's host reads; writes a step record when `place.logNow`. */
  step(place: StepPlace, reads: StepReads, lossRead: boolean): void {
    this.windowSteps++;
    if (lossRead) {
      this.lastLoss = reads.loss;
      this.epochLosses.push(reads.loss);
    }
    if (!place.logNow) return;
    const seconds = (Date.now() - this.windowStart) / 1000;
    const record: StepRecord = {
      type: 'step', step: place.step - 1, epoch: place.epoch, loss: reads.loss, lr: place.lr, wd: place.wd,
      imgPerSec: (this.windowSteps * this.run.batchSize) / Math.max(seconds, 1e-9), embStd: reads.embStd,
      time: this.elapsed(), eta: this.eta(seconds, place.step),
    };
    if (reads.logs !== undefined) record.logs = reads.logs;
    this.emit(record);
    this.progress.step(record, place.stepInEpoch, place.runDone);
    this.restartWindow();
  }

  /** Writes the epoch record (when the epoch is complete) and the plots. */
  async epochEnd(place: StepPlace, epochDone: boolean): Promise<void> {
    this.progress.endLine();
    if (epochDone) {
      const loss = this.epochLosses.reduce((a, b) => a + b, 0) / Math.max(1, this.epochLosses.length);
      const seconds = (Date.now() - this.epochStart) / 1000;
      this.emit({ type: 'epoch', step: place.step, epoch: place.epoch, loss, seconds, time: this.elapsed() });
    }
    this.epochLosses = [];
    this.epochStart = Date.now();
  }

  /** Records and prints an online k-NN result, naming the subsets it was measured on. */
  knn(place: StepPlace, top1: Record<string, number>, subset: { train: number; test: number }): void {
    this.emit({ type: 'knn', step: place.step, epoch: place.epoch, top1, time: this.elapsed() });
    const scores = Object.entries(top1).map(([k, v]) => `(k=${k}) ${(100 * v).toFixed(2)}%`).join(' ');
    this.progress.message(`k-NN top-1 at step ${place.step} (epoch ${place.epoch + 1}): ${scores} ` +
      `[online monitor on a ${subset.train.toLocaleString('en-US')}/${subset.test.toLocaleString('en-US')} ` +
      'train/test subset; the final evaluation uses the full sets]');
  }

  /** Writes loss.png (and knn.png) into the run folder, if any. */
  async plots(): Promise<void> {
    if (this.run.out !== undefined) await writePlots(this.run.out, this.run.history, this.run);
  }

  /** Time spent outside stepping (checkpoints, k-NN, plots) does not count as training speed. */
  restartWindow(): void {
    this.windowStart = Date.now();
    this.windowSteps = 0;
  }

  /** Prints a message on its own line. */
  message(text: string): void {
    this.progress.message(text);
  }

  private emit(record: LogRecord): void {
    this.run.history.push(record);
    this.run.log.append(record);
    this.run.onLog?.(record);
  }

  /**
   * Seconds left: the steps left times the time per step over the recent
   * windows that add up to at least ETA_WINDOW_SECONDS (the first window, which
   * holds the warm-up, is dropped as soon as another exists).
   */
  private eta(seconds: number, step: number): number {
    this.recent.push([seconds, this.windowSteps]);
    if (!this.warmupDropped && this.recent.length > 1) {
      this.recent.shift();
      this.warmupDropped = true;
    }
    const sum = (list: Array<[number, number]>, i: 0 | 1): number => list.reduce((a, w) => a + w[i], 0);
    while (this.recent.length > 1 && sum(this.recent.slice(1), 0) >= ETA_WINDOW_SECONDS) this.recent.shift();
    return ((this.run.totalSteps - step) * sum(this.recent, 0)) / Math.max(sum(this.recent, 1), 1);
  }

}
