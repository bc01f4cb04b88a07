// One CPU training step (forward, cross-entropy, backward, SGD with momentum)
// of the encoders, Node against Python torch on the same libtorch, in one run:
// images per second and the ratio. Node and Python take turns, round by
// round, and each keeps its best step, so the machine's noise hurts neither
// side more than the other. Both wall-clock time and the process's CPU time
// per step are reported: on a shared machine the wall clock mostly measures
// the other tenants, CPU time the work itself.
//
//   node dist/scripts/bench-models.js [rounds=2] [steps=2] [threads]
//
// threads defaults to selfsup's own default (OMP_NUM_THREADS, else every
// available core), so the table measures what a user's run gets.
//
// Each side uses its own SGD: optim.SGD here (multi-tensor), torch.optim.SGD
// (1.13's default per-parameter loop) in Python: what a user of each gets.
import * as torch from '../lib/torch';
import * as models from '../lib/models';
import { crossEntropy } from '../lib/nn/functional';
import { SGD } from '../lib/optim';
import { runPythonBench } from './bench-python';
import { defaultThreads } from '../lib/torch/threads';

const rounds = Number(process.argv[2] ?? 2);
const steps = Number(process.argv[3] ?? 2);
const threads = Number(process.argv[4] ?? defaultThreads().count);

interface Case { name: string; model: string; batch: number; size: number; inChannels: number; numClasses: number }

const cases: Case[] = [
  { name: 'resnet18 32px b64', model: 'resnet18', batch: 64, size: 32, inChannels: 3, numClasses: 10 },
  { name: 'vit_tiny patch4 32px b64', model: 'vit_tiny_patch4', batch: 64, size: 32, inChannels: 3, numClasses: 10 },
  { name: 'small_cnn 28px b256 (1 channel)', model: 'small_cnn', batch: 256, size: 28, inChannels: 1, numClasses: 10 },
];

function build(c: Case): models.Encoder {
  if (c.model === 'resnet18') return models.resnet18({ numClasses: c.numClasses });
  if (c.model === 'small_cnn') return models.create('small_cnn', { inChannels: c.inChannels, numClasses: c.numClasses });
  return models.vitTiny4({ imgSize: c.size, numClasses: c.numClasses });
}

interface Timing { wall: number; cpu: number }

const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** Best wall-clock and CPU seconds per step of `c`, after one warm-up step. */
function timeNode(c: Case): Timing {
  torch.manualSeed(0);
  const model = build(c).train();
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = torch.randn([c.batch, c.inChannels, c.size, c.size]);
  const y = torch.randint(0, c.numClasses, [c.batch]);
  const step = (): void => torch.scope(() => {
    opt.zeroGrad();
    crossEntropy(model.forward(x), y).backward();
    opt.step();
  });
  try {
    step();
    const best: Timing = { wall: Infinity, cpu: Infinity };
    for (let i = 0; i < steps; i++) {
      const t0 = process.hrtime.bigint();
      const c0 = cpuSeconds();
      step();
      best.cpu = Math.min(best.cpu, cpuSeconds() - c0);
      best.wall = Math.min(best.wall, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    return best;
  } finally {
    opt.dispose();
    model.dispose();
    x.dispose();
    y.dispose();
  }
}

torch.setNumThreads(threads);
const node: Record<string, Timing> = {};
const py: Record<string, Timing> = {};
const keepBest = (into: Record<string, Timing>, name: string, t: Timing): void => {
  const old = into[name] ?? { wall: Infinity, cpu: Infinity };
  into[name] = { wall: Math.min(old.wall, t.wall), cpu: Math.min(old.cpu, t.cpu) };
};
for (let round = 0; round < rounds; round++) {
  for (const c of cases) keepBest(node, c.name, timeNode(c));
  const result = runPythonBench<Record<string, Timing>>('bench_models.py', [JSON.stringify(cases), String(steps), String(threads)]);
  for (const [name, t] of Object.entries(result)) keepBest(py, name, t);
}

console.log(`libtorch ${torch.config().torchVersion}, CPU, ${threads} thread(s), best step of ${steps} x ${rounds} ` +
  'alternating rounds; images per second of wall clock and per CPU-second (higher is better)');
console.log('| model | Node img/s | Python img/s | ratio | Node img/CPU-s | Python img/CPU-s | ratio |');
console.log('|---|---|---|---|---|---|---|');
for (const c of cases) {
  const [nw, pw, nc, pc] = [node[c.name].wall, py[c.name].wall, node[c.name].cpu, py[c.name].cpu].map((s) => c.batch / s);
  console.log(`| ${c.name} | ${nw.toFixed(1)} | ${pw.toFixed(1)} | ${(nw / pw).toFixed(2)} | ` +
    `${nc.toFixed(1)} | ${pc.toFixed(1)} | ${(nc / pc).toFixed(2)} |`);
}
