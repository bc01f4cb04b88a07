// Per-operator overhead, Node against Python torch on the same libtorch, in
// one run: microseconds per call on tiny CPU tensors, where the time is the
// front end's, not the kernel's.
//
//   node dist/scripts/bench-ops.js [iterations=20000] [repeats=5]
//
// Two Node columns: "top level" disposes each result right away (what
// Python's reference counting does when the next result replaces it), and
// "in scope" runs the calls inside torch.scope, 100 at a time, as the
// Trainer's steps do.
import { torch, nn } from '../lib';
import { runPythonBench } from './bench-python';

const F = nn.functional;
const iters = Number(process.argv[2] ?? 20000);
const repeats = Number(process.argv[3] ?? 5);

torch.setNumThreads(1);
let a = torch.randn([4, 4]);
const b = torch.randn([4, 4]);
const img = torch.randn([1, 3, 8, 8]);
const w = torch.randn([4, 3, 3, 3]);
const idx = torch.tensor([0, 2], { dtype: 'int64' });
const leaf = torch.randn([4, 4]).requiresGrad_();

function backwardSmall(): void {
  torch.scope(() => {
    leaf.mul(b).relu().sum().backward();
    leaf.grad = undefined;
  });
}

const cases: Record<string, () => torch.Tensor | void> = {
  'add': () => a.add(b),
  'add_ (in place)': () => { a.add_(b); },
  'mul scalar': () => a.mul(2.0),
  'matmul 4x4': () => a.matmul(b),
  'view': () => a.view([16]),
  'sum': () => a.sum(),
  'relu': () => a.relu(),
  'cat': () => torch.cat([a, b], 0),
  'index_select': () => a.indexSelect(0, idx),
  'select (x[1])': () => a.select(0, 1),
  'softmax': () => a.softmax(1),
  'conv2d 1x3x8x8': () => F.conv2d(img, w),
  'backward (3 ops)': backwardSmall,
};

function timeNode(fn: () => torch.Tensor | void): number {
  const once = () => {
    const r = fn();
    if (r) r.dispose();
  };
  for (let i = 0; i < 200; i++) once();
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) once();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3 / iters);
  }
  return best;
}

function timeScoped(fn: () => torch.Tensor | void): number {
  const batch = () => torch.scope(() => {
    for (let i = 0; i < 100; i++) fn();
  });
  for (let i = 0; i < 5; i++) batch();
  let best = Infinity;
  const batches = Math.max(1, Math.round(iters / 100));
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batches; i++) batch();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e3 / (batches * 100));
  }
  return best;
}

// Node and Python take turns, three rounds, and each keeps its best: the
// machine's noise then hurts neither side more than the other.
const node: Record<string, number> = {};
const scoped: Record<string, number> = {};
const py: Record<string, number> = {};
const best = (into: Record<string, number>, name: string, value: number) => {
  into[name] = Math.min(into[name] ?? Infinity, value);
};
for (let round = 0; round < 3; round++) {
  for (const [name, fn] of Object.entries(cases)) {
    best(node, name, timeNode(fn));
    best(scoped, name, timeScoped(fn));
    a.dispose();
    a = torch.randn([4, 4]);
  }
  const result = runPythonBench<Record<string, number>>('bench_ops.py', [String(iters), String(repeats)]);
  for (const [name, value] of Object.entries(result)) best(py, name, value);
}

const rows = Object.keys(cases).map((name) =>
  `| ${name} | ${node[name].toFixed(2)} | ${scoped[name].toFixed(2)} | ${py[name].toFixed(2)} | ` +
  `${(node[name] / py[name]).toFixed(2)} | ${(scoped[name] / py[name]).toFixed(2)} |`);
console.log(`libtorch ${torch.config().torchVersion}, ${iters} calls x best of ${repeats} x 3 alternating rounds, ` +
  '1 thread, microseconds per call');
console.log('| operator | Node top level | Node in scope | Python | ratio top level | ratio in scope |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
