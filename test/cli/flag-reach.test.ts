// Every flag of `selfsup train` and `selfsup eval` lands where it acts, by
// value: the real commands are parsed (their option definitions and parsers),
// with only the final action replaced by the function the real action calls
// (resolveRunConfig, evalCommandOptions), so nothing trains here. Integer
// flags refuse fractions, number flags refuse what is not a number (issue 21).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { quietProgram } from '../helpers/quiet-program';
import { resolveRunConfig, runTrain } from '../../lib/cli/train';
import { MAIN_JOB } from '../../lib/cli/main-job';
import { evalCommandOptions, EvalFlags, EvalCommandOptions } from '../../lib/cli/eval';
import { RunConfig } from '../../lib/cli/run-config';

const NOW = new Date('2026-12-04T23:00:00Z');

/** `selfsup train <args>` resolved to its RunConfig, as the command's action resolves it. */
async function trainConfig(args: string[]): Promise<RunConfig> {
  const p = quietProgram();
  let config: RunConfig | undefined;
  p.commands.find((c) => c.name() === 'train')!.action((methodArg: string | undefined, flags) => {
    config = resolveRunConfig(methodArg, flags, NOW);
  });
  await p.parseAsync(['node', 'selfsup', 'train', ...args]);
  assert.ok(config, 'the train action did not run');
  return config;
}

/** `selfsup eval <target> <args>`: the runEval options the command's action passes. */
async function evalOptions(args: string[]): Promise<{ target: string; options: EvalCommandOptions; threads?: number }> {
  const p = quietProgram();
  let got: { target: string; options: EvalCommandOptions; threads?: number } | undefined;
  p.commands.find((c) => c.name() === 'eval')!.action((target: string, f: EvalFlags) => {
    got = { target, options: evalCommandOptions(f), threads: f.threads };
  });
  await p.parseAsync(['node', 'selfsup', 'eval', ...args]);
  assert.ok(got, 'the eval action did not run');
  return got;
}

/** What commander throws for a bad flag value, as its message. */
async function parseError(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

describe('cli: every flag reaches the resolved config', function () {
  let dir: string;
  before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-flags-')); });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  // flag and value on the command line -> the RunConfig fields they must set (on top of `selfsup train simclr`).
  const TRAIN_FLAGS: { args: string[]; expect: Partial<RunConfig>; presetChanges?: true }[] = [
    { args: ['--data', 'synthetic'], expect: { data: 'synthetic' } },
    { args: ['--encoder', 'resnet18'], expect: { encoder: 'resnet18', encoderOptions: {} } },
    { args: ['--encoder-options', '{"width": 24}'], expect: { encoderOptions: { width: 24 } } },
    { args: ['--method-options', '{"temperature": 0.2}'], expect: { methodOptions: { temperature: 0.2 } } },
    { args: ['--epochs', '3'], expect: { epochs: 3, steps: undefined } },
    { args: ['--steps', '7'], expect: { steps: 7, epochs: undefined } },
    { args: ['--batch-size', '48'], expect: { batchSize: 48 } },
    { args: ['--lr', '0.0123'], expect: { lr: 0.0123 } },
    { args: ['--optimizer', 'lamb'], expect: { optimizer: { optimizer: 'lamb' } } },
    // The defaults depend on the device (the CPU presets apply only on the CPU).
    { args: ['--device', 'cuda:1'], expect: { device: 'cuda:1' }, presetChanges: true },
    { args: ['--precision', 'bfloat16'], expect: { precision: 'bfloat16' } },
    { args: ['--clip-grad', '2.5'], expect: { clipGrad: 2.5 } },
    { args: ['--cuda-graph', 'off'], expect: { cudaGraph: 'off' } },
    { args: ['--channels-last', 'on'], expect: { channelsLast: 'on' } },
    { args: ['--seed', '42'], expect: { seed: 42 } },
    { args: ['--out', 'runs/flag-test'], expect: { out: 'runs/flag-test' } },
    { args: ['--checkpoint-every', '5'], expect: { checkpointEvery: 5 } },
    { args: ['--knn-every', '3'], expect: { knnEvery: 3 } },
    { args: ['--image-size', '40'], expect: { imageSize: 40 } },
    { args: ['--eval-train-subset', '1000'], expect: { evalTrainSubset: 1000 } },
    { args: ['--no-eval'], expect: { eval: false } },
  ];

  it('the table covers every flag of `selfsup train` that resolves into the config', () => {
    const train = quietProgram().commands.find((c) => c.name() === 'train')!;
    const tested = new Set(TRAIN_FLAGS.map((row) => row.args[0]));
    // Flags that act on the run rather than on its config (tested below or in train.test.ts).
    const elsewhere = new Set(['--resume', '--config', '--progress', '--tensorboard', '--threads', '--dashboard',
      '--nproc-per-node', '--nnodes', '--node-rank', '--master-addr', '--master-port']);
    const untested = train.options.map((o) => o.long!).filter((f) => !tested.has(f) && !elsewhere.has(f));
    assert.deepEqual(untested, []);
  });

  for (const row of TRAIN_FLAGS) {
    it(`train ${row.args.join(' ')}`, async () => {
      const base = await trainConfig(['simclr']);
      const c = await trainConfig(['simclr', ...row.args]);
      for (const [key, value] of Object.entries(row.expect)) {
        const k = key as keyof RunConfig;
        assert.deepEqual(c[k], value, `${row.args[0]} -> ${key}`);
        // The row tests something only if the flag changes the field.
        if (value !== undefined && row.args[0] !== '--encoder') assert.notDeepEqual(base[k], value, `${key} was already ${String(value)}`);
      }
      // Nothing else moved.
      if (row.presetChanges) return;
      const moved = (Object.keys(c) as (keyof RunConfig)[]).filter((k) => !(k in row.expect) &&
        JSON.stringify(c[k]) !== JSON.stringify(base[k]));
      assert.deepEqual(moved, []);
    });
  }

  it('--encoder-options and --method-options merge over the preset; --encoder drops the preset\'s encoder options', async () => {
    const base = await trainConfig([]); // the main job: small_cnn with its own options
    assert.notDeepEqual(base.encoderOptions, {});
    const merged = await trainConfig(['--encoder-options', '{"zz": 1}', '--method-options', '{"outDim": 64}']);
    assert.deepEqual(merged.encoderOptions, { ...base.encoderOptions, zz: 1 });
    assert.deepEqual(merged.methodOptions, { ...base.methodOptions, outDim: 64 });
    const other = await trainConfig(['--encoder', 'resnet18', '--encoder-options', '{"zz": 1}']);
    assert.deepEqual(other.encoderOptions, { zz: 1 });
  });

  it('--config values land in the config, and flags override them', async () => {
    const file = path.join(dir, 'run.json');
    fs.writeFileSync(file, JSON.stringify({ method: 'byol', lr: 0.7, seed: 9, clipGrad: 1.5, optimizer: { weightDecay: 0.01 } }));
    const c = await trainConfig(['--config', file]);
    assert.equal(c.method, 'byol');
    // A file that gives no run length keeps the defaults' (the method's).
    const defaults = await trainConfig(['byol']);
    assert.deepEqual([c.epochs, c.steps], [defaults.epochs, defaults.steps]);
    assert.ok(c.epochs !== undefined || c.steps !== undefined);
    assert.equal(c.lr, 0.7);
    assert.equal(c.seed, 9);
    assert.equal(c.clipGrad, 1.5);
    assert.deepEqual(c.optimizer, { weightDecay: 0.01 });
    const flagged = await trainConfig(['--config', file, '--lr', '0.25', '--seed', '3']);
    assert.equal(flagged.lr, 0.25);
    assert.equal(flagged.seed, 3);
    assert.equal(flagged.clipGrad, 1.5);
  });

  const INT_FLAGS: [string, number][] = [['--epochs', 1], ['--steps', 1], ['--batch-size', 1], ['--seed', 0],
    ['--checkpoint-every', 1], ['--knn-every', 0], ['--image-size', 8], ['--eval-train-subset', 1], ['--threads', 1]];

  it('integer flags refuse fractions, non-numbers and values below their minimum, naming the flag', async () => {
    for (const [flag, min] of INT_FLAGS) {
      for (const bad of ['1.5', 'x', String(min - 1)]) {
        const message = await parseError(() => trainConfig(['simclr', flag, bad]));
        assert.match(message, new RegExp(`Expected an integer >= ${min} for ${flag} but received ${bad}`), `${flag} ${bad}`);
      }
      for (const good of [min, min + 2]) await trainConfig(['simclr', flag, String(good)]); // the minimum itself is accepted
    }
  });

  it('number flags refuse non-numbers and negatives; --lr refuses 0, --clip-grad takes 0 (off)', async () => {
    for (const flag of ['--lr', '--clip-grad']) {
      for (const bad of ['abc', '-1', 'Infinity']) {
        assert.match(await parseError(() => trainConfig(['simclr', flag, bad])),
          new RegExp(`Expected a (positive|non-negative) number for ${flag} but received ${bad}`), `${flag} ${bad}`);
      }
    }
    assert.match(await parseError(() => trainConfig(['simclr', '--lr', '0'])), /Expected a positive number for --lr but received 0/);
    assert.equal((await trainConfig(['simclr', '--clip-grad', '0'])).clipGrad, 0);
  });

  it('JSON flags refuse what is not an object', async () => {
    for (const flag of ['--encoder-options', '--method-options']) {
      for (const bad of ['[1]', 'null', '5', '"x"']) {
        assert.match(await parseError(() => trainConfig(['simclr', flag, bad])),
          new RegExp(`Expected a JSON object for ${flag} but received ${bad.replace(/[[\]]/g, '\\$&')}`), bad);
      }
      assert.match(await parseError(() => trainConfig(['simclr', flag, '{x'])),
        new RegExp(`Expected a JSON object for ${flag} \\(as '\\{"width": 16\\}'\\) but received \\{x`));
    }
  });

  it('every option of train and eval has a help text', () => {
    for (const name of ['train', 'eval']) {
      const command = quietProgram().commands.find((c) => c.name() === name)!;
      assert.ok(command.description().length > 20, name);
      for (const o of command.options) assert.ok(o.description.length >= 10, `${name} ${o.long}: '${o.description}'`);
    }
    const train = quietProgram().commands.find((c) => c.name() === 'train')!;
    assert.match(train.registeredArguments[0].description, /^simclr, byol, dino, mae, .*bert, albert, clip$/);
  });

  it('the defaults follow the method and the device; the run folder is named after the method and the time', async () => {
    assert.equal((await trainConfig(['simclr', '--device', 'cuda'])).encoder, 'resnet18');
    assert.equal((await trainConfig(['dino', '--device', 'cuda'])).encoder, 'vit_tiny_patch4_224');
    assert.equal((await trainConfig(['mae', '--device', 'cuda'])).encoder, 'vit_tiny_patch4_224');
    assert.equal((await trainConfig(['byol', '--device', 'cuda'])).batchSize, 256);
    assert.deepEqual((await trainConfig(['simclr'])).out, path.join('runs', 'simclr-20261204-230000'));
    assert.equal((await trainConfig(['byol'])).method, 'byol');
  });

  // checkRunConfig through --config files (bypassing the flag parsers): each bad value is refused by name.
  const BAD_CONFIGS: [Record<string, unknown>, RegExp][] = [
    [{ method: 'simclrr' }, /Unknown method 'simclrr'; expected one of simclr, byol/],
    [{ encoder: 'vit_giant' }, /Unknown encoder 'vit_giant'; expected a registry name such as vit_\w+(, vit_\w+){0,5} \(selfsup info lists them\)/],
    [{ encoder: 'foo' }, /Unknown encoder 'foo'; expected a registry name such as small_cnn, resnet18, vit_small_patch16_224 \(/],
    [{ method: 'mae', encoder: 'resnet18' }, /MAE masks patches of a Vision Transformer: --encoder must be a vit_\* model, not 'resnet18'/],
    [{ epochs: 2, steps: 3 }, /Give --epochs or --steps, not both/],
    [{ epochs: 0 }, /epochs/], [{ steps: 1.5 }, /steps/], [{ batchSize: 0 }, /batch size/], [{ imageSize: 4 }, /image size/],
    [{ seed: -1 }, /seed/], [{ knnEvery: -1 }, /knnEvery/], [{ lr: 0 }, /lr/], [{ clipGrad: -1 }, /clipGrad/],
    [{ checkpointEvery: 0 }, /checkpointEvery/], [{ evalTrainSubset: 0 }, /evalTrainSubset/],
    [{ device: 'tpu' }, /Expected cpu, cuda or cuda:N for --device but received tpu/],
    [{ precision: 'half' }, /Expected auto, float32 or bfloat16 for --precision but received half/],
    [{ cudaGraph: 'yes' }, /Expected auto, on or off for --cuda-graph but received yes/],
    [{ channelsLast: 'nhwc' }, /Expected auto, on or off for --channels-last but received nhwc/],
    [{ cudaGraph: 'on' }, /--cuda-graph on needs --device cuda \(the device is cpu\)/],
    [{ encoderOptions: [1] }, /Expected a JSON object for encoderOptions/], [{ methodOptions: null }, /Expected a JSON object for methodOptions/],
    [{ optimizer: 'adamw' }, /Expected a JSON object for optimizer/],
  ];
  it('a --config file\'s bad values are refused by name before any work', async () => {
    const file = path.join(dir, 'bad.json');
    for (const [bad, message] of BAD_CONFIGS) {
      fs.writeFileSync(file, JSON.stringify({ method: 'simclr', ...bad }));
      assert.match(await parseError(() => trainConfig(['--config', file])), message, JSON.stringify(bad));
    }
    for (const good of [{ cudaGraph: 'on', device: 'cuda' }, { cudaGraph: 'on', device: 'cuda:1' }, { channelsLast: 'on' }, { epochs: 1 },
      { steps: 1 }, { clipGrad: 0 }]) {
      fs.writeFileSync(file, JSON.stringify({ method: 'simclr', ...good }));
      await trainConfig(['--config', file]);
    }
  });

  it('a --config file\'s run length and folder replace the defaults\'; flags replace the file\'s', async () => {
    const file = path.join(dir, 'length.json');
    fs.writeFileSync(file, JSON.stringify({ method: 'simclr', steps: 5, out: 'runs/from-file' }));
    const steps = await trainConfig(['--config', file]);
    assert.deepEqual([steps.steps, steps.epochs, steps.out], [5, undefined, 'runs/from-file']);
    assert.deepEqual([(await trainConfig(['--config', file, '--epochs', '2'])).epochs, (await trainConfig(['--config', file, '--epochs', '2'])).steps], [2, undefined]);
    fs.writeFileSync(file, JSON.stringify({ method: 'simclr', epochs: 4, out: '' }));
    const epochs = await trainConfig(['--config', file]);
    assert.deepEqual([epochs.epochs, epochs.steps, epochs.out], [4, undefined, path.join('runs', 'simclr-20261204-230000')]);
    assert.deepEqual([(await trainConfig(['--config', file, '--steps', '3'])).steps, (await trainConfig(['--config', file, '--steps', '3'])).epochs], [3, undefined]);
    const both = await trainConfig(['--config', file, '--steps', '3', '--epochs', '2']).catch((e: Error) => e.message);
    assert.match(String(both), /Give --epochs or --steps, not both/);
  });

  it('--resume reads the run\'s config, takes only --device and --no-eval, and refuses the other flags by name', async () => {
    const run = path.join(dir, 'resumable');
    fs.mkdirSync(run, { recursive: true });
    const saved = await trainConfig(['byol', '--steps', '9', '--out', run]);
    fs.writeFileSync(path.join(run, 'config.json'), JSON.stringify({ config: saved }));
    const c = await trainConfig(['--resume', run, '--device', 'cuda', '--no-eval']);
    const json = (x: unknown): unknown => JSON.parse(JSON.stringify(x));
    assert.deepEqual(json(c), json({ ...saved, device: 'cuda', eval: false, out: run }));
    assert.deepEqual(json(await trainConfig(['--resume', run])), json({ ...saved, out: run }));
    // --tensorboard acts on the run folder after training (test/export/tensorboard.test.ts resumes with it).
    assert.deepEqual(json(await trainConfig(['--resume', run, '--tensorboard'])), json({ ...saved, out: run }));
    assert.match(await parseError(() => trainConfig(['--resume', run, '--steps', '3', '--batch-size', '8'])),
      /--resume continues a run with its own config.json; drop --steps --batch-size$/);
    assert.match(await parseError(() => trainConfig(['simclr', '--resume', run])), /drop 'simclr'$/);
  });

  it('the real action: --progress is checked, text methods go their own way, and a run gets its TensorBoard events', async () => {
    const run = async (args: string[]): Promise<void> => { await quietProgram().parseAsync(['node', 'selfsup', 'train', ...args]); };
    assert.match(await parseError(() => run(['simclr', '--progress', 'fancy'])), /Expected auto, bar, lines or none for --progress but received fancy/);
    assert.match(await parseError(() => run(['bert', '--clip-grad', '1'])), /--clip-grad does not apply to bert/);
    const out = path.join(dir, 'tb');
    const write = process.stderr.write;
    const stdout = process.stdout.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      await run(['simclr', '--data', 'synthetic', '--encoder-options', '{"width": 4}', '--method-options', '{"hiddenDim": 16, "outDim": 8}',
        '--steps', '1', '--batch-size', '32', '--knn-every', '0', '--no-eval', '--progress', 'none', '--out', out, '--tensorboard']);
    } finally {
      process.stderr.write = write;
      process.stdout.write = stdout;
    }
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).trainer.steps, 1);
    assert.ok(fs.readdirSync(path.join(out, 'tensorboard')).some((f) => f.startsWith('events.out.tfevents')));
  });


  it('every flag of `selfsup eval` reaches runEval\'s options by value', async () => {
    const plain = await evalOptions(['runs/x']);
    assert.equal(plain.target, 'runs/x');
    assert.deepEqual(plain.options, { floors: true, device: 'cpu' });
    const all = await evalOptions(['runs/x', '--knn', '--linear', '--no-floors', '--data', 'synthetic', '--encoder', 'small_cnn',
      '--encoder-options', '{"width": 4}', '--device', 'cuda:1', '--train-subset', '300', '--threads', '2']);
    assert.deepEqual(all.options, {
      knn: true, linear: true, floors: false, data: 'synthetic', encoder: 'small_cnn', encoderOptions: { width: 4 },
      device: 'cuda:1', trainSubset: 300,
    });
    assert.equal(all.threads, 2);
    for (const bad of ['2.5', '0']) {
      assert.match(await parseError(() => evalOptions(['runs/x', '--train-subset', bad])),
        new RegExp(`Expected an integer >= 1 for --train-subset but received ${bad}`));
    }
    assert.match(await parseError(() => evalOptions(['runs/x', '--threads', '1.5'])), /Expected an integer >= 1 for --threads/);
  });

  it('a resolved config reaches the Trainer and the method (config.json records what they used)', async () => {
    const out = path.join(dir, 'run');
    const c: RunConfig = {
      ...MAIN_JOB, data: 'synthetic', encoderOptions: { width: 4 }, epochs: undefined, steps: 1, batchSize: 32, knnEvery: 0,
      eval: false, out, lr: 0.0123, clipGrad: 2.5, seed: 5, precision: 'float32', checkpointEvery: 7, cudaGraph: 'off',
      channelsLast: 'off', optimizer: { optimizer: 'sgd', weightDecay: 0.01, lrScaling: 'linear', lr: 1, warmupEpochs: 0 },
      methodOptions: { temperature: 0.3, hiddenDim: 16, outDim: 8 },
    };
    await runTrain(c, { progress: 'none', print: () => undefined, stream: { write: () => true } });
    const saved = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
    const t = saved.trainer;
    assert.deepEqual([t.peakLr, t.clipGrad, t.seed, t.precision, t.checkpointEvery, t.batchSize, t.steps, t.device],
      [0.0123, 2.5, 5, 'float32', 7, 32, 1, 'cpu']);
    assert.equal(t.optimizer.optimizer, 'sgd');
    assert.equal(t.optimizer.weightDecay, 0.01);
    assert.deepEqual([saved.methodConfig.temperature, saved.methodConfig.hiddenDim, saved.methodConfig.outDim], [0.3, 16, 8]);
    assert.equal(saved.data.name, 'synthetic[train]');
    assert.deepEqual(saved.config, JSON.parse(JSON.stringify(c)));
  });
});
