// `selfsup bench` end to end, in a child process: the table of a small CPU
// run, and one-line errors with exit status 1 for bad flags.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Runs the compiled command line (found next to this compiled test, wherever dist lives) with `args`. */
function selfsup(args: string[], timeout = 60_000): { status: number | null; stdout: string; stderr: string } {
  const main = path.join(__dirname, '..', '..', 'lib', 'cli', 'main.js');
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(main)}).main(['node', 'selfsup', ...process.argv.slice(1)])`,
    ...args], { encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('cli/bench', () => {
  it('selfsup bench --workload simclr --steps 2 --scale small prints img/s and TFLOP/s per configuration', function () {
    this.timeout(90_000);
    const r = selfsup(['bench', '--workload', 'simclr', '--steps', '2', '--scale', 'small', '--device', 'cpu']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /SimCLR ResNet-18 \(CIFAR stem\) 16px b8.*: 13\.3 GFLOP per step/);
    assert.match(r.stdout, /\| config \| img\/s \| TFLOP\/s \| ms\/step \|/);
    const eager = /\| eager \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|/.exec(r.stdout);
    assert.ok(eager && Number(eager[1]) > 0 && Number(eager[2]) > 0, r.stdout);
    assert.match(r.stdout, /\| eager\+channels-last \| [\d.]+ \|/);
    assert.match(r.stdout, /\| graph\+channels-last \| skipped: CUDA graphs need a CUDA device \(running on cpu\)/);
  });

  it('leaves out configurations with --no-graph and --no-channels-last; --json writes the printed results', function () {
    this.timeout(90_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-bench-json-'));
    try {
      const file = path.join(dir, 'bench.json');
      const r = selfsup(['bench', '--workload', 'mae', '--steps', '1', '--warmup', '0', '--device', 'cpu', '--no-graph',
        '--json', file]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /MAE ViT 96-d depth 4/);
      assert.doesNotMatch(r.stdout, /graph/);
      const written = JSON.parse(fs.readFileSync(file, 'utf8')) as { environment: unknown; results: { config: string }[] };
      assert.ok(written.environment !== undefined);
      assert.deepEqual(written.results.map((x) => x.config), ['eager']); // a ViT: no channels-last row, as printed
      assert.match(r.stdout, /\| eager \| [\d.]+ \|/);
      assert.deepEqual(fs.readdirSync(dir), ['bench.json'], 'no temporary file left beside it');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers a bad flag with one clear line and exit status 1', () => {
    const bad = selfsup(['bench', '--workload', 'moco']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /Expected workloads among simclr, byol, dino, mae \(comma-separated\) or 'all' but received 'moco'/);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    const steps = selfsup(['bench', '--steps', '-3']);
    assert.equal(steps.status, 1);
    assert.match(steps.stderr, /Expected an integer >= 1 for --steps but received -3/);
    const unknown = selfsup(['bench', '--bogus']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /unknown option '--bogus'/);
    const scale = selfsup(['bench', '--scale', 'medium']);
    assert.equal(scale.status, 1);
    assert.match(scale.stderr, /Expected one of small, full, auto for --scale but received medium/);
  });
});
