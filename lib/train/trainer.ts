// The training loop: a method, a dataset and options in; a trained method, a
// run folder (config, metrics, checkpoints, plots, encoder weights) out.
import * as fs from 'fs';
import * as path from 'path';
import * as torch from '../torch';
import { Tensor } from '../torch';
import { Loader, disposeBatch } from '../data/loader';
import { toFloatImages } from '../data/transforms/normalize';
import { MultiView } from '../data/transforms/multi-crop';
import { Method, TrainProgress } from '../ssl/method';
import { VisionTransformer } from '../models/vit';
import { saveSafetensors } from '../torch/safetensors';
import { LogRecord, KnnRecord, StepRecord, ResolvedOptions, TrainerOptions, resolveOptions } from './options';
import { OptimizerSetup, setupOptimizer } from './optimizer-setup';
import { StepSettings, StepTensors, optimizationStep, prepareStep } from './optimization-step';
import { GraphedStep } from './graphed-step';
import {
  CheckpointFiles, findCheckpoint, fromBase64, pruneCheckpoints, readCheckpoint, restoreCheckpoint, saveCheckpoint, toBase64,
} from './checkpoint';
import { MetricsLog } from './metrics-log';
import { Progress } from './progress';
import { checkRunFolder, writeConfig, writePlots } from './run-folder';
import { SigintHandler } from './interrupt';
import { KnnMonitor } from './monitor';

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

/** One view batch and the augmentation generator's state after drawing it. */
interface Prepared { views: Tensor[]; augState: Tensor }

/** A step's host-side results. */
interface StepResult { loss: number; embStd: number | null; logs?: Record<string, number> }

/** What a step reads back to the host, and what the NaN message names. */
interface StepRead { p: TrainProgress; lr: number; readLoss: boolean; logNow: boolean }

/** The loss on the host; throws with advice when it is not finite. */
function checkLoss(t: Tensor, { p, lr }: StepRead): number {
  const loss = Number(t.item());
  if (!Number.isFinite(loss)) {
    throw new Error(`Loss is ${loss} at step ${p.step} (epoch ${p.epoch}): training diverged. Lower the learning ` +
      `rate (--lr, now ${lr.toPrecision(3)}), check the input normalisation (mean/std of the ` +
      'data), or enable gradient clipping (--clip-grad 3)');
  }
  return loss;
}

/** The CUDA device index of 'cuda' / 'cuda:N'; undefined for the CPU. */
function cudaIndex(device: string): number | undefined {
  if (device === 'cpu') return undefined;
  const n = Number(device.split(':')[1] ?? 0);
  return Number.isInteger(n) ? n : 0;
}

function readScalar(t: Tensor | undefined): number | null {
  return t === undefined ? null : Number(t.item());
}

function readLogs(logs: StepTensors['logs']): Record<string, number> | undefined {
  if (logs === undefined) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(logs)) out[k] = typeof v === 'number' ? v : Number(v.detach().float().item());
  return out;
}

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
  private readonly generator = new torch.Generator();
  private fitted = false;

  constructor(readonly method: Method, private readonly raw: TrainerOptions) {
    if (method === null || typeof method !== 'object' || typeof method.trainingStep !== 'function') {
      throw new TypeError(`Expected a Method (SimCLR, BYOL, DINO, MAE) for Trainer but received ${String(method)}`);
    }
    this.options = resolveOptions(raw);
    const { data } = raw;
    const [, channels, size] = data.images.shape;
    this.augmentation = raw.augmentation ?? method.augmentation({ size, channels, mean: data.mean, std: data.std });
    const device = this.options.device;
    this.loader = new Loader<Prepared>(data, {
      batchSize: this.options.batchSize, seed: this.options.seed, device, shuffle: true, dropLast: true,
      // NOTE: the loader prepares batch k + 1 before step k runs, so the
      // generator's state at checkpoint time is already past batch k + 1's
      // draws. Each batch therefore carries the state right after its own
      // draws: the checkpoint after step k stores batch k's, exactly where a
      // resumed run must start drawing.
      transform: (images) => {
        const views = this.augmentation.forward(toFloatImages(images), this.generator);
        return { views, augState: this.generator.getState() };
      },
    });
    this.stepsPerEpoch = this.loader.length;
    this.totalSteps = this.options.steps ?? (this.options.epochs ?? 1) * this.stepsPerEpoch;
    this.epochs = Math.ceil(this.totalSteps / this.stepsPerEpoch);
  }

  /**
   * Runs the training to its end (or until aborted) and resolves with a summary.
   * @example const { loss, interrupted } = await new Trainer(method, { data, steps: 100 }).fit();
   */
  async fit(): Promise<TrainResult> {
    if (this.fitted) throw new Error('Trainer.fit() was already called: build a new Trainer to train again');
    this.fitted = true;
    const o = this.options;
    const method = this.method;
    const { channelsLast, graphMode } = this.speedSettings();
    const gpu = cudaIndex(o.device);
    method.to(o.device);
    if (channelsLast) method.to({ memoryFormat: 'channels_last' });
    const setup = setupOptimizer(method, {
      batchSize: o.batchSize, stepsPerEpoch: this.stepsPerEpoch, totalSteps: this.totalSteps,
      overrides: this.raw.optimizer, lr: this.raw.lr, capturable: graphMode !== undefined, fused: o.device !== 'cpu',
    });
    const clipGrad = o.clipGrad ?? setup.recipe.clipGrad;
    torch.manualSeed(o.seed);
    this.generator.manualSeed(o.seed);
    let step = 0;
    let elapsedBefore = 0;
    let position = { epoch: 0, step: 0 };
    let resumedFrom: CheckpointFiles | undefined;
    if (o.resume !== undefined) {
      resumedFrom = findCheckpoint(o.resume);
      const ck = readCheckpoint(resumedFrom, o.device);
      try {
        restoreCheckpoint(method, setup.optimizer, ck, resumedFrom.json);
      } finally {
        for (const t of ck.tensors.values()) t.dispose();
      }
      // NOTE: the global CPU generator is restored (methods may draw from it:
      // dropout, MAE's masks on CPU), and on CUDA the GPU's default generator
      // (MAE's masks there; a captured step draws from it too).
      torch.scope(() => {
        torch.setRngState(fromBase64(ck.state.rngState));
        this.generator.setState(fromBase64(ck.state.augmentationState));
        if (gpu !== undefined && ck.state.cudaRngState !== undefined) torch.cuda.setRngState(fromBase64(ck.state.cudaRngState), gpu);
      });
      setup.lrScheduler.loadStateDict({ lastStep: ck.state.schedulers.lr });
      setup.wdScheduler?.loadStateDict({ lastStep: ck.state.schedulers.wd ?? ck.state.schedulers.lr });
      step = ck.state.step;
      elapsedBefore = ck.state.elapsed;
      position = ck.state.loader;
    }
    const log = new MetricsLog(o.out === undefined ? undefined : path.join(o.out, 'metrics.jsonl'));
    let history: LogRecord[] = [];
    if (o.out !== undefined) {
      checkRunFolder(o.out, resumedFrom !== undefined);
      fs.mkdirSync(o.out, { recursive: true });
      if (resumedFrom !== undefined) history = log.truncate(step);
      writeConfig(o.out, { ...this.configRecord(setup, clipGrad), resumedFrom: resumedFrom?.json ?? null });
    }
    const progress = new Progress(o.progress, o.stream, { epochs: this.epochs, stepsPerEpoch: this.stepsPerEpoch });
    const monitor = o.monitor === undefined ? undefined : new KnnMonitor(o.monitor, {
      seed: o.seed, device: o.device, mean: this.raw.data.mean, std: this.raw.data.std,
    });
    const sigint = new SigintHandler(() => progress.message('Stopping after this step (Ctrl-C again to quit at once)'));
    if (o.handleSigint) sigint.install();
    const params = setup.optimizer.paramGroups.flatMap((g) => g.params);
    const settings: StepSettings = {
      optimizer: setup.optimizer, bf16: o.precision === 'bfloat16', deviceType: o.device === 'cpu' ? 'cpu' : 'cuda',
      clipGrad, params, embStd: true,
    };
    // The graphed body reads the progress of the step being taken (warm-up
    // steps run it eagerly; a replay runs what the capture step recorded).
    let current: TrainProgress = { step, totalSteps: this.totalSteps, epoch: 0, stepsPerEpoch: this.stepsPerEpoch };
    let numberLogs: Record<string, number> | undefined;
    const graphed = graphMode === undefined ? undefined : new GraphedStep((views) => {
      const r = optimizationStep(method, views, current, settings);
      numberLogs = undefined;
      const out: Record<string, Tensor> = { loss: r.loss };
      if (r.embStd !== undefined) out.embStd = r.embStd;
      for (const [k, v] of Object.entries(r.logs ?? {})) {
        if (typeof v === 'number') (numberLogs ??= {})[k] = v;
        else out[`log.${k}`] = v.detach().float();
      }
      return out;
    }, { mode: graphMode });
    const plotInfo = { method: method.name, stepsPerEpoch: this.stepsPerEpoch };
    const fitStart = Date.now();
    const startStep = step;
    let windowStart = Date.now();
    let windowSteps = 0;
    let lastLoss: number | null = null;
    let lastCheckpoint: CheckpointFiles | undefined;
    let interrupted = false;
    let augState: Tensor | undefined;
    const emit = (record: LogRecord): void => {
      history.push(record);
      log.append(record);
      this.raw.onLog?.(record);
    };
    const now = (): number => elapsedBefore + (Date.now() - fitStart) / 1000;
    const saveNow = (): void => {
      if (o.out === undefined || augState === undefined) return;
      const dir = path.join(o.out, 'checkpoints');
      lastCheckpoint = torch.scope(() => saveCheckpoint(dir, method, setup.optimizer, {
        step, epoch: position.epoch, loader: position, rngState: toBase64(torch.getRngState()),
        cudaRngState: gpu === undefined ? undefined : toBase64(torch.cuda.getRngState(gpu)),
        augmentationState: toBase64(augState!),
        schedulers: { lr: setup.lrScheduler.lastStep, wd: setup.wdScheduler?.lastStep }, elapsed: now(),
      }));
      pruneCheckpoints(dir, 2);
    };
    try {
      let epochLosses: number[] = [];
      let epochStart = Date.now();
      const resumeAt = { ...position };
      outer: for (let epoch = resumeAt.epoch; step < this.totalSteps; epoch++) {
        const first = epoch === resumeAt.epoch ? resumeAt.step : 0;
        for await (const item of this.loader.epoch(epoch, { startStep: first })) {
          // The loader already points past this batch (its position only
          // moves when the next batch is handed out), so this is where a
          // checkpoint after this step resumes.
          position = this.loader.state();
          const epochDone = position.step === 0;
          const stepInEpoch = epochDone ? this.stepsPerEpoch - 1 : position.step - 1;
          const runDone = step + 1 >= this.totalSteps;
          const p: TrainProgress = { step, totalSteps: this.totalSteps, epoch, stepsPerEpoch: this.stepsPerEpoch };
          const logNow = (step + 1) % o.logEvery === 0 || runDone || epochDone;
          const readLoss = o.device === 'cpu' || logNow;
          const lr = setup.lrScheduler.value;
          const wd = setup.wdScheduler?.value ?? setup.recipe.weightDecay;
          let result: StepResult;
          try {
            if (graphed !== undefined) prepareStep(method, setup.optimizer, p);
            current = p;
            result = torch.scope(() => {
              // NOTE: inside the scope, so the channels-last copies are freed with the step.
              const views = channelsLast ? item.views.map((v) => (v.dim() === 4 ? v.contiguous('channels_last') : v)) : item.views;
              const read: StepRead = { p, lr, readLoss, logNow };
              return graphed === undefined ? this.eagerStep(views, settings, read) : this.readStep(graphed.run(views), numberLogs, read);
            });
            setup.lrScheduler.step();
            setup.wdScheduler?.step();
          } finally {
            disposeBatch(item.views);
            augState?.dispose();
            augState = item.augState;
          }
          step++;
          windowSteps++;
          if (readLoss) {
            lastLoss = result.loss;
            epochLosses.push(result.loss);
          }
          if (logNow) {
            const seconds = (Date.now() - windowStart) / 1000;
            const record: StepRecord = {
              type: 'step', step: step - 1, epoch, loss: result.loss, lr, wd,
              imgPerSec: (windowSteps * o.batchSize) / Math.max(seconds, 1e-9), embStd: result.embStd, time: now(),
              eta: ((this.totalSteps - step) * seconds) / windowSteps,
            };
            if (result.logs !== undefined) record.logs = result.logs;
            emit(record);
            progress.step(record, stepInEpoch, runDone);
            windowStart = Date.now();
            windowSteps = 0;
          }
          if (epochDone || runDone) {
            progress.endLine();
            if (epochDone) {
              const loss = epochLosses.reduce((a, b) => a + b, 0) / Math.max(1, epochLosses.length);
              const seconds = (Date.now() - epochStart) / 1000;
              emit({ type: 'epoch', step, epoch, loss, seconds, time: now() });
            }
            // The monitor also runs when a step budget ends mid-epoch, so every run ends with a k-NN result.
            if (monitor !== undefined && ((epochDone && (epoch + 1) % monitor.options.everyEpochs === 0) || runDone)) {
              const top1 = monitor.evaluate(method.encoder);
              emit({ type: 'knn', step, epoch, top1, time: now() });
              progress.message(`k-NN top-1 at step ${step} (epoch ${epoch + 1}): ${Object.entries(top1)
                .map(([k, v]) => `(k=${k}) ${(100 * v).toFixed(2)}%`).join(' ')}`);
            }
            if (o.out !== undefined) await writePlots(o.out, history, plotInfo);
            epochLosses = [];
            epochStart = Date.now();
          }
          const stop = this.raw.signal?.aborted === true || sigint.requested;
          const periodic = o.checkpointEvery !== undefined && step % o.checkpointEvery === 0;
          if (periodic || epochDone || stop || runDone) {
            saveNow();
            // Checkpoint time is not training speed.
            windowStart = Date.now();
            windowSteps = 0;
          }
          if (stop && step < this.totalSteps) {
            interrupted = true;
            const where = lastCheckpoint === undefined ? 'no run folder (out) was given, so nothing was saved'
              : `checkpoint saved to ${lastCheckpoint.json}; resume from ${o.out}`;
            const text = `Interrupted: ${where}`;
            if (sigint.requested) {
              progress.endLine();
              o.stream.write(`${text}\n`);
            } else {
              progress.message(text);
            }
            break outer;
          }
          if (runDone) break outer;
        }
      }
      progress.endLine();
      let encoderPath: string | undefined;
      if (o.out !== undefined && interrupted) {
        await writePlots(o.out, history, plotInfo);
      } else if (o.out !== undefined) {
        encoderPath = path.join(o.out, 'encoder.safetensors');
        saveSafetensors(encoderPath, method.encoder.stateDict(), { format: 'pt', method: method.name });
      }
      const seconds = (Date.now() - fitStart) / 1000;
      return {
        method: method.name, steps: step, totalSteps: this.totalSteps, epochs: step / this.stepsPerEpoch, interrupted,
        loss: lastLoss, knn: history.filter((r): r is KnnRecord => r.type === 'knn'), seconds,
        imagesPerSecond: ((step - startStep) * o.batchSize) / Math.max(seconds, 1e-9),
        out: o.out, checkpoint: lastCheckpoint?.json, encoder: encoderPath,
      };
    } finally {
      sigint.remove();
      augState?.dispose();
      // The gradients and the optimizer's state are freed now rather than
      // when the collector finds them (device memory); the weights stay.
      graphed?.dispose();
      setup.optimizer.zeroGrad();
      setup.optimizer.dispose();
      monitor?.dispose();
    }
  }

  /** Channels-last and the CUDA-graph mode that the options and the method give. */
  private speedSettings(): { channelsLast: boolean; graphMode?: 'cuda' | 'rehearse' } {
    const o = this.options;
    const onCuda = o.device !== 'cpu';
    const channelsLast = o.channelsLast === 'auto' ? onCuda && !(this.method.encoder instanceof VisionTransformer) : o.channelsLast;
    if ((o.cudaGraph === true || o.cudaGraph === 'rehearse') && !this.method.capturable) {
      throw new Error(`cudaGraph: ${JSON.stringify(o.cudaGraph)} needs a capturable method, and '${this.method.name}' is ` +
        'not (Method.capturable is false): train it with cudaGraph false');
    }
    const graph = o.cudaGraph === 'rehearse' || o.cudaGraph === true || (o.cudaGraph === 'auto' && onCuda && this.method.capturable);
    return { channelsLast, graphMode: !graph ? undefined : o.cudaGraph === 'rehearse' ? 'rehearse' : 'cuda' };
  }

  /** One eager step (inside the caller's scope); reads to the host only what is asked, the loss before backward. */
  private eagerStep(views: Tensor[], settings: StepSettings, read: StepRead): StepResult {
    const { p, readLoss, logNow } = read;
    let loss = NaN;
    const r = optimizationStep(this.method, views, p, { ...settings, embStd: logNow }, (out) => {
      if (readLoss) loss = checkLoss(out.loss, read);
    });
    return { loss, embStd: logNow ? readScalar(r.embStd) : null, logs: logNow ? readLogs(r.logs) : undefined };
  }

  /** The host results of a graphed step: its static outputs, read after the step (the loss check comes after the update). */
  private readStep(out: Record<string, Tensor>, numberLogs: Record<string, number> | undefined, read: StepRead): StepResult {
    const loss = read.readLoss ? checkLoss(out.loss, read) : NaN;
    if (!read.logNow) return { loss, embStd: null };
    let logs: Record<string, number> | undefined = numberLogs === undefined ? undefined : { ...numberLogs };
    for (const [k, v] of Object.entries(out)) if (k.startsWith('log.')) (logs ??= {})[k.slice(4)] = Number(v.item());
    return { loss, embStd: readScalar(out.embStd), logs };
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
        monitor: m === undefined ? null : {
          train: m.train.name, test: m.test.name, everyEpochs: m.everyEpochs, trainSubset: m.trainSubset,
          testSubset: m.testSubset, k: m.k,
        },
      },
      data: { name: data.name, length: data.images.shape[0], shape: data.images.shape.slice(1), mean: data.mean, std: data.std },
      config: this.raw.config ?? {},
    };
  }
}
