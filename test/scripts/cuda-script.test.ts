// The GPU machine's build-and-test script, in its CPU dry run: every stage
// (build, tests, bench, recipe; profile in a call of its own) under its time limit, with plain cmake (no
// cmake-js, no network), a portable prebuilt ($ORIGIN-only RUNPATH, glibc <=
// 2.28, native-source record), at most 8 output files under 16 MiB, and a
// timeline; a stage over its limit is reported and fails the run. So a GPU
// session spends its minutes on the GPU.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../install/package-fixture';

const root = repoRoot();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { nativeSourceHash } = require(path.join(root, 'scripts', 'native-hash.js')) as { nativeSourceHash(r: string): string };

(process.env.SELFSUP_SKIP_INSTALL_TESTS === '1' ? describe.skip : describe)('scripts/cuda/build-and-test.sh (CPU dry run)', function () {
  this.timeout(1_800_000);
  let tmp = '';
  let out = '';
  let log = '';
  let status: number | null = null;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-cuda-dry-'));
    out = path.join(tmp, 'out');
    fs.mkdirSync(out);
    // TMPDIR inside `tmp`, removed with it (the build itself goes to the repository's git-ignored build/cuda).
    const r = spawnSync('bash', ['scripts/cuda/build-and-test.sh', '--cpu-dry-run', '--stages', 'build,tests,bench,recipe',
      '--limit-build', '1500', '--out', out], { cwd: root, encoding: 'utf8', env: { ...process.env, SELFSUP_ADDON: '', TMPDIR: tmp } });
    log = `${r.stdout}${r.stderr}`;
    status = r.status;
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('runs every stage and prints the timeline', () => {
    assert.equal(status, 0, log.slice(-6000));
    for (const stage of ['build', 'tests', 'bench', 'recipe']) assert.match(log, new RegExp(`${stage} +start \\+ *\\d+s +took +\\d+s +ok`));
    assert.match(log, /result: every stage passed/);
  });

  it('writes at most 8 files, each under 16 MiB: the prebuilt with its source record, logs, bench JSON, summary', () => {
    const files = fs.readdirSync(out).sort();
    assert.ok(files.length <= 8, files.join(', '));
    for (const f of files) assert.ok(fs.statSync(path.join(out, f)).size < 16 * 2 ** 20, f);
    for (const f of ['build.log', 'tests.log', 'bench.txt', 'bench.json', 'recipe.log', 'summary.txt']) assert.ok(files.includes(f), f);
    const binary = files.find((f) => f.endsWith('.node'))!;
    assert.match(binary, /^selfsup\.napi\.glibc\.torch-\d+\.\d+\.(cpu|cu\d+)\.cxx11abi[01]\.node$/);
    const record = JSON.parse(fs.readFileSync(path.join(out, `${binary}.json`), 'utf8')) as { sourceHash: string };
    assert.equal(record.sourceHash, nativeSourceHash(root));
  });

  it('the prebuilt needs no glibc symbol above 2.28 and searches only $ORIGIN/torch-lib', () => {
    const binary = fs.readdirSync(out).find((f) => f.endsWith('.node'))!;
    const dynamic = execFileSync('readelf', ['-d', path.join(out, binary)], { encoding: 'utf8' });
    assert.match(dynamic, /RUNPATH.*\[\$ORIGIN\/torch-lib\]/);
    assert.match(fs.readFileSync(path.join(out, 'build.log'), 'utf8'), /check-binary: .*newest glibc symbol version 2\.\d+ \(limit 2\.28\)/);
  });

  it('runs the device tests, the bench (best against best, memory) and the recipe with its table', () => {
    const summary = fs.readFileSync(path.join(out, 'summary.txt'), 'utf8');
    assert.match(summary, /tests: tests: \d+ passed, 0 failed/, summary);
    const bench = JSON.parse(fs.readFileSync(path.join(out, 'bench.json'), 'utf8')) as
      { comparisons: { best: unknown }[]; memory: { workload: string; reservedBytes: number; peakReservedBytes: number }[] };
    assert.ok(bench.comparisons.length >= 1 && bench.comparisons.every((c) => c.best !== null));
    // Per workload, reserved bytes after it and the peak during it (both 0 without CUDA; the GPU run's are in bench.txt).
    assert.deepEqual(bench.memory.map((m) => [m.workload, m.reservedBytes, m.peakReservedBytes]), [['simclr', 0, 0], ['mae', 0, 0]]);
    assert.match(summary, /### Best against best/);
    assert.match(fs.readFileSync(path.join(out, 'recipe.log'), 'utf8'), /k-NN@20/);
  });

  it('the profile stage, in a call of its own (the build reused), compares operators per step with PyTorch', () => {
    const again = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-cuda-profile-'));
    try {
      const r = spawnSync('bash', ['scripts/cuda/build-and-test.sh', '--cpu-dry-run', '--stages', 'profile', '--limit-profile', '600',
        '--out', again], { cwd: root, encoding: 'utf8', env: { ...process.env, SELFSUP_ADDON: '' } });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`.slice(-6000));
      assert.match(r.stdout, /profile +start \+ *\d+s +took +\d+s +ok/);
      const files = fs.readdirSync(again).sort();
      assert.deepEqual(files, ['profile.txt', 'summary.txt']);
      const text = fs.readFileSync(path.join(again, 'profile.txt'), 'utf8');
      for (const w of ['simclr', 'mae']) assert.match(text, new RegExp(`### ${w} \\(cpu\\): one eager training step`));
      assert.match(text, /\| ATen operators \(nested included\) \| \d+ \| \d+ \|/);
      assert.match(fs.readFileSync(path.join(again, 'summary.txt'), 'utf8'), /\| host syncs \| 0 \| 0 \|/);
    } finally {
      fs.rmSync(again, { recursive: true, force: true });
    }
  });

  it('a stage over its time limit is reported as such and fails the run', () => {
    const again = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-cuda-limit-'));
    try {
      // The stage's mocha is killed mid-run: whatever its tests had made in TMPDIR (safetensors' folder was once
      // left in the run's own TMPDIR and failed its leftover check) goes with `again`.
      const tmpdir = path.join(again, 'tmp');
      fs.mkdirSync(tmpdir);
      const r = spawnSync('bash', ['scripts/cuda/build-and-test.sh', '--cpu-dry-run', '--stages', 'tests', '--limit-tests', '2',
        '--out', again], { cwd: root, encoding: 'utf8', env: { ...process.env, SELFSUP_ADDON: '', TMPDIR: tmpdir } });
      assert.notEqual(r.status, 0);
      assert.match(r.stdout, /tests +start \+ *\d+s +took +\d+s +TIMED OUT after 2s/);
      assert.match(r.stdout, /result: FAILED: tests/);
    } finally {
      fs.rmSync(again, { recursive: true, force: true });
    }
  });
});

describe('scripts/cuda/build-and-test.sh: its tests stage runs every test file with GPU work', () => {
  // Files that ask whether CUDA is available only to check what happens without a GPU: nothing of theirs runs on one.
  const CPU_SIDE_ONLY: Record<string, string> = {
    'test/bench/runner.test.ts': 'asserts the refusal of --device cuda where no GPU is present',
    'test/torch/errors.test.ts': 'asserts the error of a CUDA request in a CPU build',
  };

  function testFiles(dir: string): string[] {
    return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) return rel === 'test/helpers' ? [] : testFiles(rel);
      return e.name.endsWith('.test.ts') ? [rel] : [];
    });
  }

  it('lists each test file that asks for a GPU (or names why it need not run there)', () => {
    const script = fs.readFileSync(path.join(root, 'scripts', 'cuda', 'build-and-test.sh'), 'utf8');
    const listed = new Set([...script.matchAll(/dist\/(test\/[\w/.-]+)\.test\.js/g)].map((m) => `${m[1]}.test.ts`));
    for (const f of listed) assert.ok(fs.existsSync(path.join(root, f)), `build-and-test.sh runs ${f}, which does not exist`);
    const needle = ['torch', 'cuda', 'isAvailable()'].join('.'); // built, so that this file does not match itself
    const gpu = testFiles('test').filter((f) => fs.readFileSync(path.join(root, f), 'utf8').includes(needle));
    assert.ok(gpu.includes('test/ssl/pretext/device-values.test.ts'), gpu.join(', '));
    const missing = gpu.filter((f) => !listed.has(f) && !(f in CPU_SIDE_ONLY));
    assert.deepEqual(missing, [], `GPU test files the GPU run would not run: add them to stage_tests in scripts/cuda/build-and-test.sh`);
    for (const f of Object.keys(CPU_SIDE_ONLY)) assert.ok(gpu.includes(f), `${f} no longer asks for a GPU: remove it from CPU_SIDE_ONLY`);
  });
});
