// The command-line flags shared by the scripts that run the bench workloads
// (bench-gpu.ts, profile-step.ts): --device, --scale, --workloads, --steps,
// --warmup, --rounds, --threads, --python, --json, each with a value, plus
// the switches a script adds. Unknown flags and bad values are refused by name.
import { Scale, WorkloadName } from '../lib/bench/workloads';

export const WORKLOAD_FLAGS = ['--device', '--scale', '--workloads', '--steps', '--warmup', '--rounds', '--threads', '--python',
  '--json'] as const;

/** What the flags resolve to in a workload script (with benchPlan's defaults). */
export interface WorkloadOptions {
  device: 'cpu' | 'cuda';
  scale: Scale;
  workloads: WorkloadName[];
  steps: number;
  warmup: number;
  rounds: number;
  threads?: number;
  python: string;
  json?: string;
}

export interface WorkloadFlags {
  /** The valued flags as given. */
  raw: Map<string, string>;
  /** The switches (of those the script allows) that were given. */
  switches: Set<string>;
  device?: 'cpu' | 'cuda';
  scale?: Scale;
  /** The integer value of `flag` (at least `min`), or undefined when not given. */
  count(flag: string, min: number): number | undefined;
}

/**
 * Reads `argv` (the arguments after the script).
 *
 * @example readWorkloadFlags(['--device', 'cpu', '--all'], ['--all']).switches.has('--all') // true
 */
export function readWorkloadFlags(argv: readonly string[], switches: readonly string[] = []): WorkloadFlags {
  const raw = new Map<string, string>();
  const given = new Set<string>();
  const valued: readonly string[] = WORKLOAD_FLAGS;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (switches.includes(flag)) {
      given.add(flag);
      continue;
    }
    if (!valued.includes(flag)) throw new RangeError(`Unknown option '${flag}'; expected one of ${[...valued, ...switches].join(', ')}`);
    const value = argv[++i];
    if (value === undefined) throw new RangeError(`Expected a value after ${flag}`);
    raw.set(flag, value);
  }
  const device = raw.get('--device');
  if (device !== undefined && device !== 'cpu' && device !== 'cuda') {
    throw new RangeError(`Expected cpu or cuda for --device but received ${device}`);
  }
  const scale = raw.get('--scale');
  if (scale !== undefined && scale !== 'small' && scale !== 'full') {
    throw new RangeError(`Expected small or full for --scale but received ${scale}`);
  }
  const count = (flag: string, min: number): number | undefined => {
    const v = raw.get(flag);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`Expected an integer >= ${min} for ${flag} but received ${v}`);
    return n;
  };
  return { raw, switches: given, device, scale, count };
}
