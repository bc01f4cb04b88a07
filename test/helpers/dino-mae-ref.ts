// Runs test/helpers/dino_mae_ref.py (DINO's DINOHead and MAE's
// get_2d_sincos_pos_embed in Debian's python3-torch) with a JSON job.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The python3 that has Debian's torch. */
export const PYTHON = process.env.SELFSUP_PYTHON ?? '/usr/bin/python3';

/** The repository root: the nearest folder up from here whose package.json is named selfsup. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'selfsup') return dir;
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/** Sends `job` to dino_mae_ref.py and returns its JSON answer. */
export function runDinoMaeRef<T>(job: object): T {
  const script = path.join(repoRoot(), 'test', 'helpers', 'dino_mae_ref.py');
  const out = execFileSync(PYTHON, [script], { input: JSON.stringify(job), maxBuffer: 1 << 28, encoding: 'utf8' });
  return JSON.parse(out) as T;
}
