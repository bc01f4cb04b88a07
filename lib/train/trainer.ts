// The training loop: a method, a dataset and options in; a trained method, a
// run folder (config, metrics, checkpoints, plots, encoder weights) out.
// The step itself is the step engine's (step-engine.ts), saving and resuming
// the run's state checkpoint.ts's, what is logged and printed the reporter's.
import * as fs from 'fs';
import * as path from 'path';
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Loader, LoaderState, disposeBatch } from '../data/loader';
import { toFloatImages } from '../data/transforms/normalize';
import { MultiView } from '../data/transforms/multi-crop';
import { Method, TrainProgress } from '../ssl/method';
import { saveSafetensors } from '../torch/safetensors';
import { KnnRecord, LogRecord, ResolvedOptions, TrainerOptions, resolveOptions } from './options';
import { OptimizerSetup, setupOptimizer } from './optimizer-setup';
import { StepEngine, StepReads, autoChannelsLast } from './step-engine';
import { CheckpointFiles, RunParts, findCheckpoint, restoreRunState, saveRunState } from './checkpoint';
import { MetricsLog } from './metrics-log';
import { Reporter, StepPlace } from './reporter';
import { checkRunFolder, writeConfig } from './run-folder';
import { SigintHandler } from './interrupt';
import { KnnMonitor } from './monitor';
import { DataParallel, isDataParallel } from './data-parallel';

/** What `fit()` resolves with. */
export interface TrainResult {
  /** The method's registry name. */
  method: string;
  /** Optimizer steps completed over the whole run (resumes included). */
  steps: number;
  /** Steps the run was set up for. */
  totalSteps: number;
  /** Epochs completed (fractional when stopped mid-epoch). */
  epochs: number;
  /** True when stopped early by the signal or Ctrl-C. */
  interrupted: boolean;
  /** The last loss read (null when no step ran). */
  loss: number | null;
  /** Every k-NN monitor result of the run. */
  knn: KnnRecord[];
  /** Seconds this call trained for. */
  seconds: number;
  /** Images per second over this call's steps. */
  imagesPerSecond: number;
  /** The run folder, when `out` was given. */
  out?: string;
  /** The JSON file of the last checkpoint written. */
  checkpoint?: string;
  /** encoder.safetensors, written when the run completed. */
  encoder?: string;
}

/** One view batch, the augmentation generator's state after drawing it, and the images' dataset indices. */
interface Prepared { views: Tensor[]; augState: Tensor; indices: Tensor }

/** The CUDA device index of 'cuda' / 'cuda:N'; undefined for the CPU. */
function cudaIndex(device: string): number | undefined {
  if (device === 'cpu') return undefined;
  const n = Number(device.split(':')[1] ?? 0);
  return Number.isInteger(n) ? n : 0;
}

/** The state of one `fit()` call. */
interface Run {
  engine: StepEngine;
  setup: OptimizerSetup;
  parts: RunParts;
  clipGrad?: number;
  reporter: Reporter;
  monitor?: KnnMonitor;
  sigint: SigintHandler;
  /** Optimizer steps completed (resumes included), where this call started, and the loader's position. */
  step: number;
  startStep: number;
  position: LoaderState;
  /** The augmentation generator's state after the last step's draws (what a checkpoint stores). */
  augState?: Tensor;
  checkpoint?: CheckpointFiles;
  interrupted: boolean;
  fitStart: number;
  /** The data-parallel state (more than one rank), and whether this process writes the run folder (rank 0). */
  dp?: DataParallel;
  writer: boolean;
}

/** A stream that drops everything (the progress of ranks other than 0). */
const SILENT = { write: (): boolean => true };

/**
 * Trains a self-supervised method.
 *
 * Each step runs inside one memory scope: views (drawn by the Loader's
 * transform with a Trainer-owned generator, so augmentation is resumable) ->
 * `trainingStep` (under bf16 autocast when enabled) -> `backward` ->
 * `beforeOptimizerStep` -> gradient clipping -> `optimizer.step()` ->
 * schedulers -> `afterOptimizerStep`.
 *
 * @example
 * const method = new ssl.SimCLR({ encoder: models.create('small_cnn', { inChannels: 1 }) });
 * const trainer = new Trainer(method, { data: data.fashionMnist({ split: 'train' }), epochs: 1, out: 'runs/simclr' });
 * const result = await trainer.fit(); // result.loss, runs/simclr/encoder.safetensors
 */
export class Trainer {
  readonly options: ResolvedOptions;
  readonly augmentation: MultiView;
  readonly loader: Loader<Prepared>;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  readonly epochs: number;
  /** This process's rank and the number of ranks (0 and 1 unless the default process group has more). */
  readonly rank: number;
  readonly worldSize: number;
  private readonly generator = new torch.Generator();
  private fitted = false;

  constructor(readonly method: Method, private readonly raw: TrainerOptions) {
    if (method === null || typeof method !== 'object' || typeof method.trainingStep !== 'function') {
      throw new TypeError(`Expected a Method (SimCLR, BYOL, DINO, MAE) for Trainer but received ${String(method)}`);
    }
    const resolved = resolveOptions(raw);
    this.worldSize = isDataParallel() ? torch.distributed.getWorldSize() : 1;
    this.rank = this.worldSize > 1 ? torch.distributed.getRank() : 0;
    this.options = this.worldSize === 1 ? resolved : this.dataParallelOptions(resolved);
    const { data } = raw;
    const [, channels, size] = data.images.shape;
    this.augmentation = raw.augmentation ?? method.augmentation({ size, channels, mean: data.mean, std: data.std, dataset: data.name });
    const device = this.options.device;
    this.loader = new Loader<Prepared>(data, {
      batchSize: this.options.batchSize / this.worldSize, seed: this.options.seed, device, shuffle: true, dropLast: true,
      shard: this.worldSize > 1 ? { numReplicas: this.worldSize, rank: this.rank } : undefined,
      // NOTE: the loader prepares batch k + 1 before step k runs, so the
      // generator's state at checkpoint time is already past batch k + 1's
      // draws. Each batch therefore carries the state right after its own
      // draws: the checkpoint after step k stores batch k's, exactly where a
      // resumed run must start drawing.
      transform: (images, batch) => {
        const views = this.augmentation.forward(toFloatImages(images), this.generator);
        return { views, augState: this.generator.getState(), indices: batch.indices };
      },
    });
    this.stepsPerEpoch = this.loader.length;
    this.totalSteps = this.options.steps ?? this.options.epochs! * this.stepsPerEpoch; // resolveOptions sets one of them
    this.epochs = Math.ceil(this.totalSteps / this.stepsPerEpoch);
  }

  /**
   * Runs the training to its end (or until aborted) and resolves with a summary.
   * @example const { loss, interrupted } = await new Trainer(method, { data, steps: 100 }).fit();
   */
  async fit(): Promise<TrainResult> {
    if (this.fitted) throw new Error('Trainer.fit() was already called: build a new Trainer to train again');
    this.fitted = true;
    const run = this.begin();
    try {
      const start = { ...run.position };
      for (let epoch = start.epoch; run.step < this.totalSteps && !run.interrupted; epoch++) {
        for await (const item of this.loader.epoch(epoch, { startStep: epoch === start.epoch ? start.step : 0 })) {
          // The loader already points past this batch (its position only
          // moves when the next batch is handed out), so this is where a
          // checkpoint after this step resumes.
          run.position = this.loader.state();
          const place = this.place(run, epoch);
          const lossRead = this.options.device === 'cpu' || place.logNow;
          const reads = this.takeStep(run, item, place, lossRead);
          // Every rank logs the mean loss over ranks.
          if (run.dp !== undefined && lossRead) reads.loss = await run.dp.meanLoss(reads.loss);
          run.reporter.step(place, reads, lossRead);
          const epochDone = run.position.step === 0;
          if (epochDone || place.runDone) await this.endEpoch(run, place, epochDone);
          let stop = this.raw.signal?.aborted === true || run.sigint.requested;
          // A stop seen by any rank stops every rank after this step.
          if (run.dp !== undefined) stop = await run.dp.anyStop(stop);
          const periodic = this.options.checkpointEvery !== undefined && run.step % this.options.checkpointEvery === 0;
          if (periodic || epochDone || stop || place.runDone) await this.save(run);
          if (stop && !place.runDone) this.interrupt(run);
          if (run.interrupted || place.runDone) break;
        }
      }
      return await this.finish(run);
    } finally {
      this.release(run);
    }
  }

  /** The device, the optimizer, the step engine, a resumed state, the run folder and the reporter of a fit. */
  private begin(): Run {
    const o = this.options;
    const { channelsLast, graphMode } = this.speedSettings();
    this.method.to(o.device);
    if (channelsLast) this.method.to({ memoryFormat: 'channels_last' });
    const setup = setupOptimizer(this.method, {
      batchSize: o.batchSize, stepsPerEpoch: this.stepsPerEpoch, totalSteps: this.totalSteps,
      overrides: this.raw.optimizer, lr: this.raw.lr, capturable: graphMode !== undefined, fused: o.device !== 'cpu',
    });
    if (setup.warmupCutFrom !== undefined && this.rank === 0 && o.progress !== 'none') {
      o.stream.write(`warning: the recipe's warm-up of ${setup.warmupCutFrom} steps (${setup.recipe.warmupEpochs} epochs) ` +
        `is not shorter than the run (${this.totalSteps} steps): cut to ${setup.warmupSteps} steps, a tenth of the run, ` +
        'so the learning rate reaches its peak (set --config optimizer.warmupEpochs to choose)\n');
    }
    const clipGrad = o.clipGrad ?? setup.recipe.clipGrad;
    const dp = this.worldSize === 1 ? undefined
      : new DataParallel(this.method, setup.optimizer.paramGroups.flatMap((g) => g.params), o.distributed);
    const writer = this.rank === 0;
    // NOTE: each rank draws its own augmentations and step randomness (seed + rank, as MAE's code);
    // the data order (the loader's seed) is shared, and the weights start as rank 0's.
    torch.manualSeed(o.seed + this.rank);
    this.generator.manualSeed(o.seed + this.rank);
    const parts: RunParts = {
      method: this.method, optimizer: setup.optimizer, generator: this.generator, gpu: cudaIndex(o.device),
      schedulers: { lr: setup.lrScheduler, wd: setup.wdScheduler },
    };
    const resumedFrom = o.resume === undefined ? undefined : findCheckpoint(o.resume);
    const at = resumedFrom === undefined ? { step: 0, loader: { epoch: 0, step: 0 }, elapsed: 0 }
      : restoreRunState(resumedFrom, parts, o.device, { rank: this.rank, worldSize: this.worldSize });
    const out = writer ? o.out : undefined;
    const log = new MetricsLog(out === undefined ? undefined : path.join(out, 'metrics.jsonl'));
    let history: LogRecord[] = [];
    if (out !== undefined) {
      checkRunFolder(out, resumedFrom !== undefined);
      fs.mkdirSync(out, { recursive: true });
      if (resumedFrom !== undefined) history = log.truncate(at.step);
      writeConfig(out, { ...this.configRecord(setup, clipGrad), resumedFrom: resumedFrom?.json ?? null });
    }
    const reporter = new Reporter({
      method: this.method.name, epochs: this.epochs, stepsPerEpoch: this.stepsPerEpoch, totalSteps: this.totalSteps,
      batchSize: o.batchSize, progress: o.progress, stream: o.stream, out, onLog: writer ? this.raw.onLog : undefined,
      elapsedBefore: at.elapsed, history, log,
    });
    const engine = new StepEngine(this.method, {
      optimizer: setup.optimizer, device: o.device, bf16: o.precision === 'bfloat16', clipGrad, channelsLast,
      graph: graphMode === undefined ? undefined : { mode: graphMode }, gradSync: dp?.gradSync,
    });
    // The online k-NN is sharded across the ranks (each encodes its share of
    // the subsets; every rank gets the same accuracy), so every rank runs it.
    const monitor = o.monitor === undefined ? undefined : new KnnMonitor(o.monitor, {
      seed: o.seed, device: o.device, mean: this.raw.data.mean, std: this.raw.data.std, sharded: this.worldSize > 1,
    });
    // knn.png's floors on the monitor's subsets; the encoder before its first
    // step is the random-encoder floor (not known any more on resume).
    if (monitor !== undefined && o.out !== undefined) {
      const floors = monitor.floors(resumedFrom === undefined ? this.method.encoder : undefined);
      if (out !== undefined) reporter.run.floors = floors;
    }
    const sigint = new SigintHandler(() => reporter.message('Stopping after this step (Ctrl-C again to quit at once)'));
    if (o.handleSigint) sigint.install();
    return {
      engine, setup, parts, clipGrad, reporter, monitor, sigint, step: at.step, startStep: at.step, position: at.loader,
      interrupted: false, fitStart: Date.now(), dp, writer,
    };
  }

  /** Where the step about to be taken stands. */
  private place(run: Run, epoch: number): StepPlace {
    const step = run.step + 1;
    const epochDone = run.position.step === 0;
    const runDone = step >= this.totalSteps;
    return {
      step, epoch, stepInEpoch: epochDone ? this.stepsPerEpoch - 1 : run.position.step - 1, runDone,
      logNow: step % this.options.logEvery === 0 || runDone || epochDone,
      lr: run.setup.lrScheduler.value, wd: run.setup.wdScheduler?.value ?? run.setup.recipe.weightDecay,
    };
  }

  /** One step through the engine (in a memory scope), then the schedulers; the batch is freed. */
  private takeStep(run: Run, item: Prepared, place: StepPlace, readLoss: boolean): StepReads {
    const p: TrainProgress = { step: run.step, totalSteps: this.totalSteps, epoch: place.epoch, stepsPerEpoch: this.stepsPerEpoch,
      indices: item.indices };
    try {
      const reads = torch.scope(() => run.engine.step(item.views, p, { readLoss, readLogs: place.logNow, lr: place.lr }));
      run.setup.lrScheduler.step();
      run.setup.wdScheduler?.step();
      run.step++;
      return reads;
    } finally {
      disposeBatch(item.views);
      item.indices.dispose();
      run.augState?.dispose();
      run.augState = item.augState;
    }
  }

  /** The epoch record, the online k-NN (every `everyEpochs`, and when the run ends mid-epoch) and the plots. */
  private async endEpoch(run: Run, place: StepPlace, epochDone: boolean): Promise<void> {
    await run.reporter.epochEnd(place, epochDone);
    const m = run.monitor;
    if (m !== undefined && ((epochDone && (place.epoch + 1) % m.options.everyEpochs === 0) || place.runDone)) {
      run.reporter.knn(place, m.evaluate(this.method.encoder), m.subsetSizes);
    }
    await run.reporter.plots();
    run.reporter.restartWindow();
  }

  /**
   * A checkpoint into the run folder (none without one). In a data-parallel
   * run every rank hands its generators to rank 0, which writes it alone.
   */
  private async save(run: Run): Promise<void> {
    const out = this.options.out;
    if (out === undefined || run.augState === undefined) return;
    const ranks = run.dp === undefined ? undefined : await run.dp.generators(run.augState);
    if (!run.writer) return;
    run.checkpoint = saveRunState(path.join(out, 'checkpoints'), run.parts,
      { step: run.step, loader: run.position, elapsed: run.reporter.elapsed() }, run.augState, 2, ranks);
    // Checkpoint time is not training speed.
    run.reporter.restartWindow();
  }

  /** Stops the run after this step, saying where its state went. */
  private interrupt(run: Run): void {
    run.interrupted = true;
    const where = run.checkpoint === undefined ? 'no run folder (out) was given, so nothing was saved'
      : `checkpoint saved to ${run.checkpoint.json}; resume from ${this.options.out}`;
    if (run.sigint.requested) {
      run.reporter.progress.endLine();
      this.options.stream.write(`Interrupted: ${where}\n`);
    } else {
      run.reporter.message(`Interrupted: ${where}`);
    }
  }

  /** The encoder's weights (a completed run) or the plots (an interrupted one), and the summary. */
  private async finish(run: Run): Promise<TrainResult> {
    const o = this.options;
    run.reporter.progress.endLine();
    let encoderPath: string | undefined;
    if (o.out !== undefined && run.interrupted) {
      await run.reporter.plots();
    } else if (o.out !== undefined && run.writer) {
      encoderPath = path.join(o.out, 'encoder.safetensors');
      saveSafetensors(encoderPath, this.method.encoder.stateDict(), { format: 'pt', method: this.method.name });
    }
    const seconds = (Date.now() - run.fitStart) / 1000;
    return {
      method: this.method.name, steps: run.step, totalSteps: this.totalSteps, epochs: run.step / this.stepsPerEpoch,
      interrupted: run.interrupted, loss: run.reporter.lastLoss,
      knn: run.reporter.history.filter((r): r is KnnRecord => r.type === 'knn'), seconds,
      imagesPerSecond: ((run.step - run.startStep) * o.batchSize) / Math.max(seconds, 1e-9),
      out: o.out, checkpoint: run.checkpoint?.json, encoder: encoderPath,
    };
  }

  /**
   * Frees what the run allocated: the graph, the gradients, the optimizer's
   * state and the monitor's subsets (device memory, not left to the
   * collector); the method's weights stay.
   */
  private release(run: Run): void {
    run.sigint.remove();
    run.augState?.dispose();
    run.augState = undefined;
    run.engine.dispose();
    run.monitor?.dispose();
    run.dp?.dispose();
  }

  /**
   * The options of a data-parallel rank: the global batch must split evenly,
   * 'cuda' means this rank's GPU (LOCAL_RANK), and ranks other than 0 print nothing.
   */
  private dataParallelOptions(o: ResolvedOptions): ResolvedOptions {
    if (o.batchSize % this.worldSize !== 0) {
      throw new RangeError(`batchSize ${o.batchSize} (the global batch) does not split evenly among ${this.worldSize} ranks: ` +
        `use a multiple of ${this.worldSize}`);
    }
    const device = o.device === 'cuda' ? `cuda:${torch.distributed.localRank()}` as torch.Device : o.device;
    return this.rank === 0 ? { ...o, device } : { ...o, device, progress: 'none', stream: SILENT };
  }

  /** Channels-last and the CUDA-graph mode that the options and the method give. */
  private speedSettings(): { channelsLast: boolean; graphMode?: 'cuda' | 'rehearse' } {
    const o = this.options;
    const onCuda = o.device !== 'cpu';
    const channelsLast = o.channelsLast === 'auto' ? autoChannelsLast(this.method.encoder, o.device) : o.channelsLast;
    if ((o.cudaGraph === true || o.cudaGraph === 'rehearse') && !this.method.capturable) {
      throw new Error(`cudaGraph: ${JSON.stringify(o.cudaGraph)} needs a capturable method, and '${this.method.name}' is ` +
        'not (Method.capturable is false): train it with cudaGraph false');
    }
    if (this.worldSize > 1 && (o.cudaGraph === true || o.cudaGraph === 'rehearse')) {
      throw new Error(`cudaGraph: ${JSON.stringify(o.cudaGraph)} cannot be used in a data-parallel run (${this.worldSize} ranks): ` +
        'its collectives block on the host; use cudaGraph \'auto\' or false');
    }
    const graph = o.cudaGraph === 'rehearse' || o.cudaGraph === true ||
      (o.cudaGraph === 'auto' && onCuda && this.method.capturable && this.worldSize === 1);
    return { channelsLast, graphMode: !graph ? undefined : o.cudaGraph === 'rehearse' ? 'rehearse' : 'cuda' };
  }

  /** What config.json records about the run (besides versions). */
  private configRecord(setup: OptimizerSetup, clipGrad: number | undefined): Record<string, unknown> {
    const o = this.options;
    const data = this.raw.data;
    const m = o.monitor;
    return {
      method: this.method.name,
      methodConfig: this.method.config(),
      trainer: {
        epochs: o.epochs ?? null, steps: o.steps ?? null, totalSteps: this.totalSteps, stepsPerEpoch: this.stepsPerEpoch,
        batchSize: o.batchSize, device: o.device, seed: o.seed, precision: o.precision, clipGrad: clipGrad ?? null,
        checkpointEvery: o.checkpointEvery ?? null, logEvery: o.logEvery, optimizer: setup.recipe, peakLr: setup.peakLr,
        warmupSteps: setup.warmupSteps,
        ...(this.worldSize === 1 ? {} : { distributed: {
          worldSize: this.worldSize, batchPerRank: o.batchSize / this.worldSize, backend: torch.distributed.getBackend(),
          ...o.distributed,
        } }),
        monitor: m === undefined ? null : {
          train: m.train.name, test: m.test.name, everyEpochs: m.everyEpochs, trainSubset: m.trainSubset,
          testSubset: m.testSubset, k: m.k,
        },
      },
      data: { name: data.name, length: data.images.shape[0], shape: data.images.shape.slice(1), mean: data.mean, std: data.std },
      config: this.options.config,
    };
  }
}
