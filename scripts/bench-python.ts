// The Python half of the Node-against-Python benchmarks: each bench-<name>.ts
// runs scripts/bench_<name>.py with the python3 that has torch (Debian's, the
// same libtorch as the addon) and reads the JSON it prints; and the median
// their alternating rounds report.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The python3 with torch: env SELFSUP_PYTHON, else Debian's. */
export const PYTHON = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';

/**
 * Runs scripts/`file` with `args` (and `input` on stdin) and returns its JSON
 * answer. The script is found from dist/scripts, where the benchmark runs
 * compiled, else from the current folder.
 *
 * @example
 * const py = runPythonBench<Record<string, number>>('bench_ops.py', ['20000', '5']);
 */
export function runPythonBench<T>(file: string, args: readonly string[], input?: string): T {
  return JSON.parse(execFileSync(PYTHON, [pythonScript(file), ...args], { input, encoding: 'utf8' })) as T;
}

/**
 * The path of scripts/`file`: found from dist/scripts, where the benchmarks
 * run compiled, else from the current folder.
 *
 * @example execFileSync(python, [pythonScript('bench_gpu.py'), job]);
 */
export function pythonScript(file: string): string {
  return [path.join(__dirname, '..', '..', 'scripts', file), path.join(process.cwd(), 'scripts', file)]
    .find((p) => fs.existsSync(p)) ?? path.join('scripts', file);
}

/**
 * The median of `xs` (the mean of the middle two for an even count): what a
 * benchmark of alternating rounds reports.
 *
 * @example median([3, 1, 2]) // 2
 */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const m = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}
