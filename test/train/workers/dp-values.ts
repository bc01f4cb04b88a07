// One rank of the data-parallel values test (data-parallel-values.test.ts):
// a method whose loss is w . [mean of this rank's dataset indices, 1], so the
// logged loss (the mean over ranks) and the weights after each step (the
// gradients averaged by the Reducer) follow in closed form from the indices
// each rank reports. Three fits in one process group: A (defaults, a run
// folder, the k-NN monitor), B (no folder, syncBatchNorm off,
// findUnusedParameters on with an unused parameter, stopped by rank 1), the
// refusals, then C (an unused parameter without findUnusedParameters: the
// Reducer's error). Prints one JSON report.
import * as torch from '../../../lib/torch';
import { Tensor } from '../../../lib/torch';
import { Trainer } from '../../../lib/train/trainer';
import { LogRecord, TrainerOptions } from '../../../lib/train/options';
import { toBase64 } from '../../../lib/train/checkpoint';
import { DataParallel, isDataParallel } from '../../../lib/train/data-parallel';
import { synthetic } from '../../../lib/data/synthetic';
import { Method, ImageSpec, OptimizerRecipe, StepOutput, TrainProgress } from '../../../lib/ssl/method';
import { MultiView } from '../../../lib/data/transforms/multi-crop';
import { ParamGroup } from '../../../lib/optim/optimizer';
import { EvalCountingCnn } from '../dist-run';
import { messageOf } from '../../helpers/refuses';

const rank = Number(process.env.RANK);

/** loss = w . [mean index, 1]; one draw of the global generator per step. */
class IndexLoss extends Method {
  readonly name = 'simclr' as const;
  readonly encoder: EvalCountingCnn;
  readonly w: Tensor;
  readonly b: Tensor;
  readonly unused: Tensor | undefined;
  /** This rank's own loss at each step (before the mean over ranks). */
  readonly own: number[] = [];
  readonly recipe: OptimizerRecipe;
  /** Each step's dataset indices (this rank's share). */
  readonly indices: number[][] = [];

  constructor(opts: { unused?: boolean; warmupEpochs?: number; stopAt?: () => void } = {}) {
    super();
    torch.manualSeed(0);
    this.encoder = this.registerModule('encoder', new EvalCountingCnn({ inChannels: 1, width: 2 }));
    // Rank 1 starts elsewhere: the broadcast from rank 0 must overwrite its weights and buffers.
    this.w = this.registerParameter('w', torch.tensor(rank === 0 ? [0.1, -0.2] : [7, 7]).requiresGrad_(true));
    this.b = this.registerBuffer('b', torch.tensor([rank + 5]));
    this.unused = opts.unused === true ? this.registerParameter('unused', torch.zeros([2]).requiresGrad_(true)) : undefined;
    this.recipe = { optimizer: 'sgd', lr: 0.256, lrScaling: 'linear', momentum: 0, weightDecay: 0, warmupEpochs: opts.warmupEpochs ?? 0,
      finalLrRatio: 1 };
    this.stopAt = opts.stopAt;
  }

  private readonly stopAt: (() => void) | undefined;

  augmentation(_spec: ImageSpec): MultiView {
    // One draw of the augmentation generator per batch: the checkpoint's augmentation states count them.
    return { numViews: 1, groups: [{ size: null, views: [0] }], forward: (x: Tensor, g) => {
      torch.rand([1], { generator: g }).dispose();
      return [x];
    } };
  }

  trainingStep(_v: Tensor[], progress: TrainProgress): StepOutput {
    const idx = [...(progress.indices as Tensor).toTypedArray()].map(Number);
    this.indices.push(idx);
    torch.rand([1]); // the global generator moves once per step
    const mean = idx.reduce((s, i) => s + i, 0) / idx.length;
    const loss = this.w.mul(torch.tensor([mean, 1])).sum();
    this.own.push(Number(loss.item()));
    return { loss };
  }

  override afterOptimizerStep(): void {
    this.stopAt?.();
  }

  override parameterGroups(weightDecay: number): ParamGroup[] {
    return [{ params: this.unused === undefined ? [this.w] : [this.w, this.unused], weightDecay }];
  }

  override config(): Record<string, unknown> {
    return { loss: 'index' };
  }
}

/** A stream that keeps what is written. */
function stream(): { write: (s: string) => boolean; text: string } {
  const s = { text: '', write: (t: string): boolean => { s.text += t; return true; } };
  return s;
}

/** The states the generators reach: seeded with `seed`, then `draws` draws of one number. */
function states(seed: number, draws: number): { rngState: string; augmentationState: string } {
  torch.manualSeed(seed);
  const g = new torch.Generator().manualSeed(seed);
  for (let i = 0; i < draws; i++) {
    torch.rand([1]).dispose();
    torch.rand([1], { generator: g }).dispose();
  }
  return torch.scope(() => ({ rngState: toBase64(torch.getRngState()), augmentationState: toBase64(g.getState()) }));
}

async function main(): Promise<void> {
  // Rank 1 is given a folder of its own, which must stay unwritten (rank 0 alone writes the run folder).
  const out = rank === 0 ? process.argv[2] : `${process.argv[2]}-rank1`;
  await torch.distributed.initProcessGroup({ backend: 'gloo', timeout: 20000 });
  const data = synthetic({ n: 26, channels: 1, size: 8, classes: 3, seed: 1 }); // 26: the loader drops the short last batch
  const base: TrainerOptions = { data, batchSize: 8, seed: 3, progress: 'none', handleSigint: false, logEvery: 1 };
  const report: Record<string, unknown> = { rank, world: torch.distributed.getWorldSize() };

  if (process.argv[3] === 'single') {
    // A group of one rank is not data-parallel: the Trainer trains as one process, DataParallel refuses.
    const t = new Trainer(new IndexLoss(), { ...base, steps: 1 });
    report.single = { dataParallel: isDataParallel(), worldSize: t.worldSize, rank: t.rank,
      refusal: await messageOf(() => new DataParallel(new IndexLoss(), [])) };
    report.done = true;
    process.stdout.write(`${JSON.stringify(report)}\n`);
    process.exit(0);
  }

  // A: defaults, a run folder written by rank 0, checkpoints every step, the sharded monitor.
  const a = new IndexLoss();
  const records: LogRecord[] = [];
  const test = synthetic({ n: 15, channels: 1, size: 8, classes: 3, seed: 2 });
  const live = torch.memory().tensors;
  const resultA = await new Trainer(a, { ...base, steps: 2, out, checkpointEvery: 1, onLog: (r) => records.push(r),
    monitor: { train: data, test, k: 3, trainSubset: 11, testSubset: 7 } }).fit();
  // Tensors fit() left behind (the collectives' and the Reducer's freed, not left to the finalizer).
  const left = torch.memory().tensors - live;
  report.a = {
    steps: resultA.steps, interrupted: resultA.interrupted, loss: resultA.loss, encoder: resultA.encoder !== undefined,
    indices: a.indices, own: a.own, w: [...a.w.toTypedArray()].map(Number), b: [...a.b.toTypedArray()].map(Number), records,
    norms: [...new Set([...a.modules()].map((m) => m.typeName).filter((t) => /Norm/.test(t)))],
    evalRows: a.encoder.evalRows, generators: { rngState: torch.scope(() => toBase64(torch.getRngState())) }, expected: states(3 + rank, 2),
    left,
  };

  // B: no folder, per-rank batch norm, an unused parameter allowed; rank 1 asks to stop after the first step.
  const abort = new AbortController();
  const b = new IndexLoss({ unused: true, warmupEpochs: 100, stopAt: () => { if (rank === 1) abort.abort(); } });
  const s = stream();
  const resultB = await new Trainer(b, { ...base, steps: 3, signal: abort.signal, progress: 'lines', stream: s,
    distributed: { syncBatchNorm: false, findUnusedParameters: true } }).fit();
  report.b = {
    steps: resultB.steps, interrupted: resultB.interrupted, text: s.text,
    norms: [...new Set([...b.modules()].map((m) => m.typeName).filter((t) => /Norm/.test(t)))],
  };

  // The refusals of a data-parallel run.
  report.refusals = [
    await messageOf(() => new DataParallel(new IndexLoss(), [], { syncBatchNorm: 'yes' as never })),
    await messageOf(() => new Trainer(new IndexLoss(), { ...base, steps: 1, batchSize: 7 })),
    await messageOf(() => new Trainer(Object.assign(new IndexLoss(), { capturable: true }), { ...base, steps: 1, cudaGraph: 'rehearse' })
      .fit()),
  ];

  // C: an unused parameter without findUnusedParameters: the Reducer stops the second step.
  const c = new IndexLoss({ unused: true });
  report.c = await messageOf(() => new Trainer(c, { ...base, steps: 2 }).fit());
  report.done = true;
  process.stdout.write(`${JSON.stringify(report)}\n`);
  process.exit(0);
}

main().catch((e: Error) => {
  process.stderr.write(`rank ${process.env.RANK}: ${e.stack}\n`);
  process.exit(1);
});
