// The Python half of the Node-against-Python benchmarks: each bench-<name>.ts
// runs scripts/bench_<name>.py with the python3 that has torch (Debian's, the
// same libtorch as the addon) and reads the JSON it prints.
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
  const script = [path.join(__dirname, '..', '..', 'scripts', file), path.join(process.cwd(), 'scripts', file)]
    .find((p) => fs.existsSync(p)) ?? path.join('scripts', file);
  return JSON.parse(execFileSync(PYTHON, [script, ...args], { input, encoding: 'utf8' })) as T;
}
