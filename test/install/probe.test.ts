// The pieces of scripts/install.js that pick a prebuilt binary: flavour
// names, node-gyp-build's tags, and the child-process load test that keeps a
// bad binary from crashing the install.
import * as assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cleanUp, repoRoot, tempDir } from './package-fixture';

interface Found { version: string | null; cuda: boolean; cudaVersion: string | null; cxx11Abi: boolean }
interface Flavour { torch: string; device: string; cxx11Abi: number; tag: string }
interface Probe { ok: boolean; torchVersion?: string; reason?: string }

const finder = require(path.join(repoRoot(), 'scripts', 'find-libtorch.js')) as {
  flavourOf(found: Found): Flavour;
  prebuiltFileName(found: Found): string;
  parsePrebuiltFileName(name: string): Flavour | null;
};
const install = require(path.join(repoRoot(), 'scripts', 'install.js')) as {
  probeAddon(file: string): Probe;
  matchingPrebuilts(found: Found, dir: string): { wanted: Flavour; all: string[]; matches: string[] };
};

const debian: Found = { version: '1.13.0', cuda: false, cudaVersion: null, cxx11Abi: true };
const cuda: Found = { version: '2.11.0', cuda: true, cudaVersion: '13.0', cxx11Abi: true };

describe('install: prebuilt flavours and the load test', () => {
  after(cleanUp);

  it('names a flavour by libtorch major.minor, CPU or CUDA version, and C++ ABI', () => {
    assert.equal(finder.prebuiltFileName(debian), 'selfsup.napi.glibc.torch-1.13.cpu.cxx11abi1.node');
    assert.equal(finder.prebuiltFileName(cuda), 'selfsup.napi.glibc.torch-2.11.cu130.cxx11abi1.node');
    assert.equal(finder.flavourOf({ ...cuda, version: '2.4.1', cudaVersion: '12.4', cxx11Abi: false }).tag,
      'torch-2.4.cu124.cxx11abi0');
    assert.deepEqual(finder.parsePrebuiltFileName('selfsup.napi.glibc.torch-2.11.cu130.cxx11abi1.node'),
      { torch: '2.11', device: 'cu130', cxx11Abi: 1, tag: 'torch-2.11.cu130.cxx11abi1' });
    assert.equal(finder.parsePrebuiltFileName('selfsup.napi.glibc.node'), null);
    assert.equal(finder.parsePrebuiltFileName('other.torch-1.13.cpu.cxx11abi1.node'), null);
  });

  it('keeps node-gyp-build\'s tags readable: napi and glibc, nothing taken for a Node ABI', () => {
    const gypBuild = require(require.resolve('node-gyp-build', { paths: [repoRoot()] })) as {
      parseTags(file: string): { napi?: boolean; libc?: string; abi?: string; runtime?: string } | undefined;
    };
    const tags = gypBuild.parseTags(finder.prebuiltFileName(cuda));
    assert.ok(tags);
    assert.equal(tags.napi, true);
    assert.equal(tags.libc, 'glibc');
    assert.equal(tags.abi, undefined);
  });

  it('matches only the prebuilt binaries of the discovered flavour and this libc', () => {
    const dir = tempDir('selfsup-prebuilds-');
    for (const name of ['selfsup.napi.glibc.torch-1.13.cpu.cxx11abi1.node', 'selfsup.napi.glibc.torch-2.11.cu130.cxx11abi1.node',
      'selfsup.napi.musl.torch-1.13.cpu.cxx11abi1.node', 'selfsup.napi.glibc.torch-1.13.cpu.cxx11abi0.node', 'README.md']) {
      fs.writeFileSync(path.join(dir, name), '');
    }
    const m = install.matchingPrebuilts(debian, dir);
    assert.deepEqual(m.matches.map((f) => path.basename(f)), ['selfsup.napi.glibc.torch-1.13.cpu.cxx11abi1.node']);
    assert.equal(m.all.length, 4);
    assert.deepEqual(install.matchingPrebuilts(cuda, dir).matches.map((f) => path.basename(f)),
      ['selfsup.napi.glibc.torch-2.11.cu130.cxx11abi1.node']);
    assert.deepEqual(install.matchingPrebuilts({ ...cuda, cudaVersion: '12.8' }, dir).matches, []);
    assert.deepEqual(install.matchingPrebuilts(debian, path.join(dir, 'missing')).matches, []);
  });

  it('reports a file that is not a shared library as not working', () => {
    const file = path.join(tempDir('selfsup-bad-'), 'selfsup.node');
    fs.writeFileSync(file, 'not an ELF file');
    const r = install.probeAddon(file);
    assert.equal(r.ok, false);
    assert.match(r.reason ?? '', /exit 1/);
    assert.match(r.reason ?? '', /ERR_DLOPEN_FAILED|invalid ELF header|file too short/);
  });

  it('survives a binary that crashes the process that loads it', function () {
    // A shared library whose constructor segfaults, as a binary built for
    // another libtorch can: only the child dies.
    if (childProcess.spawnSync('cc', ['--version'], { stdio: 'ignore' }).status !== 0) this.skip();
    const dir = tempDir('selfsup-crash-');
    fs.writeFileSync(path.join(dir, 'crash.c'),
      '#include <signal.h>\n__attribute__((constructor)) static void crash(void) { raise(SIGSEGV); }\n');
    const so = path.join(dir, 'crash.node');
    const cc = childProcess.spawnSync('cc', ['-shared', '-fPIC', '-o', so, path.join(dir, 'crash.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    const r = install.probeAddon(so);
    assert.equal(r.ok, false);
    assert.match(r.reason ?? '', /killed by SIGSEGV/);
  });

  it('accepts a working addon and reports its libtorch version', function () {
    const candidates = [process.env.SELFSUP_ADDON, path.join(repoRoot(), 'build', 'Release', 'selfsup.node')];
    const addon = candidates.find((f): f is string => typeof f === 'string' && fs.existsSync(f));
    if (!addon) this.skip();
    const r = install.probeAddon(addon);
    assert.equal(r.ok, true, r.reason);
    assert.match(r.torchVersion ?? '', /^\d+\.\d+\.\d+/);
  });
});
