import * as assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanUp, repoRoot, tempDir } from '../install/package-fixture';

interface Discovery {
  source: 'LIBTORCH' | 'python' | 'system';
  root: string;
  cmakePrefixPath: string | null;
  libDir: string;
  includeDirs: string[];
  version: string | null;
  cuda: boolean;
  cudaVersion: string | null;
  cxx11Abi: boolean;
}

interface FindOptions {
  env?: Record<string, string | undefined>;
  python?: string | false;
  usr?: string;
  multiarchs?: string[];
}

interface FindLibtorch {
  findLibtorch(options?: FindOptions): Discovery | null;
  notFoundMessage(): string;
}

const script = path.join(repoRoot(), 'scripts', 'find-libtorch.js');
const finder = require(script) as FindLibtorch;

/** A fake libtorch folder laid out like the pytorch.org zip or a pip torch package. */
function fakeLibtorch(opts: { version: string; abi: 0 | 1; cuda: boolean }): string {
  const root = tempDir('selfsup-fake-libtorch-');
  const write = (rel: string, text: string): void => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  write('share/cmake/Torch/TorchConfig.cmake',
    `if(CMAKE_SYSTEM_NAME STREQUAL "Linux")\n  set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=${opts.abi}")\nendif()\n`);
  const [major, minor, patch] = opts.version.split('.');
  write('include/torch/csrc/api/include/torch/version.h',
    `#pragma once\n#define TORCH_VERSION_MAJOR ${major}\n#define TORCH_VERSION_MINOR ${minor}\n` +
    `#define TORCH_VERSION_PATCH ${patch}\n#define TORCH_VERSION \\\n  "${opts.version}"\n`);
  write('lib/libtorch.so', '');
  write('lib/libc10.so', '');
  if (opts.cuda) write('lib/libtorch_cuda.so', '');
  return root;
}

/** A stand-in `python3` that prints what the torch probe prints, pointing at `cmakePrefix`. */
function fakePython(cmakePrefix: string): string {
  const dir = tempDir('selfsup-fake-python-');
  const file = path.join(dir, 'python3');
  const probe = JSON.stringify({ cmake: cmakePrefix, root: path.dirname(cmakePrefix), version: '2.4.1', cuda: null, abi: true });
  fs.writeFileSync(file, `#!/bin/sh\necho '${probe}'\n`, { mode: 0o755 });
  return file;
}

describe('scripts/find-libtorch', () => {
  const noSystem = { usr: '/nonexistent-usr', multiarchs: ['x86_64-linux-gnu'] };

  after(cleanUp);

  it('stops with a clear error when LIBTORCH names a folder that does not exist', () => {
    assert.throws(() => finder.findLibtorch({ env: { LIBTORCH: '/nonexistent/libtorch' }, python: false }),
      (e: Error) => {
        assert.match(e.message, /LIBTORCH=\/nonexistent\/libtorch does not exist/);
        assert.match(e.message, /lib\/ and include\//);
        return true;
      });
  });

  it('stops with a clear error when LIBTORCH names a folder that is not a libtorch', () => {
    const empty = tempDir('selfsup-empty-');
    assert.throws(() => finder.findLibtorch({ env: { LIBTORCH: empty }, python: false }),
      new RegExp(`LIBTORCH=${empty} is not a libtorch folder: it has neither share/cmake/Torch/TorchConfig.cmake`));
  });

  it('prefers LIBTORCH and reads its version, C++ ABI and CUDA libraries', () => {
    const root = fakeLibtorch({ version: '2.11.0', abi: 0, cuda: true });
    const found = finder.findLibtorch({ env: { LIBTORCH: root }, python: false });
    assert.ok(found);
    assert.equal(found.source, 'LIBTORCH');
    assert.equal(found.version, '2.11.0');
    assert.equal(found.cxx11Abi, false);
    assert.equal(found.cuda, true);
    assert.equal(found.cmakePrefixPath, path.join(root, 'share', 'cmake'));
    assert.equal(found.libDir, path.join(root, 'lib'));
    assert.deepEqual(found.includeDirs, [path.join(root, 'include'), path.join(root, 'include/torch/csrc/api/include')]);
  });

  it('reads the version where newer libtorch keeps it: torch/headeronly/version.h, which version.h includes', () => {
    const root = fakeLibtorch({ version: '2.14.1', abi: 1, cuda: false });
    const api = path.join(root, 'include/torch/csrc/api/include/torch/version.h');
    fs.mkdirSync(path.join(root, 'include/torch/headeronly'), { recursive: true });
    fs.renameSync(api, path.join(root, 'include/torch/headeronly/version.h'));
    fs.writeFileSync(api, '#include <torch/headeronly/version.h>\n');
    const found = finder.findLibtorch({ env: { LIBTORCH: root }, python: false });
    assert.equal(found?.version, '2.14.1');
  });

  it('uses the torch package of python3 when it has TorchConfig.cmake', () => {
    const root = fakeLibtorch({ version: '2.4.1', abi: 1, cuda: false });
    const found = finder.findLibtorch({ env: {}, python: fakePython(path.join(root, 'share', 'cmake')), ...noSystem });
    assert.ok(found);
    assert.equal(found.source, 'python');
    assert.equal(found.root, root);
    assert.equal(found.version, '2.4.1');
    assert.equal(found.cuda, false);
    assert.equal(found.cudaVersion, null);
  });

  it('skips a python torch without TorchConfig.cmake (Debian python3-torch) and a missing python3', () => {
    const noConfig = fakePython('/usr/lib/python3/dist-packages/torch/share/cmake-that-is-not-there');
    assert.equal(finder.findLibtorch({ env: {}, python: noConfig, ...noSystem }), null);
    assert.equal(finder.findLibtorch({ env: {}, python: '/nonexistent/python3', ...noSystem }), null);
  });

  it('names the apt command and LIBTORCH when nothing is found', () => {
    const message = finder.notFoundMessage();
    assert.ok(message.includes('sudo apt-get install libtorch-dev libopenblas0-pthread'), message);
    assert.match(message, /LIBTORCH=\/path\/to\/libtorch/);
    assert.match(message, /python3/);
  });

  it('finds Debian\'s libtorch-dev (12: 1.13, 13: 2.6) on a Debian machine, also behind Debian\'s own python3-torch', function () {
    if (!fs.existsSync('/etc/debian_version')) this.skip();
    const release = fs.readFileSync('/etc/debian_version', 'utf8').split('.')[0];
    const version = ({ 12: /^1\.13\.[01]$/, 13: /^2\.6\.\d+$/ } as Record<string, RegExp>)[release] ?? /^\d+\.\d+\.\d+$/;
    const pythons: (string | false)[] = [false];
    if (fs.existsSync('/usr/bin/python3')) pythons.push('/usr/bin/python3');
    for (const python of pythons) {
      const found = finder.findLibtorch({ env: {}, python });
      assert.ok(found, 'no libtorch found: is libtorch-dev installed?');
      assert.equal(found.source, 'system', `python ${String(python)}`);
      assert.match(found.version ?? '', version);
      assert.equal(found.cuda, false);
      assert.equal(found.cxx11Abi, true);
      assert.ok(fs.existsSync(path.join(found.libDir, 'libtorch_cpu.so')), found.libDir);
      assert.ok(fs.existsSync(path.join(found.cmakePrefixPath ?? '', 'Torch', 'TorchConfig.cmake')));
    }
  });

  it('prints gyp flags from the command line and fails with the message for a bad LIBTORCH', () => {
    const root = fakeLibtorch({ version: '2.11.0', abi: 0, cuda: true });
    const env = { ...process.env, LIBTORCH: root };
    const run = (flag: string): string =>
      childProcess.execFileSync(process.execPath, [script, flag], { env, encoding: 'utf8' }).trim();
    assert.equal(run('--defines'), '_GLIBCXX_USE_CXX11_ABI=0 SELFSUP_WITH_CUDA');
    assert.equal(run('--libraries'), '-Wl,--no-as-needed -ltorch -ltorch_cpu -lc10 -ltorch_cuda -lc10_cuda -Wl,--as-needed');
    assert.equal(run('--ldflags'), `-L${root}/lib -Wl,-rpath,${root}/lib`);
    // No CUDA version is known for a bare libtorch folder without build-version: "cuda".
    assert.equal(run('--flavour'), 'torch-2.11.cuda.cxx11abi0');
    fs.writeFileSync(path.join(root, 'build-version'), '2.11.0+cu130\n');
    assert.equal(run('--flavour'), 'torch-2.11.cu130.cxx11abi0');
    // The C++ standard: the torch target's CXX_STANDARD in TorchConfig.cmake, at least C++17.
    assert.equal(run('--cxx-std'), 'c++17'); // none given
    const config = path.join(root, 'share', 'cmake', 'Torch', 'TorchConfig.cmake');
    fs.appendFileSync(config, 'set_target_properties(torch PROPERTIES\n    CXX_STANDARD 14\n)\n');
    assert.equal(run('--cxx-std'), 'c++17'); // 1.13's 14 is below the addon's own C++17
    fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('CXX_STANDARD 14', 'CXX_STANDARD 20'));
    assert.equal(run('--cxx-std'), 'c++20'); // Debian's 2.14
    assert.match(run('--cmake'), /^set\(SELFSUP_TORCH_CXX_STANDARD 20\)$/m);
    // No TorchConfig: by version, C++20 from 2.12 (whose headers refuse less), C++17 before.
    for (const [version, std] of [['2.11.0', 'c++17'], ['2.12.0', 'c++20'], ['2.14.1', 'c++20'], ['3.0.0', 'c++20']]) {
      const bare = fakeLibtorch({ version, abi: 1, cuda: false });
      fs.rmSync(path.join(bare, 'share'), { recursive: true, force: true });
      const got = childProcess.execFileSync(process.execPath, [script, '--cxx-std'],
        { env: { ...process.env, LIBTORCH: bare }, encoding: 'utf8' }).trim();
      assert.equal(got, std, `libtorch ${version} without TorchConfig`);
    }
    const bad = childProcess.spawnSync(process.execPath, [script, '--include-dirs'],
      { env: { ...process.env, LIBTORCH: '/nonexistent/libtorch' }, encoding: 'utf8' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /LIBTORCH=\/nonexistent\/libtorch does not exist/);
  });
});
