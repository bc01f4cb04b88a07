// Optimiser step time, Node (lib/optim, multi-tensor) against Python torch
// (torch.optim with foreach=True and with its per-parameter loop; lightly's
// LARS) on the same libtorch, in one run, on ResNet-18's parameter shapes
// (torchvision resnet18: 62 tensors, 11,689,512 parameters), and on the same
// 62 tensors shrunk to 4 elements each, where the time is the front end's.
//
//   node dist/scripts/bench-optim.js [steps=10] [repeats=3]
import * as torch from '../lib/torch';
import { SGD } from '../lib/optim/sgd';
import { AdamW } from '../lib/optim/adamw';
import { LARS } from '../lib/optim/lars';
import { Optimizer, BaseOptions } from '../lib/optim/optimizer';
import { runPythonBench } from './bench-python';

const steps = Number(process.argv[2] ?? 10);
const repeats = Number(process.argv[3] ?? 3);

/** torchvision resnet18 (1000 classes), in `named_parameters()` order. */
function resnet18Shapes(): number[][] {
  const shapes: number[][] = [[64, 3, 7, 7], [64], [64]];
  let inC = 64;
  for (const [c, stride] of [[64, 1], [128, 2], [256, 2], [512, 2]]) {
    for (let block = 0; block < 2; block++) {
      shapes.push([c, block === 0 ? inC : c, 3, 3], [c], [c], [c, c, 3, 3], [c], [c]);
      if (block === 0 && (stride !== 1 || inC !== c)) shapes.push([c, inC, 1, 1], [c], [c]);
    }
    inC = c;
  }
  shapes.push([1000, 512], [1000]);
  return shapes;
}

function timeNode(shapes: number[][], make: (ps: torch.Tensor[]) => Optimizer<BaseOptions>): number {
  torch.manualSeed(0);
  const params = shapes.map((s) => torch.keep(torch.randn(s).requiresGrad_()));
  for (const p of params) p.grad = torch.keep(torch.randnLike(p).mul_(1e-3));
  const opt = make(params);
  for (let i = 0; i < 3; i++) opt.step();
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < steps; i++) opt.step();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6 / steps);
  }
  for (const p of params) {
    p.grad = undefined;
    p.dispose();
  }
  return best;
}

const lars = (ps: torch.Tensor[]): Optimizer<BaseOptions> => new LARS([
  { params: ps.filter((p) => p.dim() > 1) },
  { params: ps.filter((p) => p.dim() <= 1), weightDecay: 0, larsExclude: true },
], { lr: 0.3, weightDecay: 1e-6 });
const node: [string, string, (ps: torch.Tensor[]) => Optimizer<BaseOptions>][] = [
  ['SGD', 'SGD foreach', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 })],
  ['AdamW', 'AdamW foreach', (ps) => new AdamW(ps, { lr: 1e-3, weightDecay: 0.05 })],
  ['LARS', 'LARS for-loop (lightly)', lars],
];
const forLoop: Record<string, string> = { SGD: 'SGD for-loop', AdamW: 'AdamW for-loop', LARS: 'LARS for-loop (lightly)' };

torch.setNumThreads(1);
const full = resnet18Shapes();
const numel = full.reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
console.log(`libtorch ${torch.config().torchVersion}, CPU, 1 thread; ms per step, best of ${repeats} x ${steps} steps x 2 alternating rounds`);
for (const [label, shapes] of [[`resnet18 (${full.length} tensors, ${numel} parameters)`, full],
  [`resnet18 shapes shrunk to 4 elements (${full.length} tensors)`, full.map((s) => (s.length === 1 ? [4] : [2, 2]))]] as const) {
  // Node and Python take turns, two rounds, and each keeps its best: the
  // machine's noise then hurts neither side more than the other.
  const py: Record<string, number> = {};
  const mine: Record<string, number> = {};
  for (let round = 0; round < 2; round++) {
    const r = runPythonBench<Record<string, number>>('bench_optim.py', [], JSON.stringify({ shapes, steps, repeats }));
    for (const [k, v] of Object.entries(r)) py[k] = Math.min(py[k] ?? Infinity, v);
    for (const [name, , make] of node) mine[name] = Math.min(mine[name] ?? Infinity, timeNode(shapes as number[][], make));
  }
  console.log(`\n${label}`);
  console.log('| optimiser | Node | Python foreach | Python for-loop | Node / best Python |');
  console.log('|---|---|---|---|---|');
  for (const [name, pyName] of node) {
    const ms = mine[name];
    const foreach = name === 'LARS' ? NaN : py[pyName];
    const loop = py[forLoop[name]];
    const bestPy = Math.min(loop, Number.isNaN(foreach) ? Infinity : foreach);
    const fmt = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(3));
    console.log(`| ${name} | ${fmt(ms)} | ${fmt(foreach)} | ${fmt(loop)} | ${(ms / bestPy).toFixed(2)} |`);
  }
}
