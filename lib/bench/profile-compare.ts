// Node against the PyTorch reference, one training step each: operators by
// name with their counts, totals, host syncs, allocations and host time, and
// the differences by operator name (issue 19's comparison).
import { ProfilerEvent, HostSync, findHostSyncs, hostCalls, isOperator } from '../torch/profiler';
import { StepProfile } from './profile-step';

/** One side's totals for a step. */
export interface StepSummary {
  status: 'ok' | 'error';
  reason?: string;
  /** ATen operator calls, nested ones included (what PyTorch's key_averages counts). */
  operators: number;
  /** ATen operators called by the host language or autograd's engine (not nested in another operator). */
  hostCalls: number;
  /** Autograd nodes run by backward (scope 'backward_function'). */
  autogradNodes: number;
  syncs: HostSync[];
  cudaSyncWarnings?: number | null;
  allocs: number;
  allocBytes: number;
  /** Medians over the unprofiled steps, microseconds. */
  hostUs: number;
  wallUs: number;
  /** Median CPU time of the whole process per unprofiled step, microseconds. */
  cpuUs: number;
  /**
   * Median CPU time per unprofiled step of the process's threads other than the one that ran the step
   * (OpenMP and BLAS workers, the garbage collector), microseconds; NaN when it was not measured.
   */
  otherCpuUs: number;
  /** Median minor page faults per unprofiled step; NaN when not measured. */
  pageFaults: number;
}

/**
 * Node / PyTorch per alternating round: the ratio of the two sides' medians
 * in that round. Both sides of a round ran minutes apart at most, so a load
 * that changes between rounds moves both; the median of these ratios is the
 * comparison least disturbed by a shared machine.
 */
export interface RoundRatios {
  host: number[];
  cpu: number[];
}

/** One operator name on both sides. */
export interface OpCount {
  name: string;
  node: number;
  pytorch: number;
}

/** The comparison of one workload. */
export interface StepComparison {
  workload: string;
  device: string;
  node: StepSummary;
  pytorch: StepSummary;
  /** Every ATen operator name seen on either side: the largest difference first, then by name. */
  ops: OpCount[];
  /** Set when the profiles came from several rounds. */
  rounds?: RoundRatios;
}

/**
 * The median (the mean of the middle two for an even count; NaN for none).
 * @example medianOf([3, 1, 2]) // 2
 */
export function medianOf(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function counts(events: readonly ProfilerEvent[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of events) if (isOperator(e)) out.set(e.name, (out.get(e.name) ?? 0) + 1);
  return out;
}

/** The median over steps of the process's CPU time minus its main thread's; NaN unless both were measured for every step. */
function otherThreadsUs(p: StepProfile): number {
  if (p.mainCpuUs.length === 0 || p.mainCpuUs.length !== p.cpuUs.length) return NaN;
  return medianOf(p.cpuUs.map((c, i) => Math.max(0, c - p.mainCpuUs[i])));
}

/** The time fields of a summary: medians over the unprofiled steps. */
type StepTimes = Pick<StepSummary, 'hostUs' | 'wallUs' | 'cpuUs' | 'otherCpuUs' | 'pageFaults'>;

function stepTimes(p: StepProfile): StepTimes {
  return { hostUs: medianOf(p.hostUs), wallUs: medianOf(p.wallUs), cpuUs: medianOf(p.cpuUs), otherCpuUs: otherThreadsUs(p),
    pageFaults: medianOf(p.pageFaults) };
}

/**
 * The totals of one side.
 * @example summarize(nodeProfile).operators
 */
export function summarize(p: StepProfile): StepSummary {
  return {
    status: p.status, reason: p.reason, operators: p.events.filter(isOperator).length, hostCalls: hostCalls(p.events).length,
    autogradNodes: p.events.filter((e) => e.scope === 'backward_function').length, syncs: findHostSyncs(p.events),
    cudaSyncWarnings: p.cudaSyncWarnings, allocs: p.memory.allocs, allocBytes: p.memory.allocBytes, ...stepTimes(p),
  };
}

/**
 * `counted` (a comparison of one round's profiles, whose events may be gone
 * since) with the times of `node` and `pytorch` instead: the timed steps of
 * every round. A multi-round run keeps only the counts of the first round,
 * not its events: a large JS heap would make every garbage collection during
 * the later rounds' steps slower.
 *
 * @example const c = withStepTimes(compareSteps(node0, py0), nodeAllRounds, pyAllRounds, roundRatios(nRounds, pRounds));
 */
export function withStepTimes(counted: StepComparison, node: StepProfile, pytorch: StepProfile, rounds?: RoundRatios): StepComparison {
  const out: StepComparison = { ...counted, node: { ...counted.node, ...stepTimes(node) }, pytorch: { ...counted.pytorch, ...stepTimes(pytorch) } };
  if (rounds !== undefined) out.rounds = rounds;
  return out;
}

/**
 * Node / PyTorch of each round's median host and CPU time; `node[i]` and
 * `pytorch[i]` are one workload's profiles from round i.
 *
 * @example roundRatios(nodeRounds, pytorchRounds).host // [0.97, 1.04, 0.99]
 */
export function roundRatios(node: readonly StepProfile[], pytorch: readonly StepProfile[]): RoundRatios {
  if (node.length !== pytorch.length) throw new RangeError(`Expected as many Node rounds as PyTorch rounds but received ${node.length} and ${pytorch.length}`);
  const per = (key: 'hostUs' | 'cpuUs'): number[] => node.map((n, i) => medianOf(n[key]) / medianOf(pytorch[i][key]));
  return { host: per('hostUs'), cpu: per('cpuUs') };
}

/**
 * Node's step against PyTorch's, operator by operator.
 * @example const c = compareSteps(node, py); c.ops.filter((o) => o.node > o.pytorch);
 */
export function compareSteps(node: StepProfile, pytorch: StepProfile, rounds?: RoundRatios): StepComparison {
  const a = counts(node.events);
  const b = counts(pytorch.events);
  const names = [...new Set([...a.keys(), ...b.keys()])];
  const ops = names.map((name) => ({ name, node: a.get(name) ?? 0, pytorch: b.get(name) ?? 0 }));
  ops.sort((x, y) => Math.abs(y.node - y.pytorch) - Math.abs(x.node - x.pytorch) || (x.name < y.name ? -1 : 1));
  const out: StepComparison = { workload: node.workload, device: node.device, node: summarize(node), pytorch: summarize(pytorch), ops };
  if (rounds !== undefined) out.rounds = rounds;
  return out;
}

const fmtUs = (v: number): string => (Number.isNaN(v) ? '-' : v >= 1e3 ? `${(v / 1e3).toFixed(2)} ms` : `${v.toFixed(0)} us`);
const signed = (d: number): string => (d > 0 ? `+${d}` : String(d));
const ratio = (n: number, p: number): string => (p > 0 && Number.isFinite(n / p) ? (n / p).toFixed(2) : '-');

function syncText(s: StepSummary): string {
  if (s.syncs.length === 0) return '0';
  const by = new Map<string, number>();
  for (const x of s.syncs) {
    const where = x.path.length > 0 ? ` in ${x.path[x.path.length - 1]}` : '';
    by.set(`${x.call}${where}`, (by.get(`${x.call}${where}`) ?? 0) + 1);
  }
  return `${s.syncs.length} (${[...by].map(([k, n]) => `${n}x ${k}`).join(', ')})`;
}

/**
 * The comparison as markdown: the totals side by side, the operators that
 * differ, then (with `all`) every operator.
 *
 * @example console.log(formatStepComparison(compareSteps(node, py), { all: true }));
 */
export function formatStepComparison(c: StepComparison, options: { all?: boolean } = {}): string {
  const { node: n, pytorch: p } = c;
  const lines = [`### ${c.workload} (${c.device}): one eager training step`, ''];
  if (n.status !== 'ok' || p.status !== 'ok') {
    lines.push(`Node: ${n.status}${n.reason ? ` (${n.reason})` : ''}; PyTorch: ${p.status}${p.reason ? ` (${p.reason})` : ''}`, '');
  }
  lines.push('| per step | PyTorch | Node | Node - PyTorch (Node / PyTorch) |', '|---|---|---|---|');
  const row = (label: string, x: number, y: number): string => `| ${label} | ${x} | ${y} | ${signed(y - x)} (${ratio(y, x)}) |`;
  lines.push(row('ATen operators (nested included)', p.operators, n.operators));
  lines.push(row('operators called from the host (not nested)', p.hostCalls, n.hostCalls));
  lines.push(row('autograd nodes', p.autogradNodes, n.autogradNodes));
  lines.push(row('allocations', p.allocs, n.allocs));
  lines.push(`| allocated bytes | ${p.allocBytes} | ${n.allocBytes} | ${signed(n.allocBytes - p.allocBytes)} (${ratio(n.allocBytes, p.allocBytes)}) |`);
  lines.push(`| host syncs | ${syncText(p)}${p.cudaSyncWarnings != null ? `; CUDA sync warnings ${p.cudaSyncWarnings}` : ''} | ${syncText(n)} | |`);
  lines.push(`| host time (median, unprofiled) | ${fmtUs(p.hostUs)} | ${fmtUs(n.hostUs)} | (${ratio(n.hostUs, p.hostUs)}) |`);
  lines.push(`| CPU time of the process (median, unprofiled) | ${fmtUs(p.cpuUs)} | ${fmtUs(n.cpuUs)} | (${ratio(n.cpuUs, p.cpuUs)}) |`);
  if (!Number.isNaN(p.otherCpuUs) || !Number.isNaN(n.otherCpuUs)) {
    lines.push(`| CPU time outside the main thread (median) | ${fmtUs(p.otherCpuUs)} | ${fmtUs(n.otherCpuUs)} | |`);
  }
  if (!Number.isNaN(p.pageFaults) || !Number.isNaN(n.pageFaults)) {
    const f = (v: number): string => (Number.isNaN(v) ? '-' : String(v));
    lines.push(`| minor page faults (median, unprofiled) | ${f(p.pageFaults)} | ${f(n.pageFaults)} | (${ratio(n.pageFaults, p.pageFaults)}) |`);
  }
  if (c.rounds !== undefined && c.rounds.host.length > 1) {
    const list = (xs: readonly number[]): string => `${xs.map((x) => x.toFixed(2)).join(', ')}; median ${medianOf(xs).toFixed(2)}`;
    lines.push(`| Node / PyTorch per round, host time | | | ${list(c.rounds.host)} |`);
    lines.push(`| Node / PyTorch per round, CPU time | | | ${list(c.rounds.cpu)} |`);
  }
  if (c.device === 'cuda') lines.push(`| wall time with device (median) | ${fmtUs(p.wallUs)} | ${fmtUs(n.wallUs)} | (${ratio(n.wallUs, p.wallUs)}) |`);
  const diff = c.ops.filter((o) => o.node !== o.pytorch);
  lines.push('', diff.length === 0 ? 'Operators: the same names with the same counts on both sides.'
    : `Operators that differ (${diff.length} of ${c.ops.length} names):`);
  const opTable = (ops: readonly OpCount[]): string[] => ['', '| operator | PyTorch | Node | Node - PyTorch |', '|---|---|---|---|',
    ...ops.map((o) => `| ${o.name} | ${o.pytorch} | ${o.node} | ${signed(o.node - o.pytorch)} |`)];
  if (diff.length > 0) lines.push(...opTable(diff));
  if (options.all === true) lines.push('', 'All operators:', ...opTable(c.ops));
  return lines.join('\n');
}
