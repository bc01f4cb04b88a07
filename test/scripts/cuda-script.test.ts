// The GPU machine's build-and-test script, in its CPU dry run: it must build
// the addon with plain cmake (no cmake-js, no network), load it, run the
// device tests and write a prebuilt binary that finds libtorch through
// $ORIGIN/torch-lib, so that a GPU session spends its minutes on the GPU.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../install/package-fixture';

const root = repoRoot();

(process.env.SELFSUP_SKIP_INSTALL_TESTS === '1' ? describe.skip : describe)('scripts/cuda/build-and-test.sh (CPU dry run)', function () {
  this.timeout(600_000);
  let tmp = '';
  let out = '';
  let log = '';

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-cuda-dry-'));
    out = path.join(tmp, 'out');
    fs.mkdirSync(out);
    // TMPDIR inside `tmp`: the script builds in $TMPDIR/selfsup-cuda (about 95 MB), removed with it.
    log = execFileSync('bash', ['scripts/cuda/build-and-test.sh', '--cpu-dry-run', '--skip-suite', '--out', out],
      { cwd: root, encoding: 'utf8', env: { ...process.env, SELFSUP_ADDON: '', TMPDIR: tmp }, stdio: ['ignore', 'pipe', 'pipe'] });
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('builds, loads and writes the prebuilt binary named by flavour, with the torch-lib search path', () => {
    const binaries = fs.readdirSync(out).filter((f) => f.endsWith('.node'));
    assert.equal(binaries.length, 1, `binaries in ${out}: ${binaries.join(', ')}`);
    assert.match(binaries[0], /^selfsup\.napi\.glibc\.torch-\d+\.\d+\.(cpu|cu\d+)\.cxx11abi[01]\.node$/);
    const dynamic = execFileSync('readelf', ['-d', path.join(out, binaries[0])], { encoding: 'utf8' });
    assert.match(dynamic, /RUNPATH.*\$ORIGIN\/torch-lib/);
  });

  it('runs the device tests without failures and writes the summary row', () => {
    const summary = fs.readFileSync(path.join(out, 'summary.txt'), 'utf8');
    assert.match(summary, /cuda\.test: tests: \d+ passed, 0 failed/, summary);
    assert.match(log, /README compatibility row/);
  });
});
