// One CPU training step of each self-supervised method (SimCLR, BYOL, DINO,
// MAE) and one weighted k-NN evaluation, Node (this project's ssl methods,
// optimizers and k-NN) against Python torch on the same libtorch (the papers'
// and lightly's reference code, scripts/bench_ssl.py), in one run: median
// milliseconds per step, images per second and the ratio (Node speed /
// Python speed: above 1, Node is faster).
//
// A step is what the Trainer runs, inside one torch.scope: zeroGrad,
// trainingStep (forward and loss), backward, beforeOptimizerStep, gradient
// clipping (DINO), optimizer step, afterOptimizerStep (EMA teachers; DINO's
// centre is updated by its loss). Augmentation is left out: the views are
// fixed random tensors. Node and Python take turns round by round (each
// round starts with the side that went second in the last one), each round
// warms up before it times, and the median over all rounds is reported, so
// the machine's noise hurts neither side more than the other.
//
//   node dist/scripts/bench-ssl.js [--quick] [--only simclr,byol,dino,mae,knn]
//                                  [--threads n (default: selfsup's, every available core)] [--rounds 3] [--steps 2] [--warmup 1]
//
// The defaults take about 2.5 minutes on a 2-core VM; --quick (2 rounds of 1
// step) about a minute.
//
// Each side uses what its users get: lib/optim's multi-tensor LARS and AdamW
// and lib/ssl's multi-tensor EMA here; lightly's per-parameter LARS, 1.13's
// torch.optim.AdamW and main_dino.py's per-parameter EMA loop there.
import * as torch from '../lib/torch';
import { Tensor } from '../lib/torch';
import { SimCLR } from '../lib/ssl/simclr';
import { BYOL } from '../lib/ssl/byol';
import { DINO } from '../lib/ssl/dino';
import { MAE } from '../lib/ssl/mae';
import { Method, TrainProgress } from '../lib/ssl/method';
import { LARS } from '../lib/optim/lars';
import { AdamW } from '../lib/optim/adamw';
import { clipGradNorm_ } from '../lib/optim/clip';
import { knn } from '../lib/eval/knn';
import { normalize } from '../lib/nn/functional';
import { median, runPythonBench } from './bench-python';
import { defaultThreads } from '../lib/torch/threads';
import { Samples, timeSteps } from './step-samples';

/** ViT-T/4 (timm's vit_tiny_patch4_224 sizes), the DINO and MAE encoder at 28 px, 1 channel. */
const VIT = { patchSize: 4, embedDim: 192, depth: 12, numHeads: 3 };

/**
 * The workloads, one source for both sides (sent to bench_ssl.py as JSON).
 * Learning rates follow each paper's scaling rule for the batch size.
 */
const CONFIG = {
  simclr: {
    batch: 256, size: 28, width: 32, hiddenDim: 2048, outDim: 128, temperature: 0.5,
    lr: (0.3 * 256) / 256, weightDecay: 1e-6, momentum: 0.9,
  },
  byol: {
    batch: 128, size: 28, width: 32, hiddenDim: 4096, outDim: 256, emaMomentum: 0.99,
    lr: (0.2 * 128) / 256, weightDecay: 1.5e-6, momentum: 0.9,
  },
  dino: {
    batch: 32, globalSize: 28, localSize: 12, localCrops: 4, vit: VIT, outDim: 4096, hiddenDim: 2048,
    bottleneckDim: 256, teacherTemp: 0.04, studentTemp: 0.1, centerMomentum: 0.9, emaMomentum: 0.996,
    lr: (0.0005 * 32) / 256, weightDecay: 0.04, clipGrad: 3.0,
  },
  mae: {
    batch: 64, size: 28, vit: VIT, maskRatio: 0.75, decoderDim: 128, decoderDepth: 2, decoderHeads: 4,
    lr: (1.5e-4 * 64) / 256, betas: [0.9, 0.95] as [number, number], weightDecay: 0.05,
  },
  knn: { nTrain: 60000, nTest: 10000, dim: 128, k: 20, temperature: 0.07, numClasses: 10 },
};

type CaseName = keyof typeof CONFIG;
const NAMES = Object.keys(CONFIG) as CaseName[];

const LABELS: Record<CaseName, string> = {
  simclr: 'SimCLR small_cnn 28px b256 (LARS)',
  byol: 'BYOL small_cnn 28px b128 (LARS, EMA)',
  dino: 'DINO ViT-T/4 2x28px+4x12px b32 (AdamW, clip, EMA)',
  mae: 'MAE ViT-T/4 28px b64, decoder 2x128 (AdamW)',
  knn: 'k-NN k=20, 10k test x 60k train x 128-d',
};

/** Images a step handles (test images for k-NN), for images per second. */
const IMAGES: Record<CaseName, number> = {
  simclr: CONFIG.simclr.batch, byol: CONFIG.byol.batch, dino: CONFIG.dino.batch, mae: CONFIG.mae.batch,
  knn: CONFIG.knn.nTest,
};

interface Options { threads: number; rounds: number; steps: number; warmup: number; only: CaseName[] }

function parseOptions(argv: readonly string[]): Options {
  const o: Options = { threads: defaultThreads().count, rounds: 3, steps: 2, warmup: 1, only: [...NAMES] };
  const count = (flag: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) {
      throw new RangeError(`Expected an integer >= ${min} for ${flag} but received ${value}`);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--quick') {
      o.rounds = 2;
      o.steps = 1;
    } else if (flag === '--only') {
      const names = (argv[++i] ?? '').split(',').filter((s) => s !== '');
      const bad = names.filter((n) => !(NAMES as string[]).includes(n));
      if (names.length === 0 || bad.length > 0) {
        throw new RangeError(`Expected --only with some of ${NAMES.join(',')} but received '${argv[i] ?? ''}'`);
      }
      o.only = NAMES.filter((n) => names.includes(n));
    } else if (flag === '--threads') o.threads = count(flag, argv[++i], 1);
    else if (flag === '--rounds') o.rounds = count(flag, argv[++i], 1);
    else if (flag === '--steps') o.steps = count(flag, argv[++i], 1);
    else if (flag === '--warmup') o.warmup = count(flag, argv[++i], 0);
    else throw new RangeError(`Unknown option '${flag}'; expected --quick, --only, --threads, --rounds, --steps or --warmup`);
  }
  return o;
}

/** One prepared workload: `step()` runs one timed unit of work; `dispose()` frees it all. */
interface Runner { step(): void; dispose(): void; check?: () => number }

/** The Trainer's step for `method` (a fixed progress far from the schedules' ends), inside one scope. */
function trainerStep(method: Method, views: Tensor[], opt: LARS | AdamW, clipGrad?: number): Runner {
  method.train();
  const params = method.parameters().filter((p) => p.requiresGrad);
  const totalSteps = 1_000_000;
  let step = 0;
  return {
    step: () => torch.scope(() => {
      const progress: TrainProgress = { step: step++, totalSteps, epoch: 0, stepsPerEpoch: totalSteps };
      opt.zeroGrad();
      method.trainingStep(views, progress).loss.backward();
      method.beforeOptimizerStep(progress);
      if (clipGrad !== undefined) clipGradNorm_(params, clipGrad);
      opt.step();
      method.afterOptimizerStep(progress);
    }),
    dispose: () => {
      opt.zeroGrad();
      opt.dispose();
      method.dispose();
      views.forEach((v) => v.dispose());
    },
  };
}

const randnViews = (n: number, batch: number, size: number): Tensor[] =>
  Array.from({ length: n }, () => torch.randn([batch, 1, size, size]));

/** SimCLR's and BYOL's step: LARS over the method's groups, two fixed views. */
function larsStep(method: Method, c: { weightDecay: number; lr: number; momentum: number; batch: number; size: number }): Runner {
  const opt = new LARS(method.parameterGroups(c.weightDecay), { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay });
  return trainerStep(method, randnViews(2, c.batch, c.size), opt);
}

function build(name: CaseName): Runner {
  if (name === 'simclr') {
    const c = CONFIG.simclr;
    const method = new SimCLR({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: c.width },
      hiddenDim: c.hiddenDim, outDim: c.outDim, temperature: c.temperature });
    return larsStep(method, c);
  }
  if (name === 'byol') {
    const c = CONFIG.byol;
    const method = new BYOL({ encoder: 'small_cnn', encoderOptions: { inChannels: 1, width: c.width },
      hiddenDim: c.hiddenDim, outDim: c.outDim, momentumBase: c.emaMomentum });
    return larsStep(method, c);
  }
  if (name === 'dino') {
    const c = CONFIG.dino;
    // freezeLastLayer 0: every step is a steady-state step (the Python side never cancels gradients either).
    const method = new DINO({ encoder: 'vit_tiny_patch4_224', encoderOptions: { imgSize: c.globalSize, inChannels: 1 },
      outDim: c.outDim, hiddenDim: c.hiddenDim, bottleneckDim: c.bottleneckDim, teacherTemp: c.teacherTemp,
      warmupTeacherTemp: c.teacherTemp, studentTemp: c.studentTemp, centerMomentum: c.centerMomentum,
      momentumTeacher: c.emaMomentum, freezeLastLayer: 0, localCrops: c.localCrops, localSize: c.localSize });
    const opt = new AdamW(method.parameterGroups(c.weightDecay), { lr: c.lr, weightDecay: c.weightDecay });
    const views = [...randnViews(2, c.batch, c.globalSize), ...randnViews(c.localCrops, c.batch, c.localSize)];
    return trainerStep(method, views, opt, c.clipGrad);
  }
  if (name === 'mae') {
    const c = CONFIG.mae;
    const method = new MAE({ encoder: 'vit_tiny_patch4_224', encoderOptions: { imgSize: c.size, inChannels: 1 },
      maskRatio: c.maskRatio, decoderDim: c.decoderDim, decoderDepth: c.decoderDepth, decoderHeads: c.decoderHeads });
    const opt = new AdamW(method.parameterGroups(c.weightDecay), { lr: c.lr, betas: c.betas, weightDecay: c.weightDecay });
    return trainerStep(method, randnViews(1, c.batch, c.size), opt);
  }
  const c = CONFIG.knn;
  // The same features as bench_ssl.py: same seed, same libtorch generator, same order of draws.
  torch.manualSeed(0);
  const [train, test, trainLabels, testLabels] = torch.scope(() => [
    normalize(torch.randn([c.nTrain, c.dim]), { dim: 1 }),
    normalize(torch.randn([c.nTest, c.dim]), { dim: 1 }),
    torch.randint(0, c.numClasses, [c.nTrain]),
    torch.randint(0, c.numClasses, [c.nTest]),
  ]);
  let top1 = NaN;
  return {
    step: () => {
      top1 = knn({ features: train, labels: trainLabels }, { features: test, labels: testLabels },
        { k: [c.k], temperature: c.temperature, numClasses: c.numClasses }).top1[c.k];
    },
    dispose: () => [train, test, trainLabels, testLabels].forEach((t) => t.dispose()),
    check: () => top1,
  };
}

function timeNode(name: CaseName, o: Options): Samples {
  torch.manualSeed(0);
  const runner = build(name);
  try {
    const out = timeSteps(() => runner.step(), o.warmup, o.steps);
    if (runner.check) out.check = runner.check();
    return out;
  } finally {
    runner.dispose();
  }
}

function main(): void {
  const o = parseOptions(process.argv.slice(2));
  torch.setNumThreads(o.threads);
  const node: Record<string, Samples> = {};
  const py: Record<string, Samples> = {};
  const add = (into: Record<string, Samples>, name: string, s: Samples): void => {
    const old = into[name] ?? { wall: [], cpu: [] };
    into[name] = { wall: [...old.wall, ...s.wall], cpu: [...old.cpu, ...s.cpu], check: s.check ?? old.check };
  };
  const job = JSON.stringify({ cases: o.only, config: CONFIG, steps: o.steps, warmup: o.warmup, threads: o.threads });
  const runNode = (): void => o.only.forEach((name) => add(node, name, timeNode(name, o)));
  const runPython = (): void => {
    const result = runPythonBench<Record<string, Samples>>('bench_ssl.py', [job]);
    for (const [name, s] of Object.entries(result)) add(py, name, s);
  };
  for (let round = 0; round < o.rounds; round++) {
    if (round % 2 === 0) {
      runNode();
      runPython();
    } else {
      runPython();
      runNode();
    }
  }

  console.log(`libtorch ${torch.config().torchVersion}, CPU, ${o.threads} thread(s); median of ${o.steps} step(s) x ` +
    `${o.rounds} alternating rounds, each after ${o.warmup} warm-up step(s); ratio = Node speed / Python speed ` +
    '(above 1: Node is faster), of wall clock and of process CPU time');
  console.log('| workload | Node ms/step | Python ms/step | Node img/s | Python img/s | ratio | ratio (CPU time) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const name of o.only) {
    const [nw, pw, nc, pc] = [node[name].wall, py[name].wall, node[name].cpu, py[name].cpu].map(median);
    const images = IMAGES[name];
    console.log(`| ${LABELS[name]} | ${(nw * 1e3).toFixed(1)} | ${(pw * 1e3).toFixed(1)} | ${(images / nw).toFixed(1)} | ` +
      `${(images / pw).toFixed(1)} | ${(pw / nw).toFixed(2)} | ${(pc / nc).toFixed(2)} |`);
  }
  if (o.only.includes('knn')) {
    // Same features on both sides, so the same accuracy (up to ties): a check that both did the same work.
    console.log(`\nk-NN img/s counts test images classified. Top-1 on the random features: ` +
      `Node ${node.knn.check?.toFixed(4)}, Python ${py.knn.check?.toFixed(4)} (should agree)`);
  }
}

main();
