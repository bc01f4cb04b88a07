// `selfsup bench`: training-step speed of the four methods on this machine
// (the Node side of scripts/bench-gpu.ts), per configuration: eager,
// channels-last and the whole step captured in a CUDA graph.
import { Command, InvalidArgumentError } from 'commander';
import * as torch from '../torch';
import { writeFileAtomic } from '../torch/atomic-file';
import { Scale, WorkloadName, WORKLOAD_NAMES, parseWorkloads, workload } from '../bench/workloads';
import { workloadFlops } from '../bench/flops';
import { BenchResult, benchConfigs, benchPlan, runBench } from '../bench/runner';
import { benchEnvironment, formatNodeTable } from '../bench/report';
import { applyThreadsFlag, THREADS_HELP } from './threads-option';
import { intArg } from './option-parsers';

/** The flags of `selfsup bench`, as commander parses them. */
export interface BenchFlags {
  workload: WorkloadName[];
  device?: 'cpu' | 'cuda';
  scale: Scale | 'auto';
  steps?: number;
  warmup?: number;
  threads?: number;
  graph: boolean;
  channelsLast: boolean;
  json?: string;
}

/** A commander parser for a flag that takes one of `allowed`. */
function choiceArg<T extends string>(name: string, allowed: readonly T[]): (v: string) => T {
  return (v) => {
    if (!(allowed as readonly string[]).includes(v)) {
      throw new InvalidArgumentError(`Expected one of ${allowed.join(', ')} for ${name} but received ${v}`);
    }
    return v as T;
  };
}

function workloadArg(v: string): WorkloadName[] {
  try {
    return parseWorkloads(v);
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
}

/**
 * Runs the benchmark the flags ask for and returns every result (also
 * printed as one table per workload, and written to `--json`).
 *
 * @example
 * const results = runBenchCommand({ workload: ['mae'], device: 'cpu', scale: 'small', steps: 2, graph: true, channelsLast: true });
 */
export function runBenchCommand(flags: BenchFlags, write: (s: string) => void = (s) => process.stdout.write(s)): BenchResult[] {
  const { device, scale, steps, warmup } = benchPlan(flags);
  if (device === 'cuda' && !torch.cuda.isAvailable()) {
    throw new Error('Expected a CUDA device for --device cuda but this libtorch sees none (selfsup info shows why); ' +
      'use --device cpu');
  }
  applyThreadsFlag(flags.threads);
  const gpu = device === 'cuda';
  const env = benchEnvironment(device);
  write(`selfsup bench: ${device}, ${env.hardware}; Node ${env.node}, libtorch ${env.libtorch}; scale ${scale}; ` +
    `${steps} timed steps after ${warmup} warm-up; ${gpu ? 'bfloat16 autocast' : 'float32'}\n\n`);
  const all: BenchResult[] = [];
  for (const name of flags.workload) {
    const w = workload(name, scale);
    const flops = workloadFlops(w);
    const results = benchConfigs(w, { graph: flags.graph, channelsLast: flags.channelsLast })
      .map((config) => runBench(w, config, { device, steps, warmup, flopsPerStep: flops.total }));
    all.push(...results);
    write(`${formatNodeTable(w, flops, results)}\n`);
  }
  if (flags.json !== undefined) {
    writeFileAtomic(flags.json, `${JSON.stringify({ environment: env, results: all }, null, 2)}\n`);
  }
  return all;
}

/**
 * Registers `selfsup bench` on `p`.
 * @example registerBench(new Command('selfsup')); // then: selfsup bench --workload simclr --steps 2
 */
export function registerBench(p: Command): void {
  p.command('bench')
    .description('Time training steps of SimCLR, BYOL, DINO and MAE here: img/s and TFLOP/s per configuration ' +
      '(eager, channels-last, CUDA graph). scripts/bench-gpu.ts compares them with PyTorch.')
    .option('--workload <name>', `${WORKLOAD_NAMES.join(', ')} or all (comma-separated list allowed)`, workloadArg,
      [...WORKLOAD_NAMES])
    .option('--device <device>', 'cpu or cuda (default: cuda when available)', choiceArg('--device', ['cpu', 'cuda'] as const))
    .option('--scale <scale>', 'small (CPU-sized), full (the issue\'s sizes) or auto (full on CUDA, small on the CPU)',
      choiceArg('--scale', ['small', 'full', 'auto'] as const), 'auto')
    .option('--steps <n>', 'timed steps per configuration (default 20 on CUDA, 3 on the CPU)', intArg('--steps'))
    .option('--warmup <n>', 'untimed steps first (default 5 on CUDA, 1 on the CPU)', intArg('--warmup', 0))
    .option('--threads <n>', THREADS_HELP, intArg('--threads'))
    .option('--no-graph', 'leave out the CUDA-graph configuration')
    .option('--no-channels-last', 'leave out the channels-last configurations')
    .option('--json <file>', 'also write the results as JSON')
    .action((flags: BenchFlags) => {
      runBenchCommand(flags);
    });
}
