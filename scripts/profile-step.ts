// Issue 19's comparison: one eager training step of SimCLR, BYOL, DINO and
// MAE on both sides (Node: lib/bench/profile-step.ts; PyTorch:
// scripts/profile_step.py, the step of scripts/bench_gpu.py), each profiled
// operator by operator, printed side by side: operators per step by name with
// counts, totals, host syncs, allocations and host time per step, and the
// differences by operator name. Not a timed test: an npm script.
//
//   npm run profile:step -- [--device cpu|cuda] [--scale small|full] [--workloads simclr,byol,dino,mae]
//                           [--steps N] [--warmup N] [--rounds N] [--threads N] [--python PATH] [--json FILE] [--all]
//
// Defaults: the bench's (lib/bench/runner.ts benchPlan): CUDA when this
// libtorch sees a GPU, full scale there and small on the CPU; 5 timed steps
// after 2 warm-up steps on the CPU (20 after 5 on CUDA); 1 round. --rounds N
// runs both sides N times, taking turns, and the host times are the median
// over all their timed steps; the table adds each round's Node / PyTorch
// ratio of medians (host time and CPU time of the process) and their median.
// --all lists every operator, not only those whose counts differ.
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import * as torch from '../lib/torch';
import { writeFileAtomic } from '../lib/torch';
import { KEPT_THRESHOLDS_TEXT } from '../lib/torch/host-malloc';
import { WorkloadName, parseWorkloads, workload } from '../lib/bench/workloads';
import { benchPlan } from '../lib/bench/runner';
import { benchEnvironment } from '../lib/bench/report';
import { StepProfile, PythonStepProfile, fromPython, profileNodeStep } from '../lib/bench/profile-step';
import { StepComparison, compareSteps, formatStepComparison, roundRatios, withStepTimes } from '../lib/bench/profile-compare';
import { PYTHON, nodeBlas, pythonScript, referenceProcessEnv } from './bench-python';
import { blasLine, mallocTunables } from './reference-env';
import { WorkloadOptions, readWorkloadFlags } from './workload-flags';

interface Options extends WorkloadOptions {
  all: boolean;
}

function parseOptions(argv: readonly string[]): Options {
  const { raw, switches, device, scale, count } = readWorkloadFlags(argv, ['--all']);
  const all = switches.has('--all');
  const plan = benchPlan({ device, scale });
  const gpu = plan.device === 'cuda';
  return {
    device: plan.device, scale: plan.scale, workloads: parseWorkloads(raw.get('--workloads') ?? 'all'),
    steps: count('--steps', 1) ?? (gpu ? 20 : 5), warmup: count('--warmup', 1) ?? (gpu ? 5 : 2), rounds: count('--rounds', 1) ?? 1,
    threads: count('--threads', 1), python: raw.get('--python') ?? PYTHON, json: raw.get('--json'), all,
  };
}

function runPython(o: Options, threads: number): { env: Record<string, unknown>; profiles: StepProfile[] } {
  const job = { device: o.device, warmup: o.warmup, steps: o.steps, threads, workloads: o.workloads.map((n) => workload(n, o.scale)) };
  const stdout = execFileSync(o.python, [pythonScript('profile_step.py'), JSON.stringify(job)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 30, env: referenceProcessEnv() });
  const out = { env: {} as Record<string, unknown>, profiles: [] as StepProfile[] };
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as { kind: string } & Record<string, unknown>;
    if (record.kind === 'env') out.env = record;
    else if (record.kind === 'profile') out.profiles.push(fromPython(record as unknown as PythonStepProfile, o.device));
  }
  return out;
}

function runNode(o: Options): StepProfile[] {
  return o.workloads.map((name) => {
    try {
      return profileNodeStep(workload(name, o.scale), { device: o.device, warmup: o.warmup, steps: o.steps });
    } catch (e) {
      return { side: 'node', workload: name, device: o.device, status: 'error', reason: e instanceof Error ? e.message : String(e),
        events: [], memory: { allocs: 0, allocBytes: 0, frees: 0, freeBytes: 0 }, hostUs: [], wallUs: [], cpuUs: [], mainCpuUs: [], pageFaults: [] };
    }
  });
}

/** One workload's profile from each round. */
function perRound(rounds: readonly (readonly StepProfile[])[], name: WorkloadName): StepProfile[] {
  return rounds.map((r) => r.find((p) => p.workload === name)!);
}

/** One profile with the timed steps of every round. */
function merged(all: readonly StepProfile[]): StepProfile {
  return { ...all[0], hostUs: all.flatMap((p) => p.hostUs), wallUs: all.flatMap((p) => p.wallUs), cpuUs: all.flatMap((p) => p.cpuUs),
    mainCpuUs: all.flatMap((p) => p.mainCpuUs), pageFaults: all.flatMap((p) => p.pageFaults) };
}

function main(): void {
  const o = parseOptions(process.argv.slice(2));
  const loadAtStart = loadText();
  if (o.threads !== undefined) torch.setNumThreads(o.threads);
  const threads = torch.getNumThreads();
  const py: ReturnType<typeof runPython>[] = [];
  const node: StepProfile[][] = [];
  let counted: StepComparison[] = [];
  for (let round = 0; round < o.rounds; round++) {
    const sides = [() => py.push(runPython(o, threads)), () => node.push(runNode(o))];
    if (round % 2 === 1) sides.reverse();
    process.stderr.write(`round ${round + 1} of ${o.rounds} ...\n`);
    sides.forEach((run) => run());
    // The operator counts come from the first round; no round keeps its events (withStepTimes says why).
    if (round === 0) counted = o.workloads.map((name) => compareSteps(perRound(node, name)[0], perRound(py.map((r) => r.profiles), name)[0]));
    for (const p of [...node[round], ...py[round].profiles]) p.events = [];
  }
  const env = benchEnvironment(o.device);
  console.log(`## Operators per training step: ${o.device}, ${env.hardware}, scale ${o.scale}`);
  console.log(`Node ${env.node}, libtorch ${env.libtorch}; PyTorch ${String(py[0].env.torch)}; ${threads} thread(s); ` +
    `${o.device === 'cuda' ? 'bfloat16 autocast' : 'float32'}; one profiled step after ${o.warmup} warm-up, host and CPU time = median of ` +
    `${o.rounds} alternating round(s) x ${o.steps} unprofiled steps; OpenMP wait policy ${waitText(py[0].env)}; ` +
    `${mallocText(py[0].env)}; ` +
    `${blasLine(nodeBlas().name, nodeBlas().path, typeof py[0].env.blas === 'string' ? py[0].env.blas : null)}; ` +
    `load average ${loadAtStart} at the start, ${loadText()} at the end\n`);
  const comparisons = o.workloads.map((name, i) => {
    const n = perRound(node, name);
    const p = perRound(py.map((r) => r.profiles), name);
    const ok = [...n, ...p].every((x) => x.status === 'ok');
    return withStepTimes(counted[i], merged(n), merged(p), ok ? roundRatios(n, p) : undefined);
  });
  for (const c of comparisons) console.log(`${formatStepComparison(c, { all: o.all })}\n`);
  if (o.json !== undefined) {
    writeFileAtomic(o.json, `${JSON.stringify({ options: o, node: env, python: py[0].env, comparisons }, null, 2)}\n`);
    process.stderr.write(`Wrote ${o.json}\n`);
  }
  const failed = comparisons.filter((c) => c.node.status !== 'ok' || c.pytorch.status !== 'ok');
  if (failed.length > 0) throw new Error(`no comparison for ${failed.map((c) => c.workload).join(', ')} (see above)`);
}

/** The wait policy of both sides, or of each when they differ. */
function waitText(pyEnv: Record<string, unknown>): string {
  const node = torch.ompWaitPolicy()?.value ?? 'libgomp default';
  const py = typeof pyEnv.ompWaitPolicy === 'string' ? pyEnv.ompWaitPolicy : 'libgomp default';
  return node === py ? `${node} on both sides` : `Node ${node}, PyTorch ${py} (WARNING: not the same)`;
}

/** The malloc thresholds of both sides: Node's (mallopt at load) and the tunables the reference got. */
function mallocText(pyEnv: Record<string, unknown>): string {
  const node = torch.hostMalloc();
  const py = typeof pyEnv.glibcTunables === 'string' ? pyEnv.glibcTunables : null;
  if (node?.source === 'selfsup') {
    return py === mallocTunables(process.env.GLIBC_TUNABLES, node)
      ? `freed memory kept on both sides (${KEPT_THRESHOLDS_TEXT})`
      : `freed memory kept by Node, PyTorch GLIBC_TUNABLES=${py ?? 'unset'} (WARNING: not the same)`;
  }
  return `malloc: Node ${node?.detail ?? 'not recorded'}, PyTorch GLIBC_TUNABLES=${py ?? 'unset'}`;
}

function loadText(): string {
  return os.loadavg().map((l) => l.toFixed(1)).join(' / ');
}

try {
  main();
} catch (e) {
  process.stderr.write(`profile-step: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
