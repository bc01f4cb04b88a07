// How many intra-op threads libtorch uses, and why. libtorch picks the number
// of *physical* cores by default, which on a 2-vCPU VM is 1: half the machine
// idle (issue 13: the main job ran at 1,074 img/s on 1 thread, 1,761 on 2).
// selfsup instead uses every core this process may run on, as a user of
// PyTorch on a normal multi-core machine would expect, unless
// OMP_NUM_THREADS says otherwise; torch.setNumThreads(n) and the commands'
// --threads flag override both. `selfsup info` shows the count and its source.
import * as fs from 'node:fs';
import * as os from 'node:os';

/** Where the intra-op thread count came from. */
export type ThreadSource = 'available cores' | 'OMP_NUM_THREADS' | 'torch.setNumThreads' | '--threads' | 'main thread';

/** The intra-op thread count and why it is that. */
export interface ThreadSetting {
  count: number;
  source: ThreadSource;
  /** One line for people: `available cores: affinity 2, no cgroup CPU limit`. */
  detail: string;
}

/** Reads a text file, or null when it cannot be read. */
type ReadText = (file: string) => string | null;

const readText: ReadText = (file) => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/**
 * The CPU limit of this process's cgroup, in whole cores (rounded up), or null
 * when there is none: cgroup v2 `cpu.max` ("200000 100000" = 2 cores, "max
 * 100000" = none), else cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`.
 *
 * @example cgroupCpuLimit((f) => (f.endsWith('cpu.max') ? '150000 100000\n' : null)) // 2
 */
export function cgroupCpuLimit(read: ReadText = readText): number | null {
  const v2 = read('/sys/fs/cgroup/cpu.max');
  if (v2 !== null) {
    const [quota, period] = v2.trim().split(/\s+/);
    if (quota === 'max') return null;
    return cores(Number(quota), Number(period));
  }
  const quota = read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us') ?? read('/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us');
  const period = read('/sys/fs/cgroup/cpu/cpu.cfs_period_us') ?? read('/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us');
  if (quota === null || period === null) return null;
  return cores(Number(quota), Number(period));
}

function cores(quota: number, period: number): number | null {
  if (!Number.isFinite(quota) || !Number.isFinite(period) || quota <= 0 || period <= 0) return null;
  return Math.max(1, Math.ceil(quota / period));
}

/**
 * The cores this process may use: the CPU affinity mask
 * (`os.availableParallelism()`), capped by the cgroup CPU limit when one is set.
 *
 * @example availableCores().count // 2 on a 2-vCPU VM
 */
export function availableCores(affinity: number = os.availableParallelism(), limit: number | null = cgroupCpuLimit()):
  { count: number; detail: string } {
  const count = limit === null ? affinity : Math.min(affinity, limit);
  const why = limit === null ? 'no cgroup CPU limit' : `cgroup CPU limit ${limit}`;
  return { count, detail: `affinity ${affinity}, ${why}` };
}

/**
 * The thread count selfsup starts libtorch with: OMP_NUM_THREADS when it is a
 * positive integer (the first of a nested list such as "4,2"), else every
 * available core.
 *
 * @example defaultThreads({ OMP_NUM_THREADS: '1' }).count // 1
 */
export function defaultThreads(env: NodeJS.ProcessEnv = process.env, available = availableCores()): ThreadSetting {
  const omp = env.OMP_NUM_THREADS;
  if (omp !== undefined && omp.trim() !== '') {
    const n = Number(omp.split(',')[0].trim());
    if (Number.isInteger(n) && n >= 1) return { count: n, source: 'OMP_NUM_THREADS', detail: `OMP_NUM_THREADS=${omp}` };
    return { count: available.count, source: 'available cores',
      detail: `available cores: ${available.detail}; OMP_NUM_THREADS='${omp}' ignored (not a positive integer)` };
  }
  return { count: available.count, source: 'available cores', detail: `available cores: ${available.detail}` };
}

/** How OpenMP's idle threads wait: what OMP_WAIT_POLICY the addon was loaded with, and who chose it. */
export interface WaitPolicy {
  value: string;
  /** True when selfsup chose PASSIVE (neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT was set). */
  setBySelfsup: boolean;
}

/**
 * The OpenMP wait policy to load libtorch with: the user's OMP_WAIT_POLICY or
 * GOMP_SPINCOUNT when set, else PASSIVE.
 *
 * NOTE: with libgomp's default (spin about 300,000 times at every barrier
 * before sleeping), all cores as threads and a machine shared with other
 * work, a thread that was descheduled holds its partner spinning at each of
 * the thousands of barriers a step has: measured on the 2-vCPU VM at load
 * average 17, the main job's steps ran at 29 img/s on 2 threads against 273
 * on 1; with PASSIVE, 202 on 2 (GOMP_SPINCOUNT=10000: 121). On the nearly
 * idle VM (load 1.7-2.1) PASSIVE costs nothing measurable: 500 main-job
 * steps, alternating, ran at 1,508 and 1,236 img/s with PASSIVE against 1,400
 * and 1,214 with ACTIVE. Set OMP_WAIT_POLICY=ACTIVE to spin.
 *
 * @example waitPolicyFor({}) // { value: 'PASSIVE', setBySelfsup: true }
 */
export function waitPolicyFor(env: NodeJS.ProcessEnv): WaitPolicy {
  if (env.OMP_WAIT_POLICY !== undefined && env.OMP_WAIT_POLICY !== '') {
    return { value: env.OMP_WAIT_POLICY, setBySelfsup: false };
  }
  if (env.GOMP_SPINCOUNT !== undefined && env.GOMP_SPINCOUNT !== '') {
    return { value: `libgomp default with GOMP_SPINCOUNT=${env.GOMP_SPINCOUNT}`, setBySelfsup: false };
  }
  return { value: 'PASSIVE', setBySelfsup: true };
}

let waitPolicy: WaitPolicy | null = null;

/** Records the wait policy the addon was loaded with. @example recordWaitPolicy(waitPolicyFor(process.env)) */
export function recordWaitPolicy(policy: WaitPolicy): void {
  waitPolicy = policy;
}

/** The OpenMP wait policy the addon was loaded with; null before it is loaded. @example torch.ompWaitPolicy()?.value // 'PASSIVE' */
export function ompWaitPolicy(): WaitPolicy | null {
  return waitPolicy;
}

let current: ThreadSetting | null = null;

/**
 * Records the thread count just given to libtorch and where it came from (what `threadSetting()` reports).
 *
 * @example recordThreads({ count: 4, source: '--threads', detail: '--threads 4' });
 */
export function recordThreads(setting: ThreadSetting): void {
  current = setting;
}

/**
 * The intra-op thread count set last and its source; null before the addon is loaded.
 *
 * @example torch.threadSetting()?.source // 'available cores'
 */
export function threadSetting(): ThreadSetting | null {
  return current;
}
