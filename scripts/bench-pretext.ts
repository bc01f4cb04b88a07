// Task construction of the pretext methods, Node against PyTorch, in one run:
// milliseconds to build one batch of what each task feeds its network
// (rotations; the jigsaw's shuffled, standardised tiles; the relative
// position's guarded patch pairs; the context encoder's holes, loss weights
// and masked input for each mask kind; the damaged jigsaw's gray, emptied
// puzzle), built here by the methods' own code (drawTask + rotations / tiles
// / pairs / puzzle) and in scripts/bench_pretext.py by the same algorithms
// written with PyTorch. Beside them, one training step of the method
// (small_cnn, forward, backward, SGD) on the same batch, so the table also
// says how much of a step the task construction costs (the issue asks for
// construction at least 10x faster than the step it feeds).
//
//   node dist/scripts/bench-pretext.js [--batch 64] [--size 32] [--rounds 3] [--reps 5] [--threads 1] [--no-step]
//
// Each side times `reps` batches per round and reports the median round.
// Not a test: run it by hand (npm run bench:pretext).
import * as torch from '../lib/torch';
import { Tensor } from '../lib/torch';
import { SGD } from '../lib/optim/sgd';
import { Method } from '../lib/ssl/method';
import { Rotation } from '../lib/ssl/rotation';
import { Jigsaw } from '../lib/ssl/jigsaw';
import { RelativePosition } from '../lib/ssl/relative-position';
import { ContextEncoder } from '../lib/ssl/context-encoder';
import { DamagedJigsaw } from '../lib/ssl/damaged-jigsaw';
import { MaskKind } from '../lib/ssl/pretext/inpainting-masks';
import { median, runPythonBench } from './bench-python';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}
const batch = flag('batch', 64);
const size = flag('size', 32);
const rounds = flag('rounds', 3);
const reps = flag('reps', 5);
const threads = flag('threads', 1);
const withStep = !process.argv.includes('--no-step');
torch.setNumThreads(threads);

/** Milliseconds per call of `fn`, one number per round. */
function time(fn: () => void, n = reps): number[] {
  torch.scope(fn);
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) torch.scope(fn);
    out.push(Number(process.hrtime.bigint() - start) / 1e6 / n);
  }
  return out;
}

/** Milliseconds of one training step of `method` on `x` (forward, backward, SGD step). */
function stepTime(method: Method, x: Tensor): number {
  method.train();
  const opt = new SGD(method.parameterGroups(0), { lr: 0.01, momentum: 0.9 });
  const progress = { step: 0, totalSteps: 1, epoch: 0, stepsPerEpoch: 1 };
  return median(time(() => {
    opt.zeroGrad();
    method.trainingStep([x], progress).loss.backward();
    opt.step();
  }, 1));
}

function main(): void {
  torch.manualSeed(0);
  const x = torch.randn([batch, 3, size, size]);
  const enc = { encoder: 'small_cnn', encoderOptions: { inChannels: 3 } };
  const rot = new Rotation(enc);
  const jig = new Jigsaw(enc);
  const rel = new RelativePosition(enc);
  const dj = new DamagedJigsaw({ ...enc, imageSize: size });
  const ce = (mask: MaskKind): ContextEncoder => new ContextEncoder({ ...enc, imageSize: size, mask });
  const ces = { center: ce('center'), block: ce('block'), region: ce('region') };
  const tasks: [string, Method, () => void][] = [
    ['rotation', rot, () => { rot.rotations(x); }],
    ['jigsaw', jig, () => { jig.tiles(x, jig.drawTask(x)); }],
    ['relative_position', rel, () => { rel.pairs(x, rel.drawTask(x)); }],
    ...(['center', 'block', 'region'] as const).map((k): [string, Method, () => void] => [`context_encoder ${k}`, ces[k],
      () => { const t = ces[k].drawTask(x); x.mul(t.hole.neg().add(1)); }]),
    ['damaged_jigsaw', dj, () => { dj.puzzle(x, dj.drawTask(x)); }],
  ];
  const node = new Map(tasks.map(([name, , fn]) => [name, time(fn)]));
  const python = runPythonBench<Record<string, number[]>>('bench_pretext.py', [],
    JSON.stringify({ batch, size, rounds, reps, threads, perms: jig.permutations }));
  console.log(`Pretext task construction, batch ${batch} x 3 x ${size} x ${size}, ${threads} thread(s), ` +
    `median of ${rounds} rounds of ${reps} batches; ms per batch (Node/Python < 1: Node is faster)`);
  console.log(`${'task'.padEnd(24)} ${'Node'.padStart(8)} ${'PyTorch'.padStart(8)} ${'Node/Py'.padStart(8)}` +
    `${withStep ? `${'step'.padStart(10)} ${'step/task'.padStart(10)}` : ''}`);
  const steps = new Map<Method, number>();
  for (const [name, method] of tasks) {
    const n = median(node.get(name)!);
    const p = median(python[name]);
    let line = `${name.padEnd(24)} ${n.toFixed(2).padStart(8)} ${p.toFixed(2).padStart(8)} ${(n / p).toFixed(2).padStart(8)}`;
    if (withStep) {
      if (!steps.has(method)) steps.set(method, stepTime(method, x));
      const s = steps.get(method)!;
      line += `${s.toFixed(1).padStart(10)} ${(s / n).toFixed(0).padStart(9)}x`;
    }
    console.log(line);
  }
}

main();
