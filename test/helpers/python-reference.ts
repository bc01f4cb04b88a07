// Runs one of the reference scripts in test/helpers/ with Debian's
// python3-torch: the request goes in as JSON on stdin, the answer comes back
// as JSON on stdout. Large tensors travel as files the caller writes to a
// temp folder (see test/eval/reference.ts); the rest travels inline.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The python3 that has Debian's torch and torchvision: env SELFSUP_PYTHON, else
 * /usr/bin/python3 (a pyenv python3 first on PATH cannot import torch).
 */
export const PYTHON = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';

/**
 * The repository root: the nearest folder up from this file whose
 * package.json is named selfsup, so the tests work from any build folder.
 *
 * @example path.join(repoRoot(), 'test', 'helpers', 'eval_ref.py');
 */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'selfsup') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`Expected a package.json named selfsup in a folder above ${__dirname} but found none`);
    dir = up;
  }
}

/**
 * Runs test/helpers/`script` with `request` as JSON on stdin and returns its
 * JSON answer; a failing script throws with its stderr.
 *
 * @example const results = runPythonReference<{ top1: number }[]>('eval_ref.py', cases);
 */
export function runPythonReference<T>(script: string, request: unknown): T {
  const file = path.join(repoRoot(), 'test', 'helpers', script);
  const out = execFileSync(PYTHON, [file], { input: JSON.stringify(request), maxBuffer: 1 << 30, encoding: 'utf8' });
  return JSON.parse(out) as T;
}
