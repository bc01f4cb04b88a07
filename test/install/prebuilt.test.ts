// `npm pack` from a clean copy, then `npm install <tarball>` into an empty
// folder with every compiler and build tool on PATH replaced by a shim that
// records the call and fails: the prebuilt binary must be used, nothing built.
import * as assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanEnv, cleanUp, installTarball, packTarball, run, tempDir, useSelfsup } from './package-fixture';

const TOOLS = ['cc', 'c++', 'gcc', 'g++', 'clang', 'clang++', 'cmake', 'make', 'ninja', 'ld',
  'x86_64-linux-gnu-gcc', 'x86_64-linux-gnu-g++', 'aarch64-linux-gnu-gcc', 'aarch64-linux-gnu-g++'];

/** A folder of failing stand-ins for the build tools; each call is appended to `<dir>/calls.log`. */
function noCompilerShims(): { dir: string; calls: () => string[] } {
  const dir = tempDir('selfsup-no-compiler-');
  const log = path.join(dir, 'calls.log');
  for (const tool of TOOLS) {
    fs.writeFileSync(path.join(dir, tool),
      `#!/bin/sh\necho "$(basename "$0") $*" >> '${log}'\necho "no compiler on this machine: $0" >&2\nexit 1\n`,
      { mode: 0o755 });
  }
  const calls = (): string[] => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : [])
    // find-libtorch asks gcc for the Debian multiarch triplet: a query, not a build.
    .filter((c) => c !== 'gcc -print-multiarch');
  return { dir, calls };
}

describe('install: the prebuilt binary from the npm pack tarball', function () {
  this.timeout(15 * 60 * 1000);
  let tarball = '';
  let installed: { dir: string; pkg: string; log: string };
  let shims: ReturnType<typeof noCompilerShims>;
  let env: NodeJS.ProcessEnv;

  before(function () {
    // SELFSUP_SKIP_INSTALL_TESTS=1 skips these minutes-long tests in a quick local run.
    if (process.platform !== 'linux' || process.env.SELFSUP_SKIP_INSTALL_TESTS === '1') this.skip();
    tarball = packTarball().tarball;
    shims = noCompilerShims();
    env = cleanEnv({ PATH: `${shims.dir}${path.delimiter}${process.env.PATH ?? ''}` });
    installed = installTarball(tarball, env);
  });

  after(cleanUp);

  it('ships a prebuilt binary named by libtorch flavour in the tarball', () => {
    const list = run('tar', ['-tzf', tarball], { cwd: path.dirname(tarball), env: cleanEnv() }).split('\n');
    const prebuilt = list.filter((f) => f.startsWith('package/prebuilds/'));
    assert.ok(prebuilt.some((f) => /^package\/prebuilds\/linux-x64\/selfsup\.napi\.glibc\.torch-\d+\.\d+\.(cpu|cu\d+)\.cxx11abi[01]\.node$/.test(f)),
      `no prebuilt binary in the tarball: ${prebuilt.join(', ') || 'none'}`);
    assert.ok(!list.some((f) => f.startsWith('package/build/')), 'the tarball carries a build/ folder');
    assert.ok(!list.includes('package/native-addon.json'), 'the tarball carries an install record');
  });

  it('installs without running a compiler or build tool', () => {
    assert.deepEqual(shims.calls(), [], `build tools were called during npm install:\n${installed.log.slice(-3000)}`);
    assert.ok(!fs.existsSync(path.join(installed.pkg, 'build')), 'npm install created a build/ folder');
    const record = JSON.parse(fs.readFileSync(path.join(installed.pkg, 'native-addon.json'), 'utf8')) as
      { kind: string; path: string; flavour: string; by: string };
    assert.equal(record.kind, 'prebuilt');
    assert.equal(record.by, 'install');
    assert.match(record.path, /^prebuilds\/linux-x64\/selfsup\..*\.node$/);
    assert.match(installed.log, /testing the prebuilt addon .* in a child process/);
    assert.match(installed.log, /nothing compiled/);
  });

  it('require(\'selfsup\') loads the prebuilt binary and runs an operator and a backward pass', () => {
    const r = useSelfsup(installed.dir, env);
    assert.equal(r.loss, 14);
    assert.deepEqual(r.grad, [2, 4, 6]);
    assert.equal(r.addon.source, 'prebuilt');
    assert.equal(path.dirname(r.addon.path), path.join(fs.realpathSync(installed.pkg), 'prebuilds', 'linux-x64'));
    assert.equal(shims.calls().length, 0);
  });

  it('`npx selfsup info --json` names the prebuilt binary and its libtorch', () => {
    const out = run('npx', ['--no-install', 'selfsup', 'info', '--json'], { cwd: installed.dir, env, stdoutOnly: true });
    const info = JSON.parse(out.slice(out.indexOf('{'))) as
      { addon: { source: string; flavour: string }; libtorch: { version: string; path: string | null } };
    assert.equal(info.addon.source, 'prebuilt');
    assert.match(info.addon.flavour, /^torch-\d+\.\d+\.(cpu|cu\d+)\.cxx11abi[01]$/);
    assert.match(info.libtorch.version, /^\d+\.\d+/);
    assert.ok(info.libtorch.path && fs.existsSync(info.libtorch.path), String(info.libtorch.path));
  });

  it('falls back to a source build when the prebuilt binary is broken, without crashing the install', () => {
    // A copy of the installed package (next to it, so cmake-js and
    // node-gyp-build resolve) whose prebuilt binary is garbage: the
    // child-process test rejects it and the install goes on to build from
    // source, which stops here because the shims stand in for the compiler.
    const copy = path.join(installed.dir, 'node_modules', 'selfsup-broken');
    fs.cpSync(installed.pkg, copy, { recursive: true, verbatimSymlinks: true });
    const dir = path.join(copy, 'prebuilds', 'linux-x64');
    for (const name of fs.readdirSync(dir)) {
      if (name.endsWith('.node')) fs.writeFileSync(path.join(dir, name), 'not an ELF file');
    }
    fs.rmSync(path.join(copy, 'native-addon.json'));
    const r = childProcess.spawnSync(process.execPath, [path.join(copy, 'scripts', 'install.js')],
      { cwd: copy, env, encoding: 'utf8' });
    const out = `${r.stdout}${r.stderr}`;
    assert.equal(r.signal, null, out);
    assert.match(out, /the prebuilt addon selfsup\..*\.node does not work with this libtorch/);
    assert.match(out, /no prebuilt addon works here\n(selfsup: )?building from source/);
    assert.equal(r.status, 1, out);
    assert.match(out, /cmake and c\+\+ not found on PATH; the addon is compiled from source/);
    assert.ok(!fs.existsSync(path.join(copy, 'native-addon.json')), 'a failed install wrote a record');
  });

  it('installed with --ignore-scripts (npm 12 without allowScripts): the first load adopts the prebuilt binary', () => {
    const callsBefore = shims.calls().length;
    const bare = installTarball(tarball, env, { ignoreScripts: true });
    assert.doesNotMatch(bare.log, /selfsup: /, 'the install script ran');
    assert.ok(!fs.existsSync(path.join(bare.pkg, 'native-addon.json')), 'an install record without the install script');
    const r = useSelfsup(bare.dir, env);
    assert.equal(r.loss, 14);
    assert.deepEqual(r.grad, [2, 4, 6]);
    assert.equal(r.addon.source, 'adopted');
    assert.equal(path.dirname(r.addon.path), path.join(fs.realpathSync(bare.pkg), 'prebuilds', 'linux-x64'));
    const record = JSON.parse(fs.readFileSync(path.join(bare.pkg, 'native-addon.json'), 'utf8')) as { kind: string; by: string };
    assert.deepEqual([record.kind, record.by], ['prebuilt', 'load']);
    assert.equal(useSelfsup(bare.dir, env).addon.source, 'prebuilt');
    assert.deepEqual(shims.calls().slice(callsBefore), [], 'build tools were called');
  });

  it('SELFSUP_SKIP_NATIVE=1 skips the native step', () => {
    const r = childProcess.spawnSync(process.execPath, [path.join(installed.pkg, 'scripts', 'install.js')],
      { cwd: installed.pkg, env: { ...env, SELFSUP_SKIP_NATIVE: '1' }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /SELFSUP_SKIP_NATIVE is set: skipping libtorch discovery and the native build/);
  });
});
