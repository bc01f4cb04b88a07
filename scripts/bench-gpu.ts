// The GPU speed comparison (issue "GPU speed"): one training step of SimCLR,
// BYOL, DINO and MAE, Node (lib/bench: this project's methods, optimisers and
// step body) against PyTorch (scripts/bench_gpu.py: the same architectures
// written as a PyTorch user writes them), same device, same batch, precision
// (bfloat16 autocast on CUDA, float32 on the CPU) and optimiser, in one run.
// PyTorch runs first (its own process), then Node. Prints a markdown table per
// workload: img/s and TFLOP/s of both sides per configuration, the ratio
// Node / PyTorch (above 1: Node is faster), and the issue's target, Node's
// best configuration against PyTorch's CUDA-graph column.
//
//   npm run bench:gpu -- [--device cpu|cuda] [--scale small|full] [--workloads simclr,byol,dino,mae]
//                        [--steps N] [--warmup N] [--rounds N] [--threads N] [--python /usr/bin/python3]
//                        [--json out.json]
//
// --rounds N repeats both sides N times, taking turns (each round starts with
// the side that went second in the last one), and reports the median seconds
// per step of each configuration: on a shared or noisy machine neither side
// is favoured by the order.
//
// Defaults: --device cuda when this libtorch sees a GPU (else cpu), --scale
// full on CUDA and small on the CPU, every workload, 20 steps after 5 warm-up
// steps on CUDA (3 after 1 on the CPU). TFLOP/s of both sides divide the same
// count: the Node counter's (lib/bench/flops.ts), computed once per workload;
// PyTorch's own FlopCounterMode count is shown next to it where torch has it.
import { execFileSync } from 'node:child_process';
import { writeFileAtomic } from '../lib/torch';
import * as torch from '../lib/torch';
import { WorkloadName, parseWorkloads, workload } from '../lib/bench/workloads';
import { workloadFlops, FlopCount } from '../lib/bench/flops';
import {
  BenchResult, benchConfigs, benchPlan, runBench, reservedBytes, resetPeakReserved, peakReservedBytes,
} from '../lib/bench/runner';
import { Comparison, PythonResult, benchEnvironment, compare, formatComparison, formatBestOf } from '../lib/bench/report';
import { PYTHON, median, pythonScript, referenceProcessEnv } from './bench-python';
import { WorkloadOptions, readWorkloadFlags } from './workload-flags';

type Options = WorkloadOptions;

function parseOptions(argv: readonly string[]): Options {
  const { raw, device, scale, count } = readWorkloadFlags(argv);
  return {
    ...benchPlan({ device, scale, steps: count('--steps', 1), warmup: count('--warmup', 1) }),
    workloads: parseWorkloads(raw.get('--workloads') ?? 'all'),
    rounds: count('--rounds', 1) ?? 1, threads: count('--threads', 1), python: raw.get('--python') ?? PYTHON, json: raw.get('--json'),
  };
}

/**
 * torch.compile modes of the PyTorch side (PyTorch only): the whole step's
 * forward, loss and backward through one compiled function. SELFSUP_COMPILE_MODES
 * (comma-separated, or "none") narrows them when a run must be short;
 * SELFSUP_COMPILE_TIMEOUT (seconds) runs each compile column in its own
 * process and reports it skipped when compiling and timing take longer;
 * SELFSUP_COMPILE_BUDGET (seconds) bounds all compile columns together.
 */
const COMPILE_MODES = ['default', 'max-autotune-no-cudagraphs', 'reduce-overhead'];

function compileModes(): string[] {
  const env = process.env.SELFSUP_COMPILE_MODES;
  if (env === undefined || env === '') return COMPILE_MODES;
  if (env === 'none') return [];
  const modes = env.split(',').map((m) => m.trim());
  const bad = modes.filter((m) => !COMPILE_MODES.includes(m));
  if (bad.length > 0) throw new RangeError(`Unknown torch.compile mode(s) ${bad.join(', ')} in SELFSUP_COMPILE_MODES; expected ${COMPILE_MODES.join(', ')} or none`);
  return modes;
}

/** The python configurations: Node's, plus one torch.compile column per mode (PyTorch only). */
const pythonConfigs = (node: readonly string[]): string[] => [...node, ...compileModes().map((m) => `compile:${m}`)];

interface PythonOutput { env: Record<string, unknown>; results: PythonResult[] }

function runPython(o: Options, job: unknown): PythonOutput {
  const stdout = execFileSync(o.python, [pythonScript('bench_gpu.py'), JSON.stringify(job)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20, env: referenceProcessEnv() });
  const out: PythonOutput = { env: {}, results: [] };
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as { kind: string } & Record<string, unknown>;
    if (record.kind === 'env') out.env = record;
    else if (record.kind === 'result') out.results.push(record as unknown as PythonResult);
  }
  return out;
}

/**
 * The first round's results with each configuration's seconds per step
 * replaced by the median over the rounds (img/s and TFLOP/s follow).
 */
function medianOf<R extends { workload: string; config: string; status: string; secondsPerStep?: number;
  imagesPerSecond?: number; tflops?: number; flopsPerStep?: number }>(rounds: readonly (readonly R[])[]): R[] {
  return rounds[0].map((first) => {
    if (first.status !== 'ok' || first.secondsPerStep === undefined) return first;
    const all = rounds.map((rs) => rs.find((r) => r.workload === first.workload && r.config === first.config))
      .filter((r): r is R => r !== undefined && r.status === 'ok' && r.secondsPerStep !== undefined)
      .map((r) => r.secondsPerStep!);
    const seconds = median(all);
    const images = (first.imagesPerSecond ?? 0) * first.secondsPerStep;
    return { ...first, secondsPerStep: seconds, imagesPerSecond: images / seconds,
      tflops: first.flopsPerStep === undefined ? first.tflops : first.flopsPerStep / seconds / 1e12 };
  });
}

function main(): void {
  const o = parseOptions(process.argv.slice(2));
  if (o.threads !== undefined) torch.setNumThreads(o.threads);
  const threads = torch.getNumThreads();
  const plan = o.workloads.map((name) => {
    const w = workload(name, o.scale);
    return { w, configs: benchConfigs(w) };
  });
  // One FLOP count per workload (the Node counter), for both sides' TFLOP/s.
  const flops = new Map<WorkloadName, FlopCount>(plan.map(({ w }) => [w.name, workloadFlops(w)]));

  const compileTimeout = process.env.SELFSUP_COMPILE_TIMEOUT === undefined ? null : Number(process.env.SELFSUP_COMPILE_TIMEOUT);
  const compileBudget = process.env.SELFSUP_COMPILE_BUDGET === undefined ? null : Number(process.env.SELFSUP_COMPILE_BUDGET);
  const job = { device: o.device, steps: o.steps, warmup: o.warmup, threads, compileTimeout, compileBudget,
    runs: plan.map(({ w, configs }) => ({ workload: w, configs: pythonConfigs(configs) })) };
  const pyRounds: PythonOutput[] = [];
  const nodeRounds: BenchResult[][] = [];
  const memory: MemoryRecord[] = [];
  const runNode = (round: number): void => {
    process.stderr.write(`Node side, round ${round + 1} of ${o.rounds} ...\n`);
    const out: BenchResult[] = [];
    const start = reservedBytes(o.device);
    for (const { w, configs } of plan) {
      resetPeakReserved(o.device);
      for (const config of configs) {
        out.push(runBench(w, config, { device: o.device, steps: o.steps, warmup: o.warmup, flopsPerStep: flops.get(w.name)!.total }));
      }
      // Every configuration frees what it built and releases the allocator's cache: the next workload starts from here.
      memory.push({ round, workload: w.name, startBytes: start, reservedBytes: reservedBytes(o.device),
        peakReservedBytes: peakReservedBytes(o.device) });
    }
    nodeRounds.push(out);
  };
  const runPy = (round: number): void => {
    process.stderr.write(`PyTorch side (${o.python}), round ${round + 1} of ${o.rounds} ...\n`);
    pyRounds.push(runPython(o, job));
  };
  for (let round = 0; round < o.rounds; round++) {
    if (round % 2 === 0) {
      runPy(round);
      runNode(round);
    } else {
      runNode(round);
      runPy(round);
    }
  }
  const py: PythonOutput = { env: pyRounds[0].env, results: medianOf(pyRounds.map((r) => r.results)) };
  const node = medianOf(nodeRounds);

  const env = benchEnvironment(o.device);
  console.log(`## GPU speed comparison: ${o.device}, ${env.hardware}, scale ${o.scale}`);
  console.log(`Node ${env.node}, libtorch ${env.libtorch}; PyTorch ${String(py.env.torch)}` +
    `${py.env.cuda ? `, CUDA ${String(py.env.cuda)}` : ''}${py.env.gpu ? `, ${String(py.env.gpu)}` : ''}; ` +
    `median of ${o.rounds} alternating round(s) of ${o.steps} timed steps after ${o.warmup} warm-up; ${o.device === 'cuda' ? 'bfloat16 autocast' : `float32, ${threads} thread(s)`}; ` +
    'img/s = batch / seconds per step; ratio = Node / PyTorch (above 1: Node is faster)\n');
  const nodeBackends = torch.backendState();
  const pyBackends = py.env.backends as Record<string, unknown> | undefined;
  console.log(`Math modes (Node = PyTorch's defaults, unchanged by the bench): ${JSON.stringify(nodeBackends)}` +
    (pyBackends !== undefined && JSON.stringify(pyBackends, Object.keys(nodeBackends).sort()) !==
      JSON.stringify(nodeBackends, Object.keys(nodeBackends).sort()) ? `; PyTorch DIFFERS: ${JSON.stringify(pyBackends)}` : '') + '\n');
  const comparisons: Comparison[] = plan.map(({ w }) => compare(w, flops.get(w.name)!, node.filter((r) => r.workload === w.name),
    py.results.filter((r) => r.workload === w.name)));
  for (const c of comparisons) console.log(formatComparison(c));
  console.log(formatBestOf(comparisons));
  const leaks = memory.filter((m) => m.reservedBytes > m.startBytes + RESERVED_SLACK);
  if (o.device === 'cuda') {
    console.log(`Reserved GPU memory after each workload (Node side; start ${mib(memory[0]?.startBytes ?? 0)}; ` +
      `the peak during it in brackets): ${memory.map((m) => `${m.workload} ${mib(m.reservedBytes)} (${mib(m.peakReservedBytes)})`).join(', ')}`);
  }
  if (o.json !== undefined) {
    writeFileAtomic(o.json, `${JSON.stringify({ options: o, node: env, python: py.env, comparisons, memory }, null, 2)}\n`);
    process.stderr.write(`Wrote ${o.json}\n`);
  }
  if (leaks.length > 0) {
    throw new Error(`GPU memory was not returned after ${leaks.map((m) => m.workload).join(', ')}: reserved ` +
      `${leaks.map((m) => mib(m.reservedBytes)).join(', ')} against ${mib(leaks[0].startBytes)} at the start ` +
      `(allowed: ${mib(RESERVED_SLACK)} more)`);
  }
}

/** Reserved bytes of the caching allocator after a workload, against the Node side's start. */
interface MemoryRecord { round: number; workload: string; startBytes: number; reservedBytes: number; peakReservedBytes: number }

/**
 * What may stay reserved after a workload: cuBLAS/cuDNN workspaces that
 * libtorch keeps per handle and stream (tens of MiB), not a model's worth.
 */
const RESERVED_SLACK = 512 * 2 ** 20;

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

try {
  main();
} catch (e) {
  process.stderr.write(`bench-gpu: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
