// Tables of benchmark results: the Node-only table of `selfsup bench` and the
// Node-against-PyTorch table of scripts/bench-gpu.ts, plus the environment
// line both print (device, GPU, versions).
import * as os from 'node:os';
import * as torch from '../torch';
import { native } from '../torch/native';
import { BenchResult } from './runner';
import { Workload } from './workloads';
import { FlopCount } from './flops';

/** Where the Node side ran. */
export interface NodeEnvironment {
  node: string;
  libtorch: string;
  device: 'cpu' | 'cuda';
  /** GPU name on CUDA, CPU model and thread count on the CPU. */
  hardware: string;
}

/**
 * The Node side's environment for `device`.
 * @example benchEnvironment('cpu').libtorch // '1.13.0'
 */
export function benchEnvironment(device: 'cpu' | 'cuda'): NodeEnvironment {
  let hardware = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${torch.getNumThreads()} thread(s)`;
  if (device === 'cuda' && native.cudaIsAvailable()) {
    const gpus = native.cudaDevices();
    hardware = gpus.length > 0 ? gpus[0].name : 'unknown GPU';
  }
  return { node: process.version, libtorch: torch.config().torchVersion, device, hardware };
}

/**
 * A number with 3 significant digits (at most 4 decimals), or '-' when absent.
 * @example fmt(1234.5) // '1235'; fmt(0.01234) // '0.0123'
 */
export function fmt(x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '-';
  if (x === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  return x.toFixed(Math.min(digits, 4));
}

/**
 * The table `selfsup bench` prints for one workload: img/s and TFLOP/s per configuration.
 * @example process.stdout.write(formatNodeTable(w, flops, results));
 */
export function formatNodeTable(w: Workload, flops: FlopCount, results: readonly BenchResult[]): string {
  const lines = [`${w.label}: ${fmt(flops.total / 1e9)} GFLOP per step (forward ${fmt(flops.forward / 1e9)})`, '',
    '| config | img/s | TFLOP/s | ms/step |', '|---|---|---|---|'];
  for (const r of results) {
    if (r.status !== 'ok') lines.push(`| ${r.config} | skipped: ${r.reason ?? ''} | | |`);
    else lines.push(`| ${r.config} | ${fmt(r.imagesPerSecond)} | ${fmt(r.tflops)} | ${fmt((r.secondsPerStep ?? NaN) * 1e3)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** One PyTorch result line of scripts/bench_gpu.py. */
export interface PythonResult {
  workload: string;
  config: string;
  status: 'ok' | 'skipped' | 'error';
  reason?: string;
  secondsPerStep?: number;
  imagesPerSecond?: number;
  torchFlopsPerStep?: number | null;
  loss?: number;
}

/** The comparison of one workload, as `--json` writes it. */
export interface Comparison {
  workload: string;
  label: string;
  flops: FlopCount;
  /** PyTorch's own count (FlopCounterMode, torch >= 2.1), for cross-checking `flops.total`. */
  torchFlopsPerStep: number | null;
  rows: { config: string; node?: BenchResult; python?: PythonResult }[];
  /** Node's fastest configuration over PyTorch's graph configuration (the target), when both ran. */
  target: { nodeConfig: string; pythonConfig: string; ratio: number } | null;
  /**
   * Node's fastest configuration over PyTorch's fastest of every column
   * (torch.compile modes included), when both ran: the strongest honest
   * PyTorch reference.
   */
  best: { nodeConfig: string; nodeImagesPerSecond: number; pythonConfig: string; pythonImagesPerSecond: number;
    ratio: number } | null;
}

const ok = (r: { status: string; imagesPerSecond?: number } | undefined): number | undefined =>
  r !== undefined && r.status === 'ok' ? r.imagesPerSecond : undefined;

/**
 * Pairs Node's and PyTorch's results of one workload by configuration and
 * finds the target ratio: Node's best configuration against PyTorch's
 * graph configuration (against PyTorch's best when no graph ran, e.g. on the CPU).
 *
 * @example const c = compare(w, flops, nodeResults, pythonResults);
 */
export function compare(w: Workload, flops: FlopCount, node: readonly BenchResult[], python: readonly PythonResult[]):
  Comparison {
  const configs: string[] = [];
  for (const r of [...node, ...python]) if (!configs.includes(r.config)) configs.push(r.config);
  const rows = configs.map((config) => ({ config, node: node.find((r) => r.config === config),
    python: python.find((r) => r.config === config) }));
  const best = <T extends { status: string; imagesPerSecond?: number; config: string }>(rs: readonly T[]): T | undefined =>
    rs.filter((r) => ok(r) !== undefined).sort((a, b) => (b.imagesPerSecond ?? 0) - (a.imagesPerSecond ?? 0))[0];
  const nodeBest = best(node);
  const pyGraph = best(python.filter((r) => r.config.startsWith('graph')));
  const pyRef = pyGraph ?? best(python);
  const target = nodeBest && pyRef ? { nodeConfig: nodeBest.config, pythonConfig: pyRef.config,
    ratio: (nodeBest.imagesPerSecond ?? 0) / (pyRef.imagesPerSecond ?? 1) } : null;
  const pyBest = best(python);
  const bestOf = nodeBest && pyBest ? { nodeConfig: nodeBest.config, nodeImagesPerSecond: nodeBest.imagesPerSecond ?? 0,
    pythonConfig: pyBest.config, pythonImagesPerSecond: pyBest.imagesPerSecond ?? 0,
    ratio: (nodeBest.imagesPerSecond ?? 0) / (pyBest.imagesPerSecond ?? 1) } : null;
  const torchFlops = python.find((r) => typeof r.torchFlopsPerStep === 'number')?.torchFlopsPerStep ?? null;
  return { workload: w.name, label: w.label, flops, torchFlopsPerStep: torchFlops, rows, target, best: bestOf };
}

/**
 * The summary table: per workload, Node's best configuration against
 * PyTorch's best of every column (eager, channels-last, CUDA graph and each
 * torch.compile mode).
 *
 * @example console.log(formatBestOf(comparisons));
 */
export function formatBestOf(comparisons: readonly Comparison[]): string {
  const lines = ['### Best against best', '', '| workload | PyTorch best | img/s | Node best | img/s | Node/PyTorch |',
    '|---|---|---|---|---|---|'];
  for (const c of comparisons) {
    const b = c.best;
    lines.push(b === null ? `| ${c.label} | - | - | - | - | - |`
      : `| ${c.label} | ${b.pythonConfig} | ${fmt(b.pythonImagesPerSecond)} | ${b.nodeConfig} | ` +
        `${fmt(b.nodeImagesPerSecond)} | **${fmt(b.ratio)}** |`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The markdown table of one comparison: img/s and TFLOP/s of both sides per
 * configuration and the ratio Node / PyTorch (above 1: Node is faster).
 * TFLOP/s of both sides divide the same FLOP count (the Node counter's).
 *
 * @example process.stdout.write(formatComparison(c));
 */
export function formatComparison(c: Comparison): string {
  const perStep = c.flops.total;
  const tflops = (r: { status: string; secondsPerStep?: number } | undefined): number | undefined =>
    r !== undefined && r.status === 'ok' && r.secondsPerStep ? perStep / r.secondsPerStep / 1e12 : undefined;
  const cross = c.torchFlopsPerStep === null ? 'PyTorch FlopCounterMode: unavailable'
    : `PyTorch FlopCounterMode: ${fmt(c.torchFlopsPerStep / 1e9)} GFLOP (ratio ${fmt(c.torchFlopsPerStep / perStep)})`;
  const lines = [`### ${c.label}`, '', `${fmt(perStep / 1e9)} GFLOP per step (Node counter; ${cross})`, '',
    '| config | PyTorch img/s | Node img/s | PyTorch TFLOP/s | Node TFLOP/s | Node/PyTorch |', '|---|---|---|---|---|---|'];
  const notes: string[] = [];
  const cell = (side: string, r: { status: string; reason?: string; imagesPerSecond?: number } | undefined): string => {
    if (r === undefined) return 'n/a';
    if (r.status === 'ok') return fmt(r.imagesPerSecond);
    const note = `${side} ${r.status}: ${r.reason ?? 'no reason given'}`;
    if (!notes.includes(note)) notes.push(note);
    return `${r.status} [${notes.indexOf(note) + 1}]`;
  };
  for (const { config, node, python } of c.rows) {
    const n = ok(node);
    const p = ok(python);
    lines.push(`| ${config} | ${cell('PyTorch', python)} | ${cell('Node', node)} | ${fmt(tflops(python))} | ` +
      `${fmt(tflops(node))} | ${n !== undefined && p !== undefined ? fmt(n / p) : '-'} |`);
  }
  if (notes.length > 0) lines.push('', ...notes.map((n, i) => `[${i + 1}] ${n}`));
  if (c.target) {
    lines.push('', `Target: Node best (${c.target.nodeConfig}) / PyTorch ${c.target.pythonConfig} = ` +
      `**${fmt(c.target.ratio)}**`);
  }
  return `${lines.join('\n')}\n`;
}
