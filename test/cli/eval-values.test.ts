// `selfsup eval` by value, past what image-run-values covers (issue 21, lib/cli's mutation score, third pass):
// a pretext run's task (a rotation run folder written here without training: config.json, the encoder file and a
// checkpoint of a seeded method) recomputed for the folder, its checkpoint, its own data named again, and left out
// for other data, another architecture, the encoder file and a folder without checkpoints, each with its log line;
// the task printed by the command; a colorization run's Lab encoder; the refusals that come after the run config
// (an API folder given --data only, --encoder inside a run folder, a folder dataset without a test split, a file
// with a key too many); nothing left allocated; the default log on stderr; a text run through the command.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { buildMethod, encoderOptionsFor } from '../../lib/cli/train';
import { MAIN_JOB } from '../../lib/cli/main-job';
import { RunConfig } from '../../lib/cli/run-config';
import { runEval } from '../../lib/cli/eval';
import { evaluateRunTask } from '../../lib/cli/eval-task';
import { loadDataSplit, parseDataSpec } from '../../lib/cli/data-spec';
import { disposeDataset, ImageDataset } from '../../lib/data/dataset';
import { EvalReport, evaluateEncoder, formatReport } from '../../lib/eval/report';
import { formatTaskReport, TaskReport } from '../../lib/ssl/pretext/task-metrics';
import { methodEncoder } from '../../lib/ssl/method-encoder';
import * as torch from '../../lib/torch';
import { saveSafetensors } from '../../lib/torch/safetensors';
import { create as createModel } from '../../lib/models/registry';
import { quietProgram } from '../helpers/quiet-program';
import { messageOf } from '../helpers/refuses';
import { captured } from '../helpers/captured-output';

/** A report (or task) without its timings. */
function untimed(r: unknown): unknown {
  return JSON.parse(JSON.stringify(r, (k, v: unknown) => (k === 'seconds' ? undefined : v)));
}

/** stdout and stderr of `fn`. */
/** A run folder as selfsup train leaves it, without training: config.json, encoder.safetensors and (unless told not to) one checkpoint. */
function writeRun(out: string, c: RunConfig, shape: number[], checkpoint = true): string {
  fs.mkdirSync(path.join(out, 'checkpoints'), { recursive: true });
  fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify({ config: { ...c, out } }));
  torch.manualSeed(5);
  const { method } = buildMethod(c, shape);
  saveSafetensors(path.join(out, 'encoder.safetensors'), method.encoder.stateDict());
  const ck = path.join(out, 'checkpoints', 'step-00000001.safetensors');
  if (checkpoint) {
    saveSafetensors(ck, new Map([...method.stateDict()].map(([k, t]) => [`model.${k}`, t] as [string, torch.Tensor])));
    fs.writeFileSync(ck.replace(/safetensors$/, 'json'), JSON.stringify({ format: 'selfsup-checkpoint', version: 1, method: c.method }));
  }
  method.dispose();
  return ck;
}

describe('cli: selfsup eval by value (pretext tasks, Lab encoders, refusals, leaks)', function () {
  this.timeout(120000);
  let dir = '';
  let rotation = '';
  let ck = '';
  let run: RunConfig;
  let task: TaskReport;
  let train: ImageDataset;
  let test: ImageDataset;
  const quiet = { log: () => undefined };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selfsup-eval-values-'));
    rotation = path.join(dir, 'rotation');
    run = { ...MAIN_JOB, method: 'rotation', data: 'synthetic', encoderOptions: { width: 4 }, epochs: undefined, steps: 1,
      batchSize: 32, knnEvery: 0, eval: true, out: rotation, methodOptions: { hiddenDim: 8 } };
    ck = writeRun(rotation, run, [512, 1, 16, 16]);
    train = await loadDataSplit(parseDataSpec('synthetic'), 'train') as ImageDataset;
    test = await loadDataSplit(parseDataSpec('synthetic'), 'test') as ImageDataset;
    task = evaluateRunTask({ ...run, out: rotation }, { checkpoint: ck, train, test, device: 'cpu' });
  });
  after(() => {
    disposeDataset(train);
    disposeDataset(test);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a rotation run folder: its task from the newest checkpoint, logged, in eval.json and printed by the command', async () => {
    const logged: string[] = [];
    const report = await runEval(rotation, { knn: true, floors: false, log: (l) => logged.push(l) });
    assert.deepEqual(untimed(report.task), untimed(task));
    assert.equal(logged[logged.length - 1], `Pretext task: rotation on the held-out synthetic[test] images, heads from ${ck}`);
    const saved = JSON.parse(fs.readFileSync(path.join(rotation, 'eval.json'), 'utf8')) as EvalReport & { task: TaskReport };
    assert.deepEqual(saved, JSON.parse(JSON.stringify(report)));
    assert.deepEqual(untimed(saved.task), untimed(task));
    // The checkpoint itself (.json), and the run's own data named again: the same task.
    assert.deepEqual(untimed((await runEval(ck.replace(/safetensors$/, 'json'), { knn: true, floors: false, ...quiet })).task), untimed(task));
    assert.deepEqual(untimed((await runEval(rotation, { knn: true, floors: false, data: 'synthetic', ...quiet })).task), untimed(task));
    // The command prints the table, then the task.
    const { stdout } = await captured(() => quietProgram().parseAsync(['node', 'selfsup', 'eval', rotation, '--knn', '--no-floors']));
    const printed = JSON.parse(fs.readFileSync(path.join(rotation, 'eval.json'), 'utf8')) as EvalReport & { task: TaskReport };
    assert.equal(stdout, `${formatReport(printed)}\n\nPretext task: ${formatTaskReport(printed.task)}\n`);
    assert.deepEqual(untimed(printed.task), untimed(task));
  });

  it('no task for other data, another architecture, the encoder file, or a run without checkpoints; each says why', async () => {
    // Other data (a different --data string: the task is judged on the run's own data only).
    const other = await runEval(rotation, { knn: true, floors: false, data: 'synthetic:again', ...quiet });
    assert.equal(other.task, undefined);
    assert.ok(!('task' in other));
    // --encoder: not the run's method.
    const named: string[] = [];
    const arch = await runEval(rotation, { knn: true, floors: false, encoder: 'small_cnn', encoderOptions: { width: 4 }, log: (l) => named.push(l) });
    assert.equal(arch.task, undefined);
    assert.ok(!named.some((l) => /task/.test(l)), named.join('\n'));
    // The encoder file has no heads.
    const file = path.join(rotation, 'encoder.safetensors');
    const logged: string[] = [];
    const fromFile = await runEval(file, { knn: true, floors: false, log: (l) => logged.push(l) });
    assert.equal(fromFile.task, undefined);
    assert.equal(logged[logged.length - 1], `The rotation task metric needs the heads: evaluate the run folder or a checkpoint, not '${file}'`);
    // A run folder without checkpoints.
    const bare = path.join(dir, 'rotation-no-checkpoint');
    writeRun(bare, run, [512, 1, 16, 16], false);
    const noCk: string[] = [];
    const withoutCk = await runEval(bare, { knn: true, floors: false, log: (l) => noCk.push(l) });
    assert.equal(withoutCk.task, undefined);
    assert.equal(noCk[noCk.length - 1], `The rotation task metric needs a checkpoint (its heads), and '${bare}' has none: ` +
      `Cannot resume from '${bare}': it holds no checkpoint (expected checkpoints/step-XXXXXXXX.json and .safetensors)`);
    assert.deepEqual(Object.keys(JSON.parse(fs.readFileSync(path.join(bare, 'eval.json'), 'utf8'))), Object.keys(withoutCk));
  });

  it('a colorization run: its Lab encoder, with the data\'s statistics, as evaluateEncoder scores it', async () => {
    const out = path.join(dir, 'colorization');
    const c: RunConfig = { ...MAIN_JOB, method: 'colorization', data: 'photos', imageSize: 16, encoderOptions: { width: 4 },
      epochs: undefined, steps: 1, batchSize: 32, knnEvery: 0, eval: true, out, methodOptions: {} };
    writeRun(out, c, [6144, 3, 16, 16], false);
    const report = await runEval(out, { knn: true, floors: false, trainSubset: 256, ...quiet });
    const photosTrain = await loadDataSplit(parseDataSpec('photos'), 'train', 16) as ImageDataset;
    const photosTest = await loadDataSplit(parseDataSpec('photos'), 'test', 16) as ImageDataset;
    const options = encoderOptionsFor('small_cnn', photosTrain.images.shape, { width: 4 });
    const build = () => methodEncoder('colorization', 'small_cnn', options, { mean: photosTrain.mean, std: photosTrain.std }, {});
    const encoder = build();
    const weights = torch.loadSafetensors(path.join(out, 'encoder.safetensors'));
    encoder.loadStateDict(weights, { strict: true });
    weights.forEach((t) => t.dispose());
    const reference = await evaluateEncoder(encoder, { train: photosTrain, test: photosTest, knn: true, linear: false, floors: false,
      trainSubset: 256, randomEncoder: build, device: 'cpu', log: () => undefined });
    encoder.dispose();
    disposeDataset(photosTrain);
    disposeDataset(photosTest);
    assert.deepEqual(untimed(report), untimed(reference));
    // Its encoder file holds the Lab wrapper's keys, which the registry's small_cnn does not have.
    assert.match(await messageOf(() => runEval(out, { knn: true, floors: false, trainSubset: 256, encoder: 'small_cnn',
      encoderOptions: { width: 4 }, ...quiet })), /^The weights in '.*' do not fit small_cnn: Error loading state dict into /);
  });

  it('refusals after the run config: an API folder with --data only, --encoder without its options, no test split, a key too many', async () => {
    const simclr = path.join(dir, 'simclr');
    writeRun(simclr, { ...run, method: 'simclr', out: simclr, methodOptions: { hiddenDim: 16, outDim: 8 } }, [512, 1, 16, 16], false);
    const api = path.join(dir, 'api-run');
    fs.mkdirSync(api);
    fs.copyFileSync(path.join(simclr, 'encoder.safetensors'), path.join(api, 'encoder.safetensors'));
    fs.writeFileSync(path.join(api, 'config.json'), JSON.stringify({ method: 'simclr' }));
    assert.equal(await messageOf(() => runEval(api, { data: 'synthetic', ...quiet })),
      `${path.join(api, 'config.json')} was not written by selfsup train (no "config" record): resume it from the API instead; ` +
      'or name the encoder and the data with --encoder and --data');
    // --encoder inside a run folder: the run's encoder options are not used (the default width does not fit).
    assert.match(await messageOf(() => runEval(simclr, { encoder: 'small_cnn', knn: true, floors: false, ...quiet })),
      new RegExp(`^The weights in '${simclr.replace(/[/.]/g, '\\$&')}' do not fit small_cnn: `));
    // An image folder has no test split.
    const folder = path.join(dir, 'images');
    fs.mkdirSync(path.join(folder, 'a'), { recursive: true });
    for (let i = 0; i < 2; i++) {
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 90 * i, g: 9, b: 0 } } }).png()
        .toFile(path.join(folder, 'a', `${i}.png`));
    }
    const bare = path.join(dir, 'bare.safetensors');
    fs.copyFileSync(path.join(simclr, 'encoder.safetensors'), bare);
    assert.equal(await messageOf(() => runEval(bare, { encoder: 'small_cnn', encoderOptions: { width: 4 }, data: `folder:${folder}`, ...quiet })),
      `--data folder:${folder} has no test split: evaluate on a labelled dataset with train and test splits`);
    // Strict loading: a file with one key more than the encoder has is refused, naming the key.
    const extra = path.join(dir, 'extra.safetensors');
    const weights = torch.loadSafetensors(bare);
    weights.set('head.weight', torch.zeros([2]));
    saveSafetensors(extra, weights);
    weights.forEach((t) => t.dispose());
    assert.equal(await messageOf(() => runEval(extra, { encoder: 'small_cnn', encoderOptions: { width: 4 }, data: 'synthetic', ...quiet })),
      `The weights in '${extra}' do not fit small_cnn: Error loading state dict into SmallCnn: unexpected keys: head.weight`);
    // A bad --encoder-options names its flag.
    assert.equal(await messageOf(() => quietProgram().parseAsync(['node', 'selfsup', 'eval', bare, '--encoder-options', '{'])),
      'error: option \'--encoder-options <json>\' argument \'{\' is invalid. Expected a JSON object for --encoder-options ' +
      '(as \'{"width": 16}\') but received {');
  });

  it('leaves no tensor allocated (weights, datasets, the task\'s method) and logs on stderr by default', async () => {
    await runEval(rotation, { knn: true, floors: false, ...quiet });
    const before = torch.memory().tensors;
    await runEval(rotation, { knn: true, floors: false, ...quiet });
    const afterRun = torch.memory().tensors;
    await runEval(path.join(rotation, 'encoder.safetensors'), { knn: true, floors: false, ...quiet });
    const afterFile = torch.memory().tensors;
    await runEval(path.join(rotation, 'encoder.safetensors'), { knn: true, floors: false, ...quiet });
    assert.deepEqual([afterRun, afterFile, torch.memory().tensors], [before, before, before]);
    const lines: string[] = [];
    await runEval(rotation, { knn: true, floors: false, log: (l) => lines.push(l) });
    const { stderr } = await captured(() => runEval(rotation, { knn: true, floors: false }));
    const untimedText = (t: string) => t.replace(/\(\d+\.\d s\)/g, '(s)');
    assert.equal(untimedText(stderr), untimedText(lines.map((l) => `${l}\n`).join('')));
    assert.ok(lines.length >= 2, lines.join('\n'));
  });

  it('selfsup eval of a text run takes no flags: without any, the text evaluation runs (here: refuses an unfinished run)', async () => {
    const text = path.join(dir, 'bert-run');
    fs.mkdirSync(text);
    fs.writeFileSync(path.join(text, 'config.json'), JSON.stringify({ config: { method: 'bert', steps: 1 } }));
    assert.equal(await messageOf(() => quietProgram().parseAsync(['node', 'selfsup', 'eval', text])),
      `${text} has no tokenizer.json: the run did not finish`);
    assert.equal(await messageOf(() => quietProgram().parseAsync(['node', 'selfsup', 'eval', text, '--knn'])),
      'selfsup eval of a bert, albert or clip run recomputes the run\'s own table; drop --knn');
  });
});
