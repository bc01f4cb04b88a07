// train.ts by value, fast (issue 21, lib/cli's mutation score, third pass): what runTrain hands the parts it
// drives, with those parts replaced by recorders for the test (the Trainer, the data loader, the rank placement,
// the end-of-training pictures, the evaluation, the dashboard thread, runTextTrain): the Trainer's options
// (--cuda-graph / --channels-last on, off, auto), which splits a run loads and frees, a rank that is not the lead
// (no log, no pictures, no eval.json, the evaluation sharded), the interrupted run's line, the pictures' images
// and log line, a pretext run's task row, the text methods and --dashboard through the real program; the CPU
// presets by device and the context encoder's image size.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildMethod, resolveRunConfig, runTrain } from '../../lib/cli/train';
import { RunConfig } from '../../lib/cli/run-config';
import { CPU_PRESETS } from '../../lib/cli/cpu-presets';
import { ImageDataset } from '../../lib/data/dataset';
import { formatReport } from '../../lib/eval/report';
import { formatTaskReport } from '../../lib/ssl/pretext/task-metrics';
import { quietProgram } from '../helpers/quiet-program';
import sharp from 'sharp';
import { Tensor } from '../../lib/torch';

// The modules train.ts calls through (CommonJS: it reads each export when it calls it, so a replaced export is called).
const modules = {
  trainer: require('../../lib/train/trainer') as Record<string, unknown>,
  data: require('../../lib/cli/data-spec') as Record<string, unknown>,
  ranks: require('../../lib/cli/distributed-train') as Record<string, unknown>,
  pictures: require('../../lib/train/pictures/end-pictures') as Record<string, unknown>,
  report: require('../../lib/eval/report') as Record<string, unknown>,
  dashboard: require('../../lib/dashboard/thread') as Record<string, unknown>,
  text: require('../../lib/cli/text-train') as Record<string, unknown>,
  events: require('../../lib/export/tensorboard/run-events') as Record<string, unknown>,
};

type Calls = { trainer: Record<string, unknown>[]; splits: string[]; loaded: ImageDataset[]; pictures: unknown[][]; evaluations: Record<string, unknown>[];
  left: number; dashboards: unknown[]; closed: number; text: unknown[][]; events: unknown[]; launched: unknown[][] };

/**
 * Runs `fn` with train.ts's parts replaced by recorders: the Trainer records its options and `fit` returns `result`;
 * the rank placement is `place`; the pictures wait 60 ms and name two files; the evaluation of a sharded run returns
 * `{ rows: [] }` (the real one otherwise); the dashboard thread and runTextTrain record their arguments.
 */
async function recorded(fn: (calls: Calls) => Promise<void>, o: { result?: Record<string, unknown>; rank?: number; worldSize?: number;
  unlabelled?: boolean; picturesFail?: boolean } = {}): Promise<Calls> {
  const calls: Calls = { trainer: [], splits: [], loaded: [], pictures: [], evaluations: [], left: 0, dashboards: [], closed: 0, text: [],
    events: [], launched: [] };
  const saved: [Record<string, unknown>, string, unknown][] = [];
  const set = (m: Record<string, unknown>, key: string, value: unknown): void => { saved.push([m, key, m[key]]); m[key] = value; };
  const real = { load: modules.data.loadDataSplit as (...a: unknown[]) => Promise<ImageDataset | undefined>,
    evaluate: modules.report.evaluateEncoder as (...a: unknown[]) => Promise<unknown> };
  set(modules.trainer, 'Trainer', function Trainer(_method: unknown, options: Record<string, unknown>) {
    calls.trainer.push(options);
    calls.splits.push('Trainer');
    return { fit: async () => ({ method: 'x', steps: 2, totalSteps: 2, epochs: 1, interrupted: false, loss: 1, knn: [], seconds: 3,
      imagesPerSecond: 40, encoder: undefined, ...o.result }) };
  });
  set(modules.data, 'loadDataSplit', async (spec: unknown, split: string, size: unknown) => {
    calls.splits.push(split);
    const d = await real.load(spec, split, size);
    if (d === undefined) return d;
    const ds = o.unlabelled === true ? { ...d, labels: undefined } : d;
    calls.loaded.push(ds);
    return ds;
  });
  set(modules.ranks, 'joinFromEnv', async () => ({ rank: o.rank ?? 0, worldSize: o.worldSize ?? 1, leave: () => { calls.left++; } }));
  set(modules.pictures, 'writeEndPictures', async (...args: unknown[]) => {
    calls.pictures.push(args);
    if (o.picturesFail === true) throw new Error('no pictures today');
    await new Promise((r) => setTimeout(r, 60));
    return { a: path.join('somewhere', 'a.png'), b: path.join('somewhere', 'b.png') };
  });
  set(modules.report, 'evaluateEncoder', async (encoder: unknown, options: Record<string, unknown>) => {
    calls.evaluations.push(options);
    return options.sharded === true ? { rows: [] } : real.evaluate(encoder, options);
  });
  set(modules.dashboard, 'startDashboardThread', async (options: unknown) => {
    calls.dashboards.push(options);
    return { url: 'http://127.0.0.1:9/', close: async () => { calls.closed++; } };
  });
  set(modules.events, 'writeRunEvents', (dir: string) => { calls.events.push(dir); return {}; });
  set(modules.ranks, 'launchRanks', async (...args: unknown[]) => { calls.launched.push(args); });
  set(modules.text, 'runTextTrain', async (...args: unknown[]) => {
    calls.text.push(args);
    return { interrupted: true };
  });
  try {
    await fn(calls);
  } finally {
    for (const [m, key, value] of saved.reverse()) m[key] = value;
  }
  return calls;
}

const disposed = (d: ImageDataset): boolean => (d.images as unknown as { _disposed: boolean })._disposed;

describe('cli: runTrain by value with its parts recorded (train.ts, third pass)', function () {
  this.timeout(60000);
  let dir = '';
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-train-values-b-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const config = (over: Partial<RunConfig> = {}): RunConfig => ({ ...resolveRunConfig('simclr', { eval: false, data: 'synthetic', steps: 2,
    batchSize: 8, knnEvery: 0, encoderOptions: { width: 4 }, evalTrainSubset: 64 }), out: path.join(dir, 'run'), ...over });

  it('--cuda-graph and --channels-last: on, off, auto and unset reach the Trainer as true, false, \'auto\'', async () => {
    for (const [v, want] of [['on', true], ['off', false], ['auto', 'auto'], [undefined, 'auto']] as const) {
      // --cuda-graph on needs --device cuda (checkRunConfig); the Trainer here is a recorder, so no GPU is touched.
      const calls = await recorded(async () => {
        await runTrain(config({ channelsLast: v, cudaGraph: v, device: v === 'on' ? 'cuda' : 'cpu' }),
          { progress: 'none', stream: { write: () => true } });
      });
      assert.deepEqual([calls.trainer[0].channelsLast, calls.trainer[0].cudaGraph], [want, want], `--channels-last and --cuda-graph ${v}`);
    }
  });

  it('the Trainer\'s other options; splits loaded by eval, --knn-every and labels; every split freed, the rank left', async () => {
    // The order of the loads and the Trainer: the test split before it when the run uses it (evaluation, online k-NN),
    // after it (for the pictures) otherwise; an unlabelled training split has no evaluation.
    const cases: [Partial<RunConfig>, boolean, string[]][] = [
      [{ eval: false, knnEvery: 0 }, false, ['train', 'Trainer', 'test']],
      [{ eval: false, knnEvery: 1 }, false, ['train', 'test', 'Trainer']],
      [{ eval: false, knnEvery: 0 }, true, ['train', 'Trainer', 'test']],
      [{ eval: false, knnEvery: 1 }, true, ['train', 'Trainer', 'test']],
      [{ eval: true, knnEvery: 0 }, true, ['train', 'Trainer', 'test']],
    ];
    for (const [over, unlabelled, splits] of cases) {
      const lines: string[] = [];
      const calls = await recorded(async () => {
        await runTrain(config(over), { progress: 'none', stream: { write: (t: string) => { lines.push(t); return true; } } });
      }, { unlabelled });
      const what = JSON.stringify({ ...over, unlabelled });
      assert.deepEqual(calls.splits, splits, what);
      const [train, test] = calls.loaded;
      const monitor = calls.trainer[0].monitor as { train: ImageDataset; test: ImageDataset; everyEpochs: number } | undefined;
      if (over.knnEvery === 1 && !unlabelled) {
        assert.deepEqual(Object.keys(monitor!), ['train', 'test', 'everyEpochs']);
        assert.deepEqual([monitor!.train === train, monitor!.test === test, monitor!.everyEpochs], [true, true, 1], what);
      } else {
        assert.equal(monitor, undefined, what);
      }
      // The pictures show the test split (loaded for them when the run did not).
      assert.equal(calls.pictures[0][2], test, what);
      assert.deepEqual(calls.pictures[0][3], { device: 'cpu', seed: 0 }, what);
      assert.deepEqual(calls.loaded.map(disposed), [true, true], `${what}: both splits freed`);
      assert.equal(calls.left, 1);
      assert.equal(calls.evaluations.length, 0, `${what}: no evaluation`);
    }
    const c = config({ seed: 4, lr: 0.25, clipGrad: 1.5, checkpointEvery: 7, precision: 'float32' });
    const calls = await recorded(async () => { await runTrain(c, { progress: 'none', stream: { write: () => true }, resume: true }); });
    const { data, monitor, stream, config: saved, ...rest } = calls.trainer[0];
    assert.equal(data, calls.loaded[0]);
    assert.equal(monitor, undefined);
    assert.equal(saved, c);
    assert.equal(typeof (stream as { write: unknown }).write, 'function');
    assert.deepEqual(rest, { epochs: undefined, steps: 2, batchSize: 8, lr: 0.25, optimizer: c.optimizer, device: 'cpu', seed: 4,
      precision: 'float32', clipGrad: 1.5, checkpointEvery: 7, cudaGraph: 'auto', channelsLast: 'auto', out: c.out, progress: 'none',
      resume: c.out });
  });

  it('the log: training line, the trained line, the pictures\' line; an interrupted run says how to resume and stops there', async () => {
    const c = config();
    const lines: string[] = [];
    const stream = { write: (t: string) => { lines.push(t); return true; } };
    const calls = await recorded(async () => { await runTrain(c, { progress: 'none', stream }); });
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^Training simclr \(small_cnn, [\d,]+ parameters\) on synthetic\[train\] \(512 images\) for 2 steps on cpu; run folder /);
    assert.equal(lines[1], 'Trained 2 steps in 3 s (40 images/s)\n');
    assert.match(lines[2], new RegExp(`^Pictures \\(0\\.\\d s\\): a\\.png, b\\.png in ${c.out.replace(/[.\\\\]/g, '\\$&')}\\n$`));
    assert.equal(calls.pictures.length, 1);

    lines.length = 0;
    let run: unknown;
    const stopped = await recorded(async () => { run = await runTrain(c, { progress: 'none', stream }); },
      { result: { interrupted: true, steps: 1 } });
    assert.equal(lines.length, 2);
    assert.equal(lines[1], `Interrupted after step 1: resume with  selfsup train --resume ${c.out}\n`);
    assert.deepEqual(Object.keys(run as object), ['config', 'result', 'rank']);
    assert.deepEqual([(run as { config: unknown }).config, (run as { rank: number }).rank], [c, 0]);
    assert.equal(stopped.pictures.length, 0, 'no pictures for an interrupted run');
    assert.deepEqual(stopped.loaded.map(disposed), [true]);
  });

  it('pictures: the training images of a folder without a test split; a failure is logged, the run goes on', async () => {
    const folder = path.join(dir, 'images');
    fs.mkdirSync(path.join(folder, 'a'), { recursive: true });
    for (let i = 0; i < 4; i++) {
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 60 * i, g: 20, b: 200 - 40 * i } } }).png()
        .toFile(path.join(folder, 'a', `${i}.png`));
    }
    const c = config({ data: `folder:${folder}`, imageSize: 8, batchSize: 4 });
    const calls = await recorded(async () => { await runTrain(c, { progress: 'none', stream: { write: () => true } }); });
    assert.deepEqual(calls.splits, ['train', 'Trainer', 'test']);
    assert.equal(calls.loaded.length, 1);
    assert.equal(calls.pictures[0][2], calls.loaded[0]);
    const lines: string[] = [];
    await recorded(async () => {
      await runTrain(config(), { progress: 'none', stream: { write: (t: string) => { lines.push(t); return true; } } });
    }, { picturesFail: true });
    assert.deepEqual(lines.slice(1), ['Trained 2 steps in 3 s (40 images/s)\n', 'Could not draw the end-of-training pictures: no pictures today\n']);
  });

  it('a colour task\'s random encoder (the floor) takes the normalisation the augmentation set on the Lab encoder', () => {
    const { method, encoder } = buildMethod({ ...config(), method: 'colorization', methodOptions: {} }, [4, 3, 32, 32]);
    method.augmentation({ size: 32, channels: 3, mean: [0.25, 0.5, 0.75], std: [0.125, 0.25, 0.375] });
    const e = encoder() as unknown as { rgbMean: Tensor; rgbStd: Tensor };
    assert.deepEqual(Array.from(e.rgbMean.flatten().toTypedArray() as Float32Array), [0.25, 0.5, 0.75]);
    assert.deepEqual(Array.from(e.rgbStd.flatten().toTypedArray() as Float32Array), [0.125, 0.25, 0.375]);
  });

  it('two ranks: the lead logs "x 2 ranks"; the other logs and draws nothing, shares a sharded evaluation and writes no eval.json', async () => {
    const lines: string[] = [];
    const stream = { write: (t: string) => { lines.push(t); return true; } };
    await recorded(async () => { await runTrain(config({ out: path.join(dir, 'lead') }), { progress: 'none', stream }); }, { rank: 0, worldSize: 2 });
    assert.match(lines[0], / for 2 steps on cpu x 2 ranks; run folder /);
    lines.length = 0;
    let printed = '';
    const out = path.join(dir, 'rank1');
    fs.mkdirSync(out); // the Trainer (a recorder here) would make it
    let run: Record<string, unknown> = {};
    const calls = await recorded(async () => {
      run = await runTrain(config({ out, eval: true }), { progress: 'none', stream, print: (t) => { printed += t; } }) as unknown as
        Record<string, unknown>;
    }, { rank: 1, worldSize: 2 });
    assert.deepEqual(lines, []);
    assert.equal(printed, '');
    assert.equal(calls.pictures.length, 0);
    assert.equal(calls.evaluations[0].sharded, true);
    assert.deepEqual(Object.keys(run), ['config', 'result', 'report', 'rank']);
    assert.deepEqual([run.report, run.rank], [{ rows: [] }, 1]);
    assert.equal(fs.existsSync(path.join(out, 'eval.json')), false);
    assert.equal(calls.left, 1);
  });

  it('one rank with evaluation: not sharded; a pretext run\'s task row printed and written; the encoder\'s default place', async () => {
    const out = path.join(dir, 'rotation');
    fs.mkdirSync(out); // the Trainer (a recorder here) would make it
    const c = { ...resolveRunConfig('rotation', { eval: true, data: 'synthetic', steps: 1, batchSize: 8, knnEvery: 0,
      encoderOptions: { width: 4 }, evalTrainSubset: 256 }), out };
    let printed = '';
    let run: Record<string, unknown> = {};
    const calls = await recorded(async () => {
      run = await runTrain(c, { progress: 'none', stream: { write: () => true }, print: (t) => { printed += t; } }) as unknown as
        Record<string, unknown>;
    });
    assert.equal(calls.evaluations[0].sharded, false);
    const task = run.task as Parameters<typeof formatTaskReport>[0];
    assert.equal(task.method, 'rotation');
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'eval.json'), 'utf8'));
    assert.deepEqual(saved, JSON.parse(JSON.stringify({ ...(run.report as object), task })));
    assert.equal(printed, `\n${formatReport(run.report as Parameters<typeof formatReport>[0])}\n` +
      `\nPretext task: ${formatTaskReport(task)}\n` +
      `\nRun folder:  ${out}\nEvaluation:  ${path.join(out, 'eval.json')}\nPlots:       \n` +
      `Encoder:     ${path.join(out, 'encoder.safetensors')}\nRe-evaluate: selfsup eval ${out}\n`);
  });

  it('the text methods and --dashboard through the real program', async () => {
    const exitCode = process.exitCode;
    try {
      const calls = await recorded(async () => {
        await quietProgram().parseAsync(['node', 'selfsup', 'train', 'bert', '--steps', '2', '--out', path.join(dir, 'bert')]);
      });
      assert.equal(calls.text.length, 1);
      assert.deepEqual(calls.text[0][1], { resume: false });
      assert.equal((calls.text[0][0] as { steps: number }).steps, 2);
      assert.equal(process.exitCode, 130, 'an interrupted text run exits with 130');
      process.exitCode = exitCode;
      const resumeDir = path.join(dir, 'bert-resume');
      fs.mkdirSync(resumeDir);
      fs.writeFileSync(path.join(resumeDir, 'config.json'), JSON.stringify({ config: { method: 'bert', steps: 3, batchSize: 4, lr: 1e-3,
        optimizer: 'adamw', seed: 0, eval: true, methodOptions: {}, checkpointEvery: 0, out: resumeDir } }));
      const resumed = await recorded(async () => {
        await quietProgram().parseAsync(['node', 'selfsup', 'train', '--resume', resumeDir]);
      });
      assert.deepEqual(resumed.text[0][1], { resume: true });
    } finally {
      process.exitCode = exitCode;
    }

    const out = path.join(dir, 'served', 'deeper', 'simclr-a');
    let stderr = '';
    const write = process.stderr.write;
    process.stderr.write = ((t: string) => { stderr += t; return true; }) as typeof process.stderr.write;
    let calls: Calls;
    try {
      calls = await recorded(async () => {
        await quietProgram().parseAsync(['node', 'selfsup', 'train', 'simclr', '--data', 'synthetic', '--steps', '1', '--batch-size', '8',
          '--no-eval', '--progress', 'none', '--encoder-options', '{"width":4}', '--out', out, '--dashboard', '0']);
      });
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(calls.dashboards, [{ root: path.dirname(path.resolve(out)), port: 0 }]);
    assert.ok(fs.statSync(path.dirname(out)).isDirectory());
    assert.equal(stderr.split('\n').find((l) => l.startsWith('selfsup dashboard')),
      `selfsup dashboard: http://127.0.0.1:9/?run=simclr-a (served while training; afterwards: selfsup dashboard ${path.dirname(out)})`);
  });

  it('the image action: exit code 130 after an interrupted run only, --resume and --progress reach runTrain, --tensorboard on rank 0 ' +
    'only, the dashboard closed, the ranks\' command line', async () => {
    const exitCode = process.exitCode;
    // The real action logs on stderr: kept off the test's output.
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    const program = (args: string[]) => quietProgram().parseAsync(['node', 'selfsup', 'train', ...args]);
    const out = path.join(dir, 'action');
    const flags = ['simclr', '--data', 'synthetic', '--steps', '1', '--batch-size', '8', '--no-eval', '--progress', 'none',
      '--encoder-options', '{"width":4}', '--out', out];
    try {
      process.exitCode = undefined;
      const done = await recorded(async () => { await program([...flags, '--tensorboard']); });
      assert.equal(process.exitCode, undefined, 'a finished run exits with 0');
      assert.deepEqual(done.events, [out]);
      assert.equal(done.trainer[0].progress, 'none');
      assert.equal(done.trainer[0].resume, undefined);
      const stopped = await recorded(async () => { await program(flags); }, { result: { interrupted: true, steps: 1 } });
      assert.equal(process.exitCode, 130, 'an interrupted run exits with 130');
      assert.deepEqual(stopped.events, []);
      process.exitCode = undefined;
      const other = await recorded(async () => { await program([...flags, '--tensorboard']); }, { rank: 1, worldSize: 2 });
      assert.deepEqual(other.events, [], 'only rank 0 writes the event file');
      // --resume of the run folder (its config.json written here; the Trainer is a recorder).
      fs.mkdirSync(out, { recursive: true });
      fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ config: resolveRunConfig('simclr', { eval: false, data: 'synthetic',
        steps: 1, batchSize: 8, encoderOptions: { width: 4 }, out }) }));
      const resumed = await recorded(async () => { await program(['--resume', out, '--progress', 'none']); });
      assert.equal(resumed.trainer[0].resume, out);
      // Ranks: the command line each rank runs; a new run names its folder for all of them, a resumed one has its own.
      const ranks = await recorded(async () => {
        await program(['simclr', '--data', 'synthetic', '--steps', '1', '--nproc-per-node', '2']);
        await program(['--resume', out, '--nproc-per-node', '2']);
      });
      const [fresh, again] = ranks.launched.map((a) => a[1] as string[]);
      assert.equal(fresh[fresh.length - 2], '--out');
      assert.deepEqual(again, ['train', '--resume', out]);
      const served = await recorded(async () => { await program([...flags, '--dashboard', '0']); });
      assert.equal(served.closed, 1, 'the dashboard is closed after the run');
    } finally {
      process.exitCode = exitCode;
      process.stderr.write = write;
    }
  });

  it('prints the evaluation on stdout by default', async () => {
    const out = path.join(dir, 'stdout');
    fs.mkdirSync(out);
    const c = { ...resolveRunConfig('simclr', { eval: true, data: 'synthetic', steps: 1, batchSize: 8, knnEvery: 0,
      encoderOptions: { width: 4 }, evalTrainSubset: 256 }), out };
    const write = process.stdout.write;
    let stdout = '';
    let run: Record<string, unknown> = {};
    process.stdout.write = ((t: string) => { stdout += t; return true; }) as typeof process.stdout.write;
    try {
      await recorded(async () => { run = await runTrain(c, { progress: 'none', stream: { write: () => true } }) as unknown as Record<string, unknown>; });
    } finally {
      process.stdout.write = write;
    }
    assert.ok(stdout.startsWith(`\n${formatReport(run.report as Parameters<typeof formatReport>[0])}\n\nRun folder:  ${out}\n`), stdout);
  });

  it('the CPU presets apply on the CPU only; the context encoder\'s image size follows the images', () => {
    for (const method of ['byol', 'swav'] as const) {
      const cpu = resolveRunConfig(method, { eval: true, device: 'cpu' });
      const preset = CPU_PRESETS[method]!;
      assert.deepEqual([cpu.epochs, cpu.batchSize, cpu.encoderOptions, cpu.methodOptions],
        [preset.epochs, preset.batchSize, preset.encoderOptions, preset.methodOptions], method);
      const gpu = resolveRunConfig(method, { eval: true, device: 'cuda' });
      assert.deepEqual([gpu.encoder, gpu.encoderOptions, gpu.methodOptions], ['resnet18', {}, {}], method);
    }
    const ce = (size: number) => (buildMethod({ ...config(), method: 'context_encoder', methodOptions: {} }, [4, 1, size, size]).method
      .config() as { imageSize: number });
    assert.equal(ce(40).imageSize, 40);
  });
});
