// Per-operator overhead, Node against Python torch on the same libtorch, in
// one run: microseconds per call on tiny CPU tensors, where the time is the
// front end's, not the kernel's.
//
//   node dist/scripts/bench-ops.js [iterations=20000] [repeats=5]
//
// Each Node iteration also disposes its result, which Python's reference
// counting does implicitly when the next result replaces it.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { torch, nn } from '../lib';

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

const node: Record<string, number> = {};
for (const [name, fn] of Object.entries(cases)) {
  node[name] = timeNode(fn);
  a.dispose();
  a = torch.randn([4, 4]);
}

const python = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';
const script = path.join(__dirname, '..', '..', 'scripts', 'bench_ops.py');
const py = JSON.parse(execFileSync(python, [script, String(iters), String(repeats)], { encoding: 'utf8' })) as Record<string, number>;

const rows = Object.keys(cases).map((name) => {
  const ratio = node[name] / py[name];
  return `| ${name} | ${node[name].toFixed(2)} | ${py[name].toFixed(2)} | ${ratio.toFixed(2)} |`;
});
console.log(`libtorch ${torch.config().torchVersion}, ${iters} calls x best of ${repeats}, 1 thread, microseconds per call`);
console.log('| operator | Node (us) | Python (us) | Node/Python |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(row);
