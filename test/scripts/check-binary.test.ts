// The prebuilt binaries must load where PyTorch loads: no glibc symbol
// version above 2.28 and an $ORIGIN-relative run-time search path
// (scripts/check-binary.js; build-and-test.sh runs it on the CUDA prebuilt).
// native/glibc_compat.cc keeps the C23 strtol/sscanf redirects of glibc >=
// 2.38 headers and libstdc++'s __libc_single_threaded (2.32) out of the
// imports: checked here by linking it with code that calls those names, as
// a build on glibc 2.39 produces, and by calling them.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addonPath } from '../../lib/torch/native';
import { repoRoot } from '../install/package-fixture';
import { PYTHON } from '../helpers/python-reference';

const root = repoRoot();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const check = require(path.join(root, 'scripts', 'check-binary.js')) as {
  checkBinary(binary: string, o?: { maxGlibc?: string; allowRunpath?: string[] }): { maxGlibc: string | null; runpath: string[]; problems: string[] };
};

// What inline libc/libstdc++ code compiled against glibc 2.39 headers calls.
const CALLER = `
#include <cstdarg>
extern "C" long __isoc23_strtol(const char*, char**, int);
extern "C" unsigned long long __isoc23_strtoull(const char*, char**, int);
extern "C" int __isoc23_sscanf(const char*, const char*, ...);
extern "C" char __libc_single_threaded;
extern "C" __attribute__((visibility("default"))) long probe(const char* s) {
  int a = 0, b = 0;
  if (__isoc23_sscanf("7 8", "%d %d", &a, &b) != 2) return -1;
  return __isoc23_strtol(s, nullptr, 10) + static_cast<long>(__isoc23_strtoull("100", nullptr, 10)) + a * b +
    (__libc_single_threaded ? 1000 : 0);
}
`;

describe('scripts/check-binary and the glibc 2.28 floor', function () {
  this.timeout(120_000);
  let dir = '';
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-glibc-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a library calling glibc 2.38\'s C23 names and 2.32\'s __libc_single_threaded imports none of them with the shims', () => {
    const caller = path.join(dir, 'caller.cc');
    fs.writeFileSync(caller, CALLER);
    const lib = path.join(dir, 'libprobe.so');
    execFileSync('g++', ['-O2', '-shared', '-fPIC', '-fvisibility=hidden', '-o', lib, caller, path.join(root, 'native', 'glibc_compat.cc')]);
    const r = check.checkBinary(lib, { maxGlibc: '2.28' });
    assert.deepEqual(r.problems, []);
    // Without the shims the same code would import them (undefined here: they are newer than this machine's glibc).
    const bare = path.join(dir, 'libbare.so');
    execFileSync('g++', ['-O2', '-shared', '-fPIC', '-o', bare, caller]);
    assert.match(execFileSync('nm', ['-D', bare], { encoding: 'utf8' }), /U __isoc23_strtol/);
    // And the shims compute what the functions should: 42 + 100 + 7 * 8, multi-threaded libstdc++ path (0).
    const out = execFileSync(PYTHON, ['-c', `import ctypes; l = ctypes.CDLL(${JSON.stringify(lib)}); l.probe.restype = ctypes.c_long; print(l.probe(b"42"))`],
      { encoding: 'utf8' });
    assert.equal(out.trim(), String(42 + 100 + 56));
  });

  it('flags newer glibc versions and absolute RUNPATH entries, and allows named prefixes', () => {
    const r = check.checkBinary(addonPath, { maxGlibc: '2.28' });
    assert.ok(r.maxGlibc !== null && /^2\.\d+$/.test(r.maxGlibc), String(r.maxGlibc));
    const absolute = r.runpath.filter((p) => !p.startsWith('$ORIGIN'));
    assert.equal(r.problems.filter((p) => p.startsWith('RUNPATH')).length, absolute.length);
    assert.deepEqual(check.checkBinary(addonPath, { maxGlibc: '2.1' }).problems.some((p) => /needs GLIBC_2\.\d+ \(newer than 2\.1\)/.test(p)), true);
  });

  it('the addon built here (Debian\'s libtorch-linked CPU build) passes the CPU prebuilt\'s check', () => {
    // The CPU prebuilt links Debian's libtorch-dev: it may name the system folders libtorch and its
    // OpenMP OpenBLAS live in (the same on every machine with that package); glibc stays <= 2.28.
    const r = check.checkBinary(addonPath, { maxGlibc: '2.28', allowRunpath: ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu'] });
    assert.deepEqual(r.problems, []);
  });
});
