// `selfsup bench` by value, in this process (issue 21, lib/cli's mutation score, third pass): lib/bench's
// runBench is replaced by a recorder (the timing itself is lib/bench's, tested there and by bench.test's
// child run), so what runBenchCommand asks for and writes is exact: the configurations of each workload and the
// plan handed to each, the header line (float32 on the CPU, bfloat16 autocast where CUDA is seen: faked here),
// one table per workload, the --json file, the refusal of --device cuda without a GPU, stdout by default, and
// each integer flag's name in its refusal.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BenchFlags, runBenchCommand } from '../../lib/cli/bench';
import * as runner from '../../lib/bench/runner';
import * as cuda from '../../lib/torch/cuda';
import { benchEnvironment, formatNodeTable } from '../../lib/bench/report';
import { workload, WorkloadName } from '../../lib/bench/workloads';
import { workloadFlops } from '../../lib/bench/flops';
import { quietProgram } from '../helpers/quiet-program';
import { messageOf } from '../helpers/refuses';

type Call = { name: WorkloadName; config: runner.BenchConfig; options: runner.RunOptions };

describe('cli: selfsup bench by value (runBench recorded)', function () {
  this.timeout(60000);
  const realRun = runner.runBench;
  const realCuda = cuda.isAvailable;
  let calls: Call[];
  let dir = '';
  beforeEach(() => {
    calls = [];
    (runner as { runBench: typeof realRun }).runBench = (w, config, options) => {
      calls.push({ name: w.name, config, options });
      return { workload: w.name, scale: w.scale, config, device: options.device, status: 'ok', batch: w.batch, steps: options.steps,
        warmup: options.warmup, flopsPerStep: options.flopsPerStep, secondsPerStep: 0.25, imagesPerSecond: 4 * w.batch, tflops: 0.5 };
    };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-bench-values-'));
  });
  afterEach(() => {
    (runner as { runBench: typeof realRun }).runBench = realRun;
    (cuda as { isAvailable: typeof realCuda }).isAvailable = realCuda;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The table runBenchCommand prints for `name` with the recorder's results. */
  const table = (name: WorkloadName, results: runner.BenchResult[]): string => {
    const w = workload(name, 'small');
    return `${formatNodeTable(w, workloadFlops(w), results)}\n`;
  };

  it('on the CPU: each configuration of each workload with the plan, the header, the tables and the JSON file', () => {
    let text = '';
    const json = path.join(dir, 'bench.json');
    const flags: BenchFlags = { workload: ['simclr', 'mae'], device: 'cpu', scale: 'small', steps: 2, warmup: 0, graph: true,
      channelsLast: true, json };
    const results = runBenchCommand(flags, (s) => { text += s; });
    const flops = (name: WorkloadName) => workloadFlops(workload(name, 'small')).total;
    assert.deepEqual(calls.map((c) => [c.name, c.config, c.options]), [
      ['simclr', 'eager', { device: 'cpu', steps: 2, warmup: 0, flopsPerStep: flops('simclr') }],
      ['simclr', 'eager+channels-last', { device: 'cpu', steps: 2, warmup: 0, flopsPerStep: flops('simclr') }],
      ['simclr', 'graph+channels-last', { device: 'cpu', steps: 2, warmup: 0, flopsPerStep: flops('simclr') }],
      ['mae', 'eager', { device: 'cpu', steps: 2, warmup: 0, flopsPerStep: flops('mae') }],
      ['mae', 'graph', { device: 'cpu', steps: 2, warmup: 0, flopsPerStep: flops('mae') }],
    ]);
    assert.equal(results.length, 5);
    const env = benchEnvironment('cpu');
    assert.equal(text, `selfsup bench: cpu, ${env.hardware}; Node ${env.node}, libtorch ${env.libtorch}; scale small; ` +
      '2 timed steps after 0 warm-up; float32\n\n' + table('simclr', results.slice(0, 3)) + table('mae', results.slice(3)));
    assert.equal(fs.readFileSync(json, 'utf8'), `${JSON.stringify({ environment: env, results }, null, 2)}\n`);
    // --no-graph --no-channels-last: eager alone; without --json no file.
    calls = [];
    runBenchCommand({ ...flags, workload: ['simclr'], graph: false, channelsLast: false, json: undefined }, () => undefined);
    assert.deepEqual(calls.map((c) => c.config), ['eager']);
    assert.deepEqual(fs.readdirSync(dir), ['bench.json']);
  });

  it('where CUDA is seen: the CUDA plan (its defaults) and bfloat16 autocast in the header; --device cuda refused without it', () => {
    (cuda as { isAvailable: typeof realCuda }).isAvailable = () => true;
    let text = '';
    runBenchCommand({ workload: ['mae'], scale: 'small', graph: false, channelsLast: false }, (s) => { text += s; });
    const env = benchEnvironment('cuda');
    assert.equal(text.split('\n')[0], `selfsup bench: cuda, ${env.hardware}; Node ${env.node}, libtorch ${env.libtorch}; scale small; ` +
      '20 timed steps after 5 warm-up; bfloat16 autocast');
    assert.deepEqual(calls.map((c) => [c.config, c.options.device, c.options.steps, c.options.warmup]), [['eager', 'cuda', 20, 5]]);
    (cuda as { isAvailable: typeof realCuda }).isAvailable = () => false;
    assert.throws(() => runBenchCommand({ workload: ['mae'], device: 'cuda', scale: 'small', graph: false, channelsLast: false }),
      (e: Error) => e.message === 'Expected a CUDA device for --device cuda but this libtorch sees none (selfsup info shows why); use --device cpu');
  });

  it('writes to stdout by default', () => {
    let text = '';
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => { text += s; return true; }) as typeof process.stdout.write;
    try {
      runBenchCommand({ workload: ['mae'], device: 'cpu', scale: 'small', steps: 1, warmup: 0, graph: false, channelsLast: false });
    } finally {
      process.stdout.write = write;
    }
    assert.match(text, /^selfsup bench: cpu, .*; 1 timed steps after 0 warm-up; float32\n\nMAE ViT/);
  });

  it('each integer flag names itself when refused', async () => {
    for (const [flag, value, min] of [['--steps', '0', 1], ['--warmup', '-1', 0], ['--threads', '0', 1]] as const) {
      assert.equal(await messageOf(() => quietProgram().parseAsync(['node', 'selfsup', 'bench', flag, value])),
        `error: option '${flag} <n>' argument '${value}' is invalid. Expected an integer >= ${min} for ${flag} but received ${value}`);
    }
  });
});
