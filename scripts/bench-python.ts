// The Python half of the Node-against-Python benchmarks: each bench-<name>.ts
// runs scripts/bench_<name>.py with the python3 that has torch (Debian's, the
// same libtorch as the addon) and reads the JSON it prints; and the median
// their alternating rounds report. Every reference a benchmark starts gets
// `referenceProcessEnv()`: this process's OpenBLAS build and OpenMP wait
// policy, so that both sides run the same BLAS threads (scripts/reference-env.ts
// says why).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BlasInfo, detectBlas, loadedLibraries } from '../lib/cli/info';
import * as torch from '../lib/torch';
import { referenceEnv } from './reference-env';

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
  return JSON.parse(execFileSync(PYTHON, [pythonScript(file), ...args], { input, encoding: 'utf8', env: referenceProcessEnv() })) as T;
}

/** The BLAS library this process mapped (`selfsup info`'s detection). */
export function nodeBlas(): BlasInfo {
  return detectBlas(loadedLibraries(), '');
}

/**
 * The environment a PyTorch reference starts with: `base` (this process's
 * environment, plus a rank's variables) with this process's OpenBLAS build
 * first on LD_LIBRARY_PATH, and the OpenMP wait policy and malloc thresholds selfsup chose.
 *
 * @example childProcess.spawn(PYTHON, [pythonScript('bench_ddp.py')], { env: referenceProcessEnv({ ...process.env, RANK: '0' }) });
 */
export function referenceProcessEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return referenceEnv(base, { waitPolicy: torch.ompWaitPolicy(), blasPath: nodeBlas().path, hostMalloc: torch.hostMalloc() });
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
