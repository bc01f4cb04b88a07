// What the install tests share: the `npm pack` tarball of a clean copy of the
// repository (packed once per mocha run; its prepack builds the CPU prebuilt
// binary), installs of it into empty folders, and Node run inside them.
//
// Dependencies come from npm's cache (`--prefer-offline`): the repository's
// own `npm install` put them there, so the tests neither wait on the registry
// nor fail offline when the cache is warm.
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addonPath } from '../../lib/torch/native';

/** The repository root: the folder above this file whose package.json is named "selfsup". */
export function repoRoot(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'selfsup' && fs.existsSync(path.join(dir, 'scripts', 'install.js'))) return dir;
    } catch {
      // not here: keep walking up
    }
  }
  throw new Error(`no selfsup package.json above ${__dirname}`);
}

const made: string[] = [];

/** A fresh temporary folder, removed by `cleanUp()`. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every folder `tempDir` made. */
export function cleanUp(): void {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

// npm's settings that a nested npm should keep; the rest of npm_* (set when
// the tests run under `npm test`) describe the outer project and must not leak.
const KEEP_NPM = new Set(['npm_config_registry', 'npm_config_cache', 'npm_config_userconfig', 'npm_config_proxy',
  'npm_config_https_proxy', 'npm_config_noproxy', 'npm_config_strict_ssl', 'npm_config_cafile']);

/** The environment for nested npm and node: no SELFSUP_ADDON, no outer npm script state, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !KEEP_NPM.has(k.toLowerCase())) continue;
    if (['SELFSUP_ADDON', 'SELFSUP_BUILD_DIR', 'SELFSUP_BUILD_FROM_SOURCE', 'SELFSUP_SKIP_NATIVE', 'INIT_CWD'].includes(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/**
 * Runs a command; throws with its output when it fails. Returns stdout + stderr, or stdout alone with
 * `stdoutOnly` (npm 12's npx prints notices on stderr around a command's output).
 */
export function run(cmd: string, args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; stdoutOnly?: boolean }): string {
  const r = childProcess.spawnSync(cmd, args, { cwd: options.cwd, env: options.env, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}, signal ${r.signal}) in ${options.cwd}:\n` +
      out.slice(-6000));
  }
  return options.stdoutOnly ? r.stdout : out;
}

// What a clean clone lacks: build outputs, installs and local state.
const NOT_IN_A_CLONE = new Set(['node_modules', 'build', 'dist', '.out', '.git', 'prebuilds', 'native-addon.json',
  'runs', '.carry']);

let packed: { tarball: string; log: string } | null = null;

/**
 * Packs a clean copy of the repository with `npm pack` (prepack builds the
 * prebuilt addon, prepare compiles the TypeScript) and returns the tarball.
 * The copy shares the repository's node_modules through a link.
 */
export function packTarball(): { tarball: string; log: string } {
  if (packed) return packed;
  const root = repoRoot();
  // Shared by every install test file of this mocha run, so removed at exit rather than by cleanUp().
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-pack-'));
  process.once('exit', () => fs.rmSync(work, { recursive: true, force: true }));
  const copy = path.join(work, 'repo');
  fs.cpSync(root, copy, {
    recursive: true,
    // Top-level entries only: lib/ may hold a folder named build, say.
    filter: (src) => !NOT_IN_A_CLONE.has(path.relative(root, src).split(path.sep)[0]),
  });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'));
  // TMPDIR inside `work`: prepack's prebuildify keeps a header cache in the temp folder (`prebuildify/`).
  const log = run('npm', ['pack', '--pack-destination', work, '--foreground-scripts'],
    { cwd: copy, env: cleanEnv({ TMPDIR: work }) });
  const tarball = fs.readdirSync(work).find((n) => n.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball in ${work}:\n${log.slice(-4000)}`);
  packed = { tarball: path.join(work, tarball), log };
  return packed;
}

/**
 * Installs `tarball` into a new empty project folder; returns the folder, the installed package and npm's output.
 * The project allows selfsup's install script (npm 12 runs a dependency's install script only when the
 * project's allowScripts names it; older npm ignores the field); `ignoreScripts` installs with --ignore-scripts,
 * as npm 12 does for a project that did not allow it.
 */
export function installTarball(tarball: string, env: NodeJS.ProcessEnv, options: { ignoreScripts?: boolean } = {}):
  { dir: string; pkg: string; log: string } {
  const dir = tempDir('selfsup-install-');
  const project = { name: 'install-test', version: '1.0.0', private: true, allowScripts: { [`file:${tarball}`]: true } };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(project, null, 2)}\n`);
  const log = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts',
    ...(options.ignoreScripts ? ['--ignore-scripts'] : []), tarball], { cwd: dir, env });
  return { dir, pkg: path.join(dir, 'node_modules', 'selfsup'), log };
}

/** What `require('selfsup')` reports from inside an install folder. */
export interface UseResult {
  loss: number;
  grad: number[];
  addon: { source: string; path: string; flavour: string | null };
}

/** In `dir`, requires selfsup, runs an operator and a backward pass, and reports which addon served them. */
export function useSelfsup(dir: string, env: NodeJS.ProcessEnv): UseResult {
  const code = `
    const { torch } = require('selfsup');
    const x = torch.tensor([1, 2, 3]).requiresGrad_();
    const loss = x.mul(x).sum();
    loss.backward();
    const { addonOrigin } = require('selfsup/dist/lib/torch/native.js');
    process.stdout.write(JSON.stringify({ loss: loss.item(), grad: x.grad.toArray(), addon: addonOrigin }));
  `;
  const out = run(process.execPath, ['-e', code], { cwd: dir, env }).trim();
  return JSON.parse(out.slice(out.lastIndexOf('{"loss"'))) as UseResult;
}

/** scripts/find-libtorch.js, as the install tests use it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const findLibtorch = require(path.join(repoRoot(), 'scripts', 'find-libtorch.js')) as {
  findLibtorch(): { libDir: string }; prebuiltFileName(found: unknown): string; flavourOf(found: unknown): { tag: string };
};

/**
 * A package-shaped copy of the repository (scripts, native, dist/lib, node_modules linked, no .git, no build,
 * no install record) whose prebuilt binary, named for this machine's libtorch, is this checkout's addon:
 * nothing is packed or built.
 */
export function packageShapedCopy(): { dir: string; prebuilt: string } {
  const root = repoRoot();
  const dir = tempDir('selfsup-pkg-');
  for (const entry of ['scripts', 'native', 'package.json', 'CMakeLists.txt']) {
    fs.cpSync(path.join(root, entry), path.join(dir, entry), { recursive: true });
  }
  fs.cpSync(path.join(root, 'dist', 'lib'), path.join(dir, 'dist', 'lib'), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  const prebuilt = path.join(dir, 'prebuilds', `${process.platform}-${process.arch}`,
    findLibtorch.prebuiltFileName(findLibtorch.findLibtorch()));
  fs.mkdirSync(path.dirname(prebuilt), { recursive: true });
  fs.copyFileSync(addonPath, prebuilt);
  return { dir, prebuilt };
}
