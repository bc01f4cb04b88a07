// A CUDA source build without nvcc: a pip CUDA torch ships no CUDA toolkit,
// but the nvidia-*-cu13 wheels beside it carry the CUDA headers, and the
// addon has no .cu files. A fake site-packages (torch/ with Debian's headers
// and libraries plus stand-in CUDA libraries, nvidia/cu13/include with stub
// CUDA runtime headers) stands in for it: find-libtorch must report a CUDA
// libtorch with the wheel's headers, install.js must choose the nvcc-less
// CMake path, and that path must compile the addon's CUDA branches.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../install/package-fixture';

const root = repoRoot();
/* eslint-disable @typescript-eslint/no-require-imports */
const finder = require(path.join(root, 'scripts', 'find-libtorch.js')) as {
  findLibtorch(options?: { env?: NodeJS.ProcessEnv }): { cuda: boolean; cudaVersion: string | null; cudaIncludeDirs: string[];
    includeDirs: string[]; libDir: string } | null;
  hasNvcc(env: NodeJS.ProcessEnv): boolean;
};
const install = require(path.join(root, 'scripts', 'install.js')) as {
  torchCmakeArgs(found: unknown, env: NodeJS.ProcessEnv): { args: string[]; note: string | null };
};
/* eslint-enable @typescript-eslint/no-require-imports */

const SYSTEM_LIB = '/usr/lib/x86_64-linux-gnu';
const STUB = path.join(root, 'scripts', 'cuda', 'stub-include');

/** site-packages/{torch,nvidia/cu13,nvidia/cudnn} as a pip CUDA 13 torch lays them out. */
function fakeSite(dir: string): { torch: string; cu13: string } {
  const torch = path.join(dir, 'site', 'torch');
  fs.mkdirSync(path.join(torch, 'lib'), { recursive: true });
  fs.symlinkSync('/usr/include', path.join(torch, 'include'));
  for (const lib of ['libtorch.so', 'libtorch_cpu.so', 'libc10.so']) {
    fs.symlinkSync(path.join(SYSTEM_LIB, lib), path.join(torch, 'lib', lib));
  }
  // Stand-ins: find-libtorch tells a CUDA libtorch by these names.
  for (const lib of ['libtorch_cuda.so', 'libc10_cuda.so']) fs.writeFileSync(path.join(torch, 'lib', lib), '');
  fs.writeFileSync(path.join(torch, 'build-version'), '2.11.0+cu130\n');
  const cu13 = path.join(dir, 'site', 'nvidia', 'cu13', 'include');
  fs.mkdirSync(cu13, { recursive: true });
  for (const h of ['cuda.h', 'cuda_runtime.h', 'cuda_runtime_api.h']) fs.copyFileSync(path.join(STUB, h), path.join(cu13, h));
  // Debian's CPU libtorch lacks the header a CUDA build of libtorch generates; the wheel layout supplies it here.
  fs.cpSync(path.join(STUB, 'c10'), path.join(cu13, 'c10'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'site', 'nvidia', 'cudnn', 'include'), { recursive: true });
  return { torch, cu13 };
}

(fs.existsSync(path.join(SYSTEM_LIB, 'libtorch.so')) ? describe : describe.skip)('CUDA source build without nvcc (fake nvidia wheel layout)', function () {
  this.timeout(600_000);
  let dir = '';
  let site: { torch: string; cu13: string };
  let env: NodeJS.ProcessEnv;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-wheels-'));
    site = fakeSite(dir);
    // No CUDA toolkit anywhere: PATH without nvcc, no CUDA_HOME.
    env = { ...process.env, LIBTORCH: site.torch, CUDA_HOME: '', CUDA_PATH: '', PATH: '/usr/bin:/bin' };
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('find-libtorch reports a CUDA 13.0 libtorch whose CUDA headers are the wheel\'s', () => {
    const found = finder.findLibtorch({ env })!;
    assert.equal(found.cuda, true);
    assert.equal(found.cudaVersion, '13.0');
    assert.equal(found.cudaIncludeDirs[0], fs.realpathSync(site.cu13));
    assert.ok(found.cudaIncludeDirs.includes(path.join(fs.realpathSync(path.join(dir, 'site', 'nvidia')), 'cudnn', 'include')),
      found.cudaIncludeDirs.join(', '));
    assert.equal(finder.hasNvcc(env), false);
  });

  it('install.js takes libtorch\'s flags from find-libtorch without nvcc, and TorchConfig with one', () => {
    const found = finder.findLibtorch({ env })!;
    const r = install.torchCmakeArgs(found, env);
    assert.deepEqual(r.args.slice(0, 1), ['--CDSELFSUP_NO_TORCH_CMAKE=ON']);
    assert.match(r.note ?? '', /no nvcc: .*CUDA headers from .*nvidia\/cu13\/include/);
    // With a (fake) nvcc on PATH the usual TorchConfig path is kept (this fake torch has no TorchConfig: a clear error).
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'nvcc'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
    assert.throws(() => install.torchCmakeArgs(found, { ...env, PATH: `${bin}:/usr/bin:/bin` }), /has no share\/cmake\/Torch\/TorchConfig\.cmake/);
    // No headers at all: the message says what to install.
    assert.throws(() => install.torchCmakeArgs({ ...found, cudaIncludeDirs: [] }, env), /pip install nvidia-cuda-runtime-cu13/);
  });

  it('the nvcc-less CMake path compiles the addon\'s CUDA branches against the wheel headers', () => {
    const build = path.join(dir, 'build');
    const napi = (require(require.resolve('node-addon-api', { paths: [root] })) as { include_dir: string }).include_dir.replace(/^"|"$/g, '');
    const nodeApi = path.join(path.dirname(require.resolve('node-api-headers/package.json', { paths: [root] })), 'include');
    execFileSync('cmake', ['-S', root, '-B', build, '-G', 'Ninja', '-DSELFSUP_NO_TORCH_CMAKE=ON', '-DCMAKE_EXPORT_COMPILE_COMMANDS=ON',
      `-DNODE_API_HEADERS=${nodeApi}`, `-DNODE_ADDON_API_DIR=${path.resolve(root, napi)}`, `-DNODE_EXECUTABLE=${process.execPath}`],
    { env, encoding: 'utf8', stdio: 'pipe' });
    const commands = JSON.parse(fs.readFileSync(path.join(build, 'compile_commands.json'), 'utf8')) as { file: string; command: string }[];
    const graph = commands.find((c) => c.file.endsWith('native/cuda_graph.cc'))!;
    assert.match(graph.command, /-DSELFSUP_WITH_CUDA/);
    assert.ok(graph.command.includes(fs.realpathSync(site.cu13)), graph.command);
    const object = 'CMakeFiles/selfsup.dir/native/cuda_graph.cc.o';
    const r = spawnSync('ninja', ['-C', build, object], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`.slice(-4000));
    // The CUDA branch was compiled: the object calls libtorch's CUDA graph API.
    const symbols = execFileSync('nm', ['-C', path.join(build, object)], { encoding: 'utf8' });
    assert.match(symbols, /U at::cuda::CUDAGraph::capture_begin/);
  });
});
